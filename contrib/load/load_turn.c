/* load_turn: see load_turn.h. */
#include "load_turn.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "turn_rest.h"

#define LOAD_TURN_UDP 17

void load_turn_auth_init(struct load_turn_auth *a, const struct load_config *cfg, unsigned call,
                         unsigned leg, int64_t now_unix)
{
    memset(a, 0, sizeof(*a));
    if (cfg->secret_len > 0) {
        char pw[TURN_REST_PASSWORD_MAX];
        snprintf(a->username, sizeof(a->username), "%" PRId64 ":load-%u-%u:p%u", now_unix + 86400,
                 call, leg, leg);
        (void)turn_rest_password((const uint8_t *)cfg->secret, cfg->secret_len, a->username,
                                 strlen(a->username), pw); /* empty on failure: refused */
        snprintf(a->password, sizeof(a->password), "%s", pw);
        sodium_memzero(pw, sizeof(pw));
    } else {
        snprintf(a->username, sizeof(a->username), "%s", cfg->user);
        snprintf(a->password, sizeof(a->password), "%s", cfg->password);
    }
}

void load_turn_auth_set(struct load_turn_auth *a, const char *username, const char *password)
{
    memset(a, 0, sizeof(*a));
    snprintf(a->username, sizeof(a->username), "%s", username);
    snprintf(a->password, sizeof(a->password), "%s", password);
}

void load_turn_auth_clear(struct load_turn_auth *a)
{
    sodium_memzero(a, sizeof(*a));
}

ssize_t load_turn_request(struct load_turn_auth *a, uint16_t method, const struct umbra_addr *peer,
                          uint16_t channel, uint32_t lifetime, uint8_t txid[STUN_TXID_LEN],
                          uint8_t *buf, size_t cap)
{
    struct stun_builder b;
    static const uint8_t udp[4] = {LOAD_TURN_UDP, 0, 0, 0};

    randombytes_buf(txid, STUN_TXID_LEN);
    stun_build_start(&b, buf, cap, method, STUN_CLASS_REQUEST, txid);
    switch (method) {
    case STUN_METHOD_ALLOCATE:
        stun_put_bytes(&b, STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
        stun_put_u32(&b, STUN_ATTR_LIFETIME, LOAD_TURN_LIFETIME_S);
        break;
    case STUN_METHOD_CREATE_PERMISSION:
        stun_put_xor_address(&b, STUN_ATTR_XOR_PEER_ADDRESS, peer);
        break;
    case STUN_METHOD_CHANNEL_BIND:
        stun_put_u32(&b, STUN_ATTR_CHANNEL_NUMBER, (uint32_t)channel << 16);
        stun_put_xor_address(&b, STUN_ATTR_XOR_PEER_ADDRESS, peer);
        break;
    case STUN_METHOD_REFRESH:
        stun_put_u32(&b, STUN_ATTR_LIFETIME, lifetime);
        break;
    default:
        return -1;
    }
    if (a->have_key) {
        stun_put_bytes(&b, STUN_ATTR_USERNAME, a->username, strlen(a->username));
        stun_put_bytes(&b, STUN_ATTR_REALM, a->realm, strlen(a->realm));
        stun_put_bytes(&b, STUN_ATTR_NONCE, a->nonce, strlen(a->nonce));
        stun_put_integrity(&b, a->key, sizeof(a->key));
    }
    stun_put_fingerprint(&b);
    return stun_build_finish(&b);
}

/* Copies a REALM or NONCE text attribute into dst; -1 if absent or bad. */
static int copy_text(const struct stun_msg *m, uint16_t type, char *dst, size_t cap)
{
    const struct stun_attr *at = stun_find(m, type);
    const char *text;
    size_t len;

    if (at == NULL || stun_attr_text(at, &text, &len) != 0 || len >= cap)
        return -1;
    memcpy(dst, text, len);
    dst[len] = '\0';
    return 0;
}

static enum load_turn_verdict take_challenge(struct load_turn_auth *a, const struct stun_msg *m,
                                             int code)
{
    if (copy_text(m, STUN_ATTR_NONCE, a->nonce, sizeof(a->nonce)) != 0)
        return LOAD_TURN_FAILED;
    if (code == 401) {
        /* A second 401 after we signed means the credentials are wrong. */
        if (a->have_key)
            return LOAD_TURN_FAILED;
        if (copy_text(m, STUN_ATTR_REALM, a->realm, sizeof(a->realm)) != 0)
            return LOAD_TURN_FAILED;
        if (stun_long_term_key_md5(a->username, strlen(a->username), a->realm, strlen(a->realm),
                                   a->password, strlen(a->password), a->key) != 0)
            return LOAD_TURN_FAILED;
        a->have_key = true;
    } else {
        char realm[sizeof(a->realm)];
        if (copy_text(m, STUN_ATTR_REALM, realm, sizeof(realm)) == 0 &&
            strcmp(realm, a->realm) != 0) {
            memcpy(a->realm, realm, sizeof(realm));
            if (stun_long_term_key_md5(a->username, strlen(a->username), a->realm, strlen(a->realm),
                                       a->password, strlen(a->password), a->key) != 0)
                return LOAD_TURN_FAILED;
            a->have_key = true;
        }
    }
    return LOAD_TURN_RETRY;
}

enum load_turn_verdict load_turn_response(struct load_turn_auth *a, const uint8_t *buf, size_t len,
                                          const uint8_t txid[STUN_TXID_LEN], uint16_t method,
                                          struct umbra_addr *relayed, int *code)
{
    struct stun_msg m;
    const struct stun_attr *at;

    *code = 0;
    if (stun_parse(&m, buf, len) != 0)
        return LOAD_TURN_NOT_MINE;
    if (memcmp(m.txid, txid, STUN_TXID_LEN) != 0 || m.method != method)
        return LOAD_TURN_NOT_MINE;
    if (m.cls == STUN_CLASS_ERROR) {
        const char *reason;
        size_t rlen;
        at = stun_find(&m, STUN_ATTR_ERROR_CODE);
        if (at == NULL || stun_attr_error(at, code, &reason, &rlen) != 0)
            *code = 0;
        if (*code == 401 || *code == 438)
            return take_challenge(a, &m, *code);
        return LOAD_TURN_FAILED;
    }
    if (m.cls != STUN_CLASS_SUCCESS)
        return LOAD_TURN_NOT_MINE;
    /* A success to a signed request must be signed with the same key. */
    if (a->have_key && stun_check_integrity(&m, a->key, sizeof(a->key)) != 0)
        return LOAD_TURN_FAILED;
    if (method == STUN_METHOD_ALLOCATE) {
        at = stun_find(&m, STUN_ATTR_XOR_RELAYED_ADDRESS);
        if (at == NULL || stun_attr_xor_address(&m, at, relayed) != 0)
            return LOAD_TURN_FAILED;
    }
    return LOAD_TURN_OK;
}
