/* fleet_mac: the seal on a fleet record (common/fleet_keys.h), so that only
 * a holder of the TURN REST secret can announce a relay.
 *
 * The fleet key is BLAKE2b-256 of a fixed context string and one REST
 * secret; a record is sealed with HMAC-SHA512-256 (crypto_auth) under the
 * key of the first secret and opened with any of them, so an operator
 * rotates secrets as for credentials. A sealed record is the text
 *   "umbra-fleet-1:" <64 hex digits of the MAC> ":" <record JSON>
 * where the MAC covers the relay id it is stored under (the key's suffix)
 * and the JSON. Keys live in guarded memory (sodium_malloc) and are wiped
 * by fleet_mac_keys_free(). Pure apart from that allocation; no logging. */
#ifndef UMBRA_FLEET_MAC_H
#define UMBRA_FLEET_MAC_H

#include <stddef.h>
#include <stdint.h>

#include "turn_rest.h"

#define FLEET_MAC_KEY_BYTES 32
#define FLEET_MAC_PREFIX "umbra-fleet-1:"
/* The seal before the JSON: prefix, 64 hex digits and ':'. */
#define FLEET_MAC_HEAD_LEN (sizeof(FLEET_MAC_PREFIX) - 1 + 64 + 1)

struct fleet_mac_keys {
    size_t count; /* 0: no secret, nothing can be sealed or opened */
    uint8_t key[TURN_REST_SECRETS_MAX][FLEET_MAC_KEY_BYTES];
};

/* An empty set in guarded memory, or NULL when out of memory. */
struct fleet_mac_keys *fleet_mac_keys_new(void);
/* Wipes and releases; NULL is fine. */
void fleet_mac_keys_free(struct fleet_mac_keys *k);
/* Replaces k's keys by those of secrets (NULL: none). */
void fleet_mac_keys_derive(struct fleet_mac_keys *k, const struct turn_rest_secrets *secrets);

/* The sealed text of json stored under relay id (malloc'd, NUL-terminated),
 * or NULL when k holds no key or out of memory. */
char *fleet_mac_seal(const struct fleet_mac_keys *k, const char *id, const char *json);
/* Checks a sealed text stored under relay id; on success *json and *jlen
 * point into text at the record's JSON. 0, or -1 when the text is not
 * sealed, the MAC fails under every key, or k holds none. */
int fleet_mac_open(const struct fleet_mac_keys *k, const char *id, const char *text, size_t len,
                   const char **json, size_t *jlen);

#endif
