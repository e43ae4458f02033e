/* api: the broker's HTTP resources, one file each (api_identities.c,
 * api_calls.c, api_health.c, api_demo.c), sharing struct api. Handlers check the
 * request's shape (unknown fields, wrong types: 400) before any state
 * change, call the identities/calls modules, and answer through http.
 * api_calls also owns the long polls waiting for events. */
#ifndef UMBRA_BROKER_API_H
#define UMBRA_BROKER_API_H

#include <event2/event.h>

#include "calls.h"
#include "broker_config.h"
#include "create_limit.h"
#include "dtls_pool.h"
#include "http.h"
#include "identities.h"
#include "log.h"
#include "store.h"

struct api_waiters;

struct api {
    struct calls *calls;
    struct identities *ids;
    struct store *store;
    const struct broker_config *cfg;
    struct log_ctx *log;
    struct event_base *base;
    struct http_server *http;
    struct dtls_pool *pool;
    struct api_waiters *waiters;
    struct create_limit *create; /* identities and pseudonym contexts made */
    unsigned long long identities_created, pseudonyms_issued;
};

/* The public listener's routes (listen). */
extern const struct http_route api_routes[];
extern const size_t api_n_routes;
/* The operator's listener (metrics-listen, plain HTTP): GET /metrics and
 * GET /healthz. /metrics is on no other listener: its counters follow call
 * volume minute by minute. The counters are those of the public listener
 * (struct api's http), not of this one. */
extern const struct http_route api_metrics_routes[];
extern const size_t api_n_metrics_routes;

/* api_create: the creation limits (create_limit.h) as handlers use them.
 * A handler fills one for the creation it is about to make and asks
 * api_create_admit first (directly, or as identities_admit's fn), so a
 * refused request writes nothing. */
struct api_create {
    struct api *a;
    const struct http_req *req;
    enum create_limit_kind kind;
    int refused; /* CREATE_LIMIT_ECLIENT or _EGLOBAL once refused */
    unsigned retry_after_s;
};
/* arg: a struct api_create. 0, or BROKER_ELIMITED when over a limit. */
int api_create_admit(void *arg);
/* Answers a refused creation: 429, Retry-After, {"error": "rate_limited",
 * "detail": the limit and its config key}. */
void api_create_refuse(const struct api_create *c);

void api_identities_create(void *ctx, struct http_req *req);
void api_identities_pseudonym(void *ctx, struct http_req *req);
void api_identities_pending(void *ctx, struct http_req *req);

/* Sets up the long-poll waiters and their timer; 0 or -1. */
int api_calls_init(struct api *a);
/* Answers every waiting long poll (empty) and frees the waiters. */
void api_calls_free(struct api *a);
/* calls->notify: answers the long polls of call_id that now have events. */
void api_calls_notify(void *arg, const char *call_id);
size_t api_calls_waiting(const struct api *a);
void api_calls_create(void *ctx, struct http_req *req);
void api_calls_events(void *ctx, struct http_req *req);
void api_calls_accept(void *ctx, struct http_req *req);
void api_calls_offer(void *ctx, struct http_req *req);
void api_calls_answer(void *ctx, struct http_req *req);
void api_calls_candidates(void *ctx, struct http_req *req);
void api_calls_end(void *ctx, struct http_req *req);

/* api_demo: the static demo page under /demo/ (web-root). */
void api_demo_redirect(void *ctx, struct http_req *req);
void api_demo_index(void *ctx, struct http_req *req);
void api_demo_file(void *ctx, struct http_req *req);
/* 0 when name is one plain file name that may be served; -1 otherwise. */
int api_demo_name_ok(const char *name);
/* The content type served for name's extension; NULL: not served. */
const char *api_demo_type(const char *name);

void api_health_healthz(void *ctx, struct http_req *req);
void api_health_metrics(void *ctx, struct http_req *req);

#endif
