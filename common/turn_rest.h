/* turn_rest: TURN credentials in the "TURN REST API" form that coturn's
 * use-auth-secret accepts, shared by umbra-relay (checks) and umbra-broker
 * (issues).
 *
 * username = "<unix-expiry>:<call id>:<pseudonym>" (anything after the first
 * colon is opaque to the relay except the call id used for revocation);
 * password = base64(HMAC-SHA1(secret, username)).
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
/* The call id: the field after the first ':' up to the next ':' or the end.
 * -1 when the username has no second field. */
int turn_rest_call_id(const char *username, size_t ulen, const char **id, size_t *idlen);

#endif
