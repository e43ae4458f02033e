/* tls: see tls.h. */
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>

#include "tls.h"

struct tls {
    SSL_CTX *ctx;
};

struct tls *tls_new(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
    struct tls *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->ctx = SSL_CTX_new(TLS_server_method());
    if (t->ctx == NULL || SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1) {
        snprintf(err, errlen, "cannot make a TLS context");
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) {
        snprintf(err, errlen, "%s: not a PEM certificate chain", cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(t->ctx) != 1) {
        snprintf(err, errlen, "%s: not the PEM key of the certificate", key_file);
        goto fail;
    }
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    return t;
fail:
    ERR_clear_error();
    tls_free(t);
    return NULL;
}

void tls_free(struct tls *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx);
    free(t);
}

struct bufferevent *tls_bufferevent(struct event_base *base, void *arg)
{
    struct tls *t = arg;
    SSL *ssl = SSL_new(t->ctx);
    struct bufferevent *bev;
    if (ssl == NULL)
        return NULL;
    bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                         BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL)
        SSL_free(ssl);
    return bev;
}
