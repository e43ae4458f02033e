/* The configuration tables against their documentation: for umbra-relay,
 * umbra-broker and umbra-load, every key of the table (conf_table.h) is in
 * the man page, in the shipped example configuration (commented out
 * counts) and in --help, and every key those name is in the table. Each
 * check is also run on a copy with one key taken out, and must catch it.
 * Then the tables themselves: well formed, and every number key holds its
 * bounds (min and max accepted, max + 1 and min - 1 refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker_config.h"
#include "conf_table.h"
#include "load_config.h"
#include "relay_config.h"

#define NAMES_MAX 128
#define NAME_LEN 64

struct names {
    size_t n;
    char name[NAMES_MAX][NAME_LEN];
};

struct prog {
    const char *name;
    const struct conf_key *table;
    const char *man;         /* under TOP_SRCDIR */
    const char *man_section; /* the .SH that lists the keys */
    const char *example;     /* example configuration, or NULL */
    const char *prefix;      /* "--" when the keys are options */
    void (*usage)(FILE *out);
    const char *const *extra; /* documented, not keys of the table */
    const char *man_probe;    /* the man page's line of probe_key */
    const char *probe_key;
};

static void relay_usage(FILE *out)
{
    relay_config_usage(out);
}

static const char *const load_extra[] = {"help", "version", NULL};
static const char *const none[] = {NULL};

static const struct prog progs[] = {
    {"umbra-relay", relay_config_keys, "relay/umbra-relay.8", "CONFIGURATION",
     "contrib/umbra-relay.conf", "", relay_usage, none, ".BI tls-listen", "tls-listen"},
    {"umbra-broker", broker_config_keys, "broker/umbra-broker.8", "CONFIGURATION KEYS",
     "contrib/umbra-broker.conf", "", broker_config_usage, none, ".BI metrics-listen",
     "metrics-listen"},
    {"umbra-load", load_config_keys, "contrib/load/umbra-load.1", "OPTIONS", NULL, "--",
     load_config_usage, load_extra, ".BI \\-\\-raw\\-forwarder=", "raw-forwarder"},
};

static char *read_text(const char *rel)
{
    char path[1024];
    FILE *f;
    char *text;
    long n;
    snprintf(path, sizeof(path), "%s/%s", TOP_SRCDIR, rel);
    f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    text = calloc(1, (size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

static char *usage_text(const struct prog *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    p->usage(f);
    fclose(f);
    return text;
}

static void names_add(struct names *ns, const char *s, size_t len)
{
    if (len == 0 || len >= NAME_LEN || ns->n == NAMES_MAX)
        fail_msg("name \"%.*s\" too long or too many names", (int)len, s);
    memcpy(ns->name[ns->n], s, len);
    ns->name[ns->n][len] = '\0';
    ns->n++;
}

static bool names_has(const struct names *ns, const char *s)
{
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->name[i], s) == 0)
            return true;
    return false;
}

/* A name as written in the man page or --help: "\-\-find\-max" or
 * "--server=ADDR" or "tls-cert"; the prefix and anything from '=' or ','
 * on are dropped, "\-" is "-". */
static void add_written(struct names *ns, const char *s, size_t len, const char *prefix)
{
    char plain[NAME_LEN * 2];
    size_t n = 0, plen = strlen(prefix);
    for (size_t i = 0; i < len && n + 1 < sizeof(plain); i++) {
        if (s[i] == '\\' && i + 1 < len && s[i + 1] == '-')
            continue;
        if (s[i] == '=' || s[i] == ',')
            break;
        plain[n++] = s[i];
    }
    plain[n] = '\0';
    if (strncmp(plain, prefix, plen) == 0)
        names_add(ns, plain + plen, n - plen);
}

/* The keys the man page lists: the first word of the line after each .TP
 * or .TQ of the section. */
static void man_names(const char *text, const struct prog *p, struct names *ns)
{
    bool in = false, item = false;
    char head[128];
    snprintf(head, sizeof(head), ".SH %s", p->man_section);
    for (const char *line = text; *line != '\0';) {
        size_t len = strcspn(line, "\n");
        if (strncmp(line, ".SH", 3) == 0)
            in = len == strlen(head) && strncmp(line, head, len) == 0;
        else if (in && (strncmp(line, ".TP", 3) == 0 || strncmp(line, ".TQ", 3) == 0))
            item = true;
        else if (item) {
            item = false;
            if (line[0] == '.' && line[1] == 'B') {
                const char *w = line + strcspn(line, " ");
                w += strspn(w, " ");
                add_written(ns, w, strcspn(w, " \"\n"), p->prefix);
            }
        }
        line += len + (line[len] == '\n');
    }
}

/* The keys of an example configuration: "key = ..." lines, commented out
 * or not. */
static void example_names(const char *text, struct names *ns)
{
    for (const char *line = text; *line != '\0';) {
        size_t len = strcspn(line, "\n");
        const char *w = line + strspn(line, " \t");
        if (*w == '#')
            w += 1 + strspn(w + 1, " \t");
        size_t n = strspn(w, "abcdefghijklmnopqrstuvwxyz0123456789-");
        const char *after = w + n + strspn(w + n, " \t");
        if (n > 0 && *after == '=')
            names_add(ns, w, n);
        line += len + (line[len] == '\n');
    }
}

/* The keys --help lists: lines that start with two spaces and a word. */
static void usage_names(const char *text, const struct prog *p, struct names *ns)
{
    for (const char *line = text; *line != '\0';) {
        size_t len = strcspn(line, "\n");
        if (strncmp(line, "  ", 2) == 0 && line[2] != ' ')
            add_written(ns, line + 2, strcspn(line + 2, " \n"), p->prefix);
        line += len + (line[len] == '\n');
    }
}

static void report(char *out, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(out);
    va_list ap;
    va_start(ap, fmt);
    if (used < cap)
        vsnprintf(out + used, cap - used, fmt, ap);
    va_end(ap);
}

static bool is_extra(const struct prog *p, const char *name)
{
    for (const char *const *e = p->extra; *e != NULL; e++)
        if (strcmp(*e, name) == 0)
            return true;
    return false;
}

/* The table and a document agree: each key in both; out gets the
 * differences. */
static void compare(const struct prog *p, const struct names *doc, const char *what, char *out,
                    size_t cap)
{
    for (const struct conf_key *k = p->table; k->name != NULL; k++)
        if (!names_has(doc, k->name))
            report(out, cap, "%s: %s is in the table, not in %s\n", p->name, k->name, what);
    for (size_t i = 0; i < doc->n; i++)
        if (conf_table_find(p->table, doc->name[i]) == NULL && !is_extra(p, doc->name[i]))
            report(out, cap, "%s: %s is in %s, not in the table\n", p->name, doc->name[i], what);
}

static void check_man(const struct prog *p, const char *text, char *out, size_t cap)
{
    struct names ns = {0};
    man_names(text, p, &ns);
    compare(p, &ns, p->man, out, cap);
}

static void check_example(const struct prog *p, const char *text, char *out, size_t cap)
{
    struct names ns = {0};
    example_names(text, &ns);
    compare(p, &ns, p->example, out, cap);
}

static void check_usage(const struct prog *p, const char *text, char *out, size_t cap)
{
    struct names ns = {0};
    usage_names(text, p, &ns);
    compare(p, &ns, "--help", out, cap);
}

typedef void (*check_fn)(const struct prog *p, const char *text, char *out, size_t cap);

/* text without its first line that holds needle (a heap copy). */
static char *without_line(const char *text, const char *needle)
{
    const char *hit = strstr(text, needle), *start, *end;
    char *copy;
    if (hit == NULL)
        fail_msg("\"%s\" not found", needle);
    start = hit;
    while (start > text && start[-1] != '\n')
        start--;
    end = strchr(hit, '\n');
    end = end != NULL ? end + 1 : hit + strlen(hit);
    copy = malloc(strlen(text) + 1);
    assert_non_null(copy);
    memcpy(copy, text, (size_t)(start - text));
    strcpy(copy + (start - text), end);
    return copy;
}

/* The document as shipped agrees with the table; with the line of one
 * key taken out, the check names that key. */
static void check_both_ways(const struct prog *p, check_fn check, const char *text,
                            const char *needle, const char *key)
{
    char out[4096] = "", want[256];
    char *cut;
    check(p, text, out, sizeof(out));
    if (out[0] != '\0')
        fail_msg("%s", out);
    cut = without_line(text, needle);
    check(p, cut, out, sizeof(out));
    free(cut);
    snprintf(want, sizeof(want), "%s: %s is in the table, not in", p->name, key);
    if (strstr(out, want) == NULL)
        fail_msg("%s: taking out \"%s\" went unnoticed: \"%s\"", p->name, needle, out);
}

static void test_man_pages(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        char *text = read_text(progs[i].man);
        check_both_ways(&progs[i], check_man, text, progs[i].man_probe, progs[i].probe_key);
        free(text);
    }
}

static void test_examples(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        const struct prog *p = &progs[i];
        char *text;
        if (p->example == NULL)
            continue;
        text = read_text(p->example);
        check_both_ways(p, check_example, text, "metrics-listen =", "metrics-listen");
        free(text);
    }
}

static void test_usage(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        const struct prog *p = &progs[i];
        char *text = usage_text(p);
        char needle[128];
        snprintf(needle, sizeof(needle), "  %s%s", p->prefix, p->table[0].name);
        check_both_ways(p, check_usage, text, needle, p->table[0].name);
        free(text);
    }
}

static void test_tables_well_formed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        char err[256] = "";
        if (conf_table_check(progs[i].table, err, sizeof(err)) != 0)
            fail_msg("%s: %s", progs[i].name, err);
    }
}

/* One struct of each program's configuration, with its defaults. */
union any_config {
    struct relay_config relay;
    struct broker_config broker;
    struct load_config load;
};

static void fresh(size_t prog, union any_config *c)
{
    char err[256] = "";
    memset(c, 0, sizeof(*c));
    if (prog == 0)
        relay_config_init(&c->relay);
    else if (prog == 1)
        broker_config_defaults(&c->broker);
    else if (conf_table_defaults(load_config_keys, &c->load, err, sizeof(err)) != 0)
        fail_msg("umbra-load defaults: %s", err);
}

static void release(size_t prog, union any_config *c)
{
    if (prog == 0)
        relay_config_free(&c->relay);
}

static uint64_t read_uint(const struct conf_key *k, const void *ctx)
{
    const char *f = (const char *)ctx + k->offset;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    switch (k->size) {
    case 1:
        memcpy(&u8, f, 1);
        return u8;
    case 2:
        memcpy(&u16, f, 2);
        return u16;
    case 4:
        memcpy(&u32, f, 4);
        return u32;
    default:
        memcpy(&u64, f, 8);
        return u64;
    }
}

/* Every number key: min and max accepted and stored, max + 1, min - 1 and
 * a number of 30 digits refused with the range in the reason. */
static void test_uint_bounds(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        for (const struct conf_key *k = progs[i].table; k->name != NULL; k++) {
            union any_config c;
            char value[64], err[256];
            uint64_t good[] = {k->min, k->max};
            if (k->type != CONF_T_UINT)
                continue;
            for (size_t j = 0; j < 2; j++) {
                fresh(i, &c);
                snprintf(value, sizeof(value), "%llu", (unsigned long long)good[j]);
                if (conf_table_apply(k, &c, value, err, sizeof(err)) != 0)
                    fail_msg("%s %s = %s refused: %s", progs[i].name, k->name, value, err);
                assert_true(read_uint(k, &c) == good[j]);
                release(i, &c);
            }
            fresh(i, &c);
            snprintf(value, sizeof(value), "%llu", (unsigned long long)k->max + 1);
            assert_int_equal(conf_table_apply(k, &c, value, err, sizeof(err)), -1);
            assert_non_null(strstr(err, "out of range"));
            if (k->min > 0) {
                snprintf(value, sizeof(value), "%llu", (unsigned long long)k->min - 1);
                assert_int_equal(conf_table_apply(k, &c, value, err, sizeof(err)), -1);
            }
            assert_int_equal(
                conf_table_apply(k, &c, "999999999999999999999999999999", err, sizeof(err)), -1);
            release(i, &c);
        }
    }
}

/* log-level: the documented names, the usual other spellings, any case;
 * errors list only the documented names. */
static void test_log_level_spellings(void **state)
{
    static const struct {
        const char *value;
        enum log_level level;
    } ok[] = {{"error", LOG_LEVEL_ERROR},  {"err", LOG_LEVEL_ERROR},    {"warn", LOG_LEVEL_WARN},
              {"warning", LOG_LEVEL_WARN}, {"WARNING", LOG_LEVEL_WARN}, {"Info", LOG_LEVEL_INFO},
              {"debug", LOG_LEVEL_DEBUG}};
    struct relay_config r;
    struct broker_config b;
    char err[256] = "";
    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        relay_config_init(&r);
        broker_config_defaults(&b);
        r.log_level = b.log_level = (enum log_level) - 1;
        assert_int_equal(relay_config_set(&r, "log-level", ok[i].value, err, sizeof(err)), 0);
        assert_int_equal(broker_config_set(&b, "log-level", ok[i].value, err, sizeof(err)), 0);
        assert_int_equal(r.log_level, ok[i].level);
        assert_int_equal(b.log_level, ok[i].level);
        relay_config_free(&r);
    }
    relay_config_init(&r);
    assert_int_equal(relay_config_set(&r, "log-level", "warnings", err, sizeof(err)), -1);
    assert_string_equal(err, "expected error, warn, info or debug");
    relay_config_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_well_formed), cmocka_unit_test(test_man_pages),
        cmocka_unit_test(test_examples),           cmocka_unit_test(test_usage),
        cmocka_unit_test(test_uint_bounds),        cmocka_unit_test(test_log_level_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
