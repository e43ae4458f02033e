/* http: see http.h. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include "addr.h"
#include "client_limit.h"
#include "http.h"
#include "http_limit.h"
#include "status.h"
#include "tls_server.h"
#include "wipe.h"

#define HTTP_MAX_SEGMENTS 8
#define HTTP_MAX_PATH 512
#define HTTP_FULL_RETRY_AFTER "30"

struct http_server {
    struct evhttp *evh;
    const struct http_route *routes;
    size_t n_routes;
    size_t max_body;
    unsigned timeout_s; /* idle timeout, and the deadline to read one request */
    void *tls;
    void *ctx;
    struct log_ctx *log;
    struct http_metrics m;
    unsigned rate;
    const struct umbra_addr *proxies;
    size_t n_proxies;
    struct client_limit *limits; /* NULL: no per-client limits */
    struct http_limit_hooks hooks;
    size_t conns_open; /* admitted by hooks.open, not yet closed */
    bool freed;        /* http_free was called */
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool is_proxy(const struct http_server *s, const struct umbra_addr *a)
{
    struct umbra_addr n;
    if (s->n_proxies == 0 || addr_normalise(a, &n) != ADDR_NORM_OK)
        return false;
    for (size_t i = 0; i < s->n_proxies; i++)
        if (addr_equal_ip(&n, &s->proxies[i]))
            return true;
    return false;
}

/* http_limit hooks: a connection from a client that has too many open is
 * closed before anything is read (no TLS handshake, no reply). A trusted
 * proxy's connections are not counted: they carry many clients. */
static int on_conn_open(void *arg, int fd)
{
    struct http_server *s = arg;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct umbra_addr peer;

    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0 ||
        addr_from_sockaddr(&peer, (struct sockaddr *)&ss, len) != 0)
        return -1;
    if (!is_proxy(s, &peer) && client_limit_open(s->limits, fd, &peer, now_ms()) != 0) {
        log_debug(s->log, "http: a connection over client-connections closed");
        return -1;
    }
    s->conns_open++;
    return 0;
}

static void release(struct http_server *s)
{
    client_limit_free(s->limits);
    free(s);
}

/* Connections are freed after evhttp_free, as late as event_base_free: the
 * server stays until the last one is gone. */
static void on_conn_close(void *arg, int fd)
{
    struct http_server *s = arg;
    client_limit_close(s->limits, fd);
    if (--s->conns_open == 0 && s->freed)
        release(s);
}

/* The client a trusted proxy relays for: walking X-Forwarded-For (the
 * last such header) from the right, the first address that is not a
 * trusted proxy. -1 when there is none or an entry is not an address
 * (what lies left of it cannot be trusted either). */
static int forwarded_client(const struct http_server *s, struct evhttp_request *ev,
                            struct umbra_addr *out)
{
    const struct evkeyval *h;
    const char *xff = NULL, *end;

    TAILQ_FOREACH(h, evhttp_request_get_input_headers(ev), next)
    {
        if (strcasecmp(h->key, "X-Forwarded-For") == 0)
            xff = h->value;
    }
    if (xff == NULL)
        return -1;
    end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end, *a, *b;
        char item[ADDR_TEXT_MAX];
        struct umbra_addr cand;

        while (start > xff && start[-1] != ',')
            start--;
        for (a = start; a < end && (*a == ' ' || *a == '\t'); a++)
            ;
        for (b = end; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
            ;
        if (b == a || (size_t)(b - a) >= sizeof(item))
            return -1;
        memcpy(item, a, (size_t)(b - a));
        item[b - a] = '\0';
        if (addr_parse(&cand, item, 0) != 0)
            return -1;
        if (!is_proxy(s, &cand)) {
            *out = cand;
            return 0;
        }
        end = start > xff ? start - 1 : xff;
    }
    return -1;
}

/* The request's client: its peer, or for a request relayed by a trusted
 * proxy, the client the proxy names (the proxy itself when it names
 * none). 1 when the peer is a trusted proxy, 0 when not, -1 when the
 * connection has no address. */
static int request_client(const struct http_server *s, struct evhttp_request *ev,
                          struct umbra_addr *client)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(ev);
    const struct sockaddr *sa = conn != NULL ? evhttp_connection_get_addr(conn) : NULL;
    struct umbra_addr peer;

    if (sa == NULL || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
        addr_from_sockaddr(&peer, sa,
                           sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                     : sizeof(struct sockaddr_in)) != 0)
        return -1;
    *client = peer;
    if (!is_proxy(s, &peer))
        return 0;
    if (forwarded_client(s, ev, client) != 0)
        *client = peer;
    return 1;
}

/* The request's bucket: its connection's client, or for a request relayed
 * by a trusted proxy (via == 1), the client the proxy names. 0 or
 * CLIENT_LIMIT_ERATE. */
static int take_request(struct http_server *s, struct evhttp_request *ev, int via,
                        const struct umbra_addr *client, unsigned *retry)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(ev);
    struct bufferevent *bev = conn != NULL ? evhttp_connection_get_bufferevent(conn) : NULL;

    if (bev == NULL)
        return 0;
    if (via == 1)
        return client_limit_request_addr(s->limits, client, now_ms(), retry);
    return client_limit_request(s->limits, (int)bufferevent_getfd(bev), now_ms(), retry);
}

/* 1 when the client is over its request rate (and has been answered 429). */
static int rate_limited(struct http_server *s, struct evhttp_request *ev, int via,
                        const struct umbra_addr *client)
{
    unsigned retry = 1;
    char value[16], detail[160];

    if (take_request(s, ev, via, client, &retry) == 0)
        return 0;
    snprintf(value, sizeof(value), "%u", retry);
    snprintf(detail, sizeof(detail),
             "more than %u requests per second from this client (client-rate); retry in %u s",
             s->rate, retry);
    evhttp_add_header(evhttp_request_get_output_headers(ev), "Retry-After", value);
    http_reply_error(ev, 429, "rate_limited", detail);
    return 1;
}

static void send_reply(struct evhttp_request *ev, int code, const char *type, const char *body,
                       size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(ev);
    struct evbuffer *buf = evbuffer_new();
    evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (code == 503 && evhttp_find_header(h, "Retry-After") == NULL)
        evhttp_add_header(h, "Retry-After", "1");
    /* A reply to HEAD has no content (RFC 9110 §9.3.2); libevent sends
     * what it is given, and a pipelining client or a proxy would read
     * that as the next reply. */
    if (buf != NULL && evhttp_request_get_command(ev) != EVHTTP_REQ_HEAD)
        evbuffer_add(buf, body, len);
    evhttp_send_reply(ev, code, NULL, buf);
    if (buf != NULL)
        evbuffer_free(buf);
}

void http_reply_result(struct evhttp_request *ev, int status, json_t *body, const char *detail)
{
    if (status != 0)
        http_reply_status(ev, status, detail);
    else
        http_reply_json(ev, 200, body);
}

void http_reply_text(struct evhttp_request *ev, int code, const char *type, const char *text)
{
    send_reply(ev, code, type, text, strlen(text));
}

void http_reply_json(struct evhttp_request *ev, int code, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    if (text == NULL) {
        const char *oom = "{\"error\":\"internal\",\"detail\":\"out of memory\"}";
        send_reply(ev, 500, "application/json", oom, strlen(oom));
    } else {
        send_reply(ev, code, "application/json", text, strlen(text));
        /* Replies can hold secrets and private keys. */
        wipe_free(text, strlen(text));
    }
    json_decref(body);
}

void http_reply_error(struct evhttp_request *ev, int code, const char *error, const char *detail)
{
    char clean[1024];

    /* A detail quoting the request must not turn a 4xx into a 500. */
    snprintf(clean, sizeof(clean), "%s", detail ? detail : "");
    http_text_clean(clean);
    http_reply_json(ev, code, json_pack("{s:s, s:s}", "error", error, "detail", clean));
}

void http_reply_status(struct evhttp_request *ev, int status, const char *detail)
{
    static const struct {
        int status, code;
        const char *name;
    } map[] = {
        {BROKER_EDOWN, 503, "store_unavailable"},
        {BROKER_EINVALID, 400, "invalid_request"},
        {BROKER_EAUTH, 401, "unauthorized"},
        {BROKER_EFORBIDDEN, 403, "forbidden"},
        {BROKER_ENOTFOUND, 404, "not_found"},
        {BROKER_ECONFLICT, 409, "conflict"},
        {BROKER_EGONE, 410, "gone"},
        {BROKER_EUNPROCESSABLE, 422, "unprocessable"},
        {BROKER_ENORELAY, 503, "relays_unavailable"},
        {BROKER_ELIMITED, 429, "rate_limited"},
        {BROKER_EFULL, 503, "store_full"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (map[i].status != status)
            continue;
        if (status == BROKER_EDOWN)
            detail = "the state store is unreachable; retry";
        if (status == BROKER_EFULL) {
            /* It frees room only as keys expire: not within a second. */
            evhttp_add_header(evhttp_request_get_output_headers(ev), "Retry-After",
                              HTTP_FULL_RETRY_AFTER);
            detail = "the state store is full and takes no new state; retry later";
        }
        http_reply_error(ev, map[i].code, map[i].name, detail);
        return;
    }
    http_reply_error(ev, 500, "internal", "internal error");
}

/* Splits "/a/b/c" in place; -1 for an empty segment or too many. A
 * trailing slash ("/a/") gives an empty last segment, which only a
 * pattern with the same trailing slash matches. */
static int split_path(char *path, char *seg[HTTP_MAX_SEGMENTS], size_t *n)
{
    char *p = path + 1;
    *n = 0;
    if (path[0] != '/')
        return -1;
    if (*p == '\0')
        return 0;
    for (;;) {
        char *slash = strchr(p, '/');
        if (*n == HTTP_MAX_SEGMENTS || *p == '/')
            return -1;
        seg[(*n)++] = p;
        if (slash == NULL)
            return 0;
        *slash = '\0';
        p = slash + 1;
    }
}

/* 1 when the route's pattern matches the segments (captures in req->arg). */
static int match(const char *pattern, char *const *seg, size_t n, struct http_req *req)
{
    char buf[HTTP_MAX_PATH], *pseg[HTTP_MAX_SEGMENTS];
    size_t pn, a = 0;
    snprintf(buf, sizeof(buf), "%s", pattern);
    if (split_path(buf, pseg, &pn) != 0 || pn != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(pseg[i], "*") == 0) {
            if (seg[i][0] == '\0')
                return 0;
            if (a < HTTP_MAX_ARGS)
                req->arg[a++] = seg[i];
        } else if (strcmp(pseg[i], seg[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

static void on_complete(struct evhttp_request *ev, void *arg)
{
    struct http_server *s = arg;
    int code = evhttp_request_get_response_code(ev);
    if (code >= 100 && code < 600)
        s->m.status[code / 100]++;
    log_debug(s->log, "http: answered %d", code);
}

static const char *method_name(enum evhttp_cmd_type method)
{
    switch (method) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    default:
        return "other method";
    }
}

static const char *bearer_of(struct evhttp_request *ev)
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(ev), "Authorization");
    if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
        return NULL;
    auth += 7;
    while (*auth == ' ')
        auth++;
    return auth;
}

/* The connection closes after this answer: http_limit has dropped the
 * body, and what follows it on the connection is not framed. */
static void reply_too_large(struct evhttp_request *ev, unsigned long long len, size_t max_body)
{
    char detail[160];
    snprintf(detail, sizeof(detail), "the body is %llu bytes; the limit is %zu (max-body)", len,
             max_body);
    evhttp_add_header(evhttp_request_get_output_headers(ev), "Connection", "close");
    http_reply_error(ev, 413, "payload_too_large", detail);
}

/* Parses the body into req->body; replies and returns -1 when it is bad. */
static int read_body(struct http_server *s, struct http_req *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req->ev);
    size_t len = evbuffer_get_length(in);
    char detail[300];
    unsigned char *data;

    if (len > s->max_body) { /* http_limit lets none through: a backstop */
        reply_too_large(req->ev, len, s->max_body);
        return -1;
    }
    data = evbuffer_pullup(in, (ssize_t)len);
    if (http_parse_body((const char *)data, len, &req->body, detail, sizeof(detail)) != 0) {
        http_reply_error(req->ev, 400, "malformed_json", detail);
        return -1;
    }
    return 0;
}

static void dispatch(struct evhttp_request *ev, void *arg)
{
    struct http_server *s = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
    enum evhttp_cmd_type method = evhttp_request_get_command(ev);
    char buf[HTTP_MAX_PATH], *seg[HTTP_MAX_SEGMENTS];
    struct http_req req;
    size_t n;
    bool path_known = false;
    const char *too_large;
    int via;

    s->m.requests++;
    evhttp_request_set_on_complete_cb(ev, on_complete, s);
    memset(&req, 0, sizeof(req));
    via = request_client(s, ev, &req.client);
    req.has_client = via >= 0;
    if (s->limits != NULL && rate_limited(s, ev, via, &req.client))
        return;
    too_large = evhttp_find_header(evhttp_request_get_input_headers(ev), HTTP_LIMIT_HEADER);
    if (too_large != NULL) {
        reply_too_large(ev, strtoull(too_large, NULL, 10), s->max_body);
        return;
    }
    req.ev = ev;
    TAILQ_INIT(&req.query);
    if (path == NULL || strlen(path) >= sizeof(buf)) {
        http_reply_error(ev, 404, "not_found", "no such resource");
        return;
    }
    snprintf(buf, sizeof(buf), "%s", path);
    if (split_path(buf, seg, &n) != 0) {
        http_reply_error(ev, 404, "not_found", "no such resource");
        return;
    }
    if (query != NULL && evhttp_parse_query_str(query, &req.query) != 0) {
        http_reply_error(ev, 400, "invalid_request", "malformed query string");
        return;
    }
    for (size_t i = 0; i < s->n_routes; i++) {
        if (!match(s->routes[i].pattern, seg, n, &req))
            continue;
        path_known = true;
        if (s->routes[i].method != method)
            continue;
        /* The route's pattern, never the path: segments hold tokens. */
        log_debug(s->log, "http: %s %s", method_name(method), s->routes[i].pattern);
        req.bearer = bearer_of(ev);
        if (read_body(s, &req) == 0) {
            s->routes[i].handler(s->ctx, &req);
            json_decref(req.body);
        }
        evhttp_clear_headers(&req.query);
        return;
    }
    evhttp_clear_headers(&req.query);
    if (path_known)
        http_reply_error(ev, 405, "method_not_allowed", "this resource has no such method");
    else
        http_reply_error(ev, 404, "not_found", "no such resource");
}

/* Every connection reads through http_limit (over TLS when configured). */
static struct bufferevent *make_bufferevent(struct event_base *base, void *arg)
{
    struct http_server *s = arg;
    struct bufferevent *under = s->tls != NULL
                                    ? tls_server_evhttp_bevcb(base, s->tls)
                                    : bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    return under != NULL
               ? http_limit_wrap(under, s->max_body, s->timeout_s, s->limits ? &s->hooks : NULL)
               : NULL;
}

struct http_server *http_new(struct event_base *base, const char *host, unsigned short port,
                             void *tls, size_t max_body, unsigned timeout_s,
                             const struct http_route *routes, size_t n_routes, void *ctx,
                             const struct http_limits *limits, struct log_ctx *log, char *err,
                             size_t errlen)
{
    struct http_server *s = calloc(1, sizeof(*s));
    unsigned char key[ADDR_HASH_KEY_BYTES];

    if (s == NULL || (s->evh = evhttp_new(base)) == NULL) {
        snprintf(err, errlen, "out of memory");
        free(s);
        return NULL;
    }
    if (limits != NULL) {
        randombytes_buf(key, sizeof(key));
        s->limits = client_limit_new(&limits->client, key);
        sodium_memzero(key, sizeof(key));
        if (s->limits == NULL) {
            snprintf(err, errlen, "out of memory");
            evhttp_free(s->evh);
            free(s);
            return NULL;
        }
        s->rate = limits->client.rate;
        s->proxies = limits->trusted_proxies;
        s->n_proxies = limits->n_trusted_proxies;
        s->hooks = (struct http_limit_hooks){on_conn_open, on_conn_close, s};
    }
    s->routes = routes;
    s->n_routes = n_routes;
    s->max_body = max_body;
    s->timeout_s = timeout_s;
    s->ctx = ctx;
    s->log = log;
    /* http_limit answers oversize bodies with a JSON 413 before evhttp
     * sees them; evhttp's own limit (an HTML 413) is a backstop. */
    evhttp_set_max_body_size(s->evh, (ev_ssize_t)(4 * max_body));
    evhttp_set_max_headers_size(s->evh, 16384);
    evhttp_set_timeout(s->evh, (int)timeout_s);
    /* Every method reaches dispatch, so a wrong one gets a JSON 405; not
     * CONNECT, whose replies libevent 2.1 neither frames nor closes (it
     * takes them for a tunnel), so it gets libevent's 501. */
    evhttp_set_allowed_methods(s->evh, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE |
                                           EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD |
                                           EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE);
    evhttp_set_default_content_type(s->evh, "application/json");
    s->tls = tls;
    evhttp_set_bevcb(s->evh, make_bufferevent, s);
    evhttp_set_gencb(s->evh, dispatch, s);
    if (evhttp_bind_socket(s->evh, host, port) != 0) {
        snprintf(err, errlen, "cannot listen on port %u", port);
        evhttp_free(s->evh);
        client_limit_free(s->limits);
        free(s);
        return NULL;
    }
    return s;
}

void http_free(struct http_server *s)
{
    if (s == NULL)
        return;
    evhttp_free(s->evh);
    s->freed = true;
    if (s->conns_open == 0)
        release(s);
}

const struct http_metrics *http_metrics(const struct http_server *s)
{
    return &s->m;
}

const struct client_limit_metrics *http_client_metrics(const struct http_server *s)
{
    static const struct client_limit_metrics none;
    return s->limits != NULL ? client_limit_metrics(s->limits) : &none;
}

int http_check_query(const struct evkeyvalq *q, const char *const *names, size_t n, char *err,
                     size_t errlen)
{
    const struct evkeyval *kv;
    TAILQ_FOREACH(kv, q, next)
    {
        size_t i;
        for (i = 0; i < n && strcmp(names[i], kv->key) != 0; i++)
            ;
        if (i == n) {
            snprintf(err, errlen, "unknown query parameter \"%.64s\"", kv->key);
            return -1;
        }
    }
    return 0;
}
