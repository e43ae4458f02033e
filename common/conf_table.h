/* conf_table: a program's configuration keys as rows of one table (name,
 * type, bounds, default, field, help line), as nginx's ngx_command_t
 * arrays. The table drives the setter, the defaults and --help; a test
 * (tests/unit/test_conf_docs.c) holds it against the man page and the
 * example configuration, so none of them can drift.
 *
 * Tables are static const arrays ending with a row whose name is NULL.
 * A row writes into the caller's struct (ctx) at its offset; generic types
 * are parsed here, a CONF_T_CUSTOM row calls its own parse function. Every
 * error is a reason in err without the key or place: the caller (conf.c,
 * or umbra-load's "--key: ") adds those. Functions return 0 or -1. */
#ifndef UMBRA_CONF_TABLE_H
#define UMBRA_CONF_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum conf_type {
    CONF_T_UINT,   /* unsigned integer in [min, max], field of size 1, 2, 4 or 8 */
    CONF_T_BOOL,   /* yes/no (conf_parse_bool); bool field */
    CONF_T_STR,    /* text of 1 to size - 1 bytes, copied into a char[size] */
    CONF_T_STRDUP, /* non-empty text, a heap copy in a char * the caller frees */
    CONF_T_ENUM,   /* one of names[], stored as an int-sized enum */
    CONF_T_CUSTOM, /* parse() does it all */
};

/* One accepted spelling of an enum value. An alias is accepted but left
 * out of --help and of error messages ("warning" for "warn"). */
struct conf_name {
    const char *name;
    int value;
    bool alias;
};

struct conf_key;
typedef int (*conf_parse_fn)(void *ctx, const struct conf_key *key, const char *value, char *err,
                             size_t errlen);

#define CONF_REPEAT 0x1u /* may be given more than once: a list */
#define CONF_FLAG 0x2u   /* a command-line switch without a value (umbra-load) */
#define CONF_NOCASE 0x4u /* enum names match in any case */

struct conf_key {
    const char *name;
    enum conf_type type;
    size_t offset, size;           /* the field in ctx */
    uint64_t min, max;             /* CONF_T_UINT */
    const struct conf_name *names; /* CONF_T_ENUM, ends with a NULL name */
    conf_parse_fn parse;           /* CONF_T_CUSTOM */
    unsigned flags;
    const char *group; /* --help heading printed when it changes; NULL: none */
    const char *arg;   /* the value's form in --help: "N", "HOST:PORT"; NULL: none */
    const char *def;   /* the default, as a value applied by conf_table_defaults; NULL:
                          none, or derived from other keys (the help says how) */
    const char *help;  /* what the key does, one or two sentences */
};

#define CONF_FIELD(type, field) .offset = offsetof(type, field), .size = sizeof(((type *)0)->field)

/* The levels of log.h: error (or err), warn (or warning), info, debug, in
 * any case. */
extern const struct conf_name conf_log_levels[];

/* The row named key, or NULL. */
const struct conf_key *conf_table_find(const struct conf_key *table, const char *key);
/* A heap string key's value: a copy of value (not empty) replaces and frees
 * *slot. 0, or -1 with a reason in err and *slot unchanged. */
int conf_set_strdup(char **slot, const char *value, char *err, size_t errlen);
/* Parses value into ctx as row k says; value NULL (a CONF_FLAG switch)
 * means "yes". */
int conf_table_apply(const struct conf_key *k, void *ctx, const char *value, char *err,
                     size_t errlen);
/* The body of a conf_setter: finds key ("unknown key") and applies it. */
int conf_table_set(const struct conf_key *table, void *ctx, const char *key, const char *value,
                   char *err, size_t errlen);
/* Applies every row's def. An error names the key: it is a bug in the
 * table, which the unit tests catch. */
int conf_table_defaults(const struct conf_key *table, void *ctx, char *err, size_t errlen);
/* Checks the table itself: names unique and of [a-z0-9-], fields fit the
 * type, bounds fit the field, enums have names, help present. */
int conf_table_check(const struct conf_key *table, char *err, size_t errlen);

/* --help: one entry per row, "  PREFIXname ARG" then the help and the
 * default, wrapped to 79 columns; prefix is "" for a config file's keys,
 * "--" for a tool's options. */
void conf_table_usage(const struct conf_key *table, const char *prefix, FILE *out);

#endif
