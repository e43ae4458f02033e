/* tls_server: the TLS server side shared by umbra-relay (TURN over TLS) and
 * umbra-broker (HTTPS); the only common/ module that includes OpenSSL's TLS
 * headers. One tls_server is made at start-up and shared by every thread:
 * an SSL_CTX may be used from several threads once set up. TLS 1.2 or later,
 * no renegotiation, and no session tickets or cache, since resumption state
 * would link a client's connections. */
#ifndef UMBRA_TLS_SERVER_H
#define UMBRA_TLS_SERVER_H

#include <stddef.h>

struct tls_server;
struct bufferevent;
struct event_base;

/* OpenSSL's secure heap: private key numbers (the TLS key, the broker's
 * per-call DTLS keys) are kept in locked memory that core dumps leave out.
 * And OpenSSL frees through a wiping free, so the decoded copies a key
 * passes through on loading (DER, ASN.1 strings) do not stay in freed
 * memory. Process-wide; call once, before OpenSSL allocates anything. A
 * key that finds the heap full fails to load or be made. 0, or -1 when the
 * heap cannot be set up (keys then stay in ordinary memory). */
#define TLS_SECURE_HEAP_BYTES (1u << 20)
int tls_secure_heap_init(void);

/* Loads a PEM certificate chain and its key. NULL with the reason in err. */
struct tls_server *tls_server_new(const char *cert_path, const char *key_path, char *err,
                                  size_t errlen);
void tls_server_free(struct tls_server *t);
/* A bufferevent doing the server side of TLS on fd, which it owns (closed
 * and freed with the bufferevent). fd may be -1 when the caller sets it
 * later (evhttp does). NULL on failure (fd not closed). */
struct bufferevent *tls_bufferevent_accept(struct tls_server *t, struct event_base *base, int fd);
/* The same in the form of an evhttp bevcb (evhttp_set_bevcb); arg is the
 * tls_server. */
struct bufferevent *tls_server_evhttp_bevcb(struct event_base *base, void *arg);

#endif
