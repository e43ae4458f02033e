/* creds: see creds.h. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "creds.h"

int creds_make(const struct turn_rest_secrets *secrets, unsigned ttl, int64_t now,
               const char *call_id, const char *pseudonym, struct creds *out)
{
    int n;
    if (secrets->count == 0 || strchr(call_id, ':') != NULL || strchr(pseudonym, ':') != NULL)
        return -1;
    n = snprintf(out->username, sizeof(out->username), "%" PRId64 ":%s:%s", now + (int64_t)ttl,
                 call_id, pseudonym);
    if (n < 0 || (size_t)n >= sizeof(out->username))
        return -1;
    if (turn_rest_password(secrets->bytes[0], secrets->len[0], out->username, (size_t)n,
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
