/* set: load policy files into one immutable set, all or nothing, and
 * refuse mandatory rules that contradict each other. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpos.h"
#include "rules.h"

#define POLICY_MAX_FILE_SIZE (4u << 20)

static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void policy_set_free(struct policy_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->n_files; i++) {
        free(set->files[i]);
        json_decref(set->roots[i]);
    }
    free(set->files);
    free(set->roots);
    free(set->rules);
    free(set->by_context);
    free(set);
}

size_t policy_set_rule_count(const struct policy_set *set)
{
    return set->n_rules;
}

static int set_add_file(struct policy_set *set, const char *name, json_t *root)
{
    char **files = realloc(set->files, (set->n_files + 1) * sizeof(*files));
    if (files == NULL)
        return -1;
    set->files = files;
    json_t **roots = realloc(set->roots, (set->n_files + 1) * sizeof(*roots));
    if (roots == NULL)
        return -1;
    set->roots = roots;
    set->files[set->n_files] = strdup(name);
    if (set->files[set->n_files] == NULL)
        return -1;
    set->roots[set->n_files++] = root;
    return 0;
}

struct file_head {
    int source;
    const json_t *rules;
};

static int check_head(const json_t *root, const char *name, const struct policy_jpos *map,
                      struct file_head *head, char *err, size_t errlen)
{
    const char *key;
    const json_t *v;
    bool have_version = false;
    char path[256];

    if (!json_is_object(root))
        return set_err(err, errlen, "%s:1: a policy file must be a JSON object", name);
    head->source = -1;
    head->rules = NULL;
    json_object_foreach((json_t *)root, key, v)
    {
        snprintf(path, sizeof(path), "/%s", key);
        int line = policy_jpos_line(map, path);
        if (strcmp(key, "version") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) != 1)
                return set_err(err, errlen, "%s:%d: \"version\" must be 1", name, line);
            have_version = true;
        } else if (strcmp(key, "source") == 0) {
            int s = json_is_string(v) ? policy_source_lookup(json_string_value(v)) : -1;
            if (!json_is_string(v))
                return set_err(err, errlen, "%s:%d: \"source\" must be a string", name, line);
            if (s <= POLICY_SOURCE_BUILTIN)
                return set_err(err, errlen,
                               "%s:%d: unknown source \"%s\" (expected caller, callee, service "
                               "or organisation)",
                               name, line, json_string_value(v));
            head->source = s;
        } else if (strcmp(key, "comment") == 0) {
            if (!json_is_string(v))
                return set_err(err, errlen, "%s:%d: \"comment\" must be a string", name, line);
        } else if (strcmp(key, "rules") == 0) {
            if (!json_is_array(v))
                return set_err(err, errlen, "%s:%d: \"rules\" must be an array", name, line);
            head->rules = v;
        } else {
            return set_err(err, errlen,
                           "%s:%d: unknown key \"%s\" at the top level (expected version, "
                           "source, comment or rules)",
                           name, line, key);
        }
    }
    if (!have_version)
        return set_err(err, errlen, "%s:1: missing \"version\": 1", name);
    if (head->rules == NULL)
        return set_err(err, errlen, "%s:1: missing \"rules\"", name);
    return 0;
}

static int load_rules(struct policy_set *set, const struct file_head *head,
                      const struct policy_where *where, char *err, size_t errlen)
{
    size_t n = json_array_size(head->rules);
    struct policy_rule *rules = realloc(set->rules, (set->n_rules + n + 1) * sizeof(*rules));
    if (rules == NULL)
        return set_err(err, errlen, "%s: out of memory", where->file);
    set->rules = rules;
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/rules/%zu", i);
        if (policy_rule_parse(json_array_get(head->rules, i), where, path, (int)i, head->source, -1,
                              &set->rules[set->n_rules], err, errlen) < 0)
            return -1;
        set->n_rules++;
    }
    return 0;
}

static int load_one(struct policy_set *set, const char *name, const char *text, char *err,
                    size_t errlen)
{
    json_error_t je;
    struct file_head head = {-1, NULL};
    size_t len = strlen(text);
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return set_err(err, errlen, "%s:%d: syntax error at column %d: %s", name,
                       je.line > 0 ? je.line : 1, je.column, je.text);
    struct policy_jpos *map = policy_jpos_scan(text, len);
    if (map == NULL || set_add_file(set, name, root) < 0) {
        policy_jpos_free(map);
        json_decref(root);
        return set_err(err, errlen, "%s: out of memory", name);
    }
    /* rules point at the set's copy of the name, which lives as long as they do */
    struct policy_where where = {set->files[set->n_files - 1], map};
    int rc = check_head(root, where.file, map, &head, err, errlen);
    if (rc == 0)
        rc = load_rules(set, &head, &where, err, errlen);
    policy_jpos_free(map);
    return rc;
}

/* Pairs of values that no call can have at once (RFC 8827 §9.2: an
 * unlinkable call needs TURN only, a fresh DTLS key and a random CNAME;
 * an undetectable caller has no identity to assert). */
static bool values_clash(int fa, int64_t va, int fb, int64_t vb)
{
    if (fa == fb)
        return va != vb;
    if (fa > fb)
        return values_clash(fb, vb, fa, va);
    if (fa == POLICY_FIELD_UNLINKABILITY && va == POLICY_UNLINK_GRANTED)
        return (fb == POLICY_FIELD_RELAY_ONLY && vb == 0) ||
               (fb == POLICY_FIELD_FRESH_DTLS_PER_CALL && vb == 0) ||
               (fb == POLICY_FIELD_CNAME && vb == POLICY_CNAME_PER_SESSION);
    if (fa == POLICY_FIELD_ANONYMITY && va == POLICY_ANON_UNDETECTABLE)
        return fb == POLICY_FIELD_IDENTITY_ASSERTION && vb == POLICY_ASSERT_REQUIRE;
    return false;
}

static void value_text(int f, int64_t v, char *buf, size_t len)
{
    const char *name = policy_value_name((enum policy_field)f, v);
    if (name != NULL)
        snprintf(buf, len, "%s=%s", policy_field_name((enum policy_field)f), name);
    else
        snprintf(buf, len, "%s=%lld", policy_field_name((enum policy_field)f), (long long)v);
}

static int rules_clash(const struct policy_rule *a, const struct policy_rule *b, char *err,
                       size_t errlen)
{
    for (int fa = 0; fa < POLICY_FIELD_COUNT; fa++) {
        if (!(a->sets >> fa & 1u))
            continue;
        for (int fb = 0; fb < POLICY_FIELD_COUNT; fb++) {
            if (!(b->sets >> fb & 1u) || !values_clash(fa, a->value[fa], fb, b->value[fb]))
                continue;
            char ta[64], tb[64];
            value_text(fa, a->value[fa], ta, sizeof(ta));
            value_text(fb, b->value[fb], tb, sizeof(tb));
            if (a == b)
                return set_err(err, errlen,
                               "%s:%d: mandatory rule contradicts itself: %s cannot go with %s",
                               b->origin.file, b->origin.line, tb, ta);
            return set_err(err, errlen,
                           "%s:%d: mandatory rule conflicts with the mandatory rule at %s:%d: "
                           "both can match one call, and %s cannot go with %s",
                           b->origin.file, b->origin.line, a->origin.file, a->origin.line, tb, ta);
        }
    }
    return 0;
}

static bool rule_allows(const struct policy_rule *r, size_t context)
{
    /* the inverse of policy_context_index */
    size_t state = context % 3, dest = context / 3 % 5, model = context / 15 % 2,
           service = context / 30;
    return (r->match[0] >> service & 1u) && (r->match[1] >> model & 1u) &&
           (r->match[2] >> dest & 1u) && (r->match[3] >> state & 1u);
}

/* Deciding then looks only at the rules that can match the kind of call,
 * whatever the number of rules for other kinds. Two passes: count, fill. */
int policy_set_index(struct policy_set *set)
{
    size_t n = 0;
    for (size_t i = 0; i < POLICY_N_CONTEXTS; i++)
        for (size_t r = 0; r < set->n_rules; r++)
            n += rule_allows(&set->rules[r], i);
    set->by_context = malloc((n + 1) * sizeof(uint32_t));
    if (set->by_context == NULL)
        return -1;
    n = 0;
    for (size_t i = 0; i < POLICY_N_CONTEXTS; i++) {
        set->by_context_start[i] = (uint32_t)n;
        for (size_t r = 0; r < set->n_rules; r++)
            if (rule_allows(&set->rules[r], i))
                set->by_context[n++] = (uint32_t)r;
    }
    set->by_context_start[POLICY_N_CONTEXTS] = (uint32_t)n;
    return 0;
}

static int check_mandatory(const struct policy_set *set, char *err, size_t errlen)
{
    for (size_t j = 0; j < set->n_rules; j++) {
        const struct policy_rule *b = &set->rules[j];
        if (!b->origin.mandatory)
            continue;
        for (size_t i = 0; i <= j; i++) {
            const struct policy_rule *a = &set->rules[i];
            if (a->origin.mandatory && policy_rules_overlap(a, b) &&
                rules_clash(a, b, err, errlen) < 0)
                return -1;
        }
    }
    return 0;
}

int policy_set_load_texts(struct policy_set **out, const char *const *names,
                          const char *const *texts, size_t n, char *err, size_t errlen)
{
    struct policy_set *set = calloc(1, sizeof(*set));
    *out = NULL;
    if (set == NULL)
        return set_err(err, errlen, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (load_one(set, names[i], texts[i], err, errlen) < 0) {
            policy_set_free(set);
            return -1;
        }
    }
    if (check_mandatory(set, err, errlen) < 0) {
        policy_set_free(set);
        return -1;
    }
    if (policy_set_index(set) < 0) {
        policy_set_free(set);
        return set_err(err, errlen, "out of memory");
    }
    *out = set;
    return 0;
}

/* The whole file as a string; policies are small, so more than 4 MiB or a
 * NUL byte means this is not a policy. */
static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    const char *problem = NULL;
    if (f == NULL) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len == cap) {
            char *grown = cap > POLICY_MAX_FILE_SIZE ? NULL : realloc(buf, cap + 65536 + 1);
            if (grown == NULL) {
                problem = cap > POLICY_MAX_FILE_SIZE ? "larger than 4 MiB" : "out of memory";
                break;
            }
            buf = grown;
            cap += 65536;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                problem = strerror(errno);
            else if (memchr(buf, '\0', len) != NULL)
                problem = "holds a NUL byte";
            break;
        }
    }
    fclose(f);
    if (problem == NULL && len > POLICY_MAX_FILE_SIZE)
        problem = "larger than 4 MiB";
    if (problem != NULL) {
        set_err(err, errlen, "%s: cannot read: %s", path, problem);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

int policy_set_load(struct policy_set **out, const char *const *paths, size_t n_paths, char *err,
                    size_t errlen)
{
    char **texts = calloc(n_paths + 1, sizeof(*texts));
    int rc = -1;
    *out = NULL;
    if (texts == NULL)
        return set_err(err, errlen, "out of memory");
    for (size_t i = 0; i < n_paths; i++)
        if ((texts[i] = read_file(paths[i], err, errlen)) == NULL)
            goto done;
    rc = policy_set_load_texts(out, paths, (const char *const *)texts, n_paths, err, errlen);
done:
    for (size_t i = 0; i < n_paths; i++)
        free(texts[i]);
    free(texts);
    return rc;
}
