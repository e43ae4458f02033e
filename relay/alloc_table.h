/* alloc_table: a worker's allocations keyed by 5-tuple (client address and
 * the socket or connection it came through) and by relayed address, with
 * expiry sweeps and revocation. Owned by one worker thread; lookups never allocate. */
#ifndef UMBRA_ALLOC_TABLE_H
#define UMBRA_ALLOC_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "htab.h"

struct allocation;

struct alloc_table {
    struct htab h;                 /* by 5-tuple */
    struct htab relayed;           /* by relayed address */
    const unsigned char *hash_key; /* not owned */
};

int alloc_table_init(struct alloc_table *t, const unsigned char *hash_key);
/* Deletes every allocation, then frees the table. */
void alloc_table_free(struct alloc_table *t);
struct allocation *alloc_table_find(const struct alloc_table *t, const struct umbra_addr *client,
                                    const void *via);
/* The allocation of this worker whose relayed address is addr, or NULL. */
struct allocation *alloc_table_find_relayed(const struct alloc_table *t,
                                            const struct umbra_addr *addr);
void alloc_table_insert(struct alloc_table *t, struct allocation *a);
/* Removes a from the table, detaches it from its connection, frees it. */
void alloc_table_delete(struct alloc_table *t, struct allocation *a);
/* Ends expired allocations and drops expired permissions and channels.
 * Returns the number of allocations ended. */
size_t alloc_table_sweep(struct alloc_table *t, int64_t now);
/* Ends every allocation whose REST username carries this call id. */
size_t alloc_table_revoke(struct alloc_table *t, const char *id, size_t len);

#endif
