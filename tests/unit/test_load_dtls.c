/* Unit tests for contrib/load/load_dtls: two endpoints in one process
 * exchange DTLS records by hand. With the right fingerprints both finish
 * and export crosswise-equal SRTP keys; with a wrong fingerprint the side
 * that checks it refuses the peer. Keys and certificates are made here
 * with OpenSSL, as the broker would issue them (ECDSA P-256). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "load_dtls.h"

struct ident {
    char key[1024];
    char cert[2048];
    char fp[128];
};

static void make_ident(struct ident *id)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    BIO *b;
    unsigned char md[32];
    unsigned int mdlen = 0;
    size_t pos = 0;
    int n;

    assert_non_null(k);
    assert_non_null(x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"test", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    n = BIO_read(b, id->key, sizeof(id->key) - 1);
    assert_true(n > 0);
    id->key[n] = '\0';
    BIO_free(b);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    n = BIO_read(b, id->cert, sizeof(id->cert) - 1);
    assert_true(n > 0);
    id->cert[n] = '\0';
    BIO_free(b);
    X509_digest(x, EVP_sha256(), md, &mdlen);
    for (unsigned i = 0; i < mdlen; i++)
        pos += (size_t)snprintf(id->fp + pos, sizeof(id->fp) - pos, i ? ":%02X" : "%02X", md[i]);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* Shuttles records until both finish or one fails (at most 50 rounds);
 * leaves each side's last load_dtls_step() result in rc_c and rc_s. */
static void handshake(struct load_dtls *c, struct load_dtls *s, int *rc_c, int *rc_s)
{
    uint8_t buf[1500];
    size_t n;
    *rc_c = *rc_s = 0;
    for (int round = 0; round < 50; round++) {
        *rc_c = load_dtls_step(c);
        while ((n = load_dtls_output(c, buf, 1200)) > 0)
            load_dtls_feed(s, buf, n);
        *rc_s = load_dtls_step(s);
        while ((n = load_dtls_output(s, buf, 1200)) > 0)
            load_dtls_feed(c, buf, n);
        if (*rc_c < 0 || *rc_s < 0 || (*rc_c == 1 && *rc_s == 1))
            break;
    }
}

static void test_keys_agree(void **state)
{
    struct ident a, b;
    uint8_t cl[LOAD_DTLS_KEY_MAX], cr[LOAD_DTLS_KEY_MAX], sl[LOAD_DTLS_KEY_MAX],
        sr[LOAD_DTLS_KEY_MAX];
    size_t clen, slen;
    int rc_c, rc_s;

    make_ident(&a);
    make_ident(&b);
    for (int suite = 0; suite < 2; suite++) {
        struct load_dtls *c = load_dtls_new(true, suite, b.key, b.cert, a.fp);
        struct load_dtls *s = load_dtls_new(false, suite, a.key, a.cert, b.fp);
        assert_non_null(c);
        assert_non_null(s);
        handshake(c, s, &rc_c, &rc_s);
        assert_int_equal(rc_c, 1);
        assert_int_equal(rc_s, 1);
        assert_int_equal(load_dtls_srtp_keys(c, cl, cr, &clen), 0);
        assert_int_equal(load_dtls_srtp_keys(s, sl, sr, &slen), 0);
        assert_int_equal(clen, suite == LOAD_AEAD_AES_128_GCM ? 28 : 30);
        assert_int_equal(clen, slen);
        /* what one side sends with, the other receives with */
        assert_memory_equal(cl, sr, clen);
        assert_memory_equal(cr, sl, clen);
        assert_memory_not_equal(cl, cr, clen);
        load_dtls_free(c);
        load_dtls_free(s);
    }
}

static void test_wrong_fingerprint_refused(void **state)
{
    struct ident a, b, other;
    int rc_c, rc_s;
    struct load_dtls *c, *s;

    make_ident(&a);
    make_ident(&b);
    make_ident(&other);
    /* the client expects someone else's certificate from the server */
    c = load_dtls_new(true, LOAD_AES_CM_128_HMAC_SHA1_80, b.key, b.cert, other.fp);
    s = load_dtls_new(false, LOAD_AES_CM_128_HMAC_SHA1_80, a.key, a.cert, b.fp);
    handshake(c, s, &rc_c, &rc_s);
    assert_int_equal(rc_c, -1);
    load_dtls_free(c);
    load_dtls_free(s);
    /* and the server expects another client */
    c = load_dtls_new(true, LOAD_AES_CM_128_HMAC_SHA1_80, b.key, b.cert, a.fp);
    s = load_dtls_new(false, LOAD_AES_CM_128_HMAC_SHA1_80, a.key, a.cert, other.fp);
    handshake(c, s, &rc_c, &rc_s);
    assert_int_equal(rc_s, -1);
    load_dtls_free(c);
    load_dtls_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_agree),
        cmocka_unit_test(test_wrong_fingerprint_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
