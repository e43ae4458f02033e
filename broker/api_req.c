/* api_req: see api_req.h. */
#include "api_req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "identities.h"

static int fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return -1;
}

int api_req_empty(const json_t *body, char *err, size_t errlen)
{
    return http_check_fields(body, NULL, 0, err, errlen);
}

int api_req_context(const char *context, char *err, size_t errlen)
{
    size_t n;

    if (context == NULL)
        return fail(err, errlen, "context: required query parameter");
    n = strlen(context);
    if (n == 0 || n > IDENTITIES_CONTEXT_MAX) {
        snprintf(err, errlen, "context: 1 to %d bytes", IDENTITIES_CONTEXT_MAX);
        return -1;
    }
    return 0;
}

int api_req_pseudonym(const json_t *body, struct api_req_pseudonym *out, char *err, size_t errlen)
{
    static const struct http_field fields[] = {{"context", "s!"}, {"rotate", "b"}};

    if (http_check_fields(body, fields, 2, err, errlen) != 0)
        return -1;
    out->context = json_string_value(json_object_get(body, "context"));
    out->rotate = json_is_true(json_object_get(body, "rotate"));
    return api_req_context(out->context, err, errlen);
}

static int enum_field(const json_t *body, const char *name, int (*parse)(const char *, void *),
                      void *out, char *err, size_t errlen)
{
    const char *v = json_string_value(json_object_get(body, name));
    if (parse(v, out) != 0) {
        snprintf(err, errlen, "%s: unknown value \"%.64s\"", name, v);
        http_text_clean(err); /* the cut may split a character */
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

int api_req_create(const json_t *body, struct calls_create_req *out, char *err, size_t errlen)
{
    static const struct http_field fields[] = {
        {"caller", "S"},      {"caller_context", "s"}, {"callee", "s!"},       {"service", "s!"},
        {"call_model", "s!"}, {"destination", "s!"},   {"caller_state", "s!"}, {"caller_org", "s"},
        {"callee_org", "s"},  {"native", "b"},         {"preferences", "j"},
    };
    const json_t *prefs;

    memset(out, 0, sizeof(*out));
    if (http_check_fields(body, fields, sizeof(fields) / sizeof(fields[0]), err, errlen) != 0 ||
        enum_field(body, "service", parse_service, &out->ctx.service, err, errlen) != 0 ||
        enum_field(body, "call_model", parse_model, &out->ctx.call_model, err, errlen) != 0 ||
        enum_field(body, "destination", parse_destination, &out->ctx.destination, err, errlen) !=
            0 ||
        enum_field(body, "caller_state", parse_state, &out->ctx.caller_state, err, errlen) != 0)
        return -1;
    prefs = json_object_get(body, "preferences");
    if (prefs != NULL && !json_is_object(prefs) && !json_is_array(prefs))
        return fail(err, errlen, "preferences: must be a rule object or an array of rules");
    out->caller_token = json_string_value(json_object_get(body, "caller"));
    out->caller_context = json_string_value(json_object_get(body, "caller_context"));
    out->callee = json_string_value(json_object_get(body, "callee"));
    out->ctx.caller_org = json_string_value(json_object_get(body, "caller_org"));
    out->ctx.callee_org = json_string_value(json_object_get(body, "callee_org"));
    out->native = json_is_true(json_object_get(body, "native"));
    out->preferences = prefs;
    if (out->caller_context != NULL &&
        (strlen(out->caller_context) == 0 || strlen(out->caller_context) > IDENTITIES_CONTEXT_MAX))
        return fail(err, errlen, "caller_context: 1 to 256 bytes");
    return 0;
}

/* A query number: absent is 0; otherwise decimal digits, 0 to 1000000. */
static int parse_count(const char *text, long *out)
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

int api_req_events(const char *party, const char *since, const char *wait, long max_wait,
                   struct api_req_events *out, char *err, size_t errlen)
{
    if (party == NULL || (strcmp(party, "caller") != 0 && strcmp(party, "callee") != 0))
        return fail(err, errlen, "party: caller or callee");
    out->party = strcmp(party, "caller") == 0 ? CALLS_CALLER : CALLS_CALLEE;
    if (parse_count(since, &out->since) != 0 || parse_count(wait, &out->wait) != 0)
        return fail(err, errlen, "since, wait: non-negative integers");
    if (wait == NULL || out->wait > max_wait)
        out->wait = max_wait;
    return 0;
}

int api_req_accept(const json_t *body, bool *native, char *err, size_t errlen)
{
    static const struct http_field fields[] = {{"native", "b"}};

    if (http_check_fields(body, fields, 1, err, errlen) != 0)
        return -1;
    *native = json_is_true(json_object_get(body, "native"));
    return 0;
}

int api_req_sdp(const json_t *body, bool offer, const char **sdp, char *err, size_t errlen)
{
    static const struct http_field fields[] = {{"sdp", "s!"}, {"type", "s"}};
    const char *type;

    if (http_check_fields(body, fields, 2, err, errlen) != 0)
        return -1;
    type = json_string_value(json_object_get(body, "type"));
    if (type != NULL && strcmp(type, offer ? "offer" : "answer") != 0)
        return fail(err, errlen, offer ? "type: must be \"offer\"" : "type: must be \"answer\"");
    *sdp = json_string_value(json_object_get(body, "sdp"));
    return 0;
}

int api_req_candidates(const json_t *body, const json_t **cands, char *err, size_t errlen)
{
    static const struct http_field fields[] = {{"candidates", "a!"}};

    if (http_check_fields(body, fields, 1, err, errlen) != 0)
        return -1;
    *cands = json_object_get(body, "candidates");
    return 0;
}
