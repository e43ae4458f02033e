/* keys: the broker key (32 bytes from broker-key-file, 64 hex digits) and
 * the subkeys derived from it with crypto_kdf, one per purpose, so a hash
 * made for one purpose says nothing about another.
 *
 * keys_hash() is the keyed hash (BLAKE2b, 128 bits, hex) the broker uses
 * for everything it must find again without keeping it in clear: bearer
 * tokens, party secrets, DTLS fingerprints, the names of ended calls'
 * tombstones. keys_clear() wipes all keys. */
#ifndef UMBRA_BROKER_KEYS_H
#define UMBRA_BROKER_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_BYTES 32
#define KEYS_HASH_HEX 33 /* 16 bytes as hex + NUL */

struct keys {
    uint8_t pseudonym[KEYS_BYTES];
    uint8_t token[KEYS_BYTES];
    uint8_t fingerprint[KEYS_BYTES];
    uint8_t secret[KEYS_BYTES];
    uint8_t call[KEYS_BYTES];
};

int keys_load(const char *path, struct keys *out, char *err, size_t errlen);
void keys_derive(const uint8_t master[KEYS_BYTES], struct keys *out);
void keys_clear(struct keys *k);
void keys_hash(const uint8_t key[KEYS_BYTES], const void *data, size_t len,
               char out[KEYS_HASH_HEX]);

#endif
