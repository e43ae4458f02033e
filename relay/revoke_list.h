/* revoke_list: call ids whose TURN credentials were revoked, shared by all
 * worker threads. A revoked call id stays refused until its hold time
 * passes (revoke-hold; credentials that the broker issues live shorter).
 *
 * Thread-safe (one mutex): it is read on authenticated requests only, never
 * per relayed packet. Entries are keyed by a keyed hash of the call id and
 * keep the id itself only to compare; nothing is logged. */
#ifndef UMBRA_REVOKE_LIST_H
#define UMBRA_REVOKE_LIST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "htab.h"

#define REVOKE_ID_MAX 128
#define REVOKE_LIST_MAX 100000

struct revoke_list {
    pthread_mutex_t lock;
    struct htab h;
    unsigned char key[HTAB_HASH_KEY_BYTES];
};

int revoke_list_init(struct revoke_list *l);
void revoke_list_free(struct revoke_list *l);
/* Adds or extends. Returns 0, or -1 (id too long, list full, no memory). */
int revoke_list_add(struct revoke_list *l, const char *id, size_t len, int64_t now, int64_t until);
bool revoke_list_contains(struct revoke_list *l, const char *id, size_t len, int64_t now);

#endif
