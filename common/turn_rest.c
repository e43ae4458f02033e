/* turn_rest: see turn_rest.h. */
#include "turn_rest.h"

#include <errno.h>
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

int turn_rest_call_id(const char *username, size_t ulen, const char **id, size_t *idlen)
{
    const char *colon = memchr(username, ':', ulen);
    const char *start, *end;
    if (colon == NULL)
        return -1;
    start = colon + 1;
    end = memchr(start, ':', ulen - (size_t)(start - username));
    if (end == NULL)
        end = username + ulen;
    if (end == start)
        return -1;
    *id = start;
    *idlen = (size_t)(end - start);
    return 0;
}
