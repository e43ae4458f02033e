/* fleet_mac: see fleet_mac.h. */
#include "fleet_mac.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(FLEET_MAC_KEY_BYTES == crypto_auth_KEYBYTES, "crypto_auth key size");
_Static_assert(crypto_auth_BYTES * 2 == 64, "64 hex digits in the seal");

/* Fixed: a key for fleet records never equals one for anything else
 * derived from the same secret. */
static const char fleet_mac_context[] = "umbra fleet record key v1";

struct fleet_mac_keys *fleet_mac_keys_new(void)
{
    struct fleet_mac_keys *k = sodium_malloc(sizeof(*k));
    if (k != NULL)
        sodium_memzero(k, sizeof(*k));
    return k;
}

void fleet_mac_keys_free(struct fleet_mac_keys *k)
{
    if (k != NULL)
        sodium_free(k); /* wipes */
}

void fleet_mac_keys_derive(struct fleet_mac_keys *k, const struct turn_rest_secrets *secrets)
{
    sodium_memzero(k, sizeof(*k));
    for (size_t i = 0; secrets != NULL && i < secrets->count; i++) {
        crypto_generichash_state st;
        crypto_generichash_init(&st, NULL, 0, FLEET_MAC_KEY_BYTES);
        crypto_generichash_update(&st, (const unsigned char *)fleet_mac_context,
                                  sizeof(fleet_mac_context));
        crypto_generichash_update(&st, secrets->bytes[i], secrets->len[i]);
        crypto_generichash_final(&st, k->key[i], FLEET_MAC_KEY_BYTES);
        sodium_memzero(&st, sizeof(st));
        k->count++;
    }
}

/* MAC of id, a NUL, then json: the id cannot be moved into the JSON. */
static void mac_of(const uint8_t key[FLEET_MAC_KEY_BYTES], const char *id, const char *json,
                   size_t jlen, unsigned char out[crypto_auth_BYTES])
{
    crypto_auth_hmacsha512256_state st;
    crypto_auth_hmacsha512256_init(&st, key, FLEET_MAC_KEY_BYTES);
    crypto_auth_hmacsha512256_update(&st, (const unsigned char *)id, strlen(id) + 1);
    crypto_auth_hmacsha512256_update(&st, (const unsigned char *)json, jlen);
    crypto_auth_hmacsha512256_final(&st, out);
    sodium_memzero(&st, sizeof(st));
}

char *fleet_mac_seal(const struct fleet_mac_keys *k, const char *id, const char *json)
{
    size_t jlen = strlen(json), plen = sizeof(FLEET_MAC_PREFIX) - 1;
    unsigned char mac[crypto_auth_BYTES];
    char *out;
    if (k == NULL || k->count == 0)
        return NULL;
    out = malloc(FLEET_MAC_HEAD_LEN + jlen + 1);
    if (out == NULL)
        return NULL;
    mac_of(k->key[0], id, json, jlen, mac);
    memcpy(out, FLEET_MAC_PREFIX, plen);
    sodium_bin2hex(out + plen, 2 * sizeof(mac) + 1, mac, sizeof(mac));
    out[FLEET_MAC_HEAD_LEN - 1] = ':';
    memcpy(out + FLEET_MAC_HEAD_LEN, json, jlen + 1);
    return out;
}

int fleet_mac_open(const struct fleet_mac_keys *k, const char *id, const char *text, size_t len,
                   const char **json, size_t *jlen)
{
    size_t plen = sizeof(FLEET_MAC_PREFIX) - 1, got_len;
    unsigned char got[crypto_auth_BYTES], want[crypto_auth_BYTES];
    if (k == NULL || k->count == 0 || len < FLEET_MAC_HEAD_LEN ||
        memcmp(text, FLEET_MAC_PREFIX, plen) != 0 || text[FLEET_MAC_HEAD_LEN - 1] != ':')
        return -1;
    if (sodium_hex2bin(got, sizeof(got), text + plen, 2 * sizeof(got), NULL, &got_len, NULL) != 0 ||
        got_len != sizeof(got))
        return -1;
    for (size_t i = 0; i < k->count; i++) {
        mac_of(k->key[i], id, text + FLEET_MAC_HEAD_LEN, len - FLEET_MAC_HEAD_LEN, want);
        if (sodium_memcmp(got, want, sizeof(got)) == 0) {
            *json = text + FLEET_MAC_HEAD_LEN;
            *jlen = len - FLEET_MAC_HEAD_LEN;
            return 0;
        }
    }
    return -1;
}
