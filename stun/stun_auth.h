/* stun_auth: TURN long-term credentials (RFC 8489 §9.2) for umbra-relay.
 *
 * Two kinds of users: TURN REST usernames ("<expiry>:<name>", password =
 * base64(HMAC-SHA1(secret, username)), see turn_rest.h) checked against
 * every configured secret, and static users from the configuration. The
 * secret whose HMAC matched opens a sealed name ("<expiry>:<token>") into
 * its call and party; any other name has no call.
 * Nonces are stateless: a nonce carries its own expiry, authenticated with a
 * key random per process, so checking one needs no table and no Redis.
 *
 * The caller owns auth_config and everything it points to; auth_check keeps
 * no reference. Derived keys and passwords are wiped before returning,
 * except the key handed back on AUTH_OK, which the caller wipes after
 * signing the response.
 *
 * Layer: stun/, a leaf library; uses stun_msg and common/turn_rest. */
#ifndef UMBRA_STUN_AUTH_H
#define UMBRA_STUN_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "stun_msg.h"
#include "turn_rest.h"

/* Stateless nonces: "u1" + 16 hex digits of the expiry (Unix seconds) + 32
 * hex digits of a keyed BLAKE2b tag over them: 50 characters, under the 128
 * RFC 8489 allows. No "obMatJos2" cookie: this relay offers none of the
 * RFC 8489 §9.2 security features (only the MD5 key). */
#define AUTH_NONCE_MAX 64
struct auth_nonce_key {
    uint8_t key[32];
};
/* Random (libsodium; sodium_init() must have succeeded). */
void auth_nonce_key_init(struct auth_nonce_key *k);
void auth_nonce_key_clear(struct auth_nonce_key *k);
/* Writes a NUL-terminated nonce valid up to and including now + lifetime_s. */
void auth_nonce_make(const struct auth_nonce_key *k, int64_t now, int64_t lifetime_s,
                     char out[AUTH_NONCE_MAX]);
/* 0 valid, -1 stale (authentic but expired), -2 forged or malformed. */
int auth_nonce_check(const struct auth_nonce_key *k, const char *nonce, size_t len, int64_t now);

/* A configured user. The password is used as given, without the OpaqueString
 * preparation of RFC 8489 §9.2.2 (which leaves printable ASCII unchanged):
 * configure non-ASCII passwords already prepared. */
struct auth_static_user {
    char name[128];
    char password[128];
};

struct auth_config {
    const char *realm;
    const struct turn_rest_secrets *secrets; /* may be NULL */
    const struct auth_static_user *users;
    size_t n_users;
};

enum auth_result {
    AUTH_OK,
    AUTH_NO_CREDENTIALS, /* 401: no MESSAGE-INTEGRITY; answer with REALM and NONCE */
    AUTH_BAD_REQUEST,    /* 400: integrity without USERNAME, REALM or NONCE */
    AUTH_STALE_NONCE,    /* 438: expired nonce, and also a forged one (see below) */
    AUTH_EXPIRED,        /* 401: REST username past its expiry */
    AUTH_WRONG,          /* 401: no credential matches, or wrong REALM */
};

/* Checks a request's credentials, in this order: no MESSAGE-INTEGRITY ->
 * AUTH_NO_CREDENTIALS; USERNAME, REALM or NONCE missing or malformed ->
 * AUTH_BAD_REQUEST; nonce expired or forged -> AUTH_STALE_NONCE (a forged
 * nonce gets 438 too, so a client that kept a nonce across a relay restart
 * retries with the fresh nonce of the 438 at once); REST username whose
 * expiry is before now -> AUTH_EXPIRED; REALM not ours -> AUTH_WRONG; then
 * each REST secret and each static user of that name is tried.
 *
 * On AUTH_OK copies the username, NUL-terminated, into user (a username of
 * user_cap bytes or more gives AUTH_WRONG; 513 bytes always suffice),
 * its length into *user_len, the integrity key that matched (16 bytes,
 * the MD5 long-term key) into key/key_len, so the response can be signed
 * with it, and into *claims the call and party of a sealed username
 * (call_id_len 0 for a plain REST name or a static user). On any other
 * result user, key and claims are left unchanged. */
enum auth_result auth_check(const struct auth_config *cfg, const struct auth_nonce_key *nk,
                            const struct stun_msg *msg, int64_t now, char *user, size_t user_cap,
                            size_t *user_len, uint8_t key[32], size_t *key_len,
                            struct turn_rest_claims *claims);

/* The error code to answer each result with (0 for AUTH_OK). */
int auth_result_code(enum auth_result r);

#endif
