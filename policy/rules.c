/* rules: one JSON rule object to a struct policy_rule, with errors that
 * name the file and line (or the request and rule number). Pure: no I/O. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jpos.h"
#include "rules.h"

static const uint8_t dim_all[POLICY_DIM_COUNT] = {0x1f, 0x03, 0x1f, 0x07};

static int where_err(const struct policy_where *w, const char *path, int index, char *err,
                     size_t errlen, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (w->map != NULL)
        snprintf(err, errlen, "%s:%d: %s", w->file, policy_jpos_line(w->map, path), msg);
    else
        snprintf(err, errlen, "%s: rule %d: %s", w->file, index + 1, msg);
    return -1;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

/* "a, b or c" from a NULL-terminated list. */
static void join_names(const char *const *names, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; names[i] != NULL && used < len; i++) {
        const char *sep = i == 0 ? "" : names[i + 1] == NULL ? " or " : ", ";
        int n = snprintf(buf + used, len - used, "%s%s", sep, names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Child path of base; a path too long to hold keeps its parent, whose line
 * is the nearest there is. */
static void path_child(char *dst, size_t len, const char *base, const char *seg)
{
    int n = snprintf(dst, len, "%s/%s", base, seg);
    if (n < 0 || (size_t)n >= len)
        snprintf(dst, len, "%s", base);
}

struct rule_parse {
    const struct policy_where *w;
    int index;
    char *err;
    size_t errlen;
};

static int match_value(struct rule_parse *rp, int dim, const json_t *v, const char *path,
                       uint8_t *mask)
{
    const char *const *names = policy_dim_value_names(dim);
    char expected[160];
    if (!json_is_string(v))
        return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                         "match \"%s\" must be a string or a list of strings, not %s",
                         policy_dim_name(dim), json_type_name(v));
    int i = policy_name_lookup(names, json_string_value(v));
    if (i < 0) {
        join_names(names, expected, sizeof(expected));
        return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                         "unknown %s \"%s\" (expected %s)", policy_dim_name(dim),
                         json_string_value(v), expected);
    }
    *mask |= (uint8_t)(1u << i);
    return 0;
}

static int match_dim(struct rule_parse *rp, int dim, const json_t *v, const char *path,
                     uint8_t *out)
{
    uint8_t mask = 0;
    if (json_is_array(v)) {
        size_t i;
        const json_t *item;
        char ipath[256];
        if (json_array_size(v) == 0)
            return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                             "match \"%s\" is an empty list: it could never match",
                             policy_dim_name(dim));
        json_array_foreach(v, i, item)
        {
            char idx[24];
            snprintf(idx, sizeof(idx), "%zu", i);
            path_child(ipath, sizeof(ipath), path, idx);
            if (match_value(rp, dim, item, ipath, &mask) < 0)
                return -1;
        }
    } else if (match_value(rp, dim, v, path, &mask) < 0) {
        return -1;
    }
    *out = mask;
    return 0;
}

static int match_org(struct rule_parse *rp, const char *key, const json_t *v, const char *path,
                     const char **out)
{
    if (!json_is_string(v) || json_string_length(v) == 0)
        return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                         "match \"%s\" must be a non-empty string (a domain), not %s", key,
                         json_is_string(v) ? "an empty string" : json_type_name(v));
    *out = json_string_value(v);
    return 0;
}

static int parse_match(struct rule_parse *rp, const json_t *m, const char *path,
                       struct policy_rule *r)
{
    const char *key;
    const json_t *v;
    char kpath[256];
    if (!json_is_object(m))
        return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                         "\"match\" must be an object, not %s", json_type_name(m));
    json_object_foreach((json_t *)m, key, v)
    {
        int dim;
        path_child(kpath, sizeof(kpath), path, key);
        for (dim = 0; dim < POLICY_DIM_COUNT; dim++)
            if (strcmp(key, policy_dim_name(dim)) == 0)
                break;
        if (dim < POLICY_DIM_COUNT) {
            if (match_dim(rp, dim, v, kpath, &r->match[dim]) < 0)
                return -1;
        } else if (strcmp(key, "caller_org") == 0) {
            if (match_org(rp, key, v, kpath, &r->caller_org) < 0)
                return -1;
        } else if (strcmp(key, "callee_org") == 0) {
            if (match_org(rp, key, v, kpath, &r->callee_org) < 0)
                return -1;
        } else {
            return where_err(rp->w, kpath, rp->index, rp->err, rp->errlen,
                             "unknown key \"%s\" in \"match\" (expected service, call_model, "
                             "destination, caller_state, caller_org or callee_org)",
                             key);
        }
    }
    return 0;
}

static int set_field(struct rule_parse *rp, int f, const json_t *v, const char *path,
                     struct policy_rule *r)
{
    const char *fname = policy_field_name((enum policy_field)f);
    if (f == POLICY_FIELD_LOG_RETENTION_SECONDS) {
        if (!json_is_integer(v))
            return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                             "\"%s\" must be an integer number of seconds, not %s", fname,
                             json_type_name(v));
        json_int_t s = json_integer_value(v);
        if (s < 0 || s > POLICY_MAX_LOG_RETENTION)
            return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                             "\"%s\" must be between 0 and %lld, not %lld", fname,
                             (long long)POLICY_MAX_LOG_RETENTION, (long long)s);
        r->value[f] = s;
    } else if (policy_field_is_bool((enum policy_field)f)) {
        if (!json_is_boolean(v))
            return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                             "\"%s\" must be true or false, not %s", fname, json_type_name(v));
        r->value[f] = json_is_true(v);
    } else {
        const char *const *names = policy_field_value_names((enum policy_field)f);
        char expected[160];
        join_names(names, expected, sizeof(expected));
        if (!json_is_string(v))
            return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                             "\"%s\" must be a string (%s), not %s", fname, expected,
                             json_type_name(v));
        int i = policy_name_lookup(names, json_string_value(v));
        if (i < 0)
            return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                             "unknown %s \"%s\" (expected %s)", fname, json_string_value(v),
                             expected);
        r->value[f] = i;
    }
    r->sets |= (uint16_t)(1u << f);
    return 0;
}

static int parse_set(struct rule_parse *rp, const json_t *s, const char *path,
                     struct policy_rule *r)
{
    const char *key;
    const json_t *v;
    char kpath[256];
    if (!json_is_object(s))
        return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                         "\"set\" must be an object, not %s", json_type_name(s));
    json_object_foreach((json_t *)s, key, v)
    {
        path_child(kpath, sizeof(kpath), path, key);
        int f = policy_field_lookup(key);
        if (f < 0)
            return where_err(rp->w, kpath, rp->index, rp->err, rp->errlen,
                             "unknown key \"%s\" in \"set\" (expected anonymity, unlinkability, "
                             "relay_only, ice_delay_until_answer, fresh_dtls_per_call, cname, "
                             "origin_disclosure, org_domain_disclosure, identity_assertion, "
                             "log_retention_seconds or split_relays)",
                             key);
        if (set_field(rp, f, v, kpath, r) < 0)
            return -1;
    }
    return 0;
}

static int parse_source(struct rule_parse *rp, const json_t *v, const char *path, int *source)
{
    int s = json_is_string(v) ? policy_source_lookup(json_string_value(v)) : -1;
    if (!json_is_string(v))
        return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                         "\"source\" must be a string, not %s", json_type_name(v));
    if (s <= POLICY_SOURCE_BUILTIN)
        return where_err(rp->w, path, rp->index, rp->err, rp->errlen,
                         "unknown source \"%s\" (expected caller, callee, service or "
                         "organisation)",
                         json_string_value(v));
    *source = s;
    return 0;
}

static int rule_key(struct rule_parse *rp, const char *key, const json_t *v, const char *kpath,
                    int *source, struct policy_rule *r)
{
    if (strcmp(key, "id") == 0 || strcmp(key, "comment") == 0) {
        if (!json_is_string(v))
            return where_err(rp->w, kpath, rp->index, rp->err, rp->errlen,
                             "\"%s\" must be a string, not %s", key, json_type_name(v));
        if (key[0] == 'i')
            r->origin.id = json_string_value(v);
        return 0;
    }
    if (strcmp(key, "source") == 0)
        return parse_source(rp, v, kpath, source);
    if (strcmp(key, "mandatory") == 0) {
        if (!json_is_boolean(v))
            return where_err(rp->w, kpath, rp->index, rp->err, rp->errlen,
                             "\"mandatory\" must be true or false, not %s", json_type_name(v));
        r->origin.mandatory = json_is_true(v);
        return 0;
    }
    if (strcmp(key, "match") == 0)
        return parse_match(rp, v, kpath, r);
    if (strcmp(key, "set") == 0)
        return parse_set(rp, v, kpath, r);
    return where_err(rp->w, kpath, rp->index, rp->err, rp->errlen,
                     "unknown key \"%s\" in a rule (expected id, comment, source, mandatory, "
                     "match or set)",
                     key);
}

static void rule_specificity(struct policy_rule *r)
{
    r->specificity = (r->caller_org != NULL) + (r->callee_org != NULL);
    for (int d = 0; d < POLICY_DIM_COUNT; d++)
        if (r->match[d] != dim_all[d])
            r->specificity++;
}

int policy_rule_parse(const json_t *obj, const struct policy_where *where, const char *path,
                      int index, int default_source, int fixed_source, struct policy_rule *out,
                      char *err, size_t errlen)
{
    struct rule_parse rp = {where, index, err, errlen};
    struct policy_rule r;
    const char *key;
    const json_t *v;
    char kpath[256];
    int source = -1;

    if (!json_is_object(obj))
        return where_err(where, path, index, err, errlen, "a rule must be an object, not %s",
                         json_type_name(obj));
    memset(&r, 0, sizeof(r));
    memcpy(r.match, dim_all, sizeof(r.match));
    r.origin.file = where->file;
    r.origin.line = where->map != NULL ? policy_jpos_line(where->map, path) : index + 1;
    json_object_foreach((json_t *)obj, key, v)
    {
        path_child(kpath, sizeof(kpath), path, key);
        if (rule_key(&rp, key, v, kpath, &source, &r) < 0)
            return -1;
    }
    if (fixed_source >= 0 && source >= 0 && source != fixed_source)
        return where_err(where, path, index, err, errlen,
                         "a %s request cannot give rules of source \"%s\"",
                         policy_source_name((enum policy_source)fixed_source),
                         policy_source_name((enum policy_source)source));
    if (source < 0)
        source = fixed_source >= 0 ? fixed_source : default_source;
    if (source < 0)
        return where_err(where, path, index, err, errlen,
                         "the rule has no \"source\" and the file gives none (caller, callee, "
                         "service or organisation)");
    r.origin.source = (enum policy_source)source;
    if (r.origin.mandatory && (source == POLICY_SOURCE_CALLER || source == POLICY_SOURCE_CALLEE))
        return where_err(where, path, index, err, errlen,
                         "only service or organisation rules can be mandatory, not %s rules",
                         policy_source_name(r.origin.source));
    if (r.sets == 0)
        return where_err(where, path, index, err, errlen,
                         "the rule sets nothing (\"set\" is missing or empty)");
    rule_specificity(&r);
    *out = r;
    return 0;
}

static bool orgs_overlap(const char *a, const char *b)
{
    return a == NULL || b == NULL || strcmp(a, b) == 0;
}

bool policy_rules_overlap(const struct policy_rule *a, const struct policy_rule *b)
{
    for (int d = 0; d < POLICY_DIM_COUNT; d++)
        if ((a->match[d] & b->match[d]) == 0)
            return false;
    return orgs_overlap(a->caller_org, b->caller_org) && orgs_overlap(a->callee_org, b->callee_org);
}

static bool org_matches(const char *want, const char *have)
{
    return want == NULL || (have != NULL && strcmp(want, have) == 0);
}

bool policy_rule_orgs_match(const struct policy_rule *r, const struct policy_context *ctx)
{
    return org_matches(r->caller_org, ctx->caller_org) &&
           org_matches(r->callee_org, ctx->callee_org);
}

bool policy_rule_matches(const struct policy_rule *r, const struct policy_context *ctx)
{
    return (r->match[0] >> ctx->service & 1u) && (r->match[1] >> ctx->call_model & 1u) &&
           (r->match[2] >> ctx->destination & 1u) && (r->match[3] >> ctx->caller_state & 1u) &&
           policy_rule_orgs_match(r, ctx);
}

size_t policy_context_index(const struct policy_context *ctx)
{
    return (((size_t)ctx->service * 2 + ctx->call_model) * 5 + ctx->destination) * 3 +
           ctx->caller_state;
}
