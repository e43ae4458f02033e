/* api_demo: GET /demo/ and /demo/NAME serve the static demo page from the
 * directory named by the web-root key (contrib/web in the source tree).
 * Nothing is served when web-root is unset. Only GET, only one level of
 * plain names (letters, digits, '.', '-', '_'; no leading dot, no ".."),
 * only regular files up to API_DEMO_MAX bytes with a type from a fixed
 * extension table; everything else is a JSON 404. The path is never
 * logged or echoed. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "api.h"

#define API_DEMO_MAX (4 * 1024 * 1024)
#define API_DEMO_NAME_MAX 64

static const struct {
    const char *ext, *type;
} demo_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

/* 0 when name is one plain file name; -1 otherwise. Pure. */
int api_demo_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > API_DEMO_NAME_MAX || name[0] == '.' || strstr(name, "..") != NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return -1;
    }
    return 0;
}

/* The content type for name's extension, or NULL when it is not served. */
const char *api_demo_type(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(demo_types) / sizeof(demo_types[0]); i++) {
        size_t e = strlen(demo_types[i].ext);
        if (n > e && strcmp(name + n - e, demo_types[i].ext) == 0)
            return demo_types[i].type;
    }
    return NULL;
}

static void not_found(struct http_req *req)
{
    http_reply_error(req->ev, 404, "not_found", "no such resource");
}

/* Appends the file's bytes to buf; always consumes fd. 0 or -1. */
static int add_file(struct evbuffer *buf, int fd, off_t size)
{
    struct evbuffer_file_segment *seg;
    int rc;
    if (size == 0) {
        close(fd);
        return 0;
    }
    seg = evbuffer_file_segment_new(fd, 0, size, EVBUF_FS_CLOSE_ON_FREE);
    if (seg == NULL) {
        close(fd);
        return -1;
    }
    rc = evbuffer_add_file_segment(buf, seg, 0, size);
    /* buf keeps its own reference; the descriptor closes with the last one. */
    evbuffer_file_segment_free(seg);
    return rc;
}

static void serve(struct api *a, struct http_req *req, const char *name)
{
    const char *type = api_demo_type(name);
    char path[CONFIG_PATH_MAX + API_DEMO_NAME_MAX + 2];
    struct evkeyvalq *h;
    struct evbuffer *buf;
    struct stat st;
    int fd;

    if (a->cfg->web_root[0] == '\0' || api_demo_name_ok(name) != 0 || type == NULL) {
        not_found(req);
        return;
    }
    snprintf(path, sizeof(path), "%s/%s", a->cfg->web_root, name);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        not_found(req);
        return;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > API_DEMO_MAX ||
        (buf = evbuffer_new()) == NULL) {
        close(fd);
        not_found(req);
        return;
    }
    if (add_file(buf, fd, st.st_size) != 0) {
        evbuffer_free(buf);
        not_found(req);
        return;
    }
    h = evhttp_request_get_output_headers(req->ev);
    evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                      "base-uri 'none'; frame-ancestors 'none'");
    evhttp_send_reply(req->ev, 200, "OK", buf);
    evbuffer_free(buf);
}

void api_demo_redirect(void *ctx, struct http_req *req)
{
    struct api *a = ctx;
    if (a->cfg->web_root[0] == '\0') {
        not_found(req);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req->ev), "Location", "/demo/");
    http_reply_text(req->ev, 301, "text/plain; charset=utf-8", "see /demo/\n");
}

void api_demo_index(void *ctx, struct http_req *req)
{
    serve(ctx, req, "index.html");
}

void api_demo_file(void *ctx, struct http_req *req)
{
    serve(ctx, req, req->arg[0]);
}
