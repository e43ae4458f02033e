/* keys: see keys.h. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"

#define KEYS_CONTEXT "umbrabrk" /* crypto_kdf contexts are 8 bytes */

void keys_derive(const uint8_t master[KEYS_BYTES], struct keys *out)
{
    crypto_kdf_derive_from_key(out->pseudonym, KEYS_BYTES, 1, KEYS_CONTEXT, master);
    crypto_kdf_derive_from_key(out->token, KEYS_BYTES, 2, KEYS_CONTEXT, master);
    crypto_kdf_derive_from_key(out->fingerprint, KEYS_BYTES, 3, KEYS_CONTEXT, master);
    crypto_kdf_derive_from_key(out->secret, KEYS_BYTES, 4, KEYS_CONTEXT, master);
    crypto_kdf_derive_from_key(out->call, KEYS_BYTES, 5, KEYS_CONTEXT, master);
}

int keys_load(const char *path, struct keys *out, char *err, size_t errlen)
{
    char line[256];
    char iobuf[512]; /* stdio's own buffer would keep the key after fclose */
    uint8_t master[KEYS_BYTES];
    size_t bin_len = 0, n;
    const char *end = NULL;
    FILE *f = fopen(path, "r");
    int rc = -1;

    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
    if (fgets(line, sizeof(line), f) == NULL) {
        snprintf(err, errlen, "%s: empty", path);
        goto done;
    }
    n = strcspn(line, "\r\n");
    line[n] = '\0';
    if (n != 2 * KEYS_BYTES ||
        sodium_hex2bin(master, sizeof(master), line, n, NULL, &bin_len, &end) != 0 ||
        bin_len != KEYS_BYTES || *end != '\0') {
        snprintf(err, errlen, "%s:1: expected 64 hex digits", path);
        goto done;
    }
    keys_derive(master, out);
    rc = 0;
done:
    sodium_memzero(line, sizeof(line));
    sodium_memzero(master, sizeof(master));
    fclose(f);
    sodium_memzero(iobuf, sizeof(iobuf));
    return rc;
}

void keys_clear(struct keys *k)
{
    sodium_memzero(k, sizeof(*k));
}

void keys_hash(const uint8_t key[KEYS_BYTES], const void *data, size_t len, char out[KEYS_HASH_HEX])
{
    uint8_t h[16];
    crypto_generichash(h, sizeof(h), data, len, key, KEYS_BYTES);
    sodium_bin2hex(out, KEYS_HASH_HEX, h, sizeof(h));
}
