/* listener: see listener.h. */
#include "listener.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "alloc_table.h"
#include "relay_config.h"
#include "stream_frame.h"
#include "allocation.h"
#include "tls_server.h"
#include "turn_handlers.h"
#include "worker.h"

/* A slot holds headroom for a header put in front of a peer's datagram,
 * the largest datagram, and the 3 spare bytes handlers may use. */
#define SLOT_SIZE (WORKER_HEADROOM + STUN_MAX_MSG + 8)

int listener_recv(struct listener *l, int fd)
{
    int n;
    for (int i = 0; i < LISTENER_UDP_BATCH; i++) {
        l->iov[i].iov_base = l->slots + (size_t)i * SLOT_SIZE + WORKER_HEADROOM;
        l->iov[i].iov_len = SLOT_SIZE - WORKER_HEADROOM - 4;
        memset(&l->mm[i].msg_hdr, 0, sizeof(l->mm[i].msg_hdr));
        l->mm[i].msg_hdr.msg_name = &l->from[i];
        l->mm[i].msg_hdr.msg_namelen = sizeof(l->from[i]);
        l->mm[i].msg_hdr.msg_iov = &l->iov[i];
        l->mm[i].msg_hdr.msg_iovlen = 1;
    }
    n = recvmmsg(fd, l->mm, LISTENER_UDP_BATCH, MSG_DONTWAIT, NULL);
    return n > 0 ? n : 0;
}

static void udp_read(struct udp_sock *u, int fd)
{
    struct worker *w = u->w;
    struct listener *l = &w->listener;

    for (int round = 0; round < LISTENER_UDP_ROUNDS; round++) {
        int n = listener_recv(l, fd);
        for (int i = 0; i < n; i++) {
            struct client_path p = {.udp = u, .conn = NULL};
            if ((l->mm[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ||
                addr_from_sockaddr(&p.client, (struct sockaddr *)&l->from[i],
                                   l->mm[i].msg_hdr.msg_namelen) != 0) {
                metrics_add(&w->metrics, M_DROP_MALFORMED, 1);
                continue;
            }
            turn_handle_packet(w, &p, l->iov[i].iov_base, l->mm[i].msg_len);
        }
        /* The slots are reused by the next round: send what points into
         * them first. */
        worker_flush(w);
        if (n < LISTENER_UDP_BATCH)
            return;
    }
}

static void on_udp_readable(evutil_socket_t fd, short what, void *arg)
{
    struct udp_sock *u = arg;
    worker_enter(u->w);
    udp_read(u, fd);
    worker_leave(u->w);
}

/* Says so (once, from the first worker) when the kernel kept the receive
 * buffer below udp-rcvbuf. Linux reports twice the size it was asked for
 * (the other half is its bookkeeping). */
static void warn_rcvbuf(struct worker *w, int fd, int wanted)
{
    int got = 0;
    socklen_t len = sizeof(got);
    if (w->id != 0 || getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) != 0)
        return;
    if (got / 2 < wanted)
        log_warn(w->sh->log,
                 "udp-rcvbuf: the kernel allows %d bytes of %d; raise "
                 "net.core.rmem_max or give the relay CAP_NET_ADMIN",
                 got / 2, wanted);
}

static int open_udp(struct worker *w, struct udp_sock *u, const struct umbra_addr *a)
{
    int one = 1, sz = 4 << 20, rcv = (int)w->sh->cfg->udp_rcvbuf;
    int fd = socket(addr_family(a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    /* Clients and floods share this buffer: when it overflows, the kernel
     * drops legitimate datagrams too. SO_RCVBUFFORCE (CAP_NET_ADMIN) may
     * exceed net.core.rmem_max; without it the kernel caps the size. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    warn_rcvbuf(w, fd, rcv);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    if (addr_family(a) == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, &a->u.sa, (socklen_t)addr_len(a)) != 0) {
        close(fd);
        return -1;
    }
    u->w = w;
    u->fd = fd;
    u->local = *a;
    u->ev = event_new(w->base, fd, EV_READ | EV_PERSIST, on_udp_readable, u);
    if (u->ev == NULL || event_add(u->ev, NULL) != 0) {
        if (u->ev != NULL)
            event_free(u->ev);
        close(fd);
        return -1;
    }
    return 0;
}

static void conn_close(struct stream_conn *c)
{
    struct worker *w = c->w;
    if (c->alloc != NULL)
        alloc_table_delete(&w->allocs, c->alloc);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->listener.conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    bufferevent_free(c->bev);
    metrics_gauge(&w->metrics, G_CONNECTIONS, -1);
    free(c);
}

static void on_stream_read(struct bufferevent *bev, void *arg)
{
    struct stream_conn *c = arg;
    struct worker *w = c->w;
    struct evbuffer *in = bufferevent_get_input(bev);

    for (;;) {
        size_t avail = evbuffer_get_length(in);
        size_t peek = avail < STREAM_FRAME_HEAD ? avail : STREAM_FRAME_HEAD;
        size_t frame = 0;
        enum stream_frame_status st;
        struct client_path p = {.udp = NULL, .conn = c, .client = c->client};

        st = stream_frame_next(evbuffer_pullup(in, (ssize_t)peek), peek, avail, sizeof(w->rx) - 4,
                               &frame);
        if (st == STREAM_FRAME_BAD) {
            metrics_add(&w->metrics, M_DROP_MALFORMED, 1);
            conn_close(c);
            return;
        }
        if (st == STREAM_FRAME_MORE)
            return;
        evbuffer_remove(in, w->rx, frame);
        turn_handle_packet(w, &p, w->rx, frame);
        worker_flush(w); /* w->rx is reused by the next frame */
    }
}

static void on_stream_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
        conn_close(arg);
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg, bool tls)
{
    struct worker *w = arg;
    struct stream_conn *c = calloc(1, sizeof(*c));
    struct timeval idle = {LISTENER_IDLE_SECONDS, 0};
    int one = 1;

    if (c == NULL || addr_from_sockaddr(&c->client, sa, (size_t)salen) != 0) {
        free(c);
        close(fd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->w = w;
    c->tls = tls;
    if (tls)
        c->bev = tls_bufferevent_accept(w->sh->tls, w->base, fd);
    else
        c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL) {
        close(fd);
        free(c);
        return;
    }
    bufferevent_setcb(c->bev, on_stream_read, NULL, on_stream_event, c);
    bufferevent_set_timeouts(c->bev, &idle, NULL);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->next = w->listener.conns;
    if (c->next != NULL)
        c->next->prev = c;
    w->listener.conns = c;
    metrics_gauge(&w->metrics, G_CONNECTIONS, 1);
}

static void on_accept_tcp(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    on_accept(lev, fd, sa, salen, arg, false);
}

static void on_accept_tls(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    on_accept(lev, fd, sa, salen, arg, true);
}

static void on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
    struct listener *l = arg;
    for (size_t i = 0; i < l->n_stream; i++)
        evconnlistener_enable(l->stream[i]);
}

/* accept() failing (out of descriptors, mostly) would otherwise wake the
 * loop again at once: pause accepting for a second. */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    struct worker *w = arg;
    struct listener *l = &w->listener;
    struct timeval one_second = {1, 0};
    metrics_add(&w->metrics, M_DROP_CONGESTED, 1);
    for (size_t i = 0; i < l->n_stream; i++)
        evconnlistener_disable(l->stream[i]);
    evtimer_add(l->accept_retry, &one_second);
}

static struct evconnlistener *open_stream(struct worker *w, const struct umbra_addr *a, bool tls)
{
    unsigned flags =
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC;
    if (addr_family(a) == AF_INET6)
        flags |= LEV_OPT_BIND_IPV6ONLY;
    struct evconnlistener *lev = evconnlistener_new_bind(
        w->base, tls ? on_accept_tls : on_accept_tcp, w, flags, 128, &a->u.sa, (int)addr_len(a));
    if (lev != NULL)
        evconnlistener_set_error_cb(lev, on_accept_error);
    return lev;
}

static int probe_bind(const struct umbra_addr *a, int type, const char *key, char *err,
                      size_t errlen)
{
    int one = 1, rc;
    int fd = socket(addr_family(a), type | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open a socket: %s", key, strerror(errno));
        return -1;
    }
    if (type == SOCK_STREAM) /* a port left in TIME_WAIT is free to listen on */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (addr_family(a) == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    rc = bind(fd, &a->u.sa, (socklen_t)addr_len(a));
    if (rc != 0) {
        /* No address even here: on a host whose clients share the
         * listen address (loopback, NAT), the log would hold theirs. The
         * family and port name the entry. */
        snprintf(err, errlen, "%s (an IPv%c address, port %u): cannot bind %s: %s", key,
                 addr_family(a) == AF_INET6 ? '6' : '4', (unsigned)addr_port(a),
                 type == SOCK_STREAM ? "TCP" : "UDP", strerror(errno));
    }
    close(fd);
    return rc == 0 ? 0 : -1;
}

int listener_check_free(const struct relay_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->n_listen; i++) {
        if (probe_bind(&cfg->listen[i], SOCK_DGRAM, "listen", err, errlen) != 0 ||
            probe_bind(&cfg->listen[i], SOCK_STREAM, "listen", err, errlen) != 0)
            return -1;
    }
    for (size_t i = 0; i < cfg->n_tls_listen; i++) {
        if (probe_bind(&cfg->tls_listen[i], SOCK_STREAM, "tls-listen", err, errlen) != 0)
            return -1;
    }
    return 0;
}

int listener_open(struct worker *w, struct listener *l)
{
    const struct relay_config *cfg = w->sh->cfg;
    memset(l, 0, sizeof(*l));
    l->mm = calloc(LISTENER_UDP_BATCH, sizeof(*l->mm));
    l->iov = calloc(LISTENER_UDP_BATCH, sizeof(*l->iov));
    l->from = calloc(LISTENER_UDP_BATCH, sizeof(*l->from));
    l->slots = malloc((size_t)LISTENER_UDP_BATCH * SLOT_SIZE);
    l->copy = malloc((size_t)LISTENER_COPY_SLOTS * LISTENER_COPY_SIZE);
    l->accept_retry = evtimer_new(w->base, on_accept_retry, l);
    if (l->mm == NULL || l->iov == NULL || l->from == NULL || l->slots == NULL || l->copy == NULL ||
        l->accept_retry == NULL)
        goto fail;
    for (size_t i = 0; i < cfg->n_listen; i++) {
        if (open_udp(w, &l->udp[l->n_udp], &cfg->listen[i]) != 0)
            goto fail;
        l->n_udp++;
        l->stream[l->n_stream] = open_stream(w, &cfg->listen[i], false);
        if (l->stream[l->n_stream] == NULL)
            goto fail;
        l->n_stream++;
    }
    for (size_t i = 0; i < cfg->n_tls_listen && w->sh->tls != NULL; i++) {
        l->stream[l->n_stream] = open_stream(w, &cfg->tls_listen[i], true);
        if (l->stream[l->n_stream] == NULL)
            goto fail;
        l->n_stream++;
    }
    return 0;
fail:
    log_error(w->sh->log, "cannot listen on a configured address: %s", strerror(errno));
    listener_close(w, l);
    return -1;
}

void listener_close(struct worker *w, struct listener *l)
{
    while (l->conns != NULL)
        conn_close(l->conns);
    for (size_t i = 0; i < l->n_udp; i++) {
        event_free(l->udp[i].ev);
        close(l->udp[i].fd);
    }
    for (size_t i = 0; i < l->n_stream; i++)
        evconnlistener_free(l->stream[i]);
    l->n_udp = 0;
    l->n_stream = 0;
    if (l->accept_retry != NULL)
        event_free(l->accept_retry);
    l->accept_retry = NULL;
    free(l->mm);
    free(l->iov);
    free(l->from);
    free(l->slots);
    free(l->copy);
    l->copy = NULL;
    l->n_copy = 0;
    l->mm = NULL;
    l->iov = NULL;
    l->from = NULL;
    l->slots = NULL;
}

int listener_send(struct worker *w, const struct client_path *p, uint8_t *buf, size_t len,
                  bool channel_data)
{
    if (p->udp != NULL) {
        struct listener *l = &w->listener;
        ssize_t n;
        /* Small messages (answers, Data indications of media) are copied
         * and leave with the batch; larger ones go now, after it. */
        if (len <= LISTENER_COPY_SIZE && l->n_copy < LISTENER_COPY_SLOTS) {
            uint8_t *c = l->copy + l->n_copy++ * LISTENER_COPY_SIZE;
            memcpy(c, buf, len);
            send_batch_add(&w->out, p->udp->fd, &p->client, c, len, WORKER_TAG_OTHER);
            return 0;
        }
        worker_flush(w);
        n = sendto(p->udp->fd, buf, len, 0, &p->client.u.sa, (socklen_t)addr_len(&p->client));
        if (n < 0) {
            metrics_add(&w->metrics, M_DROP_CONGESTED, 1);
            return -1;
        }
        return 0;
    }
    if (p->conn != NULL) {
        struct bufferevent *bev = p->conn->bev;
        if (evbuffer_get_length(bufferevent_get_output(bev)) > LISTENER_STREAM_BACKLOG) {
            metrics_add(&w->metrics, M_DROP_CONGESTED, 1);
            return -1;
        }
        if (channel_data)
            while (len % 4 != 0)
                buf[len++] = 0;
        return bufferevent_write(bev, buf, len) == 0 ? 0 : -1;
    }
    return -1;
}

void listener_send_channel_data(struct worker *w, const struct client_path *p, uint8_t *frame,
                                size_t len)
{
    if (p->udp != NULL) {
        send_batch_add(&w->out, p->udp->fd, &p->client, frame, len, WORKER_TAG_CHANNEL_TO_CLIENT);
        return;
    }
    if (listener_send(w, p, frame, len, true) == 0) {
        metrics_add(&w->metrics, M_PKTS_TO_CLIENT, 1);
        metrics_add(&w->metrics, M_BYTES_TO_CLIENT, len - 4);
    }
}

void listener_conn_attach(struct stream_conn *c, struct allocation *a)
{
    c->alloc = a;
    bufferevent_set_timeouts(c->bev, NULL, NULL);
}

void listener_conn_detach(struct stream_conn *c, struct allocation *a)
{
    struct timeval idle = {LISTENER_IDLE_SECONDS, 0};
    if (c->alloc != a)
        return;
    c->alloc = NULL;
    bufferevent_set_timeouts(c->bev, &idle, NULL);
}

const void *listener_path_via(const struct client_path *p)
{
    return p->udp != NULL ? (const void *)p->udp : (const void *)p->conn;
}
