/* turn_rest: see turn_rest.h. */
#include "turn_rest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int turn_rest_secrets_load(const char *path, struct turn_rest_secrets *out, char *err,
                           size_t errlen)
{
    struct turn_rest_secrets *s = turn_rest_secrets_new();
    char line[TURN_REST_SECRET_MAX + 3]; /* the secret, "\r\n", NUL */
    char iobuf[4096]; /* stdio's own buffer would keep the secrets after fclose */
    unsigned lineno = 0;
    FILE *f;

    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        turn_rest_secrets_free(s);
        return -1;
    }
    setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t n = strlen(line);
        lineno++;
        if (n > 0 && line[n - 1] != '\n' && !feof(f)) {
            snprintf(err, errlen, "%s:%u: secret longer than %d bytes", path, lineno,
                     TURN_REST_SECRET_MAX);
            goto fail;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        /* Checked here, not left to what fgets() read: a slot holds
         * TURN_REST_SECRET_MAX bytes. */
        if (n > TURN_REST_SECRET_MAX) {
            snprintf(err, errlen, "%s:%u: secret longer than %d bytes", path, lineno,
                     TURN_REST_SECRET_MAX);
            goto fail;
        }
        if (s->count == TURN_REST_SECRETS_MAX) {
            snprintf(err, errlen, "%s:%u: more than %d secrets", path, lineno,
                     TURN_REST_SECRETS_MAX);
            goto fail;
        }
        memcpy(s->bytes[s->count], line, n);
        s->len[s->count++] = n;
    }
    fclose(f);
    sodium_memzero(iobuf, sizeof(iobuf));
    sodium_memzero(line, sizeof(line));
    if (s->count == 0) {
        snprintf(err, errlen, "%s: no secret in file", path);
        turn_rest_secrets_free(s);
        return -1;
    }
    turn_rest_secrets_clear(out);
    memcpy(out, s, sizeof(*s));
    turn_rest_secrets_free(s);
    return 0;
fail:
    fclose(f);
    sodium_memzero(iobuf, sizeof(iobuf));
    sodium_memzero(line, sizeof(line));
    turn_rest_secrets_free(s);
    return -1;
}

void turn_rest_secrets_clear(struct turn_rest_secrets *s)
{
    sodium_memzero(s, sizeof(*s));
}

struct turn_rest_secrets *turn_rest_secrets_new(void)
{
    /* sodium_malloc needs sodium_init(), which may run more than once. */
    struct turn_rest_secrets *s = sodium_init() >= 0 ? sodium_malloc(sizeof(*s)) : NULL;
    if (s != NULL)
        sodium_memzero(s, sizeof(*s));
    return s;
}

void turn_rest_secrets_free(struct turn_rest_secrets *s)
{
    sodium_free(s);
}

/* sodium_bin2base64() aborts (sodium_misuse) when out is too small: the
 * base64 of an HMAC-SHA1 must fit, whatever the username. */
_Static_assert(sodium_base64_ENCODED_LEN(20, sodium_base64_VARIANT_ORIGINAL) <=
                   TURN_REST_PASSWORD_MAX,
               "TURN_REST_PASSWORD_MAX holds base64(HMAC-SHA1) and its NUL");

int turn_rest_password(const uint8_t *secret, size_t secret_len, const char *username, size_t ulen,
                       char out[TURN_REST_PASSWORD_MAX])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (secret_len > INT_MAX ||
        HMAC(EVP_sha1(), secret, (int)secret_len, (const unsigned char *)username, ulen, mac,
             &mac_len) == NULL ||
        mac_len != 20) {
        sodium_memzero(mac, sizeof(mac));
        out[0] = '\0';
        return -1;
    }
    sodium_bin2base64(out, TURN_REST_PASSWORD_MAX, mac, mac_len, sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(mac, sizeof(mac));
    return 0;
}

int turn_rest_expiry(const char *username, size_t ulen, int64_t *expiry)
{
    int64_t v = 0;
    size_t i;
    for (i = 0; i < ulen && username[i] != ':'; i++) {
        if (username[i] < '0' || username[i] > '9' || i >= 18)
            return -1;
        v = v * 10 + (username[i] - '0');
    }
    if (i == 0)
        return -1;
    *expiry = v;
    return 0;
}

#define TR_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TR_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define TR_PLAIN (3 + TURN_REST_CALL_ID_MAX)
#define TR_SEALED (TR_NONCE + TR_PLAIN + TR_TAG)
#define TR_KEY crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define TR_EXPIRY_MAX INT64_C(999999999999999999) /* the 18 digits turn_rest_expiry() reads */

_Static_assert(sodium_base64_ENCODED_LEN(TR_SEALED, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
                   TURN_REST_TOKEN_CHARS + 1,
               "TURN_REST_TOKEN_CHARS is the base64url length of a sealed token");
_Static_assert(TURN_REST_CALL_ID_MAX <= UINT8_MAX, "the call id length fits its byte");

/* The token key: BLAKE2b-256 of the secret, personalised, so it is neither
 * the HMAC key nor any other key umbra derives from the secret. */
static void tr_user_key(const uint8_t *secret, size_t secret_len, uint8_t key[TR_KEY])
{
    unsigned char personal[crypto_generichash_blake2b_PERSONALBYTES];
    memcpy(personal, "umbra turn user1", sizeof(personal));
    crypto_generichash_blake2b_salt_personal(key, TR_KEY, secret, secret_len, NULL, 0, NULL,
                                             personal);
}

static bool tr_call_id_ok(const char *id, size_t len)
{
    if (len == 0 || len > TURN_REST_CALL_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (id[i] < 0x21 || id[i] > 0x7e || id[i] == ':')
            return false;
    return true;
}

int turn_rest_seal(const uint8_t *secret, size_t secret_len, int64_t expiry,
                   const struct turn_rest_claims *c, char *out, size_t cap)
{
    uint8_t key[TR_KEY], plain[TR_PLAIN], sealed[TR_SEALED];
    size_t id_len = strnlen(c->call_id, sizeof(c->call_id));
    int head;

    if (cap > 0)
        out[0] = '\0';
    if (expiry < 0 || expiry > TR_EXPIRY_MAX || c->party > TURN_REST_CALLEE ||
        id_len != c->call_id_len || !tr_call_id_ok(c->call_id, id_len))
        return -1;
    head = snprintf(out, cap, "%" PRId64 ":", expiry);
    if (head < 0 || (size_t)head + TURN_REST_TOKEN_CHARS + 1 > cap) {
        if (cap > 0)
            out[0] = '\0';
        return -1;
    }
    memset(plain, 0, sizeof(plain));
    plain[0] = TURN_REST_TOKEN_VERSION;
    plain[1] = c->party;
    plain[2] = (uint8_t)id_len;
    memcpy(plain + 3, c->call_id, id_len);
    randombytes_buf(sealed, TR_NONCE);
    tr_user_key(secret, secret_len, key);
    crypto_aead_xchacha20poly1305_ietf_encrypt(sealed + TR_NONCE, NULL, plain, sizeof(plain),
                                               (const unsigned char *)out, (size_t)head, NULL,
                                               sealed, key);
    sodium_bin2base64(out + head, cap - (size_t)head, sealed, sizeof(sealed),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(key, sizeof(key));
    sodium_memzero(plain, sizeof(plain));
    return 0;
}

/* Checks the opened plaintext and copies it out; -1 when it is not one
 * turn_rest_seal() writes. */
static int tr_claims_of(const uint8_t plain[TR_PLAIN], struct turn_rest_claims *out)
{
    size_t len = plain[2];
    if (plain[0] != TURN_REST_TOKEN_VERSION || plain[1] > TURN_REST_CALLEE ||
        !tr_call_id_ok((const char *)plain + 3, len))
        return -1;
    for (size_t i = 3 + len; i < TR_PLAIN; i++)
        if (plain[i] != 0)
            return -1;
    out->party = plain[1];
    out->call_id_len = (uint8_t)len;
    memcpy(out->call_id, plain + 3, len);
    out->call_id[len] = '\0';
    return 0;
}

int turn_rest_open(const uint8_t *secret, size_t secret_len, const char *username, size_t ulen,
                   struct turn_rest_claims *out)
{
    uint8_t key[TR_KEY], plain[TR_PLAIN], sealed[TR_SEALED];
    const char *colon = memchr(username, ':', ulen), *tok, *end = NULL;
    size_t head, bin_len = 0;
    int64_t expiry;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (colon == NULL || turn_rest_expiry(username, ulen, &expiry) != 0)
        return -1;
    head = (size_t)(colon - username) + 1;
    tok = colon + 1;
    /* Exactly one token after the colon; libsodium refuses non-zero
     * trailing bits, so each token has a single spelling. */
    if (ulen - head != TURN_REST_TOKEN_CHARS ||
        sodium_base642bin(sealed, sizeof(sealed), tok, TURN_REST_TOKEN_CHARS, NULL, &bin_len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        bin_len != sizeof(sealed) || end != tok + TURN_REST_TOKEN_CHARS)
        return -1;
    tr_user_key(secret, secret_len, key);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain, NULL, NULL, sealed + TR_NONCE, sizeof(sealed) - TR_NONCE,
            (const unsigned char *)username, head, sealed, key) == 0)
        rc = tr_claims_of(plain, out);
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    sodium_memzero(key, sizeof(key));
    sodium_memzero(plain, sizeof(plain));
    return rc;
}
