/* fake_store: a recording stand-in for broker/store.c, linked into the
 * handler fuzz target (fuzz_broker_calls) instead of it, and nowhere else.
 * It speaks no Redis and makes no connection.
 *
 * It implements store.h: store_batch_add and store_cmd fill a struct
 * store_batch exactly as the real store does, and store_batch_run aborts,
 * with a message naming the limit, wherever the batch overflowed (more
 * than STORE_BATCH_MAX commands or a command of more than STORE_ARGV_MAX
 * arguments), where the real one refuses the request with STORE_EBATCH:
 * a bound a handler got wrong. It checks what the real one cannot: every
 * argument is a string, every key is under "umbra:".
 *
 * Every command run is recorded (copies of its arguments) until
 * fake_store_reset; the replies come from the script: one live call whose
 * hash is script.call (name, value pairs), its tombstone, the owner of
 * fingerprints and pseudonyms, and a command (counted from 1 since the
 * reset) whose batch fails with STORE_EDOWN or STORE_EREPLY. A command it
 * has no reply for aborts, so the fake is kept in step with the handlers.
 * One store per thread; not for production. */
#ifndef UMBRA_FUZZ_FAKE_STORE_H
#define UMBRA_FUZZ_FAKE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

#define FAKE_STORE_FIELDS 32

struct fake_store_script {
    const char *call_id;                         /* the live call, or NULL */
    const char *call[2 * FAKE_STORE_FIELDS + 1]; /* its hash: name, value, ..., NULL */
    bool tombstone;                              /* EXISTS umbra:end:* answers 1 */
    const char *fp_owner;                        /* GET umbra:fp:*: the owner recorded, NULL: nil */
    const char *pn_owner;                        /* GET umbra:pn:*: H(token), NULL: nil */
    const char *sk_hex;                          /* HGET umbra:id:* sk, NULL: nil */
    bool accept_lost;                            /* HSETNX answers 0 */
    bool pn_missing;                             /* EXISTS umbra:pn:* answers 0 */
    const char *events[4];                       /* LRANGE of a queue: up to 4 events, NULL-ended */
    size_t fail_at;                              /* the batch holding this command fails; 0: none */
    int fail_rc;                                 /* STORE_EDOWN or STORE_EREPLY */
};

/* One recorded command: argc arguments, each a malloc'd copy. */
struct fake_store_cmd {
    int argc;
    char *argv[STORE_ARGV_MAX];
    size_t batch; /* which batch it came in, from 1 */
    bool failed;  /* its batch was failed by the script */
};

/* The fake's own handle: store_new and store_new_target also work (with
 * an empty script). */
struct store *fake_store_new(void);
/* Replaces the script; the strings must outlive the commands run. */
void fake_store_script(struct store *st, const struct fake_store_script *s);
/* Forgets the commands recorded (and restarts the count of fail_at). */
void fake_store_reset(struct store *st);
size_t fake_store_count(const struct store *st);
const struct fake_store_cmd *fake_store_get(const struct store *st, size_t i);
/* The most commands one batch has held since the reset. */
size_t fake_store_largest_batch(const struct store *st);
/* True for a command that changes what Redis holds or tells (PUBLISH). */
bool fake_store_is_write(const struct fake_store_cmd *c);

#endif
