/* htab: an intrusive chained hash table for the relay's per-thread tables.
 *
 * Entries embed a struct htab_node; the table owns no entry memory, only its
 * bucket array. The caller computes hashes (with a keyed hash, so clients
 * cannot choose colliding keys) and supplies the equality test at lookup.
 * Not thread-safe: each table belongs to one thread. Lookups and removals
 * never allocate; insertion may grow the bucket array. */
#ifndef UMBRA_HTAB_H
#define UMBRA_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab_node {
    struct htab_node *next;
    uint64_t hash;
};

struct htab {
    struct htab_node **buckets;
    size_t n_buckets; /* a power of two */
    size_t count;
};

typedef int (*htab_eq_fn)(const struct htab_node *node, const void *key);

/* The keyed hash (SipHash, libsodium) of a byte string, for tables keyed by
 * names: the key is random per table so clients cannot choose collisions. */
#define HTAB_HASH_KEY_BYTES 16
uint64_t htab_hash_bytes(const unsigned char key[HTAB_HASH_KEY_BYTES], const void *data,
                         size_t len);

int htab_init(struct htab *h, size_t n_buckets_hint);
/* Frees the bucket array only; entries must have been removed or are
 * owned elsewhere. */
void htab_free(struct htab *h);
/* Returns 0, or -1 when growing failed (the node is still inserted). */
int htab_insert(struct htab *h, struct htab_node *node, uint64_t hash);
struct htab_node *htab_find(const struct htab *h, uint64_t hash, htab_eq_fn eq, const void *key);
void htab_remove(struct htab *h, struct htab_node *node);

/* Iteration that tolerates removal of the current node. */
struct htab_iter {
    const struct htab *h;
    size_t bucket;
    struct htab_node *next;
};
void htab_iter_init(struct htab_iter *it, const struct htab *h);
struct htab_node *htab_iter_next(struct htab_iter *it);

#define htab_entry(node, type, member) ((type *)((char *)(node)-offsetof(type, member)))

#endif
