/* listener: a worker's client-facing sockets: one SO_REUSEPORT UDP socket
 * and one TCP listener per listen address, TLS listeners per tls-listen
 * address, and the stream connections they accepted.
 *
 * It reports up through callbacks (struct listener_ops), as libevent
 * reports to its users: each UDP datagram and each stream frame (RFC 8656
 * §11.5: STUN messages and ChannelData padded to 4 bytes) as a packet on a
 * client_path, the end of each receive batch (flush: the buffer is reused
 * next), the start and end of each wakeup (enter/leave), and a closed
 * connection that carried an allocation (closed). UDP is read with
 * recvmmsg() into the worker's recv_batch, a few batches per wakeup so one
 * busy socket cannot starve the others. A stream connection owns at most
 * one allocation (client_path.h); closing the connection reports it.
 * Everything here belongs to the worker's thread.
 *
 * Layer 4: uses client_path, recv_batch, stream_frame, relay_config,
 * tls_server, metrics, log. */
#ifndef UMBRA_LISTENER_H
#define UMBRA_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "client_path.h"

#define LISTENER_MAX 8
/* recvmmsg() calls per wakeup of one socket. */
#define LISTENER_UDP_ROUNDS 4
/* A connection without an allocation is closed after this much silence. */
#define LISTENER_IDLE_SECONDS CLIENT_PATH_IDLE_SECONDS

struct relay_config;
struct recv_batch;
struct metrics_thread;
struct log_ctx;
struct tls_server;
struct event_base;
struct bufferevent;
struct evconnlistener;
struct event;
struct listener;

struct listener_ops {
    void (*enter)(void *ctx); /* a wakeup starts */
    void (*leave)(void *ctx); /* and ends */
    /* buf is writable with 3 spare bytes after len, valid until flush. */
    void (*packet)(void *ctx, const struct client_path *p, uint8_t *buf, size_t len);
    void (*flush)(void *ctx);
    /* A connection carrying owner (client_transport.owner) closed. */
    void (*closed)(void *ctx, void *owner);
};

struct udp_sock {
    struct client_transport transport; /* udp_fd is the socket */
    struct listener *l;
    struct umbra_addr local;
    struct event *ev;
};

struct stream_conn {
    struct client_transport transport; /* bev and owner */
    struct listener *l;
    struct umbra_addr client;
    bool tls;
    struct stream_conn *prev, *next;
};

/* What listener_open needs; all outlive the listener. */
struct listener_env {
    struct event_base *base;
    const struct relay_config *cfg;
    struct tls_server *tls; /* NULL without TLS */
    struct log_ctx *log;
    struct metrics_thread *metrics;
    struct recv_batch *rx; /* shared with the relayed sockets */
    bool warn_rcvbuf;      /* say so when the kernel caps udp-rcvbuf */
    const struct listener_ops *ops;
    void *ctx;
};

struct listener {
    struct listener_env env;
    uint8_t *frame; /* a stream frame being handled */
    size_t frame_size;
    size_t n_udp;
    struct udp_sock udp[LISTENER_MAX];
    size_t n_stream;
    struct evconnlistener *stream[2 * LISTENER_MAX];
    struct event *accept_retry; /* re-enables accepting after an error */
    struct stream_conn *conns;
};

/* Every thread binds its own sockets with SO_REUSEPORT, which the kernel
 * also grants to another process of the same user already on the port,
 * splitting the traffic between them. Called once before the threads
 * start: probes each configured address without SO_REUSEPORT, so a port
 * already in use is an error at start-up. 0, or -1 with the reason. */
int listener_check_free(const struct relay_config *cfg, char *err, size_t errlen);
int listener_open(struct listener *l, const struct listener_env *env);
/* Closes connections (reporting their allocations as closed) and sockets. */
void listener_close(struct listener *l);

#endif
