/* Unit tests for broker/dtls_id: what it generates is parsed back with
 * OpenSSL and checked against the openssl command line.
 *
 * "test_dtls_id --bench SECONDS" prints identities generated per second on
 * one thread instead of running the tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "dtls_id.h"

static EVP_PKEY *parse_key(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k;
    assert_non_null(b);
    k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(k);
    return k;
}

static X509 *parse_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x;
    assert_non_null(b);
    x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(x);
    return x;
}

static const char *bio_text(BIO *b)
{
    static char text[4096];
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    memcpy(text, data, (size_t)n);
    text[n] = '\0';
    BIO_free(b);
    return text;
}

static const char *openssl_key_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
    return bio_text(b);
}

static const char *openssl_cert_pem(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    return bio_text(b);
}

static void subject_cn(X509 *x, char *out, size_t cap)
{
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, (int)cap) >
                0);
}

static void test_key_and_cert_parse_back(void **state)
{
    struct dtls_id id;
    char err[256] = "", group[64] = "", cn[64], issuer_cn[64];
    EVP_PKEY *key, *pub;
    X509 *x;
    size_t glen = 0;
    assert_int_equal(dtls_id_generate(&id, err, sizeof(err)), 0);
    assert_true(strncmp(id.key_pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0); /* PKCS#8 */
    assert_true(strncmp(id.cert_pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
    key = parse_key(id.key_pem);
    x = parse_cert(id.cert_pem);
    /* ECDSA P-256 */
    assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
    assert_int_equal(EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                    sizeof(group), &glen),
                     1);
    assert_string_equal(group, "prime256v1");
    assert_int_equal(EVP_PKEY_get_bits(key), 256);
    /* self-signed with this key, by ecdsa-with-SHA256, X.509 v3 */
    pub = X509_get0_pubkey(x);
    assert_non_null(pub);
    assert_int_equal(X509_verify(x, pub), 1);
    assert_int_equal(X509_check_private_key(x, key), 1);
    assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    subject_cn(x, cn, sizeof(cn));
    assert_int_equal(strlen(cn), 16);
    assert_int_equal(strspn(cn, "0123456789abcdef"), 16);
    assert_int_equal(X509_NAME_get_text_by_NID(X509_get_issuer_name(x), NID_commonName, issuer_cn,
                                               sizeof(issuer_cn)),
                     16);
    assert_string_equal(cn, issuer_cn);
    {
        /* a positive serial of 16 bytes */
        const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
        BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
        assert_non_null(bn);
        assert_false(BN_is_negative(bn));
        assert_int_equal(BN_num_bytes(bn), 16);
        BN_free(bn);
    }
    /* the PEM texts are exactly what OpenSSL writes for this key and cert */
    assert_string_equal(id.key_pem, openssl_key_pem(key));
    assert_string_equal(id.cert_pem, openssl_cert_pem(x));
    X509_free(x);
    EVP_PKEY_free(key);
    dtls_id_free(&id);
    assert_null(id.key_pem);
    assert_null(id.cert_pem);
    assert_string_equal(id.fingerprint, "");
}

/* Valid from one hour ago until one day from now. */
static void test_validity(void **state)
{
    struct dtls_id id;
    char err[256];
    X509 *x;
    int day, sec;
    time_t before = time(NULL);
    assert_int_equal(dtls_id_generate(&id, err, sizeof(err)), 0);
    x = parse_cert(id.cert_pem);
    {
        ASN1_TIME *now = ASN1_TIME_set(NULL, before);
        assert_int_equal(ASN1_TIME_diff(&day, &sec, now, X509_get0_notAfter(x)), 1);
        /* within a few seconds of exactly one day */
        assert_int_equal(day * 86400 + sec >= 86400 && day * 86400 + sec <= 86400 + 5, 1);
        assert_int_equal(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(x), now), 1);
        assert_true(day * 86400 + sec >= 3600 - 5 && day * 86400 + sec <= 3600);
        ASN1_TIME_free(now);
    }
    assert_int_equal(X509_cmp_current_time(X509_get0_notBefore(x)), -1);
    assert_int_equal(X509_cmp_current_time(X509_get0_notAfter(x)), 1);
    X509_free(x);
    dtls_id_free(&id);
}

static void test_two_identities_differ(void **state)
{
    struct dtls_id a, b;
    char err[256], cn_a[64], cn_b[64];
    X509 *xa, *xb;
    assert_int_equal(dtls_id_generate(&a, err, sizeof(err)), 0);
    assert_int_equal(dtls_id_generate(&b, err, sizeof(err)), 0);
    xa = parse_cert(a.cert_pem);
    xb = parse_cert(b.cert_pem);
    subject_cn(xa, cn_a, sizeof(cn_a));
    subject_cn(xb, cn_b, sizeof(cn_b));
    assert_string_not_equal(cn_a, cn_b);
    assert_string_not_equal(a.fingerprint, b.fingerprint);
    assert_string_not_equal(a.key_pem, b.key_pem);
    assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(xa), X509_get0_serialNumber(xb)),
                         0);
    X509_free(xa);
    X509_free(xb);
    dtls_id_free(&a);
    dtls_id_free(&b);
}

/* The fingerprint is what `openssl x509 -fingerprint -sha256` prints, in
 * the SDP form. */
static void test_fingerprint_matches_openssl_cli(void **state)
{
    struct dtls_id id;
    char err[256], path[] = "/tmp/umbra-dtls-id-XXXXXX", cmd[128], line[256] = "";
    char expected[DTLS_ID_FINGERPRINT_MAX], again[DTLS_ID_FINGERPRINT_MAX];
    const char *eq;
    FILE *p;
    int fd;
    assert_int_equal(dtls_id_generate(&id, err, sizeof(err)), 0);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, id.cert_pem, strlen(id.cert_pem)), (ssize_t)strlen(id.cert_pem));
    close(fd);
    snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -sha256 -in %s", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof(line), p));
    assert_int_equal(pclose(p), 0);
    unlink(path);
    line[strcspn(line, "\r\n")] = '\0';
    eq = strchr(line, '='); /* "sha256 Fingerprint=AB:CD:..." */
    assert_non_null(eq);
    snprintf(expected, sizeof(expected), "sha-256 %s", eq + 1);
    assert_string_equal(id.fingerprint, expected);
    assert_int_equal(strlen(id.fingerprint), 8 + 32 * 3 - 1);
    assert_int_equal(dtls_id_fingerprint_of_pem(id.cert_pem, again, err, sizeof(err)), 0);
    assert_string_equal(again, expected);
    dtls_id_free(&id);
}

static void test_fingerprint_of_bad_pem(void **state)
{
    char out[DTLS_ID_FINGERPRINT_MAX], err[256] = "";
    assert_int_equal(dtls_id_fingerprint_of_pem("not a certificate", out, err, sizeof(err)), -1);
    assert_string_equal(out, "");
    assert_non_null(strstr(err, "PEM"));
    assert_int_equal(dtls_id_fingerprint_of_pem(NULL, out, err, sizeof(err)), -1);
}

/* dtls_id_wipe zeroes a string in place (for copies of key_pem). */
static void test_wipe(void **state)
{
    struct dtls_id id;
    char err[256];
    char *copy;
    size_t n;
    assert_int_equal(dtls_id_generate(&id, err, sizeof(err)), 0);
    copy = strdup(id.key_pem);
    assert_non_null(copy);
    n = strlen(copy);
    assert_true(n > 200);
    dtls_id_wipe(copy);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(copy[i], 0);
    dtls_id_wipe(NULL);
    free(copy);
    dtls_id_free(&id);
    dtls_id_free(NULL);
}

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench(double seconds)
{
    /* CPU time of this thread gives the rate of one core even on a busy
     * machine; wall time is printed too. */
    double start = clock_seconds(CLOCK_MONOTONIC), elapsed;
    double cpu_start = clock_seconds(CLOCK_THREAD_CPUTIME_ID), cpu;
    unsigned long n = 0;
    char err[256];
    do {
        struct dtls_id id;
        if (dtls_id_generate(&id, err, sizeof(err)) != 0) {
            fprintf(stderr, "dtls_id_generate: %s\n", err);
            return 1;
        }
        dtls_id_free(&id);
        n++;
        elapsed = clock_seconds(CLOCK_MONOTONIC) - start;
    } while (elapsed < seconds);
    cpu = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
    printf("dtls_id_generate: %lu identities, %.2f s CPU (%.2f s wall): %.0f per CPU-second"
           " of one core (%.0f/s wall)\n",
           n, cpu, elapsed, (double)n / cpu, (double)n / elapsed);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_and_cert_parse_back),
        cmocka_unit_test(test_validity),
        cmocka_unit_test(test_two_identities_differ),
        cmocka_unit_test(test_fingerprint_matches_openssl_cli),
        cmocka_unit_test(test_fingerprint_of_bad_pem),
        cmocka_unit_test(test_wipe),
    };
    if (sodium_init() < 0)
        return 1;
    if (argc == 3 && strcmp(argv[1], "--bench") == 0)
        return bench(atof(argv[2]));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
