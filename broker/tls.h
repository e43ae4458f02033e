/* tls: HTTPS for the broker (the only broker file besides dtls_id that
 * includes OpenSSL). tls_new loads a PEM certificate chain and key into a
 * server context (TLS 1.2 or later); tls_bufferevent makes the accepting
 * bufferevent evhttp uses for each new connection. */
#ifndef UMBRA_BROKER_TLS_H
#define UMBRA_BROKER_TLS_H

#include <stddef.h>

struct event_base;
struct bufferevent;
struct tls;

struct tls *tls_new(const char *cert_file, const char *key_file, char *err, size_t errlen);
void tls_free(struct tls *t);
/* evhttp bevcb: arg is a struct tls. NULL on failure (evhttp drops the
 * connection). */
struct bufferevent *tls_bufferevent(struct event_base *base, void *arg);

#endif
