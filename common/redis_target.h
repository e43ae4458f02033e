/* redis_target: where the Redis master is right now.
 *
 * Either a fixed address (the `redis` key) or a master found through Redis
 * Sentinel (`redis-sentinel` and `redis-master-name`): each sentinel in turn
 * is asked SENTINEL get-master-addr-by-name, with one time budget for the
 * whole round, and optionally the answer is checked with ROLE. Sentinels
 * are meant for reconnect paths, which run rarely; a resolution blocks the
 * calling thread for at most the budget given to redis_target_resolve().
 *
 * The parsing half (redis_target_add_sentinels, redis_target_set_name) is
 * pure and is what configuration setters call; struct redis_sentinels owns
 * no heap memory and may be embedded in a config struct.
 * A struct redis_target is used by one thread; it copies what it is given.
 * Nothing here logs an address (log lines name a sentinel by its index). */
#ifndef UMBRA_REDIS_TARGET_H
#define UMBRA_REDIS_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define REDIS_TARGET_MAX_SENTINELS 8
#define REDIS_TARGET_HOST_MAX 256
#define REDIS_TARGET_NAME_MAX 128

#define REDIS_TARGET_ENONE (-1) /* no sentinel named a master (that is one) */

struct redis_node {
    char host[REDIS_TARGET_HOST_MAX]; /* a unix socket path when port is 0 */
    uint16_t port;
};

/* What the configuration says about Sentinel. n == 0: not used. */
struct redis_sentinels {
    size_t n;
    struct redis_node node[REDIS_TARGET_MAX_SENTINELS];
    char master_name[REDIS_TARGET_NAME_MAX];
};

/* Adds "HOST:PORT" or a comma-separated list of them ("[V6]:PORT" too).
 * All or nothing: on error s is unchanged. 0 or -1 with a reason in err. */
int redis_target_add_sentinels(struct redis_sentinels *s, const char *value, char *err,
                               size_t errlen);
/* The master's name as the sentinels know it (letters, digits, . _ -). */
int redis_target_set_name(struct redis_sentinels *s, const char *value, char *err, size_t errlen);
/* Both keys together or neither. 0 or -1 with a reason in err. */
int redis_target_check(const struct redis_sentinels *s, char *err, size_t errlen);

struct redis_target {
    struct redis_node fixed; /* used when sentinels.n == 0 */
    struct redis_sentinels sentinels;
    bool verify_role;       /* resolve() also asks the master for ROLE */
    size_t first;           /* the sentinel that answered last is asked first */
    struct log_ctx *log;    /* not owned; may be NULL */
    struct redis_node last; /* last resolved master (to log changes only) */
};

/* Fills t. host/port: the fixed address (used without sentinels); s may be
 * NULL or empty. */
void redis_target_init(struct redis_target *t, const char *host, uint16_t port,
                       const struct redis_sentinels *s, bool verify_role, struct log_ctx *log);
static inline bool redis_target_uses_sentinels(const struct redis_target *t)
{
    return t->sentinels.n > 0;
}
/* The master's address into out. Without sentinels: the fixed address, no
 * I/O. With sentinels: asks them in turn (blocking), in at most budget_ms
 * in all; each sentinel gets a share so one that hangs does not starve the
 * others. 0, or REDIS_TARGET_ENONE. */
int redis_target_resolve(struct redis_target *t, unsigned budget_ms, struct redis_node *out);

#endif
