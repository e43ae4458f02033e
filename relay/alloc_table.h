/* alloc_table: a worker's allocations keyed by 5-tuple (client address and
 * the transport it came through) and by relayed address. A pure
 * container: it never frees an allocation; removing ones (expiry, a
 * revoked call, the end) hands each to the caller's end callback after
 * unlinking it. Owned by one worker thread; lookups never allocate.
 *
 * Layer 2: uses allocation (its keys and hooks), htab, addr. */
#ifndef UMBRA_ALLOC_TABLE_H
#define UMBRA_ALLOC_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "htab.h"

struct allocation;
struct client_transport;

struct alloc_table {
    struct htab h;                 /* by 5-tuple */
    struct htab relayed;           /* by relayed address */
    const unsigned char *hash_key; /* not owned */
};

/* Called for an allocation just removed from the table: the caller ends
 * it. */
typedef void (*alloc_table_end_fn)(void *ctx, struct allocation *a);

int alloc_table_init(struct alloc_table *t, const unsigned char *hash_key);
/* Removes every allocation (each to end), then frees the table. */
void alloc_table_free(struct alloc_table *t, alloc_table_end_fn end, void *ctx);
struct allocation *alloc_table_find(const struct alloc_table *t, const struct umbra_addr *client,
                                    const struct client_transport *transport);
/* The allocation of this worker whose relayed address is addr, or NULL. */
struct allocation *alloc_table_find_relayed(const struct alloc_table *t,
                                            const struct umbra_addr *addr);
void alloc_table_insert(struct alloc_table *t, struct allocation *a);
/* Unlinks a from the table; a stays valid. */
void alloc_table_remove(struct alloc_table *t, struct allocation *a);
/* Removes expired allocations (each to end) and drops expired permissions
 * and channels of the others. Returns the number removed. */
size_t alloc_table_sweep(struct alloc_table *t, int64_t now, alloc_table_end_fn end, void *ctx);
/* Removes (each to end) every allocation whose REST username carries this
 * call id. Returns the number removed. */
size_t alloc_table_revoke(struct alloc_table *t, const char *id, size_t len, alloc_table_end_fn end,
                          void *ctx);

#endif
