/* dtls_id: per-call ECDSA P-256 key and self-signed certificate. */
#include "dtls_id.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#define DTLS_ID_SERIAL_BYTES 16
#define DTLS_ID_CN_BYTES 8
#define DTLS_ID_SCALAR_BYTES 32
#define DTLS_ID_POINT_BYTES 65 /* 0x04 || x || y */

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
    sodium_free(id->key_pem); /* wipes */
    free(id->cert_pem);
    memset(id, 0, sizeof(*id));
}

static void dtls_id_format_fp(const unsigned char md[crypto_hash_sha256_BYTES],
                              char out[DTLS_ID_FINGERPRINT_MAX])
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = strlen("sha-256 ");
    memcpy(out, "sha-256 ", o);
    for (unsigned i = 0; i < crypto_hash_sha256_BYTES; i++) {
        if (i > 0)
            out[o++] = ':';
        out[o++] = hex[md[i] >> 4];
        out[o++] = hex[md[i] & 0x0f];
    }
    out[o] = '\0';
}

/* PEM text of DER bytes: base64 in 64-column lines between the armour. A
 * private key's goes to sodium_malloc memory (locked, left out of core
 * dumps; released with sodium_free), a certificate's to malloc. */
static char *dtls_id_pem(const char *label, const unsigned char *der, size_t len, int secret)
{
    size_t lines = (len + 47) / 48;
    size_t cap = 2 * (strlen(label) + 32) + lines * 65 + 1;
    char *pem = secret ? sodium_malloc(cap) : malloc(cap);
    size_t o;
    if (pem == NULL)
        return NULL;
    o = (size_t)snprintf(pem, cap, "-----BEGIN %s-----\n", label);
    for (size_t i = 0; i < len; i += 48) {
        size_t n = len - i < 48 ? len - i : 48;
        o += (size_t)EVP_EncodeBlock((unsigned char *)pem + o, der + i, (int)n);
        pem[o++] = '\n';
    }
    snprintf(pem + o, cap - o, "-----END %s-----\n", label);
    return pem;
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

/* The uncompressed public point, 65 bytes. */
static int dtls_id_public_point(EVP_PKEY *key, unsigned char pt[DTLS_ID_POINT_BYTES])
{
    size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
                                        DTLS_ID_POINT_BYTES, &len) != 1 ||
        len != DTLS_ID_POINT_BYTES || pt[0] != 0x04)
        return -1;
    return 0;
}

/* X509_set_pubkey() goes through OpenSSL 3's encoder lookup (about 250 us
 * per call); the SubjectPublicKeyInfo of a P-256 key is just the two OIDs
 * and the point. */
static int dtls_id_set_pubkey(X509 *x, const unsigned char pt[DTLS_ID_POINT_BYTES])
{
    unsigned char *copy = OPENSSL_memdup(pt, DTLS_ID_POINT_BYTES);
    if (copy == NULL)
        return -1;
    if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
                               V_ASN1_OBJECT, OBJ_nid2obj(NID_X9_62_prime256v1), copy,
                               DTLS_ID_POINT_BYTES) != 1) {
        OPENSSL_free(copy);
        return -1;
    }
    return 0;
}

static X509 *dtls_id_make_cert(EVP_PKEY *key, const unsigned char pt[DTLS_ID_POINT_BYTES])
{
    X509 *x = X509_new();
    if (x == NULL)
        return NULL;
    if (X509_set_version(x, X509_VERSION_3) != 1 || dtls_id_set_serial(x) != 0 ||
        dtls_id_set_name(x) != 0 ||
        X509_gmtime_adj(X509_getm_notBefore(x), -DTLS_ID_VALID_BEFORE_SECONDS) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), DTLS_ID_VALID_AFTER_SECONDS) == NULL ||
        dtls_id_set_pubkey(x, pt) != 0 || X509_sign(x, key, EVP_sha256()) <= 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* PKCS#8 PrivateKeyInfo of a P-256 key, written from a fixed template
 * (RFC 5208, RFC 5915 ECPrivateKey with the public key, parameters in the
 * outer AlgorithmIdentifier: what OpenSSL itself writes, byte for byte, and
 * the unit test checks that). PEM_write_bio_PrivateKey() costs about 100 us
 * in OpenSSL 3's encoder machinery. */
static const unsigned char dtls_id_p8_head[] = {
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
    0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
    0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
};
static const unsigned char dtls_id_p8_mid[] = {0xa1, 0x44, 0x03, 0x42, 0x00};
#define DTLS_ID_P8_LEN                                                                             \
    (sizeof(dtls_id_p8_head) + DTLS_ID_SCALAR_BYTES + sizeof(dtls_id_p8_mid) + DTLS_ID_POINT_BYTES)

static char *dtls_id_key_pem(EVP_PKEY *key, const unsigned char pt[DTLS_ID_POINT_BYTES])
{
    unsigned char der[DTLS_ID_P8_LEN];
    BIGNUM *priv = NULL;
    char *pem = NULL;
    size_t o = sizeof(dtls_id_p8_head);
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1)
        return NULL;
    memcpy(der, dtls_id_p8_head, o);
    if (BN_bn2binpad(priv, der + o, DTLS_ID_SCALAR_BYTES) == DTLS_ID_SCALAR_BYTES) {
        o += DTLS_ID_SCALAR_BYTES;
        memcpy(der + o, dtls_id_p8_mid, sizeof(dtls_id_p8_mid));
        o += sizeof(dtls_id_p8_mid);
        memcpy(der + o, pt, DTLS_ID_POINT_BYTES);
        pem = dtls_id_pem("PRIVATE KEY", der, sizeof(der), 1);
    }
    BN_clear_free(priv);
    sodium_memzero(der, sizeof(der));
    return pem;
}

/* The certificate's PEM and the SHA-256 fingerprint of its DER. */
static int dtls_id_export_cert(X509 *x, struct dtls_id *out)
{
    unsigned char *der = NULL;
    unsigned char md[crypto_hash_sha256_BYTES];
    int len = i2d_X509(x, &der);
    if (len <= 0)
        return -1;
    crypto_hash_sha256(md, der, (unsigned long long)len);
    dtls_id_format_fp(md, out->fingerprint);
    out->cert_pem = dtls_id_pem("CERTIFICATE", der, (size_t)len, 0);
    OPENSSL_free(der);
    return out->cert_pem != NULL ? 0 : -1;
}

int dtls_id_generate(struct dtls_id *out, char *err, size_t errlen)
{
    unsigned char pt[DTLS_ID_POINT_BYTES];
    EVP_PKEY *key;
    X509 *x = NULL;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (key == NULL)
        return dtls_id_fail(err, errlen, "P-256 key generation failed");
    if (dtls_id_public_point(key, pt) != 0) {
        dtls_id_fail(err, errlen, "P-256 public key export failed");
        goto done;
    }
    x = dtls_id_make_cert(key, pt);
    if (x == NULL) {
        dtls_id_fail(err, errlen, "certificate creation failed");
        goto done;
    }
    if (dtls_id_export_cert(x, out) != 0) {
        dtls_id_fail(err, errlen, "certificate encoding failed");
        goto done;
    }
    out->key_pem = dtls_id_key_pem(key, pt);
    if (out->key_pem == NULL) {
        dtls_id_fail(err, errlen, "private key encoding failed");
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
    {
        struct dtls_id tmp = {0};
        rc = dtls_id_export_cert(x, &tmp);
        if (rc == 0)
            memcpy(out, tmp.fingerprint, DTLS_ID_FINGERPRINT_MAX);
        free(tmp.cert_pem);
    }
    X509_free(x);
    if (rc != 0)
        return dtls_id_fail(err, errlen, "certificate digest failed");
    return 0;
}
