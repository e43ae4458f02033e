/* wipe: the one place where memory that held secrets is zeroed before it
 * is freed. Party secrets, identity tokens, TURN passwords and DTLS
 * private keys travel in request bodies, headers and JSON replies, so
 * every copy on their way is covered:
 *   wipe_free()     buffers the broker owns (a serialized reply, a copy
 *                   of a request head);
 *   wipe_install()  makes jansson (parsed bodies, reply objects, dumps
 *                   while they grow) and libevent (evbuffer chains of
 *                   requests and replies, header lines and values) free
 *                   through a wiping free. Called once at the start of
 *                   main, before either library allocates; process-wide.
 * OpenSSL frees through the same wiping free (common/tls_server.c). */
#ifndef UMBRA_BROKER_WIPE_H
#define UMBRA_BROKER_WIPE_H

#include <stddef.h>

/* Zeroes len bytes of p, then frees it; p may be NULL. */
void wipe_free(void *p, size_t len);
/* Always 0; must run before jansson or libevent allocate anything. */
int wipe_install(void);

#endif
