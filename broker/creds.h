/* creds: TURN credentials bound to one call and party, in the TURN REST
 * form that umbra-relay checks (common/turn_rest.h): username
 * "<expiry>:<token>", the token sealing the call id and party under a key
 * derived from the secret (fresh nonce: each party and each call gets
 * bytes of its own, no pseudonym), password base64(HMAC-SHA1(secret,
 * username)). The broker signs with the first secret of auth-secret-file;
 * relays accept every secret of the file, so operators rotate by adding a
 * new first line, waiting credential-ttl, then dropping the old one.
 * A struct creds holds a password: wipe it with creds_clear(). */
#ifndef UMBRA_BROKER_CREDS_H
#define UMBRA_BROKER_CREDS_H

#include <stdint.h>

#include "turn_rest.h"

#define CREDS_USERNAME_MAX TURN_REST_SEALED_MAX

struct creds {
    char username[CREDS_USERNAME_MAX];
    char password[TURN_REST_PASSWORD_MAX];
    unsigned ttl;
};

/* 0, or -1 (out wiped) when the secrets set is empty or turn_rest_seal()
 * refuses the call id (empty, over TURN_REST_CALL_ID_MAX, a ':' or not
 * printable) or the party. */
int creds_make(const struct turn_rest_secrets *secrets, unsigned ttl, int64_t now,
               const char *call_id, enum turn_rest_party party, struct creds *out);
void creds_clear(struct creds *c);

#endif
