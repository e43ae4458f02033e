/* Unit tests for stun/stun_auth: stateless nonces and long-term credential
 * checks. Requests are built with the codec and signed with keys computed
 * here with OpenSSL directly (MD5 of "user:realm:password", REST password
 * as base64(HMAC-SHA1(secret, user))), not with the code under test. */
#include <setjmp.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "stun_auth.h"

#define NOW 1700000000
#define REALM "umbra.test"

static struct auth_nonce_key nkey;
static struct turn_rest_secrets secrets;
static struct auth_static_user users[2];
static struct auth_config cfg;
static struct turn_rest_claims claims; /* what the last check() handed back */

struct request {
    uint8_t buf[1024];
    struct stun_msg msg;
};

/* MD5(user ":" realm ":" password), computed in one piece. */
static void independent_key(const char *user, const char *realm, const char *password,
                            uint8_t key[16])
{
    char text[1024];
    unsigned int n = 0;
    int len = snprintf(text, sizeof(text), "%s:%s:%s", user, realm, password);
    assert_true(len > 0 && (size_t)len < sizeof(text));
    assert_int_equal(EVP_Digest(text, (size_t)len, key, &n, EVP_md5(), NULL), 1);
    assert_int_equal(n, 16);
}

static void independent_rest_password(const char *secret, const char *user, char out[64])
{
    uint8_t mac[20];
    unsigned int n = 0;
    assert_non_null(HMAC(EVP_sha1(), secret, (int)strlen(secret), (const uint8_t *)user,
                         strlen(user), mac, &n));
    assert_int_equal(n, 20);
    assert_int_equal(EVP_EncodeBlock((unsigned char *)out, mac, 20), 28);
}

enum { WITH_USER = 1, WITH_REALM = 2, WITH_NONCE = 4, WITH_MI = 8, WITH_MI_SHA256 = 16 };
#define WITH_ALL (WITH_USER | WITH_REALM | WITH_NONCE | WITH_MI)

static void build(struct request *r, int what, const char *user, const char *realm,
                  const char *nonce, const uint8_t key[16])
{
    static const uint8_t txid[12] = "abcdefghijkl";
    struct stun_builder b;
    ssize_t n;
    stun_build_start(&b, r->buf, sizeof(r->buf), STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, txid);
    stun_put_u32(&b, STUN_ATTR_REQUESTED_TRANSPORT, 17u << 24);
    if (what & WITH_USER)
        stun_put_bytes(&b, STUN_ATTR_USERNAME, user, strlen(user));
    if (what & WITH_REALM)
        stun_put_bytes(&b, STUN_ATTR_REALM, realm, strlen(realm));
    if (what & WITH_NONCE)
        stun_put_bytes(&b, STUN_ATTR_NONCE, nonce, strlen(nonce));
    if (what & WITH_MI)
        stun_put_integrity(&b, key, 16);
    if (what & WITH_MI_SHA256)
        stun_put_integrity_sha256(&b, key, 16);
    stun_put_fingerprint(&b);
    n = stun_build_finish(&b);
    assert_true(n > 0);
    assert_int_equal(stun_parse(&r->msg, r->buf, (size_t)n), 0);
}

static enum auth_result check(const struct request *r, char *user, size_t *ulen, uint8_t key[32],
                              size_t *klen)
{
    return auth_check(&cfg, &nkey, &r->msg, NOW, user, 513, ulen, key, klen, &claims);
}

static int setup(void **state)
{
    assert_true(sodium_init() >= 0);
    auth_nonce_key_init(&nkey);
    memset(&secrets, 0, sizeof(secrets));
    memcpy(secrets.bytes[0], "old-secret", 10);
    secrets.len[0] = 10;
    memcpy(secrets.bytes[1], "new-secret", 10);
    secrets.len[1] = 10;
    secrets.count = 2;
    memset(users, 0, sizeof(users));
    strcpy(users[0].name, "operator");
    strcpy(users[0].password, "hunter2-but-longer");
    /* RFC 5769 §2.4's user, with its SASLprep'd password. */
    strcpy(users[1].name, "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
                          "\xe3\x82\xb9");
    strcpy(users[1].password, "TheMatrIX");
    cfg = (struct auth_config){REALM, &secrets, users, 2};
    return 0;
}

static int teardown(void **state)
{
    auth_nonce_key_clear(&nkey);
    turn_rest_secrets_clear(&secrets);
    return 0;
}

static void test_nonce_valid_stale_forged(void **state)
{
    char nonce[AUTH_NONCE_MAX], bad[AUTH_NONCE_MAX];
    struct auth_nonce_key other;
    size_t n;

    auth_nonce_make(&nkey, NOW, 600, nonce);
    n = strlen(nonce);
    assert_true(n > 16 && n < 128);
    assert_int_equal(auth_nonce_check(&nkey, nonce, n, NOW), 0);
    assert_int_equal(auth_nonce_check(&nkey, nonce, n, NOW + 600), 0);
    assert_int_equal(auth_nonce_check(&nkey, nonce, n, NOW + 601), -1);

    /* Every single-character change is a forgery, including ones that
     * move the expiry later. */
    for (size_t i = 0; i < n; i++) {
        memcpy(bad, nonce, n + 1);
        bad[i] = bad[i] == 'f' ? 'e' : 'f';
        assert_int_equal(auth_nonce_check(&nkey, bad, n, NOW), -2);
        bad[i] = (char)toupper((unsigned char)nonce[i]);
        if (bad[i] != nonce[i])
            assert_int_equal(auth_nonce_check(&nkey, bad, n, NOW), -2);
    }
    assert_int_equal(auth_nonce_check(&nkey, nonce, n - 1, NOW), -2);
    assert_int_equal(auth_nonce_check(&nkey, "", 0, NOW), -2);
    assert_int_equal(auth_nonce_check(&nkey, NULL, 0, NOW), -2);

    /* Another process's key (e.g. after a restart) does not accept it. */
    auth_nonce_key_init(&other);
    assert_int_equal(auth_nonce_check(&other, nonce, n, NOW), -2);
    auth_nonce_make(&other, NOW, 600, bad);
    assert_string_not_equal(bad, nonce);
    auth_nonce_key_clear(&other);
    for (size_t i = 0; i < sizeof(other.key); i++)
        assert_int_equal(other.key[i], 0);
}

static void test_rest_either_secret(void **state)
{
    const char *user = "1700003600:call-42:pseudo";
    const char *secs[] = {"old-secret", "new-secret"};
    char nonce[AUTH_NONCE_MAX], pw[64], got_user[513];
    uint8_t key[16], got_key[32];
    size_t ulen = 0, klen = 0;
    struct request r;

    auth_nonce_make(&nkey, NOW, 600, nonce);
    for (int i = 0; i < 2; i++) {
        independent_rest_password(secs[i], user, pw);
        independent_key(user, REALM, pw, key);
        build(&r, WITH_ALL, user, REALM, nonce, key);
        memset(got_key, 0, sizeof(got_key));
        assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_OK);
        assert_int_equal(ulen, strlen(user));
        assert_string_equal(got_user, user);
        assert_int_equal(klen, 16);
        assert_memory_equal(got_key, key, 16);
    }
    /* A secret the relay does not have. */
    independent_rest_password("stolen-secret", user, pw);
    independent_key(user, REALM, pw, key);
    build(&r, WITH_ALL, user, REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_WRONG);
    /* Without secrets configured, a REST username is just unknown. */
    independent_rest_password("new-secret", user, pw);
    independent_key(user, REALM, pw, key);
    build(&r, WITH_ALL, user, REALM, nonce, key);
    cfg.secrets = NULL;
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_WRONG);
    cfg.secrets = &secrets;
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_OK);
}

/* A sealed username opens under the secret whose HMAC matched, old or
 * new; a plain REST name and a static user have no call; a token sealed
 * under one secret but signed with the other authenticates as a plain
 * name, without a call. */
static void test_sealed_claims(void **state)
{
    const char *secs[] = {"old-secret", "new-secret"};
    struct turn_rest_claims c = {.party = TURN_REST_CALLEE, .call_id_len = 7, .call_id = "call-42"};
    char nonce[AUTH_NONCE_MAX], pw[64], got_user[513], user[TURN_REST_SEALED_MAX];
    uint8_t key[16], got_key[32];
    size_t ulen = 0, klen = 0;
    struct request r;

    auth_nonce_make(&nkey, NOW, 600, nonce);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(
            turn_rest_seal((const uint8_t *)secs[i], 10, NOW + 3600, &c, user, sizeof(user)), 0);
        independent_rest_password(secs[i], user, pw);
        independent_key(user, REALM, pw, key);
        build(&r, WITH_ALL, user, REALM, nonce, key);
        memset(&claims, 0xff, sizeof(claims));
        assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_OK);
        assert_string_equal(got_user, user);
        assert_int_equal(claims.call_id_len, 7);
        assert_string_equal(claims.call_id, "call-42");
        assert_int_equal(claims.party, TURN_REST_CALLEE);
        /* signed with the other secret: a plain name */
        independent_rest_password(secs[1 - i], user, pw);
        independent_key(user, REALM, pw, key);
        build(&r, WITH_ALL, user, REALM, nonce, key);
        memset(&claims, 0xff, sizeof(claims));
        assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_OK);
        assert_int_equal(claims.call_id_len, 0);
        /* the username's HMAC with a secret the relay does not have */
        independent_rest_password("stolen-secret", user, pw);
        independent_key(user, REALM, pw, key);
        build(&r, WITH_ALL, user, REALM, nonce, key);
        memset(&claims, 0xff, sizeof(claims));
        assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_WRONG);
        assert_int_equal(claims.call_id_len, 0xff); /* left unchanged */
    }
    independent_rest_password("new-secret", "1700003600:janus", pw);
    independent_key("1700003600:janus", REALM, pw, key);
    build(&r, WITH_ALL, "1700003600:janus", REALM, nonce, key);
    memset(&claims, 0xff, sizeof(claims));
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_OK);
    assert_int_equal(claims.call_id_len, 0);
    independent_key("operator", REALM, "hunter2-but-longer", key);
    build(&r, WITH_ALL, "operator", REALM, nonce, key);
    memset(&claims, 0xff, sizeof(claims));
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_OK);
    assert_int_equal(claims.call_id_len, 0);
}

static void test_rest_wrong_password(void **state)
{
    const char *user = "1700003600:call-42:pseudo";
    char nonce[AUTH_NONCE_MAX], pw[64], got_user[513] = "untouched";
    uint8_t key[16], got_key[32] = {0};
    size_t ulen = 7, klen = 7;
    struct request r;

    auth_nonce_make(&nkey, NOW, 600, nonce);
    independent_rest_password("new-secret", user, pw);
    pw[0] ^= 1;
    independent_key(user, REALM, pw, key);
    build(&r, WITH_ALL, user, REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_WRONG);
    assert_string_equal(got_user, "untouched");
    assert_int_equal(ulen, 7);
    assert_int_equal(klen, 7);
    /* The right password for another username. */
    independent_rest_password("new-secret", "1700003600:call-43:pseudo", pw);
    independent_key(user, REALM, pw, key);
    build(&r, WITH_ALL, user, REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_WRONG);
}

static void test_rest_expired(void **state)
{
    char nonce[AUTH_NONCE_MAX], pw[64], got_user[513];
    uint8_t key[16], got_key[32];
    size_t ulen, klen;
    struct request r;
    const char *expired = "1699999999:call-1:p";
    const char *last_second = "1700000000:call-1:p";

    auth_nonce_make(&nkey, NOW, 600, nonce);
    independent_rest_password("new-secret", expired, pw);
    independent_key(expired, REALM, pw, key);
    build(&r, WITH_ALL, expired, REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_EXPIRED);
    assert_int_equal(auth_result_code(AUTH_EXPIRED), 401);

    independent_rest_password("new-secret", last_second, pw);
    independent_key(last_second, REALM, pw, key);
    build(&r, WITH_ALL, last_second, REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_OK);
}

static void test_static_user(void **state)
{
    char nonce[AUTH_NONCE_MAX], got_user[513];
    uint8_t key[16], got_key[32];
    size_t ulen, klen;
    struct request r;

    auth_nonce_make(&nkey, NOW, 600, nonce);
    independent_key("operator", REALM, "hunter2-but-longer", key);
    build(&r, WITH_ALL, "operator", REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_OK);
    assert_string_equal(got_user, "operator");
    assert_memory_equal(got_key, key, 16);

    /* The same with MESSAGE-INTEGRITY-SHA256 keyed by the MD5 key. */
    build(&r, WITH_USER | WITH_REALM | WITH_NONCE | WITH_MI_SHA256, "operator", REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_OK);

    independent_key("operator", REALM, "hunter2", key);
    build(&r, WITH_ALL, "operator", REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_WRONG);
    /* Names match exactly, not by prefix. */
    independent_key("operato", REALM, "hunter2-but-longer", key);
    build(&r, WITH_ALL, "operato", REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_WRONG);
    /* Another realm, even with the key for it. */
    independent_key("operator", "evil.test", "hunter2-but-longer", key);
    build(&r, WITH_ALL, "operator", "evil.test", nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_WRONG);
    /* A username that does not fit the caller's buffer. */
    independent_key("operator", REALM, "hunter2-but-longer", key);
    build(&r, WITH_ALL, "operator", REALM, nonce, key);
    assert_int_equal(
        auth_check(&cfg, &nkey, &r.msg, NOW, got_user, 8, &ulen, got_key, &klen, &claims),
        AUTH_WRONG);
    assert_int_equal(
        auth_check(&cfg, &nkey, &r.msg, NOW, got_user, 9, &ulen, got_key, &klen, &claims), AUTH_OK);
}

/* The RFC 5769 §2.4 user, signed with the vector's key (computed apart). */
static void test_rfc5769_user(void **state)
{
    static const uint8_t lt_key[16] = {0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51,
                                       0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9};
    char nonce[AUTH_NONCE_MAX], got_user[513];
    uint8_t got_key[32];
    size_t ulen, klen;
    struct request r;

    cfg.realm = "example.org";
    auth_nonce_make(&nkey, NOW, 600, nonce);
    build(&r, WITH_ALL, users[1].name, "example.org", nonce, lt_key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_OK);
    assert_int_equal(ulen, 18);
    assert_memory_equal(got_key, lt_key, 16);
    cfg.realm = REALM;
}

static void test_order_of_checks(void **state)
{
    const char *user = "1699999999:call-1:p"; /* expired */
    char nonce[AUTH_NONCE_MAX], stale[AUTH_NONCE_MAX], got_user[513];
    uint8_t key[16] = {0}, got_key[32];
    size_t ulen, klen;
    struct request r;

    auth_nonce_make(&nkey, NOW, 600, nonce);
    auth_nonce_make(&nkey, NOW - 1200, 600, stale);

    build(&r, WITH_USER | WITH_REALM | WITH_NONCE, user, REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_NO_CREDENTIALS);
    build(&r, 0, user, REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_NO_CREDENTIALS);
    build(&r, WITH_USER | WITH_REALM | WITH_MI, user, REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_BAD_REQUEST);
    build(&r, WITH_USER | WITH_NONCE | WITH_MI, user, REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_BAD_REQUEST);
    build(&r, WITH_REALM | WITH_NONCE | WITH_MI, user, REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_BAD_REQUEST);
    build(&r, WITH_ALL, user, REALM, stale, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_STALE_NONCE);
    build(&r, WITH_ALL, user, REALM, "f//499k954d6OL34oL9FSTvy64sA", key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_STALE_NONCE);
    build(&r, WITH_ALL, user, REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_EXPIRED);

    assert_int_equal(auth_result_code(AUTH_OK), 0);
    assert_int_equal(auth_result_code(AUTH_NO_CREDENTIALS), 401);
    assert_int_equal(auth_result_code(AUTH_BAD_REQUEST), 400);
    assert_int_equal(auth_result_code(AUTH_STALE_NONCE), 438);
    assert_int_equal(auth_result_code(AUTH_WRONG), 401);
}

/* The returned key signs a response the client can verify with its own. */
static void test_response_signed_with_returned_key(void **state)
{
    char nonce[AUTH_NONCE_MAX], got_user[513];
    uint8_t key[16], got_key[32], out[256];
    size_t ulen, klen;
    struct request r;
    struct stun_builder b;
    struct stun_msg resp;
    ssize_t n;

    auth_nonce_make(&nkey, NOW, 600, nonce);
    independent_key("operator", REALM, "hunter2-but-longer", key);
    build(&r, WITH_ALL, "operator", REALM, nonce, key);
    assert_int_equal(check(&r, got_user, &ulen, got_key, &klen), AUTH_OK);
    stun_build_start(&b, out, sizeof(out), STUN_METHOD_ALLOCATE, STUN_CLASS_SUCCESS, r.msg.txid);
    stun_put_u32(&b, STUN_ATTR_LIFETIME, 600);
    stun_put_integrity(&b, got_key, klen);
    n = stun_build_finish(&b);
    assert_true(n > 0);
    assert_int_equal(stun_parse(&resp, out, (size_t)n), 0);
    assert_int_equal(stun_check_integrity(&resp, key, 16), 0);
}

/* Requests built by tests/fuzz/make_corpus.py: nonce (BLAKE2b tag), REST
 * password and MD5 key all computed by Python, for nonce key 0x5a... */
static void test_python_built_requests(void **state)
{
    static const struct auth_static_user u[1] = {{"user", "password"}};
    struct turn_rest_secrets s = {.count = 1, .len = {6}, .bytes = {"secret"}};
    struct auth_config c = {"realm", &s, u, 1};
    struct auth_nonce_key k;
    char path[4096], got_user[513];
    uint8_t raw[512], got_key[32];
    size_t ulen, klen;
    struct stun_msg m;
    const char *files[] = {"allocate-auth-rest.bin", "allocate-auth-static.bin"};
    const char *names[] = {"1700003600:call:p", "user"};

    memset(k.key, 0x5a, sizeof(k.key));
    for (int i = 0; i < 2; i++) {
        FILE *f;
        size_t n;
        snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/stun/%s", TOP_SRCDIR, files[i]);
        f = fopen(path, "rb");
        assert_non_null(f);
        n = fread(raw, 1, sizeof(raw), f);
        fclose(f);
        assert_int_equal(stun_parse(&m, raw, n), 0);
        assert_int_equal(auth_check(&c, &k, &m, 1700000000, got_user, sizeof(got_user), &ulen,
                                    got_key, &klen, &claims),
                         AUTH_OK);
        assert_string_equal(got_user, names[i]);
        /* Its nonce says 1700000600. */
        assert_int_equal(auth_check(&c, &k, &m, 1700000600, got_user, sizeof(got_user), &ulen,
                                    got_key, &klen, &claims),
                         AUTH_OK);
        assert_int_equal(auth_check(&c, &k, &m, 1700000601, got_user, sizeof(got_user), &ulen,
                                    got_key, &klen, &claims),
                         AUTH_STALE_NONCE);
        /* Another secret, another password: only the static user remains. */
        memcpy(s.bytes[0], "secreT", 6);
        assert_int_equal(auth_check(&c, &k, &m, 1700000000, got_user, sizeof(got_user), &ulen,
                                    got_key, &klen, &claims),
                         i == 0 ? AUTH_WRONG : AUTH_OK);
        memcpy(s.bytes[0], "secret", 6);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonce_valid_stale_forged),
        cmocka_unit_test(test_rest_either_secret),
        cmocka_unit_test(test_sealed_claims),
        cmocka_unit_test(test_rest_wrong_password),
        cmocka_unit_test(test_rest_expired),
        cmocka_unit_test(test_static_user),
        cmocka_unit_test(test_rfc5769_user),
        cmocka_unit_test(test_order_of_checks),
        cmocka_unit_test(test_response_signed_with_returned_key),
        cmocka_unit_test(test_python_built_requests),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
