/* http_limit: see http_limit.h. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "http_limit.h"
#include "wipe.h"

#define LINE_MAX_CHUNK 1024

enum lstate {
    L_HEAD,     /* waiting for a request head */
    L_BODY,     /* passing left body bytes through */
    L_CHUNKED,  /* holding (or dropping) a chunked body until its end */
    L_OVERSIZE, /* dropping left body bytes, then releasing held */
    L_SKIP,     /* dropping the body of a HEAD or TRACE (evhttp reads none) */
    L_DROP,     /* the answer closes the connection: drop everything */
    L_PASS,     /* cannot frame: pass everything on for evhttp to refuse */
};

enum cstate { C_SIZE, C_DATA, C_DATA_END, C_TRAILER };

struct limit {
    size_t max_body;
    enum lstate state;
    enum cstate cstate;
    uint64_t left; /* L_BODY, L_OVERSIZE, L_SKIP: body bytes; L_CHUNKED: of this chunk */
    uint64_t seen; /* decoded bytes of a chunked body */
    bool over;     /* the chunked body went past max_body */
    struct evbuffer *held;
    char *head; /* L_CHUNKED: the request's head, NUL-terminated */
    size_t head_len;
    struct bufferevent *bev, *under;
    struct evbuffer_cb_entry *drained_cb, *added_cb;
    bool written; /* output moved down, not yet all on the socket */
    const struct http_limit_hooks *hooks;
    struct event *admit;        /* runs hooks->open once the socket is set */
    int fd;                     /* the socket hooks->open kept; -1: none */
    struct event *deadline;     /* armed while a request is being read */
    struct timeval deadline_tv; /* how long reading one request may take */
    bool reading;               /* the deadline is armed */
};

/* What a head says about its body. */
struct head_info {
    bool has_length, bad_length, chunked, expect_continue, marker;
    bool bodiless; /* HEAD or TRACE: evhttp reads no body after such a head */
    uint64_t length;
};

/* Length of the head at the start of src through its empty line; 0 when
 * incomplete, -1 when longer than HTTP_LIMIT_HEAD_MAX. */
static long head_length(struct evbuffer *src)
{
    struct evbuffer_ptr p, eol;
    size_t eol_len = 0;

    evbuffer_ptr_set(src, &p, 0, EVBUFFER_PTR_SET);
    for (;;) {
        eol = evbuffer_search_eol(src, &p, &eol_len, EVBUFFER_EOL_CRLF);
        if (eol.pos < 0)
            return evbuffer_get_length(src) > HTTP_LIMIT_HEAD_MAX ? -1 : 0;
        if ((size_t)eol.pos + eol_len > HTTP_LIMIT_HEAD_MAX)
            return -1;
        if (eol.pos == p.pos)
            return (long)(eol.pos + eol_len);
        evbuffer_ptr_set(src, &p, (size_t)eol.pos + eol_len, EVBUFFER_PTR_SET);
    }
}

static const char *trim(char *s)
{
    char *end;
    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    return s;
}

static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

static bool is_framing(const char *name)
{
    return strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0 ||
           strcasecmp(name, "Expect") == 0 || strcasecmp(name, HTTP_LIMIT_HEADER) == 0;
}

/* Reads the headers that frame the body from a NUL-terminated head (lines
 * end in \n or \r\n). Only their values are copied, never another
 * header's (a bearer token). */
static void head_parse(const char *head, struct head_info *hi)
{
    const char *line = strchr(head, '\n'); /* skip the request line */
    memset(hi, 0, sizeof(*hi));
    hi->bodiless = strncmp(head, "HEAD ", 5) == 0 || strncmp(head, "TRACE ", 6) == 0;
    for (; line != NULL && *++line != '\0'; line = strchr(line, '\n')) {
        const char *end = strchr(line, '\n'), *colon;
        char name[32], value[64];
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            len--;
        colon = memchr(line, ':', len);
        if (colon == NULL || (size_t)(colon - line) >= sizeof(name))
            continue;
        snprintf(name, sizeof(name), "%.*s", (int)(colon - line), line);
        if (!is_framing(name))
            continue;
        if (len - (size_t)(colon - line) - 1 < sizeof(value))
            snprintf(value, sizeof(value), "%.*s", (int)(len - (size_t)(colon - line) - 1),
                     colon + 1);
        else
            snprintf(value, sizeof(value), "too long");
        if (strcasecmp(name, "Content-Length") == 0) {
            hi->bad_length |= hi->has_length || parse_u64(trim(value), &hi->length) != 0;
            hi->has_length = true;
        } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
            hi->chunked = strcasecmp(trim(value), "chunked") == 0;
        } else if (strcasecmp(name, "Expect") == 0) {
            hi->expect_continue = strcasecmp(trim(value), "100-continue") == 0;
        } else {
            hi->marker = true;
        }
    }
}

static bool starts_with_name(const char *line, size_t n, const char *name_colon)
{
    size_t k = strlen(name_colon);
    return n >= k && strncasecmp(line, name_colon, k) == 0;
}

/* A client's marker always goes; when oversize, so do the headers that
 * framed the body (evhttp gets an empty one). */
static bool dropped(const char *line, size_t n, bool oversize)
{
    return starts_with_name(line, n, HTTP_LIMIT_HEADER ":") ||
           (oversize && (starts_with_name(line, n, "Content-Length:") ||
                         starts_with_name(line, n, "Transfer-Encoding:") ||
                         starts_with_name(line, n, "Expect:")));
}

/* Appends the head to out without dropped headers; when oversize (its
 * framing headers dropped), with marker an empty body and the marker
 * saying how large the body was. */
static void head_rewrite(const char *head, size_t len, bool oversize, uint64_t body_bytes,
                         bool marker, struct evbuffer *out)
{
    const char *p = head, *end = head + len;
    bool first = true;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (!first && (p[0] == '\n' || (p[0] == '\r' && n == 2)))
            break; /* the empty line */
        if (first || !dropped(p, n, oversize))
            evbuffer_add(out, p, n);
        first = false;
        p += n;
    }
    if (oversize && marker)
        evbuffer_add_printf(out, "Content-Length: 0\r\n%s: %llu\r\n", HTTP_LIMIT_HEADER,
                            (unsigned long long)body_bytes);
    evbuffer_add(out, "\r\n", 2);
}

/* A head is complete at the start of src: decide how its body goes. */
static int on_head(struct limit *l, struct evbuffer *src, struct evbuffer *dst, size_t len)
{
    struct head_info hi;
    char *head = malloc(len + 1);

    if (head == NULL)
        return -1;
    evbuffer_remove(src, head, len);
    head[len] = '\0';
    head_parse(head, &hi);
    if (hi.bodiless && (hi.chunked || hi.has_length)) {
        /* evhttp would read the body as the next request: drop it here,
         * and hand on the head without the headers that framed it. A
         * chunked one cannot be skipped without holding it: pass. */
        head_rewrite(head, len, !hi.chunked && !hi.bad_length, 0, false, dst);
        l->state = hi.chunked || hi.bad_length ? L_PASS : L_SKIP;
        l->left = hi.length;
    } else if (hi.chunked) {
        /* Held whole until its end shows whether it fits. */
        evbuffer_add(l->held, head, len);
        l->head = head;
        l->head_len = len;
        l->state = L_CHUNKED;
        l->cstate = C_SIZE;
        l->seen = 0;
        l->over = false;
        return 0;
    } else if (hi.has_length && (hi.bad_length || hi.length <= l->max_body)) {
        if (hi.marker)
            head_rewrite(head, len, false, 0, true, dst);
        else
            evbuffer_add(dst, head, len);
        l->state = hi.bad_length ? L_PASS : L_BODY;
        l->left = hi.length;
    } else if (hi.has_length) {
        head_rewrite(head, len, true, hi.length, true, hi.expect_continue ? dst : l->held);
        l->state = hi.expect_continue ? L_DROP : L_OVERSIZE;
        l->left = hi.length;
    } else if (hi.marker) {
        head_rewrite(head, len, false, 0, true, dst);
    } else {
        evbuffer_add(dst, head, len);
    }
    wipe_free(head, len + 1); /* it may hold a bearer token */
    return 0;
}

/* One line of chunk framing from src into line (NUL-terminated, without
 * its end); 1 when read, 0 when incomplete, -1 when too long. */
static int chunk_line(struct evbuffer *src, struct limit *l, char line[LINE_MAX_CHUNK])
{
    struct evbuffer_ptr eol;
    size_t eol_len = 0;

    eol = evbuffer_search_eol(src, NULL, &eol_len, EVBUFFER_EOL_CRLF);
    if (eol.pos < 0)
        return evbuffer_get_length(src) >= LINE_MAX_CHUNK ? -1 : 0;
    if ((size_t)eol.pos >= LINE_MAX_CHUNK)
        return -1;
    evbuffer_copyout(src, line, (size_t)eol.pos);
    line[eol.pos] = '\0';
    if (!l->over)
        evbuffer_remove_buffer(src, l->held, (size_t)eol.pos + eol_len);
    else
        evbuffer_drain(src, (size_t)eol.pos + eol_len);
    return 1;
}

static int parse_chunk_size(const char *line, uint64_t *out)
{
    uint64_t v = 0;
    int digits = 0;
    for (; *line != '\0' && *line != ';' && *line != ' ' && *line != '\t'; line++, digits++) {
        int d = *line >= '0' && *line <= '9'   ? *line - '0'
                : *line >= 'a' && *line <= 'f' ? *line - 'a' + 10
                : *line >= 'A' && *line <= 'F' ? *line - 'A' + 10
                                               : -1;
        if (d < 0 || digits == 15)
            return -1;
        v = v * 16 + (uint64_t)d;
    }
    *out = v;
    return digits > 0 ? 0 : -1;
}

/* The chunked body is complete: pass it on, or its rewritten head. */
static void chunked_done(struct limit *l, struct evbuffer *dst)
{
    if (l->over)
        head_rewrite(l->head, l->head_len, true, l->seen, true, dst);
    else
        evbuffer_add_buffer(dst, l->held);
    wipe_free(l->head, l->head_len + 1);
    l->head = NULL;
    l->state = l->over ? L_DROP : L_HEAD;
}

/* A chunked body we cannot frame: as it came (evhttp refuses it), or,
 * once over max_body, as oversize. */
static void chunked_unframed(struct limit *l, struct evbuffer *dst)
{
    if (l->over) {
        chunked_done(l, dst);
        return;
    }
    evbuffer_add_buffer(dst, l->held);
    wipe_free(l->head, l->head_len + 1);
    l->head = NULL;
    l->state = L_PASS;
}

/* Keeps held within bounds: past max_body decoded (or 8x that in
 * framing) the body is dropped and only its size is kept. */
static void chunk_account(struct limit *l)
{
    if (!l->over && (l->seen > l->max_body ||
                     evbuffer_get_length(l->held) > 8 * l->max_body + HTTP_LIMIT_HEAD_MAX)) {
        l->over = true;
        evbuffer_drain(l->held, evbuffer_get_length(l->held));
    }
}

/* One step of a chunked body; 1 on progress, 0 when more input is needed. */
static int chunk_step(struct limit *l, struct evbuffer *src, struct evbuffer *dst)
{
    char line[LINE_MAX_CHUNK];
    size_t n;
    int rc;

    if (l->cstate == C_DATA) {
        n = evbuffer_get_length(src);
        if (n > l->left)
            n = (size_t)l->left;
        if (!l->over)
            evbuffer_remove_buffer(src, l->held, n);
        else
            evbuffer_drain(src, n);
        l->left -= n;
        if (l->left == 0)
            l->cstate = C_DATA_END;
        chunk_account(l);
        return n > 0;
    }
    rc = chunk_line(src, l, line);
    if (rc < 0)
        chunked_unframed(l, dst);
    if (rc <= 0)
        return rc < 0;
    if (l->cstate == C_SIZE) {
        uint64_t size;
        if (parse_chunk_size(line, &size) != 0) {
            chunked_unframed(l, dst);
            return 1;
        }
        l->seen += size;
        l->left = size;
        l->cstate = size > 0 ? C_DATA : C_TRAILER;
        chunk_account(l);
    } else if (l->cstate == C_DATA_END) {
        l->cstate = C_SIZE;
    } else if (line[0] == '\0') { /* C_TRAILER: its empty line ends the body */
        chunked_done(l, dst);
    }
    return 1;
}

static int step(struct limit *l, struct evbuffer *src, struct evbuffer *dst)
{
    size_t n = evbuffer_get_length(src);
    long hl;

    switch (l->state) {
    case L_HEAD:
        hl = head_length(src);
        if (hl < 0) {
            l->state = L_PASS;
            return 1;
        }
        if (hl == 0)
            return 0;
        if (on_head(l, src, dst, (size_t)hl) != 0)
            l->state = L_PASS;
        return 1;
    case L_BODY:
    case L_OVERSIZE:
        if (n > l->left)
            n = (size_t)l->left;
        if (l->state == L_BODY)
            evbuffer_remove_buffer(src, dst, n);
        else
            evbuffer_drain(src, n);
        l->left -= n;
        if (l->left == 0) {
            if (l->state == L_OVERSIZE)
                evbuffer_add_buffer(dst, l->held);
            l->state = l->state == L_OVERSIZE ? L_DROP : L_HEAD;
            return 1;
        }
        return n > 0;
    case L_SKIP:
        if (n > l->left)
            n = (size_t)l->left;
        evbuffer_drain(src, n);
        l->left -= n;
        if (l->left == 0)
            l->state = L_HEAD;
        return n > 0 || l->left == 0;
    case L_CHUNKED:
        return chunk_step(l, src, dst);
    case L_DROP:
        evbuffer_drain(src, n);
        return 0;
    case L_PASS:
    default:
        evbuffer_add_buffer(dst, src);
        return 0;
    }
}

/* True while part of a request is still awaited: a head begun, body
 * bytes left, a chunked body not ended. */
static bool mid_request(const struct limit *l, const struct evbuffer *src)
{
    switch (l->state) {
    case L_HEAD:
        return evbuffer_get_length(src) > 0;
    case L_BODY:
    case L_OVERSIZE:
    case L_SKIP:
        return l->left > 0;
    case L_CHUNKED:
        return true;
    default:
        return false;
    }
}

/* A request not read whole within the deadline: the client trickles or
 * stalls it. evhttp's timeout only sees idleness, so a byte every few
 * seconds would hold the connection for ever. */
static void on_deadline(evutil_socket_t unused, short what, void *arg)
{
    struct limit *l = arg;
    evutil_socket_t fd = bufferevent_getfd(l->bev);

    l->reading = false;
    l->state = L_DROP;
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR); /* evhttp reads end-of-file and frees it */
}

static void watch_request(struct limit *l, const struct evbuffer *src)
{
    bool mid = mid_request(l, src);

    if (l->deadline == NULL || mid == l->reading)
        return;
    if (mid && event_add(l->deadline, &l->deadline_tv) != 0)
        return;
    if (!mid)
        event_del(l->deadline);
    l->reading = mid;
}

static enum bufferevent_filter_result on_input(struct evbuffer *src, struct evbuffer *dst,
                                               ev_ssize_t limit, enum bufferevent_flush_mode mode,
                                               void *arg)
{
    size_t before = evbuffer_get_length(dst);
    while (evbuffer_get_length(src) > 0 && step(arg, src, dst))
        ;
    watch_request(arg, src);
    return evbuffer_get_length(dst) > before ? BEV_OK : BEV_NEED_MORE;
}

/* Output: evhttp frees a connection (and with it the bufferevent below,
 * unsent bytes included) as soon as this filter reports its output
 * written. So report it only when the bufferevent below has put every
 * byte on the socket (on_drained), not when the bytes move down. */
static enum bufferevent_filter_result on_output(struct evbuffer *src, struct evbuffer *dst,
                                                ev_ssize_t limit, enum bufferevent_flush_mode mode,
                                                void *arg)
{
    struct limit *l = arg;
    if (evbuffer_get_length(src) > 0) {
        evbuffer_add_buffer(dst, src);
        l->written = true;
    }
    return BEV_NEED_MORE;
}

static void on_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct limit *l = arg;
    if (l->written && info->n_deleted > 0 && evbuffer_get_length(buf) == 0) {
        l->written = false;
        bufferevent_trigger(l->bev, EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
    }
}

/* evhttp queues a reply while writing is disabled and enables it after;
 * a filter only moves output on its own when writing is enabled. */
static void on_added(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct limit *l = arg;
    if (info->n_added > 0)
        bufferevent_flush(l->bev, EV_WRITE, BEV_FLUSH);
}

/* Runs from the loop just after the accept that made this connection:
 * evhttp sets the socket after it creates the bufferevent. */
static void on_admit(evutil_socket_t unused, short what, void *arg)
{
    struct limit *l = arg;
    int fd = (int)bufferevent_getfd(l->bev);

    if (fd < 0 || l->hooks == NULL || l->hooks->open == NULL)
        return;
    if (l->hooks->open(l->hooks->arg, fd) != 0) {
        /* evhttp reads end-of-file and frees the connection. */
        l->state = L_DROP;
        shutdown(fd, SHUT_RDWR);
        return;
    }
    l->fd = fd;
}

static void limit_free(void *arg)
{
    struct limit *l = arg;
    if (l->admit != NULL)
        event_free(l->admit);
    if (l->deadline != NULL)
        event_free(l->deadline);
    if (l->fd >= 0 && l->hooks->close != NULL)
        l->hooks->close(l->hooks->arg, l->fd);
    if (l->drained_cb != NULL) /* the bufferevent below outlives this call */
        evbuffer_remove_cb_entry(bufferevent_get_output(l->under), l->drained_cb);
    evbuffer_free(l->held);
    wipe_free(l->head, l->head_len + 1);
    free(l);
}

struct bufferevent *http_limit_wrap(struct bufferevent *under, size_t max_body, unsigned deadline_s,
                                    const struct http_limit_hooks *hooks)
{
    struct limit *l = calloc(1, sizeof(*l));
    struct bufferevent *bev = NULL;

    if (l != NULL) {
        l->max_body = max_body;
        l->held = evbuffer_new();
        l->hooks = hooks;
        l->fd = -1;
    }
    if (l != NULL && l->held != NULL)
        l->drained_cb = evbuffer_add_cb(bufferevent_get_output(under), on_drained, l);
    if (l != NULL && l->drained_cb != NULL)
        bev = bufferevent_filter_new(under, on_input, on_output, BEV_OPT_CLOSE_ON_FREE, limit_free,
                                     l);
    if (bev == NULL) {
        if (l != NULL && l->drained_cb != NULL)
            evbuffer_remove_cb_entry(bufferevent_get_output(under), l->drained_cb);
        if (l != NULL && l->held != NULL)
            evbuffer_free(l->held);
        free(l);
        bufferevent_free(under);
        return NULL;
    }
    l->bev = bev;
    l->under = under;
    l->added_cb = evbuffer_add_cb(bufferevent_get_output(bev), on_added, l);
    if (l->added_cb == NULL) {
        bufferevent_free(bev);
        return NULL;
    }
    if (hooks != NULL && hooks->open != NULL) {
        l->admit = event_new(bufferevent_get_base(under), -1, 0, on_admit, l);
        if (l->admit == NULL) {
            bufferevent_free(bev);
            return NULL;
        }
        event_active(l->admit, EV_TIMEOUT, 1);
    }
    if (deadline_s > 0) {
        l->deadline_tv.tv_sec = (time_t)deadline_s;
        l->deadline = evtimer_new(bufferevent_get_base(under), on_deadline, l);
        if (l->deadline == NULL) {
            bufferevent_free(bev);
            return NULL;
        }
    }
    return bev;
}
