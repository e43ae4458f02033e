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
#include "api_req.h"
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

void api_calls_create(void *ctx, struct http_req *req)
{
    struct api *a = ctx;
    struct api_create limit = {a, req, CREATE_LIMIT_CALL, 0, 0};
    struct api_create context_limit = {a, req, CREATE_LIMIT_PSEUDONYM, 0, 0};
    struct identities_admit admit_context = {api_create_admit, &context_limit};
    struct calls_create_req cr;
    char *out = NULL;
    char err[512];
    int rc;

    if (api_req_create(req->body, &cr, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    if (api_create_admit(&limit) != 0) {
        api_create_refuse(&limit);
        return;
    }
    cr.admit_context = &admit_context;
    rc = calls_create(a->calls, &cr, &out, err, sizeof(err));
    if (rc == BROKER_ELIMITED) {
        free(out);
        api_create_refuse(&context_limit);
        return;
    }
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

void api_calls_events(void *ctx, struct http_req *req)
{
    static const char *const names[] = {"party", "since", "wait"};
    struct api *a = ctx;
    struct api_req_events q;
    enum calls_party party;
    json_t *events = NULL;
    long next;
    bool ended;
    char err[256];
    struct waiter *x;
    int rc;

    if (http_check_query(&req->query, names, 3, err, sizeof(err)) != 0 ||
        api_req_events(evhttp_find_header(&req->query, "party"),
                       evhttp_find_header(&req->query, "since"),
                       evhttp_find_header(&req->query, "wait"), (long)a->cfg->long_poll_timeout, &q,
                       err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    rc = calls_authorize(a->calls, req->arg[0], req->bearer, &party, err, sizeof(err));
    if (rc == BROKER_EGONE) {
        /* The call's state is gone; say so without needing its secrets. */
        reply_events(req->ev, json_pack("[{s:s}]", "type", "ended"), q.since);
        return;
    }
    if (rc == 0 && party != q.party)
        rc = BROKER_EFORBIDDEN,
        snprintf(err, sizeof(err), "this secret belongs to the other party");
    if (rc == 0) /* asking from since acknowledges what came before */
        rc = calls_ack(a->calls, req->arg[0], party, q.since, err, sizeof(err));
    if (rc == 0)
        rc = calls_events(a->calls, req->arg[0], party, q.since, &events, &next, &ended, err,
                          sizeof(err));
    if (rc != 0) {
        http_reply_status(req->ev, rc, err);
        return;
    }
    if (json_array_size(events) > 0 || q.wait == 0) {
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
    x->since = q.since;
    x->deadline = mono() + q.wait;
    x->next = a->waiters->head;
    if (x->next != NULL)
        x->next->prev = x;
    a->waiters->head = x;
    a->waiters->count++;
    evhttp_connection_set_closecb(evhttp_request_get_connection(req->ev), on_close, x);
}

void api_calls_accept(void *ctx, struct http_req *req)
{
    struct api *a = ctx;
    json_t *out = NULL;
    bool native;
    char err[256];
    int rc;

    if (api_req_accept(req->body, &native, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    rc = calls_accept(a->calls, req->arg[0], req->bearer, native, &out, err, sizeof(err));
    http_reply_result(req->ev, rc, out, err);
}

static void post_sdp(struct api *a, struct http_req *req, bool offer)
{
    const char *sdp;
    json_t *out = NULL;
    char err[256];
    int rc;

    if (api_req_sdp(req->body, offer, &sdp, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    rc = calls_sdp(a->calls, req->arg[0], req->bearer, offer, sdp, &out, err, sizeof(err));
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
    struct api *a = ctx;
    const json_t *cands;
    json_t *out = NULL;
    char err[256];
    int rc;

    if (api_req_candidates(req->body, &cands, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    rc = calls_candidates(a->calls, req->arg[0], req->bearer, cands, &out, err, sizeof(err));
    http_reply_result(req->ev, rc, out, err);
}

void api_calls_end(void *ctx, struct http_req *req)
{
    struct api *a = ctx;
    char err[256];
    int rc;

    if (api_req_empty(req->body, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    rc = calls_end(a->calls, req->arg[0], req->bearer, err, sizeof(err));
    if (rc != 0)
        http_reply_status(req->ev, rc, err);
    else
        http_reply_json(req->ev, 200, json_pack("{s:s}", "status", "ended"));
}
