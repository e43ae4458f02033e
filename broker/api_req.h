/* api_req: the request parsers of the broker's endpoints, one per action
 * that takes a body or query. Pure (jansson and the policy enum names
 * only): no state, no I/O, so a handler checks a request's whole shape
 * with one call before any state change, and tests/fuzz/fuzz_broker_req.c
 * runs them on any bytes. Each returns 0, or -1 with the reason for a 400
 * in err. Strings and objects handed back point into body: they live as
 * long as the caller's reference to body. */
#ifndef UMBRA_BROKER_API_REQ_H
#define UMBRA_BROKER_API_REQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "calls.h"

/* POST /v1/identities, DELETE /v1/calls/{id}, and the bodies of GETs: {}. */
int api_req_empty(const json_t *body, char *err, size_t errlen);

/* POST /v1/pseudonyms {"context": s, "rotate": b} */
struct api_req_pseudonym {
    const char *context;
    bool rotate;
};
int api_req_pseudonym(const json_t *body, struct api_req_pseudonym *out, char *err, size_t errlen);

/* A pseudonym context (also GET /v1/pending?context=):
 * 1 to IDENTITIES_CONTEXT_MAX bytes; NULL is "required". */
int api_req_context(const char *context, char *err, size_t errlen);

/* POST /v1/calls: fills the whole of *out (policy context, caller, callee,
 * native, preferences). */
int api_req_create(const json_t *body, struct calls_create_req *out, char *err, size_t errlen);

/* GET /v1/calls/{id}/events?party=P&since=N&wait=S: wait defaults to, and
 * is capped at, max_wait. Each argument may be NULL (absent). */
struct api_req_events {
    enum calls_party party;
    long since, wait;
};
int api_req_events(const char *party, const char *since, const char *wait, long max_wait,
                   struct api_req_events *out, char *err, size_t errlen);

/* POST /v1/calls/{id}/accept {"native": b} */
int api_req_accept(const json_t *body, bool *native, char *err, size_t errlen);

/* POST /v1/calls/{id}/offer|answer {"sdp": s, "type": "offer"|"answer"}
 * (the form of RTCSessionDescription.toJSON()). */
int api_req_sdp(const json_t *body, bool offer, const char **sdp, char *err, size_t errlen);

/* POST /v1/calls/{id}/candidates {"candidates": [...]}: the array itself;
 * its entries are checked by calls_candidates (calls_candidate_event). */
int api_req_candidates(const json_t *body, const json_t **cands, char *err, size_t errlen);

#endif
