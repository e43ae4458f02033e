/* listener: a worker's client-facing sockets: one SO_REUSEPORT UDP socket
 * and one TCP listener per listen address, TLS listeners per tls-listen
 * address, and the stream connections they accepted.
 *
 * UDP datagrams and stream frames (RFC 8656 §11.5: STUN messages and
 * ChannelData padded to 4 bytes) go to turn_handle_packet(). UDP is read
 * with recvmmsg(), a few batches per wakeup so one busy socket cannot starve
 * the others; what a batch sends to UDP clients and peers is collected in
 * the worker's send_batch and leaves with sendmmsg() when the batch has
 * been handled (worker_flush). The relayed sockets of allocations are read
 * into the same slots (listener_recv). A stream connection owns at most one allocation; closing the
 * connection ends it. Everything here belongs to the worker's thread. */
#ifndef UMBRA_LISTENER_H
#define UMBRA_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define LISTENER_MAX 8
/* Datagrams per recvmmsg() call, and calls per wakeup of one socket. */
#define LISTENER_UDP_BATCH 32
#define LISTENER_UDP_ROUNDS 4
/* Copies of small messages waiting in the send batch (listener_send). */
#define LISTENER_COPY_SLOTS 64
#define LISTENER_COPY_SIZE 1536
/* Peer data is dropped when a stream client is this far behind. */
#define LISTENER_STREAM_BACKLOG (1024 * 1024)

struct worker;
struct relay_config;
struct allocation;
struct bufferevent;
struct evconnlistener;
struct event;

struct udp_sock {
    struct worker *w;
    int fd;
    struct umbra_addr local;
    struct event *ev;
};

struct stream_conn {
    struct worker *w;
    struct bufferevent *bev;
    struct umbra_addr client;
    bool tls;
    struct allocation *alloc; /* NULL or the connection's allocation */
    struct stream_conn *prev, *next;
};

/* Where a client message came from and where answers go: a UDP socket and
 * the client's address, or a stream connection. */
struct client_path {
    struct udp_sock *udp;
    struct stream_conn *conn;
    struct umbra_addr client;
};

struct mmsghdr;
struct iovec;

struct listener {
    /* recvmmsg() state: LISTENER_UDP_BATCH slots of a full datagram each,
     * the datagram WORKER_HEADROOM bytes into its slot. */
    struct mmsghdr *mm;
    struct iovec *iov;
    struct sockaddr_storage *from;
    uint8_t *slots;
    uint8_t *copy; /* LISTENER_COPY_SLOTS copies; n_copy in use until the flush */
    size_t n_copy;
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
int listener_open(struct worker *w, struct listener *l);
/* Closes sockets and connections (ending their allocations first). */
void listener_close(struct worker *w, struct listener *l);
/* Sends a STUN message or ChannelData to the client: to a UDP client a
 * copy joins the worker's send batch when it is small (LISTENER_COPY_SIZE)
 * and there is room, otherwise it is sent at once after what the batch
 * holds, so a flow keeps its order; buf may be reused on return. Stream
 * paths pad ChannelData to 4 bytes. buf must have 3 spare bytes after len.
 * Returns 0 (sent or queued) or -1 (dropped). */
int listener_send(struct worker *w, const struct client_path *p, uint8_t *buf, size_t len,
                  bool channel_data);
/* Sends a ChannelData frame (channel header included in len) to the client:
 * UDP clients through the worker's send batch, so frame must stay valid
 * until worker_flush(); stream clients at once as listener_send(). Counts
 * the packet to the client when it leaves. */
void listener_send_channel_data(struct worker *w, const struct client_path *p, uint8_t *frame,
                                size_t len);
/* Reads up to LISTENER_UDP_BATCH datagrams from a UDP socket into the
 * worker's slots: datagram i at l->iov[i].iov_base, l->mm[i].msg_len
 * bytes, from l->from[i]. The slots stay valid until the next call.
 * Returns the count (0 when none or on error). */
int listener_recv(struct listener *l, int fd);
/* A connection with an allocation may idle (its lifetime bounds it); one
 * without is closed after LISTENER_IDLE_SECONDS of silence. */
#define LISTENER_IDLE_SECONDS 30
void listener_conn_attach(struct stream_conn *c, struct allocation *a);
void listener_conn_detach(struct stream_conn *c, struct allocation *a);
/* Opaque id of the path's transport for the 5-tuple key. */
const void *listener_path_via(const struct client_path *p);

#endif
