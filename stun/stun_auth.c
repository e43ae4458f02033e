/* stun_auth: see stun_auth.h. */
#include "stun_auth.h"

#include <sodium.h>
#include <string.h>

#define AUTH_NONCE_PREFIX "u1"
#define AUTH_NONCE_PREFIX_LEN 2
#define AUTH_NONCE_EXPIRY_HEX 16
#define AUTH_NONCE_TAG_BYTES 16
#define AUTH_NONCE_LEN (AUTH_NONCE_PREFIX_LEN + AUTH_NONCE_EXPIRY_HEX + 2 * AUTH_NONCE_TAG_BYTES)
#define AUTH_MD5_KEY_LEN 16

void auth_nonce_key_init(struct auth_nonce_key *k)
{
    randombytes_buf(k->key, sizeof(k->key));
}

void auth_nonce_key_clear(struct auth_nonce_key *k)
{
    sodium_memzero(k->key, sizeof(k->key));
}

/* The tag covers the nonce's text before it (prefix and expiry digits), so
 * any other text, even one naming the same expiry, fails. */
static void auth_nonce_tag(const struct auth_nonce_key *k, const char *text, size_t len,
                           uint8_t tag[AUTH_NONCE_TAG_BYTES])
{
    crypto_generichash(tag, AUTH_NONCE_TAG_BYTES, (const unsigned char *)text, len, k->key,
                       sizeof(k->key));
}

void auth_nonce_make(const struct auth_nonce_key *k, int64_t now, int64_t lifetime_s,
                     char out[AUTH_NONCE_MAX])
{
    uint8_t expiry[8];
    uint8_t tag[AUTH_NONCE_TAG_BYTES];
    uint64_t e = (uint64_t)now + (uint64_t)lifetime_s;
    const size_t head = AUTH_NONCE_PREFIX_LEN + AUTH_NONCE_EXPIRY_HEX;

    for (int i = 0; i < 8; i++)
        expiry[i] = (uint8_t)(e >> (56 - 8 * i));
    memcpy(out, AUTH_NONCE_PREFIX, AUTH_NONCE_PREFIX_LEN);
    sodium_bin2hex(out + AUTH_NONCE_PREFIX_LEN, AUTH_NONCE_EXPIRY_HEX + 1, expiry, sizeof(expiry));
    auth_nonce_tag(k, out, head, tag);
    sodium_bin2hex(out + head, AUTH_NONCE_MAX - head, tag, sizeof(tag));
}

/* Lower-case hex only, so each nonce has exactly one spelling. */
static int auth_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int auth_hex_u64(const char *hex, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        int d = auth_hex_digit(hex[i]);
        if (d < 0)
            return -1;
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return 0;
}

static int auth_hex_bytes(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = auth_hex_digit(hex[2 * i]), lo = auth_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int auth_nonce_check(const struct auth_nonce_key *k, const char *nonce, size_t len, int64_t now)
{
    const size_t head = AUTH_NONCE_PREFIX_LEN + AUTH_NONCE_EXPIRY_HEX;
    uint8_t want[AUTH_NONCE_TAG_BYTES], got[AUTH_NONCE_TAG_BYTES];
    uint64_t expiry;

    if (nonce == NULL || len != AUTH_NONCE_LEN ||
        memcmp(nonce, AUTH_NONCE_PREFIX, AUTH_NONCE_PREFIX_LEN) != 0 ||
        auth_hex_u64(nonce + AUTH_NONCE_PREFIX_LEN, AUTH_NONCE_EXPIRY_HEX, &expiry) < 0)
        return -2;
    if (auth_hex_bytes(nonce + head, got, sizeof(got)) < 0)
        return -2;
    auth_nonce_tag(k, nonce, head, want);
    if (sodium_memcmp(want, got, sizeof(want)) != 0)
        return -2;
    if (now < 0 || (uint64_t)now > expiry)
        return -1;
    return 0;
}

/* USERNAME, REALM and NONCE as text, or -1 when one is missing or too long. */
static int auth_text(const struct stun_msg *msg, uint16_t type, const char **text, size_t *len)
{
    const struct stun_attr *a = stun_find(msg, type);
    if (a == NULL || a->len == 0)
        return -1;
    return stun_attr_text(a, text, len);
}

/* Tries one password: derives the long-term key and checks the message's
 * integrity with it. On a match the key is left in key; otherwise wiped. */
static bool auth_try_password(const struct stun_msg *msg, const char *user, size_t ulen,
                              const char *realm, size_t rlen, const char *password, size_t plen,
                              uint8_t key[AUTH_MD5_KEY_LEN])
{
    if (stun_long_term_key_md5(user, ulen, realm, rlen, password, plen, key) == 0 &&
        stun_check_integrity(msg, key, AUTH_MD5_KEY_LEN) == 0)
        return true;
    sodium_memzero(key, AUTH_MD5_KEY_LEN);
    return false;
}

/* Tries each secret's HMAC; the secret that matched then opens a sealed
 * username into claims (no call when it does not open: a plain REST name,
 * which only a holder of that secret could have signed). */
static bool auth_try_rest(const struct auth_config *cfg, const struct stun_msg *msg,
                          const char *user, size_t ulen, const char *realm, size_t rlen,
                          uint8_t key[AUTH_MD5_KEY_LEN], struct turn_rest_claims *claims)
{
    char password[TURN_REST_PASSWORD_MAX];
    bool ok = false;
    for (size_t i = 0; !ok && i < cfg->secrets->count; i++) {
        if (turn_rest_password(cfg->secrets->bytes[i], cfg->secrets->len[i], user, ulen,
                               password) != 0)
            continue;
        ok = auth_try_password(msg, user, ulen, realm, rlen, password, strlen(password), key);
        if (ok)
            (void)turn_rest_open(cfg->secrets->bytes[i], cfg->secrets->len[i], user, ulen, claims);
    }
    sodium_memzero(password, sizeof(password));
    return ok;
}

static bool auth_try_static(const struct auth_config *cfg, const struct stun_msg *msg,
                            const char *user, size_t ulen, const char *realm, size_t rlen,
                            uint8_t key[AUTH_MD5_KEY_LEN])
{
    for (size_t i = 0; i < cfg->n_users; i++) {
        const struct auth_static_user *u = &cfg->users[i];
        size_t nlen = strnlen(u->name, sizeof(u->name));
        if (nlen != ulen || memcmp(u->name, user, ulen) != 0)
            continue;
        if (auth_try_password(msg, user, ulen, realm, rlen, u->password,
                              strnlen(u->password, sizeof(u->password)), key))
            return true;
    }
    return false;
}

static bool auth_is_rest(const struct auth_config *cfg, const char *user, size_t ulen,
                         int64_t *expiry)
{
    return cfg->secrets != NULL && cfg->secrets->count > 0 &&
           turn_rest_expiry(user, ulen, expiry) == 0;
}

enum auth_result auth_check(const struct auth_config *cfg, const struct auth_nonce_key *nk,
                            const struct stun_msg *msg, int64_t now, char *user, size_t user_cap,
                            size_t *user_len, uint8_t key[32], size_t *key_len,
                            struct turn_rest_claims *claims)
{
    const char *name, *realm, *nonce;
    size_t nlen, rlen, nonce_len;
    uint8_t k[AUTH_MD5_KEY_LEN];
    struct turn_rest_claims c = {0};
    int64_t expiry;
    bool rest, ok;

    if (msg->integrity < 0 && msg->integrity_sha256 < 0)
        return AUTH_NO_CREDENTIALS;
    if (auth_text(msg, STUN_ATTR_USERNAME, &name, &nlen) < 0 ||
        auth_text(msg, STUN_ATTR_REALM, &realm, &rlen) < 0 ||
        auth_text(msg, STUN_ATTR_NONCE, &nonce, &nonce_len) < 0)
        return AUTH_BAD_REQUEST;
    if (auth_nonce_check(nk, nonce, nonce_len, now) != 0)
        return AUTH_STALE_NONCE;
    rest = auth_is_rest(cfg, name, nlen, &expiry);
    if (rest && expiry < now)
        return AUTH_EXPIRED;
    if (cfg->realm == NULL || strlen(cfg->realm) != rlen || memcmp(cfg->realm, realm, rlen) != 0 ||
        nlen >= user_cap)
        return AUTH_WRONG;
    ok = (rest && auth_try_rest(cfg, msg, name, nlen, realm, rlen, k, &c)) ||
         auth_try_static(cfg, msg, name, nlen, realm, rlen, k);
    if (!ok) {
        sodium_memzero(&c, sizeof(c));
        return AUTH_WRONG;
    }
    memcpy(user, name, nlen);
    user[nlen] = '\0';
    *user_len = nlen;
    memcpy(key, k, sizeof(k));
    *key_len = sizeof(k);
    sodium_memzero(k, sizeof(k));
    *claims = c;
    sodium_memzero(&c, sizeof(c));
    return AUTH_OK;
}

int auth_result_code(enum auth_result r)
{
    switch (r) {
    case AUTH_OK:
        return 0;
    case AUTH_BAD_REQUEST:
        return 400;
    case AUTH_STALE_NONCE:
        return 438;
    case AUTH_NO_CREDENTIALS:
    case AUTH_EXPIRED:
    case AUTH_WRONG:
        break;
    }
    return 401;
}
