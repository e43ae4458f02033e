/* Fuzz target for the broker's request parsing: the first input byte picks
 * an endpoint, the rest is its request body (parsed as http does) or, for
 * the GET endpoints, its query values separated by NUL bytes. Then the
 * endpoint's parser of broker/api_req runs, and what the handler would do
 * next without Redis: the policy decision with the caller's preferences
 * (POST /v1/calls), each trickled candidate through calls_candidate_event.
 * Aborts when an invariant breaks: a refusal without a reason, a reason
 * that cannot go into the JSON error reply (it must be UTF-8), a value
 * handed back that is not the body's, a number outside its range. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api_req.h"
#include "calls_internal.h"
#include "http.h"
#include "status.h"

#define FUZZ_MAX_WAIT 25

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum fuzz_endpoint {
    EP_IDENTITY,
    EP_PSEUDONYM,
    EP_PENDING,
    EP_CREATE,
    EP_EVENTS,
    EP_ACCEPT,
    EP_OFFER,
    EP_ANSWER,
    EP_CANDIDATES,
    EP_END,
    EP_COUNT
};

/* What a handler replies with err must be a JSON string. */
static void fuzz_reason(const char *err)
{
    json_t *j;
    if (err[0] == '\0')
        abort();
    j = json_pack("{s:s, s:s}", "error", "invalid_request", "detail", err);
    if (j == NULL)
        abort();
    json_decref(j);
}

static void fuzz_same(const json_t *body, const char *name, const char *got)
{
    if (got != json_string_value(json_object_get(body, name)))
        abort();
}

static void fuzz_create(const json_t *body)
{
    struct calls_create_req cr;
    struct policy_set *set = NULL;
    struct policy_decision d;
    char err[512] = "";

    if (api_req_create(body, &cr, err, sizeof(err)) != 0) {
        fuzz_reason(err);
        return;
    }
    if (cr.callee == NULL || (unsigned)cr.ctx.service > POLICY_SERVICE_CONFERENCING ||
        (unsigned)cr.ctx.destination > POLICY_DEST_EMERGENCY)
        abort();
    fuzz_same(body, "callee", cr.callee);
    fuzz_same(body, "caller", cr.caller_token);
    if (cr.caller_context != NULL &&
        (cr.caller_context[0] == '\0' || strlen(cr.caller_context) > IDENTITIES_CONTEXT_MAX))
        abort();
    if (cr.preferences != NULL && !json_is_object(cr.preferences) && !json_is_array(cr.preferences))
        abort();
    /* calls_create's first step: the decision with the caller's rules. */
    if (policy_set_load_texts(&set, NULL, NULL, 0, err, sizeof(err)) != 0)
        abort();
    if (cr.preferences != NULL &&
        policy_decide_with(set, &cr.ctx, cr.preferences, NULL, &d, err, sizeof(err)) != 0)
        fuzz_reason(err);
    policy_set_free(set);
}

static void fuzz_candidates(const json_t *body)
{
    const json_t *cands;
    char err[256] = "";
    size_t n;

    if (api_req_candidates(body, &cands, err, sizeof(err)) != 0) {
        fuzz_reason(err);
        return;
    }
    n = json_array_size(cands);
    if (!json_is_array(cands))
        abort();
    for (size_t i = 0; i < n && i < CALLS_MAX_CANDIDATES; i++) {
        json_t *ev = NULL;
        const char *c;
        int rc = calls_candidate_event(json_array_get(cands, i), &ev, err, sizeof(err));
        if (rc != 0) {
            if (ev != NULL || (rc != BROKER_EINVALID && rc != BROKER_EUNPROCESSABLE))
                abort();
            fuzz_reason(err);
            continue;
        }
        if (ev == NULL)
            continue; /* dropped by the sanitizer */
        c = json_string_value(json_object_get(ev, "candidate"));
        if (c == NULL || strcmp(json_string_value(json_object_get(ev, "type")), "candidate") != 0)
            abort();
        if (c[0] != '\0' && strstr(c, " typ relay raddr 0.0.0.0 rport 0") == NULL)
            abort(); /* only relay candidates, related address suppressed */
        json_decref(ev);
    }
}

/* Splits the query bytes into up to three NUL-terminated values. */
static void fuzz_query(const uint8_t *data, size_t size, char *copy, const char *v[3])
{
    size_t k = 0, start = 0;

    memcpy(copy, data, size);
    copy[size] = '\0';
    v[0] = v[1] = v[2] = NULL;
    for (size_t i = 0; i <= size && k < 3; i++) {
        if (copy[i] != '\0')
            continue;
        /* an empty value stands for an absent parameter */
        v[k++] = i > start ? copy + start : NULL;
        start = i + 1;
    }
}

static void fuzz_get(enum fuzz_endpoint ep, const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1), err[256] = "";
    const char *v[3];
    struct api_req_events q;

    if (copy == NULL)
        return;
    fuzz_query(data, size, copy, v);
    if (ep == EP_PENDING) {
        if (api_req_context(v[0], err, sizeof(err)) != 0)
            fuzz_reason(err);
        else if (v[0][0] == '\0' || strlen(v[0]) > IDENTITIES_CONTEXT_MAX)
            abort();
    } else if (api_req_events(v[0], v[1], v[2], FUZZ_MAX_WAIT, &q, err, sizeof(err)) != 0) {
        fuzz_reason(err);
    } else if (q.since < 0 || q.since > 1000000 || q.wait < 0 || q.wait > FUZZ_MAX_WAIT ||
               (q.party != CALLS_CALLER && q.party != CALLS_CALLEE) ||
               (v[2] == NULL && q.wait != FUZZ_MAX_WAIT)) {
        abort();
    }
    free(copy);
}

static void fuzz_post(enum fuzz_endpoint ep, const json_t *body)
{
    struct api_req_pseudonym ps;
    const char *sdp;
    bool native;
    char err[256] = "";
    int rc;

    switch (ep) {
    case EP_IDENTITY:
    case EP_END:
        rc = api_req_empty(body, err, sizeof(err));
        if (rc == 0 && json_object_size(body) != 0)
            abort();
        break;
    case EP_PSEUDONYM:
        rc = api_req_pseudonym(body, &ps, err, sizeof(err));
        if (rc == 0) {
            fuzz_same(body, "context", ps.context);
            if (ps.context[0] == '\0' || strlen(ps.context) > IDENTITIES_CONTEXT_MAX)
                abort();
        }
        break;
    case EP_ACCEPT:
        rc = api_req_accept(body, &native, err, sizeof(err));
        if (rc == 0 && native != json_is_true(json_object_get(body, "native")))
            abort();
        break;
    case EP_OFFER:
    case EP_ANSWER:
        rc = api_req_sdp(body, ep == EP_OFFER, &sdp, err, sizeof(err));
        if (rc == 0)
            fuzz_same(body, "sdp", sdp);
        if (rc == 0 && sdp == NULL)
            abort();
        break;
    case EP_CREATE:
        fuzz_create(body);
        return;
    case EP_CANDIDATES:
        fuzz_candidates(body);
        return;
    default:
        return;
    }
    if (rc != 0)
        fuzz_reason(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum fuzz_endpoint ep;
    json_t *body = NULL;
    char err[300] = "";

    if (size == 0 || sodium_init() < 0)
        return 0;
    ep = (enum fuzz_endpoint)(data[0] % EP_COUNT);
    data++;
    size--;
    if (ep == EP_PENDING || ep == EP_EVENTS) {
        fuzz_get(ep, data, size);
        return 0;
    }
    if (http_parse_body((const char *)data, size, &body, err, sizeof(err)) != 0) {
        if (body != NULL)
            abort();
        fuzz_reason(err);
        return 0;
    }
    if (!json_is_object(body))
        abort();
    fuzz_post(ep, body);
    json_decref(body);
    return 0;
}
