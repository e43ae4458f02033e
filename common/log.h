/* log: levelled logging that never writes an address in clear.
 *
 * A log_ctx belongs to main and is shared by all threads (writes are
 * serialised). To correlate lines about one client, log_addr_token() gives a
 * short keyed hash of an address; the key is random per process and replaced
 * every 24 hours, so tokens cannot be linked across days or processes.
 * Format strings must never print an address, a username or a secret. */
#ifndef UMBRA_LOG_H
#define UMBRA_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "addr.h"

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

#define LOG_TOKEN_KEY_BYTES 32
#define LOG_TOKEN_LEN 16 /* "a:" + 12 hex + NUL, rounded */
#define LOG_TOKEN_ROTATE_SECONDS (24 * 3600)

struct log_ctx {
    enum log_level level;
    FILE *out; /* not owned */
    const char *prog;
    pthread_mutex_t lock;
    unsigned char *token_key; /* LOG_TOKEN_KEY_BYTES, sodium_malloc: out of core dumps */
    time_t token_key_born;
};

/* Initialises with a fresh random token key (calls sodium_init()); aborts
 * when no memory is left for the key. */
void log_init(struct log_ctx *log, const char *prog, enum log_level level, FILE *out);
/* Wipes and releases the token key. */
void log_free(struct log_ctx *log);

void log_msg(struct log_ctx *log, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define log_error(l, ...) log_msg((l), LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(l, ...) log_msg((l), LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(l, ...) log_msg((l), LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(l, ...) log_msg((l), LOG_LEVEL_DEBUG, __VA_ARGS__)
static inline int log_enabled(const struct log_ctx *log, enum log_level level)
{
    return log != NULL && level <= log->level;
}

/* Writes "a:" and 12 hex digits of a keyed hash of the address (ip only,
 * not port) into buf and returns buf. Safe to print. */
const char *log_addr_token(struct log_ctx *log, const struct umbra_addr *addr,
                           char buf[LOG_TOKEN_LEN]);
/* The same for any identifier that must not appear in clear. */
const char *log_token(struct log_ctx *log, const void *data, size_t len, char buf[LOG_TOKEN_LEN]);

#endif
