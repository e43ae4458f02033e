/* Fuzz target for stun/stun_msg and stun/stun_auth: parse any bytes, then
 * run every reader, the integrity and fingerprint checks and the
 * credential check on what parsed. Invariants that must hold for any input
 * abort when broken: attributes lie inside the input, and a parsed message
 * rebuilt from its attributes parses back to the same attributes.
 *
 * Mutated integrity attributes almost never match, so each message that
 * carries one is also signed again (fuzz_resign) with the key the
 * credential check derives for its USERNAME, and checked: the builder's
 * MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT must verify, and a message
 * from the configured user with a valid nonce and realm must pass
 * auth_check with that same key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stun_auth.h"
#include "stun_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_readers(const struct stun_msg *m, const struct stun_attr *a)
{
    struct umbra_addr addr;
    uint32_t u32;
    int code, family;
    const char *text;
    size_t len;
    uint8_t proto;
    uint16_t ch;
    bool next;

    (void)stun_attr_xor_address(m, a, &addr);
    (void)stun_attr_address(a, &addr);
    (void)stun_attr_u32(a, &u32);
    if (stun_attr_error(a, &code, &text, &len) == 0 && (code < 300 || code > 699))
        abort();
    (void)stun_attr_requested_transport(a, &proto);
    (void)stun_attr_requested_family(a, &family);
    if (stun_attr_channel_number(a, &ch) == 0 && (ch < STUN_CHANNEL_MIN || ch > STUN_CHANNEL_MAX))
        abort();
    (void)stun_attr_even_port(a, &next);
    if (stun_attr_text(a, &text, &len) == 0 && text + len > (const char *)m->buf + m->len)
        abort();
}

#define FUZZ_NOW 1700000000

static enum auth_result fuzz_auth(const struct stun_msg *m, uint8_t key[32], size_t *klen)
{
    static const struct auth_static_user users[1] = {{"user", "password"}};
    struct turn_rest_secrets secrets = {.count = 1, .len = {6}, .bytes = {"secret"}};
    struct auth_nonce_key nk;
    struct auth_config cfg = {"realm", &secrets, users, 1};
    struct turn_rest_claims claims;
    char user[513];
    size_t ulen;

    memset(nk.key, 0x5a, sizeof(nk.key));
    return auth_check(&cfg, &nk, m, FUZZ_NOW, user, sizeof(user), &ulen, key, klen, &claims);
}

static bool fuzz_text_is(const struct stun_msg *m, uint16_t type, const char *want)
{
    const struct stun_attr *a = stun_find(m, type);
    return a != NULL && a->len == strlen(want) && memcmp(a->value, want, a->len) == 0;
}

/* The long-term key of the message's USERNAME as auth_check derives it:
 * the REST password when the name has a REST expiry, else "password". */
static int fuzz_key_of(const struct stun_msg *m, uint8_t key[16])
{
    const struct stun_attr *u = stun_find(m, STUN_ATTR_USERNAME);
    char rest[TURN_REST_PASSWORD_MAX];
    const char *pw = "password";
    int64_t expiry;

    if (u == NULL)
        return -1;
    if (turn_rest_expiry((const char *)u->value, u->len, &expiry) == 0) {
        turn_rest_password((const uint8_t *)"secret", 6, (const char *)u->value, u->len, rest);
        pw = rest;
    }
    stun_long_term_key_md5((const char *)u->value, u->len, "realm", 5, pw, strlen(pw), key);
    return 0;
}

static void fuzz_resign(const struct stun_msg *m)
{
    size_t cap = m->len + 64, end = m->n_attrs, klen = 0;
    uint8_t *out = malloc(cap), key[16], got[32];
    struct stun_builder b;
    struct stun_msg back;
    ssize_t n;

    if (out == NULL)
        abort();
    if (fuzz_key_of(m, key) != 0) {
        free(out);
        return;
    }
    if (m->integrity >= 0)
        end = (size_t)m->integrity;
    else if (m->integrity_sha256 >= 0)
        end = (size_t)m->integrity_sha256;
    stun_build_start(&b, out, cap, m->method, m->cls, m->txid);
    for (size_t i = 0; i < end; i++)
        if (m->attrs[i].type != STUN_ATTR_FINGERPRINT)
            stun_put_bytes(&b, m->attrs[i].type, m->attrs[i].value, m->attrs[i].len);
    if (m->integrity >= 0)
        stun_put_integrity(&b, key, sizeof(key));
    if (m->integrity_sha256 >= 0)
        stun_put_integrity_sha256(&b, key, sizeof(key));
    if (m->fingerprint >= 0)
        stun_put_fingerprint(&b);
    n = stun_build_finish(&b);
    if (n < 0 || stun_parse(&back, out, (size_t)n) != 0) {
        free(out); /* a rebuilt attribute may not fit any more: fine */
        return;
    }
    if (stun_check_integrity(&back, key, sizeof(key)) != 0 || stun_check_fingerprint(&back) == -1 ||
        (m->fingerprint >= 0) != (back.fingerprint >= 0))
        abort(); /* what the builder signs, the checker accepts */
    switch (fuzz_auth(&back, got, &klen)) {
    case AUTH_OK:
        if (klen != sizeof(key) || memcmp(got, key, sizeof(key)) != 0)
            abort();
        break;
    case AUTH_WRONG:
        if (fuzz_text_is(&back, STUN_ATTR_USERNAME, "user") &&
            fuzz_text_is(&back, STUN_ATTR_REALM, "realm"))
            abort(); /* the right user, realm and integrity */
        break;
    default:
        break;
    }
    free(out);
}

/* Rebuilds the message attribute by attribute (zero padding) and checks
 * that it parses back to the same types, lengths and values. */
static void fuzz_rebuild(const struct stun_msg *m)
{
    uint8_t *out = malloc(m->len);
    struct stun_builder b;
    struct stun_msg back;
    ssize_t n;

    if (out == NULL)
        abort();
    stun_build_start(&b, out, m->len, m->method, m->cls, m->txid);
    for (size_t i = 0; i < m->n_attrs; i++)
        stun_put_bytes(&b, m->attrs[i].type, m->attrs[i].value, m->attrs[i].len);
    n = stun_build_finish(&b);
    if (n != (ssize_t)m->len || stun_parse(&back, out, (size_t)n) != 0)
        abort();
    if (back.n_attrs != m->n_attrs || back.method != m->method || back.cls != m->cls ||
        back.integrity != m->integrity || back.integrity_sha256 != m->integrity_sha256 ||
        back.fingerprint != m->fingerprint)
        abort();
    for (size_t i = 0; i < m->n_attrs; i++) {
        const struct stun_attr *x = &m->attrs[i], *y = &back.attrs[i];
        if (x->type != y->type || x->len != y->len || x->offset != y->offset ||
            memcmp(x->value, y->value, x->len) != 0)
            abort();
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stun_msg m;
    uint16_t unknown[STUN_MAX_ATTRS];
    ssize_t frame = stun_frame_length(data, size);

    if (frame > 0 && stun_classify(data, size) == STUN_KIND_STUN &&
        frame != (ssize_t)STUN_HEADER_LEN + (data[2] << 8 | data[3]))
        abort();
    struct stun_msg head;
    int head_rc = stun_parse_header(&head, data, size);

    if (stun_parse(&m, data, size) != 0)
        return 0;
    if (m.len != size || m.buf != data || m.n_attrs > STUN_MAX_ATTRS)
        abort();
    if (head_rc != 0 || head.method != m.method || head.cls != m.cls ||
        memcmp(head.txid, m.txid, STUN_TXID_LEN) != 0 || head.n_attrs != 0)
        abort();
    for (size_t i = 0; i < m.n_attrs; i++) {
        const struct stun_attr *a = &m.attrs[i];
        if (a->value < data + STUN_HEADER_LEN || a->value + a->len > data + size ||
            a->offset + 4 != (size_t)(a->value - data))
            abort();
        fuzz_readers(&m, a);
        if (stun_find(&m, a->type) == NULL && m.integrity < 0 && m.integrity_sha256 < 0)
            abort(); /* without integrity every attribute counts */
    }
    if (stun_unknown_required(&m, unknown, STUN_MAX_ATTRS) > m.n_attrs)
        abort();
    (void)stun_check_integrity(&m, (const uint8_t *)"key", 3);
    (void)stun_check_fingerprint(&m);
    {
        uint8_t key[32];
        size_t klen;
        (void)fuzz_auth(&m, key, &klen);
    }
    fuzz_rebuild(&m);
    if (m.integrity >= 0 || m.integrity_sha256 >= 0)
        fuzz_resign(&m);
    return 0;
}
