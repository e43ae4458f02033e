/* creds: see creds.h. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "creds.h"

int creds_make(const struct turn_rest_secrets *secrets, unsigned ttl, int64_t now,
               const char *call_id, enum turn_rest_party party, struct creds *out)
{
    struct turn_rest_claims c = {.party = (uint8_t)party};
    size_t id_len = strlen(call_id);

    sodium_memzero(out, sizeof(*out));
    if (secrets->count == 0 || id_len > TURN_REST_CALL_ID_MAX)
        return -1;
    c.call_id_len = (uint8_t)id_len;
    memcpy(c.call_id, call_id, id_len);
    if (turn_rest_seal(secrets->bytes[0], secrets->len[0], now + (int64_t)ttl, &c, out->username,
                       sizeof(out->username)) != 0)
        return -1;
    if (turn_rest_password(secrets->bytes[0], secrets->len[0], out->username, strlen(out->username),
                           out->password) != 0) {
        /* no HMAC: never hand out the empty password anyone can sign with */
        sodium_memzero(out, sizeof(*out));
        return -1;
    }
    out->ttl = ttl;
    return 0;
}

void creds_clear(struct creds *c)
{
    sodium_memzero(c, sizeof(*c));
}
