/* Unit tests for contrib/load/load_turn: the client side of TURN set-up,
 * checked against the STUN codec's parser and against OpenSSL's own MD5
 * and HMAC, so a wrong key or a missing attribute fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "load_turn.h"

static void make_cfg(struct load_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    strcpy(cfg->secret, "north");
    cfg->secret_len = 5;
}

/* base64(HMAC-SHA1(secret, username)), computed with OpenSSL. */
static void rest_password(const char *secret, const char *user, char out[64])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)user, strlen(user), mac,
         &len);
    EVP_EncodeBlock((unsigned char *)out, mac, (int)len);
}

static void md5_key(const char *user, const char *realm, const char *pw, uint8_t key[16])
{
    char text[512];
    unsigned int len = 16;
    snprintf(text, sizeof(text), "%s:%s:%s", user, realm, pw);
    EVP_Digest(text, strlen(text), key, &len, EVP_md5(), NULL);
}

static size_t make_error(uint8_t *buf, uint16_t method, const uint8_t *txid, int code,
                         const char *realm, const char *nonce)
{
    struct stun_builder b;
    stun_build_start(&b, buf, 512, method, STUN_CLASS_ERROR, txid);
    stun_put_error(&b, code, NULL);
    if (realm != NULL)
        stun_put_bytes(&b, STUN_ATTR_REALM, realm, strlen(realm));
    stun_put_bytes(&b, STUN_ATTR_NONCE, nonce, strlen(nonce));
    return (size_t)stun_build_finish(&b);
}

static size_t make_success(uint8_t *buf, const uint8_t *txid, const struct umbra_addr *relayed,
                           const uint8_t *key)
{
    struct stun_builder b;
    stun_build_start(&b, buf, 512, STUN_METHOD_ALLOCATE, STUN_CLASS_SUCCESS, txid);
    stun_put_xor_address(&b, STUN_ATTR_XOR_RELAYED_ADDRESS, relayed);
    stun_put_u32(&b, STUN_ATTR_LIFETIME, 600);
    stun_put_integrity(&b, key, 16);
    return (size_t)stun_build_finish(&b);
}

static void test_allocate_handshake(void **state)
{
    struct load_config cfg;
    struct load_turn_auth a;
    struct stun_msg m;
    struct umbra_addr relayed, want;
    uint8_t txid[STUN_TXID_LEN], buf[512], resp[512], key[16], wrong[16];
    const struct stun_attr *at;
    char expected_pw[64];
    ssize_t n;
    size_t rl;
    int code;

    make_cfg(&cfg);
    load_turn_auth_init(&a, &cfg, 7, 1, 1700000000);
    assert_string_equal(a.username, "1700086400:load-7-1:p1");
    rest_password("north", a.username, expected_pw);
    assert_string_equal(a.password, expected_pw);

    /* first Allocate: unsigned, asks for a UDP relay, has a fingerprint */
    n = load_turn_request(&a, STUN_METHOD_ALLOCATE, NULL, 0, 0, txid, buf, sizeof(buf));
    assert_true(n > 0);
    assert_int_equal(stun_parse(&m, buf, (size_t)n), 0);
    assert_int_equal(m.method, STUN_METHOD_ALLOCATE);
    assert_int_equal(m.cls, STUN_CLASS_REQUEST);
    assert_memory_equal(m.txid, txid, STUN_TXID_LEN);
    at = stun_find(&m, STUN_ATTR_REQUESTED_TRANSPORT);
    assert_non_null(at);
    assert_int_equal(at->value[0], 17);
    assert_int_equal(m.integrity, -1);
    assert_int_equal(stun_check_fingerprint(&m), 0);

    /* a response to another transaction is not ours */
    rl =
        make_error(resp, STUN_METHOD_ALLOCATE, (const uint8_t *)"xxxxxxxxxxxx", 401, "umbra", "n1");
    assert_int_equal(load_turn_response(&a, resp, rl, txid, STUN_METHOD_ALLOCATE, &relayed, &code),
                     LOAD_TURN_NOT_MINE);

    /* 401 with realm and nonce: retry, with the long-term key */
    rl = make_error(resp, STUN_METHOD_ALLOCATE, txid, 401, "umbra", "n1");
    assert_int_equal(load_turn_response(&a, resp, rl, txid, STUN_METHOD_ALLOCATE, &relayed, &code),
                     LOAD_TURN_RETRY);
    assert_int_equal(code, 401);
    md5_key(a.username, "umbra", expected_pw, key);
    assert_memory_equal(a.key, key, 16);

    /* the retry is signed with that key and names user, realm, nonce */
    n = load_turn_request(&a, STUN_METHOD_ALLOCATE, NULL, 0, 0, txid, buf, sizeof(buf));
    assert_int_equal(stun_parse(&m, buf, (size_t)n), 0);
    assert_int_equal(stun_check_integrity(&m, key, 16), 0);
    at = stun_find(&m, STUN_ATTR_NONCE);
    assert_non_null(at);
    assert_int_equal(at->len, 2);
    assert_memory_equal(at->value, "n1", 2);

    /* success signed with the wrong key is refused; the right one accepted */
    addr_parse(&want, "127.0.0.1:49152", 0);
    memcpy(wrong, key, 16);
    wrong[0] ^= 1;
    rl = make_success(resp, txid, &want, wrong);
    assert_int_equal(load_turn_response(&a, resp, rl, txid, STUN_METHOD_ALLOCATE, &relayed, &code),
                     LOAD_TURN_FAILED);
    rl = make_success(resp, txid, &want, key);
    assert_int_equal(load_turn_response(&a, resp, rl, txid, STUN_METHOD_ALLOCATE, &relayed, &code),
                     LOAD_TURN_OK);
    assert_true(addr_equal(&relayed, &want));

    /* 438: new nonce, retry; a second 401 once signed: wrong credentials */
    rl = make_error(resp, STUN_METHOD_ALLOCATE, txid, 438, NULL, "n2");
    assert_int_equal(load_turn_response(&a, resp, rl, txid, STUN_METHOD_ALLOCATE, &relayed, &code),
                     LOAD_TURN_RETRY);
    assert_string_equal(a.nonce, "n2");
    rl = make_error(resp, STUN_METHOD_ALLOCATE, txid, 401, "umbra", "n3");
    assert_int_equal(load_turn_response(&a, resp, rl, txid, STUN_METHOD_ALLOCATE, &relayed, &code),
                     LOAD_TURN_FAILED);
    load_turn_auth_clear(&a);
}

static void test_channel_bind_request(void **state)
{
    struct load_config cfg;
    struct load_turn_auth a;
    struct stun_msg m;
    struct umbra_addr peer, got;
    uint8_t txid[STUN_TXID_LEN], buf[512];
    uint16_t channel;
    ssize_t n;

    memset(&cfg, 0, sizeof(cfg));
    strcpy(cfg.user, "alice");
    strcpy(cfg.password, "pw");
    load_turn_auth_init(&a, &cfg, 0, 0, 0);
    assert_string_equal(a.username, "alice");
    addr_parse(&peer, "[::1]:50000", 0);
    n = load_turn_request(&a, STUN_METHOD_CHANNEL_BIND, &peer, 0x4000, 0, txid, buf, sizeof(buf));
    assert_true(n > 0);
    assert_int_equal(stun_parse(&m, buf, (size_t)n), 0);
    assert_int_equal(stun_attr_channel_number(stun_find(&m, STUN_ATTR_CHANNEL_NUMBER), &channel),
                     0);
    assert_int_equal(channel, 0x4000);
    assert_int_equal(stun_attr_xor_address(&m, stun_find(&m, STUN_ATTR_XOR_PEER_ADDRESS), &got), 0);
    assert_true(addr_equal(&got, &peer));
    /* a method the client never sends is refused */
    assert_int_equal(load_turn_request(&a, STUN_METHOD_BINDING, NULL, 0, 0, txid, buf, sizeof(buf)),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocate_handshake),
        cmocka_unit_test(test_channel_bind_request),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
