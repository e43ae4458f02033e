/* load_dtls: see load_dtls.h. */
#include "load_dtls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sodium.h>

struct load_dtls {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out; /* owned by ssl */
    bool client;
    bool done;
    enum load_suite suite;
    char peer_fp[128];
    uint8_t pend[16384]; /* output read from the BIO, not yet sent */
    size_t pend_len;
};

static int accept_any(int ok, X509_STORE_CTX *st)
{
    /* self-signed per-call certificates: trust comes from the fingerprint
     * in the SDP, checked after the handshake */
    (void)ok;
    (void)st;
    return 1;
}

static int load_pem(SSL_CTX *ctx, const char *key_pem, const char *cert_pem)
{
    BIO *kb = BIO_new_mem_buf(key_pem, -1), *cb = BIO_new_mem_buf(cert_pem, -1);
    EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    int rc = -1;

    if (key != NULL && cert != NULL && SSL_CTX_use_certificate(ctx, cert) == 1 &&
        SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1)
        rc = 0;
    EVP_PKEY_free(key);
    X509_free(cert);
    BIO_free(kb);
    BIO_free(cb);
    return rc;
}

struct load_dtls *load_dtls_new(bool client, enum load_suite suite, const char *key_pem,
                                const char *cert_pem, const char *peer_fingerprint)
{
    struct load_dtls *d = calloc(1, sizeof(*d));
    const char *profile =
        suite == LOAD_AEAD_AES_128_GCM ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_SHA1_80";

    if (d == NULL)
        return NULL;
    d->client = client;
    d->suite = suite;
    snprintf(d->peer_fp, sizeof(d->peer_fp), "%s", peer_fingerprint);
    d->ctx = SSL_CTX_new(DTLS_method());
    if (d->ctx == NULL || load_pem(d->ctx, key_pem, cert_pem) != 0 ||
        SSL_CTX_set_tlsext_use_srtp(d->ctx, profile) != 0)
        goto fail;
    SSL_CTX_set_verify(d->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
    SSL_CTX_set_min_proto_version(d->ctx, DTLS1_2_VERSION);
    d->ssl = SSL_new(d->ctx);
    d->in = BIO_new(BIO_s_mem());
    d->out = BIO_new(BIO_s_mem());
    if (d->ssl == NULL || d->in == NULL || d->out == NULL)
        goto fail;
    BIO_set_mem_eof_return(d->in, -1);
    SSL_set_bio(d->ssl, d->in, d->out);
    SSL_set_mtu(d->ssl, 1200);
    SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
    if (client)
        SSL_set_connect_state(d->ssl);
    else
        SSL_set_accept_state(d->ssl);
    return d;
fail:
    if (d->ssl == NULL) {
        BIO_free(d->in);
        BIO_free(d->out);
    }
    load_dtls_free(d);
    return NULL;
}

void load_dtls_free(struct load_dtls *d)
{
    if (d == NULL)
        return;
    SSL_free(d->ssl);
    SSL_CTX_free(d->ctx);
    free(d);
}

void load_dtls_feed(struct load_dtls *d, const uint8_t *buf, size_t len)
{
    BIO_write(d->in, buf, (int)len);
}

static int check_fingerprint(struct load_dtls *d)
{
    X509 *peer = SSL_get1_peer_certificate(d->ssl);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[3 * EVP_MAX_MD_SIZE + 1];
    size_t pos = 0;
    int rc = -1;

    if (peer != NULL && X509_digest(peer, EVP_sha256(), md, &mdlen) == 1) {
        for (unsigned i = 0; i < mdlen; i++)
            pos += (size_t)snprintf(hex + pos, sizeof(hex) - pos, i ? ":%02X" : "%02X", md[i]);
        rc = strcasecmp(hex, d->peer_fp) == 0 ? 0 : -1;
    }
    X509_free(peer);
    return rc;
}

int load_dtls_step(struct load_dtls *d)
{
    int r;

    if (d->done)
        return 1;
    DTLSv1_handle_timeout(d->ssl);
    ERR_clear_error();
    r = SSL_do_handshake(d->ssl);
    if (r == 1) {
        if (check_fingerprint(d) != 0 || SSL_get_selected_srtp_profile(d->ssl) == NULL)
            return -1;
        d->done = true;
        return 1;
    }
    r = SSL_get_error(d->ssl, r);
    return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

size_t load_dtls_output(struct load_dtls *d, uint8_t *out, size_t cap)
{
    size_t take = 0;

    /* a memory BIO does not keep datagram boundaries: cut the pending bytes
     * at whole DTLS records (13-byte header with the length at 11) */
    while (d->pend_len < sizeof(d->pend)) {
        int n = BIO_read(d->out, d->pend + d->pend_len, (int)(sizeof(d->pend) - d->pend_len));
        if (n <= 0)
            break;
        d->pend_len += (size_t)n;
    }
    while (take + 13 <= d->pend_len) {
        size_t rec = 13 + ((size_t)d->pend[take + 11] << 8 | d->pend[take + 12]);
        if (take + rec > d->pend_len || (take > 0 && take + rec > cap))
            break;
        if (rec > cap)
            return 0; /* cannot happen with the MTU set; never send half a record */
        take += rec;
    }
    if (take == 0)
        return 0;
    memcpy(out, d->pend, take);
    memmove(d->pend, d->pend + take, d->pend_len - take);
    d->pend_len -= take;
    return take;
}

int load_dtls_srtp_keys(struct load_dtls *d, uint8_t local[LOAD_DTLS_KEY_MAX],
                        uint8_t remote[LOAD_DTLS_KEY_MAX], size_t *len)
{
    size_t k = 16, s = d->suite == LOAD_AEAD_AES_128_GCM ? 12 : 14;
    uint8_t m[2 * (16 + 14)];
    const uint8_t *ck = m, *sk = m + k, *cs = m + 2 * k, *ss = m + 2 * k + s;

    if (!d->done || SSL_export_keying_material(d->ssl, m, 2 * (k + s), "EXTRACTOR-dtls_srtp", 19,
                                               NULL, 0, 0) != 1)
        return -1;
    /* RFC 5764 §4.2: client key, server key, client salt, server salt */
    memcpy(local, d->client ? ck : sk, k);
    memcpy(local + k, d->client ? cs : ss, s);
    memcpy(remote, d->client ? sk : ck, k);
    memcpy(remote + k, d->client ? ss : cs, s);
    *len = k + s;
    sodium_memzero(m, sizeof(m));
    return 0;
}
