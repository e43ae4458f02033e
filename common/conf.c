/* conf: see conf.h. */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static int apply(conf_setter set, void *ctx, const char *where, const char *key, const char *value,
                 char *err, size_t errlen)
{
    char reason[256] = "";
    if (set(ctx, key, value, reason, sizeof(reason)) == 0)
        return 0;
    snprintf(err, errlen, "%s: %s: %s", where, key, reason[0] ? reason : "invalid value");
    return -1;
}

/* A line (without its "\n" or "\r\n") over CONF_LINE_MAX bytes, or one
 * that did not fit the buffer. */
static bool conf_line_too_long(const char *line, FILE *f)
{
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\n')
        n -= n > 1 && line[n - 2] == '\r' ? 2 : 1;
    else if (!feof(f))
        return true;
    return n > CONF_LINE_MAX;
}

int conf_load_file(const char *path, conf_setter set, void *ctx, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[CONF_LINE_MAX + 3]; /* the line, "\r\n", NUL */
    char iobuf[4096];             /* stdio's own buffer would keep passwords after fclose */
    char where[512];
    unsigned lineno = 0;
    int rc = 0;

    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        char *s, *eq, *hash;
        lineno++;
        snprintf(where, sizeof(where), "%s:%u", path, lineno);
        if (conf_line_too_long(line, f)) {
            snprintf(err, errlen, "%s: line longer than %d bytes", where, CONF_LINE_MAX);
            rc = -1;
            break;
        }
        hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        s = trim(line);
        if (*s == '\0')
            continue;
        eq = strchr(s, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "%s: expected \"key = value\"", where);
            rc = -1;
            break;
        }
        *eq = '\0';
        rc = apply(set, ctx, where, trim(s), trim(eq + 1), err, errlen);
    }
    fclose(f);
    sodium_memzero(iobuf, sizeof(iobuf));
    sodium_memzero(line, sizeof(line));
    return rc;
}

const char *conf_config_path(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

bool conf_has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return true;
    return false;
}

int conf_load_args(int argc, char **argv, conf_setter set, void *ctx, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        char key[128];
        const char *arg = argv[i], *eq, *value;
        size_t klen;

        if (strcmp(arg, "-c") == 0) {
            i++;
            continue;
        }
        if (strncmp(arg, "--config=", 9) == 0)
            continue;
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            snprintf(err, errlen, "%s: unexpected argument (flags are --key=value)", arg);
            return -1;
        }
        eq = strchr(arg, '=');
        klen = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        value = eq != NULL ? eq + 1 : "yes";
        if (klen >= sizeof(key)) {
            snprintf(err, errlen, "%.40s...: flag name too long", arg);
            return -1;
        }
        memcpy(key, arg + 2, klen);
        key[klen] = '\0';
        if (apply(set, ctx, "command line", key, value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int conf_parse_bool(const char *value, bool *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(value, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(value, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    snprintf(err, errlen, "expected yes or no, got \"%.64s\"", value);
    return -1;
}

int conf_parse_uint(const char *value, uint64_t min, uint64_t max, uint64_t *out, char *err,
                    size_t errlen)
{
    char *end;
    unsigned long long v;
    errno = 0;
    if (!isdigit((unsigned char)value[0])) {
        snprintf(err, errlen, "expected a number, got \"%.64s\"", value);
        return -1;
    }
    v = strtoull(value, &end, 10);
    if (errno != 0 || *end != '\0') {
        snprintf(err, errlen, "expected a number, got \"%.64s\"", value);
        return -1;
    }
    if (v < min || v > max) {
        snprintf(err, errlen, "%llu is out of range %llu-%llu", v, (unsigned long long)min,
                 (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

int conf_parse_port_range(const char *value, uint16_t *low, uint16_t *high, char *err,
                          size_t errlen)
{
    unsigned lo, hi;
    char tail;
    if (sscanf(value, "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1 || hi > 65535 || lo > hi) {
        snprintf(err, errlen, "expected LOW-HIGH ports, got \"%.64s\"", value);
        return -1;
    }
    *low = (uint16_t)lo;
    *high = (uint16_t)hi;
    return 0;
}
