/* turn_rest: TURN credentials in the "TURN REST API" form that coturn's
 * use-auth-secret accepts, shared by umbra-relay (checks) and umbra-broker
 * (issues).
 *
 * username = "<unix-expiry>:<name>", password = base64(HMAC-SHA1(secret,
 * username)). umbra-broker's names are sealed tokens (below): opaque to
 * anyone on the path, different for each party and each call, and read by
 * the relay with the secret whose HMAC matched. Any other name (one that
 * Janus, coturn's turnutils_uclient -W or another service made) is a plain
 * REST name without a call.
 * Secrets come from a file, one per line, so several can be valid while an
 * operator rotates them. A secrets set owns its bytes and wipes them in
 * turn_rest_secrets_clear(). A daemon keeps its sets in memory from
 * turn_rest_secrets_new() (sodium_malloc: locked, left out of core dumps);
 * the loader reads through such memory only. */
#ifndef UMBRA_TURN_REST_H
#define UMBRA_TURN_REST_H

#include <stddef.h>
#include <stdint.h>

#define TURN_REST_PASSWORD_MAX 32 /* base64 of 20 bytes is 28 characters + NUL */
#define TURN_REST_SECRET_MAX 256
#define TURN_REST_SECRETS_MAX 16

struct turn_rest_secrets {
    size_t count;
    size_t len[TURN_REST_SECRETS_MAX];
    uint8_t bytes[TURN_REST_SECRETS_MAX][TURN_REST_SECRET_MAX];
};

/* Reads one secret per non-empty, non-'#' line. On error names the line in
 * err, leaves out untouched, and returns -1. */
int turn_rest_secrets_load(const char *path, struct turn_rest_secrets *out, char *err,
                           size_t errlen);
void turn_rest_secrets_clear(struct turn_rest_secrets *s);
/* An empty set in guarded memory, or NULL when out of memory. */
struct turn_rest_secrets *turn_rest_secrets_new(void);
/* Wipes and releases a set from turn_rest_secrets_new(); NULL is fine. */
void turn_rest_secrets_free(struct turn_rest_secrets *s);

/* Writes the NUL-terminated password for username with this secret.
 * 0, or -1 with out empty when OpenSSL cannot compute the HMAC: the caller
 * must then not use out (an empty password is anyone's). */
int turn_rest_password(const uint8_t *secret, size_t secret_len, const char *username, size_t ulen,
                       char out[TURN_REST_PASSWORD_MAX]);

/* The expiry before the first ':' (or the whole username). 0 or -1. */
int turn_rest_expiry(const char *username, size_t ulen, int64_t *expiry);

/* Sealed usernames: "<expiry>:<token>", token = base64url without padding
 * (RFC 4648 §5) of nonce (24 random bytes) || XChaCha20-Poly1305-IETF
 * ciphertext and tag of a fixed-size plaintext:
 *   version (1) | party (0 caller, 1 callee) | call id length (1..48) |
 *   call id, zero-padded to 48 bytes
 * with "<expiry>:" as additional data, under the key
 *   BLAKE2b-256(secret, no key, personal "umbra turn user1").
 * Every token is TURN_REST_TOKEN_CHARS long, whatever the call id. A
 * username opens only under the secret that sealed it; one that does not
 * open is, for the relay, a plain REST name (its HMAC still decides). */
#define TURN_REST_CALL_ID_MAX 48
#define TURN_REST_TOKEN_VERSION 1
#define TURN_REST_TOKEN_CHARS 122 /* base64url of 24 + 3 + 48 + 16 bytes */
/* "<expiry>:<token>" and its NUL: 19 digits at most, then ':' */
#define TURN_REST_SEALED_MAX (19 + 1 + TURN_REST_TOKEN_CHARS + 1)

enum turn_rest_party { TURN_REST_CALLER = 0, TURN_REST_CALLEE = 1 };

/* What a sealed username carries. call_id_len 0: no call (a plain REST
 * name or a static user). call_id is NUL-terminated, printable ASCII
 * without ':'. */
struct turn_rest_claims {
    uint8_t party;
    uint8_t call_id_len;
    char call_id[TURN_REST_CALL_ID_MAX + 1];
};

/* Writes the NUL-terminated username "<expiry>:<token>" for c into out
 * (cap bytes; TURN_REST_SEALED_MAX always suffice), with a fresh random
 * nonce. 0, or -1 (out empty) when expiry is negative or over 18 digits, the call id empty,
 * too long or not printable ASCII without ':', the party unknown, or out
 * too small. sodium_init() must have succeeded. */
int turn_rest_seal(const uint8_t *secret, size_t secret_len, int64_t expiry,
                   const struct turn_rest_claims *c, char *out, size_t cap);
/* 0 and *out filled when username is "<expiry>:<token>" sealed with this
 * secret (and its expiry text is the one it was sealed with); otherwise -1
 * with *out empty (call_id_len 0). Pure: reads no clock. */
int turn_rest_open(const uint8_t *secret, size_t secret_len, const char *username, size_t ulen,
                   struct turn_rest_claims *out);

#endif
