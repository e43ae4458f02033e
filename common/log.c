/* log: see log.h. */
#include "log.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_init(struct log_ctx *log, const char *prog, enum log_level level, FILE *out)
{
    memset(log, 0, sizeof(*log));
    log->level = level;
    log->out = out;
    log->prog = prog;
    pthread_mutex_init(&log->lock, NULL);
    /* sodium_malloc needs sodium_init(), which may run more than once. */
    log->token_key = sodium_init() >= 0 ? sodium_malloc(LOG_TOKEN_KEY_BYTES) : NULL;
    if (log->token_key == NULL) {
        fprintf(stderr, "%s: no memory for the log token key\n", prog);
        abort();
    }
    randombytes_buf(log->token_key, LOG_TOKEN_KEY_BYTES);
    log->token_key_born = time(NULL);
}

void log_free(struct log_ctx *log)
{
    sodium_free(log->token_key); /* wipes */
    log->token_key = NULL;
    pthread_mutex_destroy(&log->lock);
}

void log_msg(struct log_ctx *log, enum log_level level, const char *fmt, ...)
{
    char stamp[32];
    struct tm tm;
    time_t now;
    va_list ap;

    if (!log_enabled(log, level))
        return;
    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    pthread_mutex_lock(&log->lock);
    fprintf(log->out, "%s %s[%s] ", stamp, log->prog, level_names[level]);
    va_start(ap, fmt);
    vfprintf(log->out, fmt, ap);
    va_end(ap);
    fputc('\n', log->out);
    fflush(log->out);
    pthread_mutex_unlock(&log->lock);
}

const char *log_token(struct log_ctx *log, const void *data, size_t len, char buf[LOG_TOKEN_LEN])
{
    unsigned char h[crypto_generichash_BYTES_MIN];
    time_t now = time(NULL);

    pthread_mutex_lock(&log->lock);
    if (now - log->token_key_born >= LOG_TOKEN_ROTATE_SECONDS) {
        randombytes_buf(log->token_key, LOG_TOKEN_KEY_BYTES);
        log->token_key_born = now;
    }
    crypto_generichash(h, sizeof(h), data, len, log->token_key, LOG_TOKEN_KEY_BYTES);
    pthread_mutex_unlock(&log->lock);
    buf[0] = 'a';
    buf[1] = ':';
    sodium_bin2hex(buf + 2, LOG_TOKEN_LEN - 2, h, 6);
    return buf;
}

const char *log_addr_token(struct log_ctx *log, const struct umbra_addr *addr,
                           char buf[LOG_TOKEN_LEN])
{
    size_t n;
    const uint8_t *ip = addr_ip_bytes(addr, &n);
    return log_token(log, ip, n, buf);
}
