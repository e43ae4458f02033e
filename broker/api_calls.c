/* api_calls: the call resources and their long polls.
 *   POST   /v1/calls                    create (caller)
 *   GET    /v1/calls/{id}/events        long poll (?party=caller|callee&since=N&wait=S)
 *   POST   /v1/calls/{id}/accept        callee
 *   POST   /v1/calls/{id}/offer|answer  SDP through the sanitizer
 *   POST   /v1/calls/{id}/candidates    trickled candidates
 *   DELETE /v1/calls/{id}               end, revoke */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "status.h"
#include "wipe.h"

struct waiter {
    struct waiter *next, *prev;
    struct api *api;
    struct evhttp_request *ev;
    char id[CALLS_ID_LEN];
    enum calls_party party;
    long since;
    time_t deadline;
};

struct api_waiters {
    struct waiter *head;
    struct event *tick;
    size_t count;
};

static time_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static void unlink_waiter(struct api_waiters *w, struct waiter *x)
{
    if (x->prev != NULL)
        x->prev->next = x->next;
    else
        w->head = x->next;
    if (x->next != NULL)
        x->next->prev = x->prev;
    w->count--;
}

static void reply_events(struct evhttp_request *ev, json_t *events, long next)
{
    http_reply_json(ev, 200, json_pack("{s:o, s:i}", "events", events, "next", (json_int_t)next));
}

/* Answers x when it has events, has timed out, or force; frees it then.
 * Returns true when answered. */
static bool try_answer(struct api *a, struct waiter *x, bool force)
{
    json_t *events = NULL;
    long next = x->since;
    bool ended = false;
    char err[256];
    int rc =
        calls_events(a->calls, x->id, x->party, x->since, &events, &next, &ended, err, sizeof(err));

    if (rc == BROKER_EDOWN && !force && mono() < x->deadline)
        return false; /* keep waiting: Redis may return */
    if (rc == 0 && json_array_size(events) == 0 && !force && mono() < x->deadline) {
        json_decref(events);
        return false;
    }
    unlink_waiter(a->waiters, x);
    evhttp_connection_set_closecb(evhttp_request_get_connection(x->ev), NULL, NULL);
    if (rc != 0)
        http_reply_status(x->ev, rc, err);
    else
        reply_events(x->ev, events, next);
    free(x);
    return true;
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
    struct waiter *x = arg;
    unlink_waiter(x->api->waiters, x);
    free(x);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct api *a = arg;
    struct waiter *x = a->waiters->head;
    while (x != NULL) {
        struct waiter *next = x->next;
        try_answer(a, x, false);
        x = next;
    }
}

int api_calls_init(struct api *a)
{
    struct timeval one = {1, 0};
    a->waiters = calloc(1, sizeof(*a->waiters));
    if (a->waiters == NULL)
        return -1;
    a->waiters->tick = event_new(a->base, -1, EV_PERSIST, on_tick, a);
    if (a->waiters->tick == NULL || event_add(a->waiters->tick, &one) != 0) {
        free(a->waiters);
        a->waiters = NULL;
        return -1;
    }
    return 0;
}

void api_calls_free(struct api *a)
{
    if (a->waiters == NULL)
        return;
    while (a->waiters->head != NULL)
        try_answer(a, a->waiters->head, true);
    event_free(a->waiters->tick);
    free(a->waiters);
    a->waiters = NULL;
}

size_t api_calls_waiting(const struct api *a)
{
    return a->waiters != NULL ? a->waiters->count : 0;
}

void api_calls_notify(void *arg, const char *call_id)
{
    struct api *a = arg;
    struct waiter *x = a->waiters != NULL ? a->waiters->head : NULL;
    while (x != NULL) {
        struct waiter *next = x->next;
        if (strcmp(x->id, call_id) == 0)
            try_answer(a, x, false);
        x = next;
    }
}

static int enum_field(const json_t *body, const char *name, int (*parse)(const char *, void *),
                      void *out, char *err, size_t errlen)
{
    const char *v = json_string_value(json_object_get(body, name));
    if (parse(v, out) != 0) {
        snprintf(err, errlen, "%s: unknown value \"%.64s\"", name, v);
        return -1;
    }
    return 0;
}

static int parse_service(const char *s, void *out)
{
    return policy_service_parse(s, out);
}
static int parse_model(const char *s, void *out)
{
    return policy_call_model_parse(s, out);
}
static int parse_destination(const char *s, void *out)
{
    return policy_destination_parse(s, out);
}
static int parse_state(const char *s, void *out)
{
    return policy_caller_state_parse(s, out);
}

void api_calls_create(void *ctx, struct http_req *req)
{
    static const struct http_field fields[] = {
        {"caller", "S"},      {"caller_context", "s"}, {"callee", "s!"},       {"service", "s!"},
        {"call_model", "s!"}, {"destination", "s!"},   {"caller_state", "s!"}, {"caller_org", "s"},
        {"callee_org", "s"},  {"native", "b"},         {"preferences", "j"},
    };
    struct api *a = ctx;
    struct calls_create_req cr;
    json_t *b = req->body, *prefs;
    char *out = NULL;
    char err[512];
    int rc;

    memset(&cr, 0, sizeof(cr));
    if (http_check_fields(b, fields, sizeof(fields) / sizeof(fields[0]), err, sizeof(err)) != 0 ||
        enum_field(b, "service", parse_service, &cr.ctx.service, err, sizeof(err)) != 0 ||
        enum_field(b, "call_model", parse_model, &cr.ctx.call_model, err, sizeof(err)) != 0 ||
        enum_field(b, "destination", parse_destination, &cr.ctx.destination, err, sizeof(err)) !=
            0 ||
        enum_field(b, "caller_state", parse_state, &cr.ctx.caller_state, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    prefs = json_object_get(b, "preferences");
    if (prefs != NULL && !json_is_object(prefs) && !json_is_array(prefs)) {
        http_reply_error(req->ev, 400, "invalid_request",
                         "preferences: must be a rule object or an array of rules");
        return;
    }
    cr.caller_token = json_string_value(json_object_get(b, "caller"));
    cr.caller_context = json_string_value(json_object_get(b, "caller_context"));
    cr.callee = json_string_value(json_object_get(b, "callee"));
    cr.ctx.caller_org = json_string_value(json_object_get(b, "caller_org"));
    cr.ctx.callee_org = json_string_value(json_object_get(b, "callee_org"));
    cr.native = json_is_true(json_object_get(b, "native"));
    cr.preferences = prefs;
    if (cr.caller_context != NULL &&
        (strlen(cr.caller_context) == 0 || strlen(cr.caller_context) > IDENTITIES_CONTEXT_MAX)) {
        http_reply_error(req->ev, 400, "invalid_request", "caller_context: 1 to 256 bytes");
        return;
    }
    rc = calls_create(a->calls, &cr, &out, err, sizeof(err));
    if (rc == BROKER_EFORBIDDEN && out != NULL) {
        http_reply_json(req->ev, 403,
                        json_pack("{s:s, s:s, s:o?}", "error", "refused_by_policy", "detail", err,
                                  "decision", json_loads(out, 0, NULL)));
        free(out);
        return;
    }
    if (rc != 0) {
        free(out);
        http_reply_status(req->ev, rc, err);
        return;
    }
    http_reply_text(req->ev, 201, "application/json", out);
    wipe_free(out, strlen(out)); /* the caller's secret, maybe a private key */
}

static int parse_since(const char *text, long *out)
{
    char *end;
    long v;
    if (text == NULL) {
        *out = 0;
        return 0;
    }
    if (text[0] < '0' || text[0] > '9')
        return -1;
    v = strtol(text, &end, 10);
    if (*end != '\0' || v < 0 || v > 1000000)
        return -1;
    *out = v;
    return 0;
}

void api_calls_events(void *ctx, struct http_req *req)
{
    static const char *const names[] = {"party", "since", "wait"};
    struct api *a = ctx;
    const char *party_s = evhttp_find_header(&req->query, "party");
    enum calls_party want, party;
    long since, wait;
    json_t *events = NULL;
    long next;
    bool ended;
    char err[256];
    struct waiter *x;
    int rc;

    if (http_check_query(&req->query, names, 3, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    if (party_s == NULL || (strcmp(party_s, "caller") != 0 && strcmp(party_s, "callee") != 0)) {
        http_reply_error(req->ev, 400, "invalid_request", "party: caller or callee");
        return;
    }
    want = strcmp(party_s, "caller") == 0 ? CALLS_CALLER : CALLS_CALLEE;
    if (parse_since(evhttp_find_header(&req->query, "since"), &since) != 0 ||
        parse_since(evhttp_find_header(&req->query, "wait"), &wait) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", "since, wait: non-negative integers");
        return;
    }
    if (evhttp_find_header(&req->query, "wait") == NULL || wait > (long)a->cfg->long_poll_timeout)
        wait = (long)a->cfg->long_poll_timeout;
    rc = calls_authorize(a->calls, req->arg[0], req->bearer, &party, err, sizeof(err));
    if (rc == BROKER_EGONE) {
        /* The call's state is gone; say so without needing its secrets. */
        reply_events(req->ev, json_pack("[{s:s}]", "type", "ended"), since);
        return;
    }
    if (rc == 0 && party != want)
        rc = BROKER_EFORBIDDEN,
        snprintf(err, sizeof(err), "this secret belongs to the other party");
    if (rc == 0) /* asking from since acknowledges what came before */
        rc = calls_ack(a->calls, req->arg[0], party, since, err, sizeof(err));
    if (rc == 0)
        rc = calls_events(a->calls, req->arg[0], party, since, &events, &next, &ended, err,
                          sizeof(err));
    if (rc != 0) {
        http_reply_status(req->ev, rc, err);
        return;
    }
    if (json_array_size(events) > 0 || wait == 0) {
        reply_events(req->ev, events, next);
        return;
    }
    json_decref(events);
    x = calloc(1, sizeof(*x));
    if (x == NULL) {
        http_reply_error(req->ev, 500, "internal", "out of memory");
        return;
    }
    x->api = a;
    x->ev = req->ev;
    snprintf(x->id, sizeof(x->id), "%s", req->arg[0]);
    x->party = party;
    x->since = since;
    x->deadline = mono() + wait;
    x->next = a->waiters->head;
    if (x->next != NULL)
        x->next->prev = x;
    a->waiters->head = x;
    a->waiters->count++;
    evhttp_connection_set_closecb(evhttp_request_get_connection(req->ev), on_close, x);
}

void api_calls_accept(void *ctx, struct http_req *req)
{
    static const struct http_field fields[] = {{"native", "b"}};
    struct api *a = ctx;
    json_t *out = NULL;
    char err[256];
    int rc;

    if (http_check_fields(req->body, fields, 1, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    rc = calls_accept(a->calls, req->arg[0], req->bearer,
                      json_is_true(json_object_get(req->body, "native")), &out, err, sizeof(err));
    http_reply_result(req->ev, rc, out, err);
}

static void post_sdp(struct api *a, struct http_req *req, bool offer)
{
    static const struct http_field fields[] = {{"sdp", "s!"}, {"type", "s"}};
    const char *type;
    json_t *out = NULL;
    char err[256];
    int rc;

    if (http_check_fields(req->body, fields, 2, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    /* RTCSessionDescription.toJSON() gives {"type", "sdp"}: accept it. */
    type = json_string_value(json_object_get(req->body, "type"));
    if (type != NULL && strcmp(type, offer ? "offer" : "answer") != 0) {
        http_reply_error(req->ev, 400, "invalid_request",
                         offer ? "type: must be \"offer\"" : "type: must be \"answer\"");
        return;
    }
    rc = calls_sdp(a->calls, req->arg[0], req->bearer, offer,
                   json_string_value(json_object_get(req->body, "sdp")), &out, err, sizeof(err));
    http_reply_result(req->ev, rc, out, err);
}

void api_calls_offer(void *ctx, struct http_req *req)
{
    post_sdp(ctx, req, true);
}

void api_calls_answer(void *ctx, struct http_req *req)
{
    post_sdp(ctx, req, false);
}

void api_calls_candidates(void *ctx, struct http_req *req)
{
    static const struct http_field fields[] = {{"candidates", "a!"}};
    struct api *a = ctx;
    json_t *out = NULL;
    char err[256];
    int rc;

    if (http_check_fields(req->body, fields, 1, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    rc = calls_candidates(a->calls, req->arg[0], req->bearer,
                          json_object_get(req->body, "candidates"), &out, err, sizeof(err));
    http_reply_result(req->ev, rc, out, err);
}

void api_calls_end(void *ctx, struct http_req *req)
{
    struct api *a = ctx;
    char err[256];
    int rc;

    if (http_check_fields(req->body, NULL, 0, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    rc = calls_end(a->calls, req->arg[0], req->bearer, err, sizeof(err));
    if (rc != 0)
        http_reply_status(req->ev, rc, err);
    else
        http_reply_json(req->ev, 200, json_pack("{s:s}", "status", "ended"));
}
