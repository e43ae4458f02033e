/* tls_server: see tls_server.h. */
#include "tls_server.h"
#include "wipe_alloc.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tls_server {
    SSL_CTX *ctx;
};

/* OpenSSL's allocator hooks take the caller's file and line. */
static void *tls_malloc(size_t n, const char *file, int line)
{
    return malloc(n);
}

static void *tls_realloc(void *p, size_t n, const char *file, int line)
{
    return wipe_alloc_realloc(p, n);
}

static void tls_free(void *p, const char *file, int line)
{
    wipe_alloc_free(p);
}

int tls_secure_heap_init(void)
{
    CRYPTO_set_mem_functions(tls_malloc, tls_realloc, tls_free);
    return CRYPTO_secure_malloc_init(TLS_SECURE_HEAP_BYTES, 16) != 0 ? 0 : -1;
}

struct tls_server *tls_server_new(const char *cert_path, const char *key_path, char *err,
                                  size_t errlen)
{
    struct tls_server *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->ctx = SSL_CTX_new(TLS_server_method());
    if (t->ctx == NULL || SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1) {
        snprintf(err, errlen, "cannot create a TLS context");
        goto fail;
    }
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                    SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_path) != 1) {
        snprintf(err, errlen, "tls-cert: %s: not a readable PEM certificate chain", cert_path);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(t->ctx, key_path, SSL_FILETYPE_PEM) != 1) {
        snprintf(err, errlen, "tls-key: %s: not a readable PEM key", key_path);
        goto fail;
    }
    if (SSL_CTX_check_private_key(t->ctx) != 1) {
        snprintf(err, errlen, "tls-key does not match tls-cert");
        goto fail;
    }
    return t;
fail:
    ERR_clear_error();
    tls_server_free(t);
    return NULL;
}

void tls_server_free(struct tls_server *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx);
    free(t);
}

struct bufferevent *tls_bufferevent_accept(struct tls_server *t, struct event_base *base, int fd)
{
    SSL *ssl = SSL_new(t->ctx);
    struct bufferevent *bev;
    if (ssl == NULL)
        return NULL;
    bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                         BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL)
        SSL_free(ssl);
    return bev;
}

struct bufferevent *tls_server_evhttp_bevcb(struct event_base *base, void *arg)
{
    return tls_bufferevent_accept(arg, base, -1);
}
