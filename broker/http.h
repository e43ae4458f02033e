/* http: the broker's HTTP(S) front (libevent evhttp): routes, request
 * bodies, JSON replies and errors.
 *
 * Every request passes through http before any handler: the path is split
 * and matched against the route table ("*" matches one segment, captured in
 * req->arg), the query is parsed, a body over max-body is refused (413),
 * a body is parsed as one JSON object (400 otherwise), and the bearer
 * secret of "Authorization: Bearer X" is picked out. A handler answers
 * with http_reply_json/http_reply_error, or keeps the evhttp_request to
 * answer later (long poll); the http_req itself lives only during the
 * handler. Errors are {"error": name, "detail": text}; 503 and 429 carry
 * Retry-After. http never logs a path, query or header (they hold tokens);
 * at debug level it logs each request's method and route pattern, and the
 * code of each answer. */
#ifndef UMBRA_BROKER_HTTP_H
#define UMBRA_BROKER_HTTP_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "log.h"

#define HTTP_MAX_ARGS 4

struct http_req {
    struct evhttp_request *ev;
    const char *arg[HTTP_MAX_ARGS]; /* captured "*" segments */
    struct evkeyvalq query;
    json_t *body;       /* an object; {} when the request had no body */
    const char *bearer; /* NULL when absent */
    /* The client, as the per-client limits count it: the peer, or for a
     * request a trusted proxy relays, the client its X-Forwarded-For
     * names (the proxy when it names none). has_client is false only when
     * the connection has no address. */
    struct umbra_addr client;
    bool has_client;
};

typedef void (*http_handler)(void *ctx, struct http_req *req);

struct http_route {
    enum evhttp_cmd_type method;
    const char *pattern; /* "/v1/calls/x/offer" with "*" for a segment */
    http_handler handler;
};

struct http_metrics {
    unsigned long long requests, status[6]; /* status[k] counts kxx replies */
};

#include "client_limit.h"

struct http_server;

/* Per-client limits (client_limit.h). A connection from a trusted proxy is
 * not counted against the proxy; each request it relays is counted for the
 * client its X-Forwarded-For names (the rightmost address that is not a
 * trusted proxy; the proxy itself when there is none). */
struct http_limits {
    struct client_limit_conf client;
    const struct umbra_addr *trusted_proxies; /* normalised; must outlive the server */
    size_t n_trusted_proxies;
};

/* tls may be NULL (plain HTTP). routes must outlive the server. limits
 * (copied; NULL for none) are the per-client limits (client_limit.h): a
 * connection over max_conns is closed unread, a request over the rate
 * gets 429 {"error": "rate_limited", ...} with Retry-After. */
struct http_server *http_new(struct event_base *base, const char *host, unsigned short port,
                             void *tls, size_t max_body, unsigned timeout_s,
                             const struct http_route *routes, size_t n_routes, void *ctx,
                             const struct http_limits *limits, struct log_ctx *log, char *err,
                             size_t errlen);
void http_free(struct http_server *s);
const struct http_metrics *http_metrics(const struct http_server *s);
/* All zero when the server has no limits. */
const struct client_limit_metrics *http_client_metrics(const struct http_server *s);

/* Takes a reference to body (pass a new reference with json_pack). */
void http_reply_json(struct evhttp_request *ev, int code, json_t *body);
void http_reply_error(struct evhttp_request *ev, int code, const char *error, const char *detail);
/* Maps a broker_status to its HTTP code and error name, and replies.
 * BROKER_EDOWN and BROKER_EFULL (503) carry their own detail and
 * Retry-After (1 and 30 s); for BROKER_ELIMITED (429) the caller adds
 * Retry-After first. */
void http_reply_status(struct evhttp_request *ev, int status, const char *detail);
/* The end of most handlers: status 0 replies 200 with body (reference
 * taken), any other broker_status replies as http_reply_status (body must
 * then be NULL). */
void http_reply_result(struct evhttp_request *ev, int status, json_t *body, const char *detail);
void http_reply_text(struct evhttp_request *ev, int code, const char *type, const char *text);

/* Pure (http_json.c): parses a request body of len bytes (none: {}) into
 * *body, a new reference to an object; -1 with the reason in err when it
 * is not one JSON object (duplicate keys refused). */
int http_parse_body(const char *data, size_t len, json_t **body, char *err, size_t errlen);

/* Pure: replaces each byte of text that does not start a well-formed
 * UTF-8 character with '?', so text (an error detail quoting the request)
 * can go into a JSON reply. */
void http_text_clean(char *text);

/* Checks an object's members against a schema: names of known fields with
 * their types ('s' string, 'b' bool, 'o' object, 'a' array, 'j' any JSON,
 * 'S' string or null) and whether required ('!'), e.g. {"context", "s!"}.
 * Unknown fields, wrong types and missing fields give -1 and a reason. */
struct http_field {
    const char *name;
    const char *spec;
};
int http_check_fields(const json_t *obj, const struct http_field *fields, size_t n, char *err,
                      size_t errlen);
/* Query parameters may only be these names; -1 and a reason otherwise. */
int http_check_query(const struct evkeyvalq *q, const char *const *names, size_t n, char *err,
                     size_t errlen);

#endif
