/* load_conn: one allocation's transport to the server: a connected UDP
 * socket, or a TCP or TLS stream with STUN/ChannelData framing (RFC 8656
 * §11.5). The only file that includes OpenSSL.
 *
 * Non-blocking throughout; the owner (a worker thread) calls
 * load_conn_on_event() when epoll reports the fd and asks
 * load_conn_wants_write() which events to wait for. Streams keep an output
 * buffer: a frame that does not fit is refused (counted by the caller as a
 * send drop), never blocked on. A conn belongs to one thread. */
#ifndef UMBRA_LOAD_CONN_H
#define UMBRA_LOAD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"
#include "load_config.h"

#define LOAD_CONN_DGRAM_MAX 2048
#define LOAD_CONN_STREAM_OUT 65536
#define LOAD_CONN_STREAM_IN 8192

struct ssl_ctx_st;
struct ssl_st;

struct load_conn {
    int fd;
    enum load_transport transport;
    bool tcp_connected;
    bool established; /* connected, and TLS handshake done */
    struct ssl_st *ssl;
    uint8_t *in; /* streams: bytes read but not yet framed */
    size_t in_len;
    uint8_t *out; /* streams: bytes not yet written */
    size_t out_len;
    struct umbra_addr local;
};

/* A TLS client context (no certificate check: a load tool on loopback). */
struct ssl_ctx_st *load_conn_tls_ctx_new(void);
void load_conn_tls_ctx_free(struct ssl_ctx_st *ctx);

/* Opens and starts connecting to server. 0 or -1. */
int load_conn_open(struct load_conn *c, enum load_transport t, const struct umbra_addr *server,
                   struct ssl_ctx_st *tls);
void load_conn_close(struct load_conn *c);

/* Advances connect/handshake and flushes output. 0, or -1 when the
 * connection failed or closed. */
int load_conn_on_event(struct load_conn *c);
bool load_conn_wants_write(const struct load_conn *c);

/* Sends one frame (a STUN message or ChannelData, padded for streams by the
 * caller). 0 sent or queued, 1 refused (would block / buffer full), -1
 * broken. */
int load_conn_send(struct load_conn *c, const uint8_t *buf, size_t len);
/* UDP only: sends n datagrams with one sendmmsg. Returns how many went. */
int load_conn_send_batch(struct load_conn *c, struct mmsghdr *msgs, unsigned n);

/* Calls fn for every frame (datagram, or complete stream frame) that can be
 * read now, at most max_frames. The buffer passed to fn is writable and
 * valid only during the call. Returns frames read, or -1 when broken. */
typedef void (*load_conn_frame_fn)(void *ctx, uint8_t *buf, size_t len);
int load_conn_receive(struct load_conn *c, unsigned max_frames, load_conn_frame_fn fn, void *ctx,
                      struct mmsghdr *msgs, uint8_t (*bufs)[LOAD_CONN_DGRAM_MAX], unsigned nbufs);

#endif
