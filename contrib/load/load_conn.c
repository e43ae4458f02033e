/* load_conn: see load_conn.h. */
#include "load_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "stun_msg.h"

struct ssl_ctx_st *load_conn_tls_ctx_new(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ctx;
}

void load_conn_tls_ctx_free(struct ssl_ctx_st *ctx)
{
    SSL_CTX_free(ctx);
}

int load_conn_open(struct load_conn *c, enum load_transport t, const struct umbra_addr *server,
                   struct ssl_ctx_st *tls)
{
    int type = t == LOAD_UDP ? SOCK_DGRAM : SOCK_STREAM;
    socklen_t slen = sizeof(c->local.u.ss);

    memset(c, 0, sizeof(*c));
    c->transport = t;
    c->fd = socket(addr_family(server), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    if (t != LOAD_UDP) {
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->in = malloc(LOAD_CONN_STREAM_IN);
        c->out = malloc(LOAD_CONN_STREAM_OUT);
        if (c->in == NULL || c->out == NULL)
            goto fail;
    }
    if (connect(c->fd, &server->u.sa, (socklen_t)addr_len(server)) != 0 && errno != EINPROGRESS)
        goto fail;
    if (getsockname(c->fd, &c->local.u.sa, &slen) != 0)
        goto fail;
    if (t == LOAD_TLS) {
        c->ssl = SSL_new(tls);
        if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
            goto fail;
        SSL_set_connect_state(c->ssl);
    }
    c->established = t == LOAD_UDP;
    c->tcp_connected = t == LOAD_UDP;
    return 0;
fail:
    load_conn_close(c);
    return -1;
}

void load_conn_close(struct load_conn *c)
{
    if (c->ssl != NULL)
        SSL_free(c->ssl);
    c->ssl = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->in);
    free(c->out);
    c->in = c->out = NULL;
    c->in_len = c->out_len = 0;
    c->established = false;
}

static int stream_write(struct load_conn *c, const uint8_t *buf, size_t len, size_t *done)
{
    *done = 0;
    if (c->ssl != NULL) {
        size_t n = 0;
        int r;
        ERR_clear_error();
        r = SSL_write_ex(c->ssl, buf, len, &n);
        if (r == 1) {
            *done = n;
            return 0;
        }
        r = SSL_get_error(c->ssl, r);
        return r == SSL_ERROR_WANT_WRITE || r == SSL_ERROR_WANT_READ ? 0 : -1;
    }
    {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0) {
            *done = (size_t)n;
            return 0;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    }
}

static int flush(struct load_conn *c)
{
    size_t done;
    if (!c->established || c->out_len == 0)
        return 0;
    if (stream_write(c, c->out, c->out_len, &done) != 0)
        return -1;
    if (done > 0) {
        memmove(c->out, c->out + done, c->out_len - done);
        c->out_len -= done;
    }
    return 0;
}

static int handshake(struct load_conn *c)
{
    int r;

    if (!c->tcp_connected) {
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0)
            return -1;
        c->tcp_connected = true;
    }
    if (c->ssl == NULL) {
        c->established = true;
        return 0;
    }
    ERR_clear_error();
    r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        c->established = true;
        return 0;
    }
    r = SSL_get_error(c->ssl, r);
    return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

int load_conn_on_event(struct load_conn *c)
{
    if (!c->established && handshake(c) != 0)
        return -1;
    return flush(c);
}

bool load_conn_wants_write(const struct load_conn *c)
{
    if (c->transport == LOAD_UDP)
        return false;
    if (!c->tcp_connected)
        return true;
    if (!c->established)
        return SSL_want_write(c->ssl);
    return c->out_len > 0;
}

int load_conn_send(struct load_conn *c, const uint8_t *buf, size_t len)
{
    if (c->transport == LOAD_UDP) {
        if (send(c->fd, buf, len, 0) >= 0)
            return 0;
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ||
                       errno == ECONNREFUSED || errno == EINTR
                   ? 1
                   : -1;
    }
    if (len > LOAD_CONN_STREAM_OUT - c->out_len)
        return 1;
    memcpy(c->out + c->out_len, buf, len);
    c->out_len += len;
    return flush(c);
}

int load_conn_send_batch(struct load_conn *c, struct mmsghdr *msgs, unsigned n)
{
    unsigned sent = 0;
    while (sent < n) {
        int r = sendmmsg(c->fd, msgs + sent, n - sent, 0);
        if (r <= 0)
            break;
        sent += (unsigned)r;
    }
    return (int)sent;
}

static int receive_dgrams(struct load_conn *c, unsigned max_frames, load_conn_frame_fn fn,
                          void *ctx, struct mmsghdr *msgs, uint8_t (*bufs)[LOAD_CONN_DGRAM_MAX],
                          unsigned nbufs)
{
    struct iovec iov[64];
    unsigned total = 0;

    if (nbufs > 64)
        nbufs = 64;
    while (total < max_frames) {
        unsigned want = nbufs < max_frames - total ? nbufs : max_frames - total;
        int n;
        for (unsigned i = 0; i < want; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = LOAD_CONN_DGRAM_MAX;
            memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        n = recvmmsg(c->fd, msgs, want, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNREFUSED)
                break;
            return -1;
        }
        for (int i = 0; i < n; i++)
            fn(ctx, bufs[i], msgs[i].msg_len);
        total += (unsigned)n;
        if ((unsigned)n < want)
            break;
    }
    return (int)total;
}

static int stream_read(struct load_conn *c)
{
    size_t room = LOAD_CONN_STREAM_IN - c->in_len;
    if (room == 0)
        return -1; /* a frame larger than the buffer: not from a sane server */
    if (c->ssl != NULL) {
        size_t n = 0;
        int r;
        ERR_clear_error();
        r = SSL_read_ex(c->ssl, c->in + c->in_len, room, &n);
        if (r == 1) {
            c->in_len += n;
            return (int)n;
        }
        r = SSL_get_error(c->ssl, r);
        return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ? 0 : -1;
    }
    {
        ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            return (int)n;
        }
        if (n == 0)
            return -1;
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    }
}

static int receive_stream(struct load_conn *c, unsigned max_frames, load_conn_frame_fn fn,
                          void *ctx)
{
    unsigned frames = 0;
    if (!c->established)
        return 0;
    while (frames < max_frames) {
        int r = stream_read(c);
        size_t off = 0;
        if (r < 0)
            return -1;
        while (frames < max_frames) {
            ssize_t flen = stun_frame_length(c->in + off, c->in_len - off);
            if (flen < 0)
                return -1;
            if (flen == 0 || (size_t)flen > c->in_len - off)
                break;
            fn(ctx, c->in + off, (size_t)flen);
            off += (size_t)flen;
            frames++;
        }
        if (off > 0) {
            memmove(c->in, c->in + off, c->in_len - off);
            c->in_len -= off;
        }
        if (r == 0 && (c->ssl == NULL || SSL_pending(c->ssl) == 0))
            break;
    }
    return (int)frames;
}

int load_conn_receive(struct load_conn *c, unsigned max_frames, load_conn_frame_fn fn, void *ctx,
                      struct mmsghdr *msgs, uint8_t (*bufs)[LOAD_CONN_DGRAM_MAX], unsigned nbufs)
{
    if (c->transport == LOAD_UDP)
        return receive_dgrams(c, max_frames, fn, ctx, msgs, bufs, nbufs);
    return receive_stream(c, max_frames, fn, ctx);
}
