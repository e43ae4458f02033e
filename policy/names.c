/* names: the spelling of every enum in files, on the command line and in
 * explanations. */
#include <string.h>

#include "policy.h"
#include "rules.h"

static const char *const service_names[] = {"contact-list", "click-to-link", "negotiated",
                                            "interworking", "conferencing",  NULL};
static const char *const call_model_names[] = {"single-cs", "dual-cs", NULL};
static const char *const destination_names[] = {"trusted",   "inner-circle", "uncertain",
                                                "untrusted", "emergency",    NULL};
static const char *const caller_state_names[] = {"undetectable", "pseudonymous", "identified",
                                                 NULL};
static const char *const anonymity_names[] = {"identified", "pseudonymous", "undetectable", NULL};
static const char *const unlinkability_names[] = {"refused", "granted", NULL};
static const char *const bool_names[] = {"false", "true", NULL};
static const char *const cname_names[] = {"per-session", "per-call-random", NULL};
static const char *const origin_names[] = {"full", "status-only", "none", NULL};
static const char *const assertion_names[] = {"require", "allow", "forbid", NULL};

static const char *const field_names[POLICY_FIELD_COUNT] = {
    "anonymity",           "unlinkability",
    "relay_only",          "ice_delay_until_answer",
    "fresh_dtls_per_call", "cname",
    "origin_disclosure",   "org_domain_disclosure",
    "identity_assertion",  "log_retention_seconds",
    "split_relays",
};

static const char *const source_names[] = {"builtin", "caller",       "callee",
                                           "service", "organisation", NULL};

static const char *const dim_names[POLICY_DIM_COUNT] = {"service", "call_model", "destination",
                                                        "caller_state"};
static const char *const *const dim_values[POLICY_DIM_COUNT] = {
    service_names, call_model_names, destination_names, caller_state_names};

int policy_name_lookup(const char *const *names, const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = 0; names[i] != NULL; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

static int parse_into(const char *const *names, const char *s, int *out)
{
    int v = policy_name_lookup(names, s);
    if (v < 0)
        return -1;
    *out = v;
    return 0;
}

int policy_service_parse(const char *s, enum policy_service *out)
{
    int v;
    if (parse_into(service_names, s, &v) < 0)
        return -1;
    *out = (enum policy_service)v;
    return 0;
}

int policy_call_model_parse(const char *s, enum policy_call_model *out)
{
    int v;
    if (parse_into(call_model_names, s, &v) < 0)
        return -1;
    *out = (enum policy_call_model)v;
    return 0;
}

int policy_destination_parse(const char *s, enum policy_destination *out)
{
    int v;
    if (parse_into(destination_names, s, &v) < 0)
        return -1;
    *out = (enum policy_destination)v;
    return 0;
}

int policy_caller_state_parse(const char *s, enum policy_caller_state *out)
{
    int v;
    if (parse_into(caller_state_names, s, &v) < 0)
        return -1;
    *out = (enum policy_caller_state)v;
    return 0;
}

const char *const *policy_field_value_names(enum policy_field f)
{
    switch (f) {
    case POLICY_FIELD_ANONYMITY:
        return anonymity_names;
    case POLICY_FIELD_UNLINKABILITY:
        return unlinkability_names;
    case POLICY_FIELD_CNAME:
        return cname_names;
    case POLICY_FIELD_ORIGIN_DISCLOSURE:
        return origin_names;
    case POLICY_FIELD_IDENTITY_ASSERTION:
        return assertion_names;
    case POLICY_FIELD_RELAY_ONLY:
    case POLICY_FIELD_ICE_DELAY_UNTIL_ANSWER:
    case POLICY_FIELD_FRESH_DTLS_PER_CALL:
    case POLICY_FIELD_ORG_DOMAIN_DISCLOSURE:
    case POLICY_FIELD_SPLIT_RELAYS:
        return bool_names;
    default:
        return NULL;
    }
}

bool policy_field_is_bool(enum policy_field f)
{
    return policy_field_value_names(f) == bool_names;
}

const char *policy_field_name(enum policy_field f)
{
    if ((unsigned)f >= POLICY_FIELD_COUNT)
        return NULL;
    return field_names[f];
}

int policy_field_lookup(const char *s)
{
    for (int f = 0; f < POLICY_FIELD_COUNT; f++)
        if (strcmp(field_names[f], s) == 0)
            return f;
    return -1;
}

const char *policy_value_name(enum policy_field f, int64_t v)
{
    const char *const *names = policy_field_value_names(f);
    if (names == NULL || v < 0)
        return NULL;
    for (int64_t i = 0; names[i] != NULL; i++)
        if (i == v)
            return names[i];
    return NULL;
}

const char *policy_source_name(enum policy_source s)
{
    if ((unsigned)s > POLICY_SOURCE_ORGANISATION)
        return NULL;
    return source_names[s];
}

int policy_source_lookup(const char *s)
{
    return policy_name_lookup(source_names, s);
}

const char *policy_dim_name(int dim)
{
    return dim_names[dim];
}

const char *const *policy_dim_value_names(int dim)
{
    return dim_values[dim];
}

const char *policy_refusal_reason_text(enum policy_refusal_reason r)
{
    switch (r) {
    case POLICY_REFUSED_MANDATORY:
        return "a mandatory operator rule decides this field";
    case POLICY_REFUSED_MORE_PRIVATE:
        return "the other party, or the operator's default for a party that said nothing, "
               "asks for more privacy, and the more private choice wins";
    case POLICY_REFUSED_CALLEE_LINKABLE:
        return "the callee refuses unlinkability (pseudonymity is still respected)";
    case POLICY_REFUSED_CALLER_STATE:
        return "the caller is not logged in with an identity, so cannot be identified";
    case POLICY_REFUSED_NEEDS_UNLINKABLE:
        return "unlinkable calls need TURN-only candidates, a fresh DTLS key and a random "
               "CNAME per call (RFC 8827 section 9.2)";
    case POLICY_REFUSED_UNDETECTABLE:
        return "an undetectable caller has no identity to assert";
    }
    return "unknown reason";
}
