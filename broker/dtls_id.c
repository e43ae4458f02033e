/* dtls_id: per-call ECDSA P-256 key and self-signed certificate. */
#include "dtls_id.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#define DTLS_ID_SERIAL_BYTES 16
#define DTLS_ID_CN_BYTES 8

static int dtls_id_fail(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char ossl[160] = "";
    if (e != 0)
        ERR_error_string_n(e, ossl, sizeof(ossl));
    ERR_clear_error();
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s%s%s", what, e != 0 ? ": " : "", ossl);
    return -1;
}

void dtls_id_wipe(char *s)
{
    if (s != NULL)
        sodium_memzero(s, strlen(s));
}

void dtls_id_free(struct dtls_id *id)
{
    if (id == NULL)
        return;
    dtls_id_wipe(id->key_pem);
    free(id->key_pem);
    free(id->cert_pem);
    memset(id, 0, sizeof(*id));
}

static void dtls_id_format_fp(const unsigned char *md, unsigned len,
                              char out[DTLS_ID_FINGERPRINT_MAX])
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = strlen("sha-256 ");
    memcpy(out, "sha-256 ", o);
    for (unsigned i = 0; i < len && o + 3 < DTLS_ID_FINGERPRINT_MAX; i++) {
        if (i > 0)
            out[o++] = ':';
        out[o++] = hex[md[i] >> 4];
        out[o++] = hex[md[i] & 0x0f];
    }
    out[o] = '\0';
}

static int dtls_id_fingerprint_of_x509(const X509 *x, char out[DTLS_ID_FINGERPRINT_MAX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (X509_digest(x, EVP_sha256(), md, &len) != 1 || len != 32)
        return -1;
    dtls_id_format_fp(md, len, out);
    return 0;
}

/* Copies a memory BIO into a fresh NUL-terminated malloc'd string. */
static char *dtls_id_bio_string(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *s;
    if (n <= 0 || data == NULL)
        return NULL;
    s = malloc((size_t)n + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    return s;
}

static int dtls_id_set_serial(X509 *x)
{
    unsigned char raw[DTLS_ID_SERIAL_BYTES];
    BIGNUM *bn;
    int ok = 0;
    randombytes_buf(raw, sizeof(raw));
    raw[0] &= 0x7f; /* positive, and DER needs no leading zero byte */
    raw[0] |= 0x40; /* never shorter than 16 bytes, never zero */
    bn = BN_bin2bn(raw, sizeof(raw), NULL);
    if (bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
        ok = 1;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int dtls_id_set_name(X509 *x)
{
    unsigned char raw[DTLS_ID_CN_BYTES];
    char cn[2 * DTLS_ID_CN_BYTES + 1];
    X509_NAME *name = X509_get_subject_name(x);
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(cn, sizeof(cn), raw, sizeof(raw));
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                   0) != 1)
        return -1;
    return X509_set_issuer_name(x, name) == 1 ? 0 : -1;
}

static X509 *dtls_id_make_cert(EVP_PKEY *key)
{
    X509 *x = X509_new();
    if (x == NULL)
        return NULL;
    if (X509_set_version(x, X509_VERSION_3) != 1 || dtls_id_set_serial(x) != 0 ||
        dtls_id_set_name(x) != 0 ||
        X509_gmtime_adj(X509_getm_notBefore(x), -DTLS_ID_VALID_BEFORE_SECONDS) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), DTLS_ID_VALID_AFTER_SECONDS) == NULL ||
        X509_set_pubkey(x, key) != 1 || X509_sign(x, key, EVP_sha256()) <= 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static char *dtls_id_key_pem(EVP_PKEY *key)
{
    /* The secure-heap memory BIO clears its buffer when freed. */
    BIO *bio = BIO_new(BIO_s_secmem());
    char *pem = NULL;
    if (bio == NULL)
        return NULL;
    if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1)
        pem = dtls_id_bio_string(bio);
    BIO_free(bio);
    return pem;
}

static char *dtls_id_cert_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    if (bio == NULL)
        return NULL;
    if (PEM_write_bio_X509(bio, x) == 1)
        pem = dtls_id_bio_string(bio);
    BIO_free(bio);
    return pem;
}

int dtls_id_generate(struct dtls_id *out, char *err, size_t errlen)
{
    EVP_PKEY *key;
    X509 *x = NULL;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (key == NULL)
        return dtls_id_fail(err, errlen, "P-256 key generation failed");
    x = dtls_id_make_cert(key);
    if (x == NULL) {
        dtls_id_fail(err, errlen, "certificate creation failed");
        goto done;
    }
    out->key_pem = dtls_id_key_pem(key);
    out->cert_pem = dtls_id_cert_pem(x);
    if (out->key_pem == NULL || out->cert_pem == NULL) {
        dtls_id_fail(err, errlen, "PEM encoding failed");
        goto done;
    }
    if (dtls_id_fingerprint_of_x509(x, out->fingerprint) != 0) {
        dtls_id_fail(err, errlen, "certificate digest failed");
        goto done;
    }
    rc = 0;
done:
    if (rc != 0)
        dtls_id_free(out);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

int dtls_id_fingerprint_of_pem(const char *cert_pem, char out[DTLS_ID_FINGERPRINT_MAX], char *err,
                               size_t errlen)
{
    BIO *bio;
    X509 *x;
    int rc;
    out[0] = '\0';
    if (cert_pem == NULL)
        return dtls_id_fail(err, errlen, "no certificate");
    bio = BIO_new_mem_buf(cert_pem, -1);
    if (bio == NULL)
        return dtls_id_fail(err, errlen, "out of memory");
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (x == NULL)
        return dtls_id_fail(err, errlen, "not a PEM certificate");
    rc = dtls_id_fingerprint_of_x509(x, out);
    X509_free(x);
    if (rc != 0)
        return dtls_id_fail(err, errlen, "certificate digest failed");
    return 0;
}
