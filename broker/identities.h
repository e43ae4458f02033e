/* identities: surrogate identities (draft-copeland §5.5.2, §8.1, §8.3).
 *
 * An identity is a random 128-bit surrogate key, found through an opaque
 * bearer token that only its owner holds. Redis keeps
 *   umbra:id:<H(token)>   hash {sk, g:<H(context)> = rotation count}
 *   umbra:pn:<pseudonym>  H(token), so the broker alone maps back
 * both with identity-ttl, refreshed on use; the token itself is never stored.
 * A pseudonym is BLAKE2b-128 keyed with the broker's pseudonym key over
 * (surrogate key, rotation count, context), base64url: without that key two
 * pseudonyms of one identity cannot be linked, nor the surrogate key found.
 * Functions return 0 or a broker_status. */
#ifndef UMBRA_BROKER_IDENTITIES_H
#define UMBRA_BROKER_IDENTITIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "store.h"

#define IDENTITIES_SK_BYTES 16
#define IDENTITIES_TOKEN_LEN 44     /* base64url of 32 bytes (43) + NUL */
#define IDENTITIES_PSEUDONYM_LEN 23 /* base64url of 16 bytes (22) + NUL */
#define IDENTITIES_CONTEXT_MAX 256

struct identities {
    struct store *store;
    const struct keys *keys;
    unsigned ttl;
};

/* Pure: the pseudonym of surrogate key sk for context after `rotations`. */
void identities_pseudonym(const uint8_t key[KEYS_BYTES], const uint8_t sk[IDENTITIES_SK_BYTES],
                          uint64_t rotations, const char *context, size_t clen,
                          char out[IDENTITIES_PSEUDONYM_LEN]);
/* A random pseudonym for one call of an undetectable caller; it has the
 * form of every other pseudonym and maps to no identity. */
void identities_one_call_pseudonym(char out[IDENTITIES_PSEUDONYM_LEN]);
/* True when text has the form of a token (or pseudonym): base64url of
 * the right length. Checked before any lookup. */
bool identities_token_valid(const char *text);
bool identities_pseudonym_valid(const char *text);

int identities_create(struct identities *ids, char token[IDENTITIES_TOKEN_LEN]);
/* Asked before a pseudonym is written for a context that has no live one
 * (a new umbra:pn key, which lives for identity-ttl): 0 lets it be
 * written; any broker_status refuses the request with nothing written,
 * and identities_pseudonym_for returns it. */
struct identities_admit {
    int (*fn)(void *arg);
    void *arg;
};
/* The pseudonym of the token's identity for context; records the reverse
 * mapping. rotate first bumps the context's rotation count and forgets the
 * previous pseudonym (new only when there was none live). admit may be
 * NULL (every context is written; one more round trip when not NULL).
 * ENOTFOUND for an unknown token. */
int identities_pseudonym_for(struct identities *ids, const char *token, const char *context,
                             bool rotate, const struct identities_admit *admit,
                             char out[IDENTITIES_PSEUDONYM_LEN]);
/* The same for a reader (pending calls): a context without a live
 * pseudonym gets its pseudonym computed but not written, so reading
 * creates nothing; a live one has both TTLs refreshed. */
int identities_pseudonym_peek(struct identities *ids, const char *token, const char *context,
                              char out[IDENTITIES_PSEUDONYM_LEN]);
/* The same in two steps, so a caller can fold the writes into its own
 * pipeline: identities_resolve reads (one round trip, which also answers
 * EXISTS also_exists when that is not NULL); identities_record appends the
 * reverse mapping and the TTL refresh to b. The strings b points at live
 * in *r. No rotation here. */
struct identities_resolved {
    char pseudonym[IDENTITIES_PSEUDONYM_LEN];
    char pn_key[96], id_key[96], tokhash[KEYS_HASH_HEX], ttl[16];
};
int identities_resolve(struct identities *ids, const char *token, const char *context,
                       const char *also_exists, bool *exists, struct identities_resolved *r);
void identities_record(const struct identities_resolved *r, struct store_batch *b);
/* 0 when pseudonym belongs to the identity of token; EAUTH otherwise. */
int identities_owns(struct identities *ids, const char *token, const char *pseudonym);

#endif
