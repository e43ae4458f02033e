/* conf: daemon configuration from a file of "key = value" lines and from
 * --key=value command-line flags, handed to the caller one key at a time.
 *
 * Files: '#' starts a comment; blank lines are skipped; a key may repeat.
 * A flag "--key" without "=" means "--key=yes". The setter validates the
 * value and writes a reason into err; conf prefixes "FILE:LINE: " or
 * "--key: " so every error names its place. Returns 0 or -1. */
#ifndef UMBRA_CONF_H
#define UMBRA_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest line a file may hold, its line end ("\n" or "\r\n") not
 * counted; a longer one is an error naming the line. */
#define CONF_LINE_MAX 4096

typedef int (*conf_setter)(void *ctx, const char *key, const char *value, char *err, size_t errlen);

int conf_load_file(const char *path, conf_setter set, void *ctx, char *err, size_t errlen);
/* Applies every --key=value in argv[1..]; skips "-c FILE"/"--config=FILE"
 * (see conf_config_path). Anything else is an error. */
int conf_load_args(int argc, char **argv, conf_setter set, void *ctx, char *err, size_t errlen);
/* Returns the path given with -c FILE or --config=FILE, or NULL. */
const char *conf_config_path(int argc, char **argv);
/* True if argv holds exactly this flag (e.g. "--help"). */
bool conf_has_flag(int argc, char **argv, const char *flag);

/* Value parsers for setters: 0 on success, -1 with a reason in err. */
int conf_parse_bool(const char *value, bool *out, char *err, size_t errlen);
int conf_parse_uint(const char *value, uint64_t min, uint64_t max, uint64_t *out, char *err,
                    size_t errlen);
/* "LOW-HIGH" with 1 <= LOW <= HIGH <= 65535. */
int conf_parse_port_range(const char *value, uint16_t *low, uint16_t *high, char *err,
                          size_t errlen);

#endif
