/* client_path: where a client message came from and where answers go.
 *
 * A client_transport is the relay's end of a client's 5-tuple (RFC 8656
 * §2): the UDP socket a datagram came through, or the TCP/TLS connection
 * that carried a frame. The listener owns it (embedded in its socket or
 * connection); the layers above see only this struct, so they can send on
 * it and key tables by it without knowing the listener. A stream
 * connection carries at most one allocation: its owner, which the listener
 * reports when the connection closes.
 *
 * Layer 0 (a leaf): uses addr and libevent's bufferevent. */
#ifndef UMBRA_CLIENT_PATH_H
#define UMBRA_CLIENT_PATH_H

#include "addr.h"

/* A stream connection without an allocation is closed after this many
 * seconds of silence; one with an allocation may idle (its lifetime bounds
 * it). */
#define CLIENT_PATH_IDLE_SECONDS 30

struct bufferevent;

struct client_transport {
    int udp_fd;              /* a UDP socket, or -1 */
    struct bufferevent *bev; /* a stream connection, or NULL */
    void *owner;             /* stream: the allocation it carries, or NULL */
};

struct client_path {
    struct client_transport *transport; /* with client, the 5-tuple */
    struct umbra_addr client;
};

/* A stream connection now carries owner (an allocation): it may idle.
 * Nothing for UDP. */
void client_path_attach(const struct client_path *p, void *owner);
/* The connection no longer carries owner (if it did): the idle timeout
 * applies again. Nothing for UDP. */
void client_path_detach(const struct client_path *p, const void *owner);

#endif
