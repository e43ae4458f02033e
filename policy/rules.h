/* rules: the in-memory form of policy rules, shared by the loader
 * (rules.c), the decision (decide.c) and the names table (names.c).
 * Private to libumbra-policy.
 *
 * A rule borrows its strings (organisation domains, id) from the parsed
 * JSON tree it came from; a set keeps those trees until it is freed. */
#ifndef UMBRA_POLICY_RULES_H
#define UMBRA_POLICY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "policy.h"

/* Match dimensions: service, call_model, destination, caller_state. */
#define POLICY_DIM_COUNT 4
#define POLICY_MAX_LOG_RETENTION ((int64_t)10 * 366 * 24 * 3600)

struct policy_rule {
    uint8_t match[POLICY_DIM_COUNT]; /* bit per enum value; every bit = any */
    const char *caller_org;          /* NULL = any */
    const char *callee_org;
    int specificity; /* constrained dimensions, organisations included */
    uint16_t sets;   /* bit per enum policy_field */
    int64_t value[POLICY_FIELD_COUNT];
    struct policy_origin origin;
};

/* Every combination of service, call model, destination and caller state. */
#define POLICY_N_CONTEXTS (5 * 2 * 5 * 3)

struct policy_set {
    struct policy_rule *rules; /* in load order: files in order, rules in order */
    size_t n_rules;
    /* For each context combination, the rules whose match allows it (their
     * organisation domains are checked when deciding), in load order:
     * by_context[by_context_start[i] .. by_context_start[i + 1]). */
    uint32_t by_context_start[POLICY_N_CONTEXTS + 1];
    uint32_t *by_context;
    char **files;
    json_t **roots;
    size_t n_files;
};

/* Where messages about one rule list point. For files, map gives lines;
 * for requests (map NULL) messages say "NAME: rule N:". */
struct policy_jpos;
struct policy_where {
    const char *file;
    const struct policy_jpos *map;
};

/* Parses one rule object found at JSON path `path` ("/rules/3"). source is
 * the file's default source (-1 if none); for requests, fixed_source >= 0
 * forces that party and forbids "mandatory". */
int policy_rule_parse(const json_t *obj, const struct policy_where *where, const char *path,
                      int index, int default_source, int fixed_source, struct policy_rule *out,
                      char *err, size_t errlen);
/* True if both rules can match one call. */
bool policy_rules_overlap(const struct policy_rule *a, const struct policy_rule *b);
bool policy_rule_matches(const struct policy_rule *r, const struct policy_context *ctx);
bool policy_rule_orgs_match(const struct policy_rule *r, const struct policy_context *ctx);
/* Index of a context combination in by_context_start; ctx must be valid. */
size_t policy_context_index(const struct policy_context *ctx);
/* Builds set->by_context; 0 or -1 when out of memory. */
int policy_set_index(struct policy_set *set);

/* names.c */
int policy_name_lookup(const char *const *names, const char *s);
const char *const *policy_field_value_names(enum policy_field f);
bool policy_field_is_bool(enum policy_field f);
int policy_field_lookup(const char *s);
int policy_source_lookup(const char *s);
const char *policy_dim_name(int dim);
const char *const *policy_dim_value_names(int dim);

/* Higher is more private; every enum is declared least private first, and
 * disclosing the organisation domain is the less private flag. */
static inline int64_t policy_privacy_rank(enum policy_field f, int64_t v)
{
    if (f == POLICY_FIELD_ORG_DOMAIN_DISCLOSURE)
        return !v;
    if (f == POLICY_FIELD_LOG_RETENTION_SECONDS)
        return -v;
    return v;
}

#endif
