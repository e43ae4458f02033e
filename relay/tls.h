/* tls: the relay's TLS server context (the only file of relay/ that
 * includes OpenSSL headers). One tls_server is shared by all workers;
 * OpenSSL's SSL_CTX is safe to use from several threads once set up. */
#ifndef UMBRA_RELAY_TLS_H
#define UMBRA_RELAY_TLS_H

#include <stddef.h>

struct tls_server;
struct bufferevent;
struct event_base;

/* Loads a PEM certificate chain and key. NULL with the reason in err. */
struct tls_server *tls_server_new(const char *cert_path, const char *key_path, char *err,
                                  size_t errlen);
void tls_server_free(struct tls_server *t);
/* A bufferevent doing the server side of TLS on fd, which it owns (closed
 * and freed with the bufferevent). NULL on failure (fd not closed). */
struct bufferevent *tls_bufferevent_accept(struct tls_server *t, struct event_base *base, int fd);

#endif
