/* permission: the permissions of one allocation (RFC 8656 §9), keyed by
 * peer IP address (ports do not matter), each expiring PERM_LIFETIME
 * seconds after it was last installed or refreshed.
 *
 * Pure bookkeeping: times are passed in (monotonic seconds), nothing here
 * does I/O. A table belongs to its allocation and thread. perm_find() never
 * allocates, so the packet path may call it. */
#ifndef UMBRA_PERMISSION_H
#define UMBRA_PERMISSION_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "htab.h"

#define PERM_LIFETIME 300

struct perm_table {
    struct htab h;
    const unsigned char *hash_key; /* ADDR_HASH_KEY_BYTES, not owned */
};

int perm_table_init(struct perm_table *t, const unsigned char *hash_key);
void perm_table_free(struct perm_table *t);
/* Installs or refreshes the permission for peer's IP. Returns 1 when a new
 * permission was made, 0 when one was refreshed, -1 when out of memory. */
int perm_install(struct perm_table *t, const struct umbra_addr *peer, int64_t now);
/* True when a live permission covers peer's IP. */
bool perm_allows(const struct perm_table *t, const struct umbra_addr *peer, int64_t now);
/* Removes expired permissions; returns how many. */
size_t perm_expire(struct perm_table *t, int64_t now);
/* Entries held, expired ones not yet removed included. */
size_t perm_count(const struct perm_table *t);
/* True when an entry for peer's IP is held, live or expired (installing
 * it again makes no new entry). */
bool perm_known(const struct perm_table *t, const struct umbra_addr *peer);

#endif
