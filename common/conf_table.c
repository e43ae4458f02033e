/* conf_table: see conf_table.h. */
#include "conf_table.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"

const struct conf_name conf_log_levels[] = {
    {"error", LOG_LEVEL_ERROR, false},
    {"err", LOG_LEVEL_ERROR, true},
    {"warn", LOG_LEVEL_WARN, false},
    {"warning", LOG_LEVEL_WARN, true},
    {"info", LOG_LEVEL_INFO, false},
    {"debug", LOG_LEVEL_DEBUG, false},
    {NULL, 0, false},
};

#define USAGE_COLUMN 29 /* where the help text starts */
#define USAGE_WIDTH 79

static void *field(const struct conf_key *k, void *ctx)
{
    return (char *)ctx + k->offset;
}

const struct conf_key *conf_table_find(const struct conf_key *table, const char *key)
{
    for (const struct conf_key *k = table; k->name != NULL; k++)
        if (strcmp(k->name, key) == 0)
            return k;
    return NULL;
}

static int store_uint(const struct conf_key *k, void *ctx, uint64_t v)
{
    uint8_t u8 = (uint8_t)v;
    uint16_t u16 = (uint16_t)v;
    uint32_t u32 = (uint32_t)v;
    switch (k->size) {
    case 1:
        memcpy(field(k, ctx), &u8, 1);
        return 0;
    case 2:
        memcpy(field(k, ctx), &u16, 2);
        return 0;
    case 4:
        memcpy(field(k, ctx), &u32, 4);
        return 0;
    case 8:
        memcpy(field(k, ctx), &v, 8);
        return 0;
    default:
        return -1;
    }
}

static int apply_uint(const struct conf_key *k, void *ctx, const char *value, char *err,
                      size_t errlen)
{
    uint64_t v;
    if (conf_parse_uint(value, k->min, k->max, &v, err, errlen) != 0)
        return -1;
    return store_uint(k, ctx, v);
}

/* "expected a, b or c" from the names that are not aliases. */
static void enum_expected(const struct conf_name *names, char *err, size_t errlen)
{
    size_t n = 0, total = 0, used;
    for (const struct conf_name *e = names; e->name != NULL; e++)
        total += !e->alias;
    used = (size_t)snprintf(err, errlen, "expected");
    for (const struct conf_name *e = names; e->name != NULL && used < errlen; e++) {
        if (e->alias)
            continue;
        n++;
        used += (size_t)snprintf(err + used, errlen - used, "%s%s",
                                 n == 1       ? " "
                                 : n == total ? " or "
                                              : ", ",
                                 e->name);
    }
}

static int apply_enum(const struct conf_key *k, void *ctx, const char *value, char *err,
                      size_t errlen)
{
    for (const struct conf_name *e = k->names; e->name != NULL; e++) {
        bool same = (k->flags & CONF_NOCASE) != 0 ? strcasecmp(value, e->name) == 0
                                                  : strcmp(value, e->name) == 0;
        if (same) {
            memcpy(field(k, ctx), &e->value, sizeof(e->value));
            return 0;
        }
    }
    enum_expected(k->names, err, errlen);
    return -1;
}

static int apply_str(const struct conf_key *k, void *ctx, const char *value, char *err,
                     size_t errlen)
{
    size_t n = strlen(value);
    if (n == 0 || n >= k->size) {
        snprintf(err, errlen, "expected 1 to %zu characters", k->size - 1);
        return -1;
    }
    memcpy(field(k, ctx), value, n + 1);
    return 0;
}

int conf_set_strdup(char **slot, const char *value, char *err, size_t errlen)
{
    char *copy;
    if (value[0] == '\0') {
        snprintf(err, errlen, "empty value");
        return -1;
    }
    copy = strdup(value);
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    free(*slot);
    *slot = copy;
    return 0;
}

static int apply_strdup(const struct conf_key *k, void *ctx, const char *value, char *err,
                        size_t errlen)
{
    char *slot;
    memcpy(&slot, field(k, ctx), sizeof(slot));
    if (conf_set_strdup(&slot, value, err, errlen) != 0)
        return -1;
    memcpy(field(k, ctx), &slot, sizeof(slot));
    return 0;
}

int conf_table_apply(const struct conf_key *k, void *ctx, const char *value, char *err,
                     size_t errlen)
{
    bool b;
    if (value == NULL)
        value = "yes";
    switch (k->type) {
    case CONF_T_UINT:
        return apply_uint(k, ctx, value, err, errlen);
    case CONF_T_BOOL:
        if (conf_parse_bool(value, &b, err, errlen) != 0)
            return -1;
        memcpy(field(k, ctx), &b, sizeof(b));
        return 0;
    case CONF_T_STR:
        return apply_str(k, ctx, value, err, errlen);
    case CONF_T_STRDUP:
        return apply_strdup(k, ctx, value, err, errlen);
    case CONF_T_ENUM:
        return apply_enum(k, ctx, value, err, errlen);
    case CONF_T_CUSTOM:
        return k->parse(ctx, k, value, err, errlen);
    }
    snprintf(err, errlen, "key of unknown type");
    return -1;
}

int conf_table_set(const struct conf_key *table, void *ctx, const char *key, const char *value,
                   char *err, size_t errlen)
{
    const struct conf_key *k = conf_table_find(table, key);
    if (k == NULL) {
        snprintf(err, errlen, "unknown key");
        return -1;
    }
    return conf_table_apply(k, ctx, value, err, errlen);
}

int conf_table_defaults(const struct conf_key *table, void *ctx, char *err, size_t errlen)
{
    for (const struct conf_key *k = table; k->name != NULL; k++) {
        char reason[256] = "";
        if (k->def == NULL)
            continue;
        if (conf_table_apply(k, ctx, k->def, reason, sizeof(reason)) != 0) {
            snprintf(err, errlen, "%s: default \"%s\": %s", k->name, k->def, reason);
            return -1;
        }
    }
    return 0;
}

static int row_error(const struct conf_key *k, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", k->name, what);
    return -1;
}

/* A row fits its field and type. */
static int check_row(const struct conf_key *k, char *err, size_t errlen)
{
    size_t n = strlen(k->name);
    if (n == 0 || strspn(k->name, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
        return row_error(k, "a name of a-z 0-9 -", err, errlen);
    if (k->help == NULL || k->help[0] == '\0')
        return row_error(k, "no help", err, errlen);
    switch (k->type) {
    case CONF_T_UINT:
        if ((k->size != 1 && k->size != 2 && k->size != 4 && k->size != 8) || k->min > k->max ||
            (k->size < 8 && k->max >= (uint64_t)1 << (8 * k->size)))
            return row_error(k, "bounds do not fit the field", err, errlen);
        return 0;
    case CONF_T_BOOL:
        return k->size == sizeof(bool) ? 0 : row_error(k, "not a bool", err, errlen);
    case CONF_T_STR:
        return k->size >= 2 ? 0 : row_error(k, "no room", err, errlen);
    case CONF_T_STRDUP:
        return k->size == sizeof(char *) ? 0 : row_error(k, "not a pointer", err, errlen);
    case CONF_T_ENUM:
        if (k->size != sizeof(int) || k->names == NULL || k->names[0].name == NULL)
            return row_error(k, "enum without names or not int-sized", err, errlen);
        return 0;
    case CONF_T_CUSTOM:
        return k->parse != NULL ? 0 : row_error(k, "no parser", err, errlen);
    }
    return row_error(k, "unknown type", err, errlen);
}

int conf_table_check(const struct conf_key *table, char *err, size_t errlen)
{
    for (const struct conf_key *k = table; k->name != NULL; k++) {
        if (check_row(k, err, errlen) != 0)
            return -1;
        if (conf_table_find(table, k->name) != k) {
            snprintf(err, errlen, "%s: listed twice", k->name);
            return -1;
        }
    }
    return 0;
}

/* Prints text from column col on, wrapped at word boundaries; continued
 * lines start at USAGE_COLUMN. */
static void usage_words(FILE *out, const char *text, size_t col)
{
    const char *p = text;
    while (*p != '\0') {
        size_t w = strcspn(p, " ");
        if (col > USAGE_COLUMN && col + 1 + w > USAGE_WIDTH) {
            fprintf(out, "\n%*s", USAGE_COLUMN, "");
            col = USAGE_COLUMN;
        } else if (col > USAGE_COLUMN) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", (int)w, p);
        col += w;
        p += w;
        while (*p == ' ')
            p++;
    }
}

static void usage_row(const struct conf_key *k, const char *prefix, FILE *out)
{
    char text[1024];
    int n = fprintf(out, "  %s%s%s%s", prefix, k->name,
                    k->arg == NULL      ? ""
                    : prefix[0] != '\0' ? "="
                                        : " ",
                    k->arg == NULL ? "" : k->arg);
    if (n < 0 || n >= USAGE_COLUMN) {
        fputc('\n', out);
        n = 0;
    }
    fprintf(out, "%*s", USAGE_COLUMN - n, "");
    snprintf(text, sizeof(text), "%s%s%s%s%s", k->help,
             (k->flags & CONF_REPEAT) != 0 ? " Repeatable." : "",
             k->def != NULL ? " (default " : "", k->def != NULL ? k->def : "",
             k->def != NULL ? ")" : "");
    usage_words(out, text, USAGE_COLUMN);
    fputc('\n', out);
}

void conf_table_usage(const struct conf_key *table, const char *prefix, FILE *out)
{
    const char *group = NULL;
    for (const struct conf_key *k = table; k->name != NULL; k++) {
        if (k->group != NULL && (group == NULL || strcmp(group, k->group) != 0)) {
            fprintf(out, "%s\n", k->group);
            group = k->group;
        }
        usage_row(k, prefix, out);
    }
}
