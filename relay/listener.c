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

#include "log.h"
#include "metrics.h"
#include "recv_batch.h"
#include "relay_config.h"
#include "stream_frame.h"
#include "tls_server.h"

/* The largest stream frame, with the 3 spare bytes handlers may use. */
#define FRAME_SIZE (RECV_BATCH_HEADROOM + STUN_MAX_MSG + 8)

static void udp_datagram(void *ctx, const struct umbra_addr *from, uint8_t *data, size_t len)
{
    struct udp_sock *u = ctx;
    struct client_path p = {.transport = &u->transport, .client = *from};
    u->l->env.ops->packet(u->l->env.ctx, &p, data, len);
}

static void udp_bad(void *ctx)
{
    struct udp_sock *u = ctx;
    metrics_add(u->l->env.metrics, M_DROP_MALFORMED, 1);
}

static void udp_done(void *ctx)
{
    struct udp_sock *u = ctx;
    u->l->env.ops->flush(u->l->env.ctx);
}

static void on_udp_readable(evutil_socket_t fd, short what, void *arg)
{
    static const struct recv_batch_ops ops = {udp_datagram, udp_bad, udp_done};
    struct udp_sock *u = arg;
    const struct listener_env *env = &u->l->env;
    env->ops->enter(env->ctx);
    recv_batch_for_each(env->rx, fd, LISTENER_UDP_ROUNDS, &ops, u);
    env->ops->leave(env->ctx);
}

/* Says so (once, from the first worker) when the kernel kept the receive
 * buffer below udp-rcvbuf. Linux reports twice the size it was asked for
 * (the other half is its bookkeeping). */
static void warn_rcvbuf(struct listener *l, int fd, int wanted)
{
    int got = 0;
    socklen_t len = sizeof(got);
    if (!l->env.warn_rcvbuf || getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) != 0)
        return;
    if (got / 2 < wanted)
        log_warn(l->env.log,
                 "udp-rcvbuf: the kernel allows %d bytes of %d; raise "
                 "net.core.rmem_max or give the relay CAP_NET_ADMIN",
                 got / 2, wanted);
}

static int open_udp(struct listener *l, struct udp_sock *u, const struct umbra_addr *a)
{
    int one = 1, sz = 4 << 20, rcv = (int)l->env.cfg->udp_rcvbuf;
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
    warn_rcvbuf(l, fd, rcv);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    if (addr_family(a) == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, &a->u.sa, (socklen_t)addr_len(a)) != 0) {
        close(fd);
        return -1;
    }
    u->l = l;
    u->transport = (struct client_transport){.udp_fd = fd, .bev = NULL, .owner = NULL};
    u->local = *a;
    u->ev = event_new(l->env.base, fd, EV_READ | EV_PERSIST, on_udp_readable, u);
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
    struct listener *l = c->l;
    if (c->transport.owner != NULL)
        l->env.ops->closed(l->env.ctx, c->transport.owner);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    bufferevent_free(c->transport.bev);
    metrics_gauge(l->env.metrics, G_CONNECTIONS, -1);
    free(c);
}

static void on_stream_read(struct bufferevent *bev, void *arg)
{
    struct stream_conn *c = arg;
    struct listener *l = c->l;
    struct evbuffer *in = bufferevent_get_input(bev);

    for (;;) {
        size_t avail = evbuffer_get_length(in);
        size_t peek = avail < STREAM_FRAME_HEAD ? avail : STREAM_FRAME_HEAD;
        size_t frame = 0;
        enum stream_frame_status st;
        struct client_path p = {.transport = &c->transport, .client = c->client};

        st = stream_frame_next(evbuffer_pullup(in, (ssize_t)peek), peek, avail, l->frame_size - 4,
                               &frame);
        if (st == STREAM_FRAME_BAD) {
            metrics_add(l->env.metrics, M_DROP_MALFORMED, 1);
            conn_close(c);
            return;
        }
        if (st == STREAM_FRAME_MORE)
            return;
        evbuffer_remove(in, l->frame, frame);
        l->env.ops->packet(l->env.ctx, &p, l->frame, frame);
        l->env.ops->flush(l->env.ctx); /* l->frame is reused by the next frame */
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
    struct listener *l = arg;
    struct stream_conn *c = calloc(1, sizeof(*c));
    struct timeval idle = {LISTENER_IDLE_SECONDS, 0};
    int one = 1;

    if (c == NULL || addr_from_sockaddr(&c->client, sa, (size_t)salen) != 0) {
        free(c);
        close(fd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->l = l;
    c->tls = tls;
    c->transport.udp_fd = -1;
    if (tls)
        c->transport.bev = tls_bufferevent_accept(l->env.tls, l->env.base, fd);
    else
        c->transport.bev = bufferevent_socket_new(l->env.base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (c->transport.bev == NULL) {
        close(fd);
        free(c);
        return;
    }
    bufferevent_setcb(c->transport.bev, on_stream_read, NULL, on_stream_event, c);
    bufferevent_set_timeouts(c->transport.bev, &idle, NULL);
    bufferevent_enable(c->transport.bev, EV_READ | EV_WRITE);
    c->next = l->conns;
    if (c->next != NULL)
        c->next->prev = c;
    l->conns = c;
    metrics_gauge(l->env.metrics, G_CONNECTIONS, 1);
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
    struct listener *l = arg;
    struct timeval one_second = {1, 0};
    metrics_add(l->env.metrics, M_DROP_CONGESTED, 1);
    for (size_t i = 0; i < l->n_stream; i++)
        evconnlistener_disable(l->stream[i]);
    evtimer_add(l->accept_retry, &one_second);
}

static struct evconnlistener *open_stream(struct listener *l, const struct umbra_addr *a, bool tls)
{
    unsigned flags =
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC;
    if (addr_family(a) == AF_INET6)
        flags |= LEV_OPT_BIND_IPV6ONLY;
    struct evconnlistener *lev =
        evconnlistener_new_bind(l->env.base, tls ? on_accept_tls : on_accept_tcp, l, flags, 128,
                                &a->u.sa, (int)addr_len(a));
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

int listener_open(struct listener *l, const struct listener_env *env)
{
    const struct relay_config *cfg = env->cfg;
    memset(l, 0, sizeof(*l));
    l->env = *env;
    l->frame_size = FRAME_SIZE;
    l->frame = malloc(l->frame_size);
    l->accept_retry = evtimer_new(env->base, on_accept_retry, l);
    if (l->frame == NULL || l->accept_retry == NULL)
        goto fail;
    for (size_t i = 0; i < cfg->n_listen; i++) {
        if (open_udp(l, &l->udp[l->n_udp], &cfg->listen[i]) != 0)
            goto fail;
        l->n_udp++;
        l->stream[l->n_stream] = open_stream(l, &cfg->listen[i], false);
        if (l->stream[l->n_stream] == NULL)
            goto fail;
        l->n_stream++;
    }
    for (size_t i = 0; i < cfg->n_tls_listen && env->tls != NULL; i++) {
        l->stream[l->n_stream] = open_stream(l, &cfg->tls_listen[i], true);
        if (l->stream[l->n_stream] == NULL)
            goto fail;
        l->n_stream++;
    }
    return 0;
fail:
    log_error(env->log, "cannot listen on a configured address: %s", strerror(errno));
    listener_close(l);
    return -1;
}

void listener_close(struct listener *l)
{
    while (l->conns != NULL)
        conn_close(l->conns);
    for (size_t i = 0; i < l->n_udp; i++) {
        event_free(l->udp[i].ev);
        close(l->udp[i].transport.udp_fd);
    }
    for (size_t i = 0; i < l->n_stream; i++)
        evconnlistener_free(l->stream[i]);
    l->n_udp = 0;
    l->n_stream = 0;
    if (l->accept_retry != NULL)
        event_free(l->accept_retry);
    l->accept_retry = NULL;
    free(l->frame);
    l->frame = NULL;
}
