/* egress: see egress.h. */
#include "egress.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "metrics.h"

int egress_init(struct egress *e, struct metrics_thread *metrics, bool gso)
{
    memset(e, 0, sizeof(*e));
    e->metrics = metrics;
    send_batch_init(&e->batch, gso);
    e->copy = malloc((size_t)EGRESS_COPY_SLOTS * EGRESS_COPY_SIZE);
    return e->copy != NULL ? 0 : -1;
}

void egress_free(struct egress *e)
{
    free(e->copy);
    e->copy = NULL;
    e->n_copy = 0;
}

void egress_set_gso(struct egress *e, bool gso)
{
    send_batch_init(&e->batch, gso);
}

static int send_udp(struct egress *e, const struct client_path *p, const uint8_t *buf, size_t len)
{
    ssize_t n;
    /* Small messages (answers, Data indications of media) are copied and
     * leave with the batch; larger ones go now, after it. */
    if (len <= EGRESS_COPY_SIZE && e->n_copy < EGRESS_COPY_SLOTS) {
        uint8_t *c = e->copy + e->n_copy++ * EGRESS_COPY_SIZE;
        memcpy(c, buf, len);
        send_batch_add(&e->batch, p->transport->udp_fd, &p->client, c, len, EGRESS_TAG_OTHER);
        return 0;
    }
    egress_flush(e);
    n = sendto(p->transport->udp_fd, buf, len, 0, &p->client.u.sa, (socklen_t)addr_len(&p->client));
    if (n < 0) {
        metrics_add(e->metrics, M_DROP_CONGESTED, 1);
        return -1;
    }
    return 0;
}

static int send_stream(struct egress *e, struct bufferevent *bev, uint8_t *buf, size_t len,
                       bool channel_data)
{
    if (evbuffer_get_length(bufferevent_get_output(bev)) > EGRESS_STREAM_BACKLOG) {
        metrics_add(e->metrics, M_DROP_CONGESTED, 1);
        return -1;
    }
    if (channel_data)
        while (len % 4 != 0)
            buf[len++] = 0;
    return bufferevent_write(bev, buf, len) == 0 ? 0 : -1;
}

int egress_send(struct egress *e, const struct client_path *p, uint8_t *buf, size_t len,
                bool channel_data)
{
    if (p->transport->udp_fd >= 0)
        return send_udp(e, p, buf, len);
    if (p->transport->bev != NULL)
        return send_stream(e, p->transport->bev, buf, len, channel_data);
    return -1;
}

void egress_send_channel_data(struct egress *e, const struct client_path *p, uint8_t *frame,
                              size_t len)
{
    if (p->transport->udp_fd >= 0) {
        send_batch_add(&e->batch, p->transport->udp_fd, &p->client, frame, len,
                       EGRESS_TAG_CHANNEL_TO_CLIENT);
        return;
    }
    if (egress_send(e, p, frame, len, true) == 0) {
        metrics_add(e->metrics, M_PKTS_TO_CLIENT, 1);
        metrics_add(e->metrics, M_BYTES_TO_CLIENT, len - 4);
    }
}

void egress_to_peer(struct egress *e, int fd, const struct umbra_addr *peer, const uint8_t *data,
                    size_t len)
{
    send_batch_add(&e->batch, fd, peer, data, len, EGRESS_TAG_OTHER);
}

void egress_flush(struct egress *e)
{
    struct send_batch_stats *st = &e->batch.stats;
    uint64_t dropped = 0;
    send_batch_flush(&e->batch);
    e->n_copy = 0;
    for (int t = 0; t < SEND_BATCH_TAGS; t++)
        dropped += st->dropped[t];
    if (dropped > 0)
        metrics_add(e->metrics, M_DROP_CONGESTED, dropped);
    if (st->pkts[EGRESS_TAG_CHANNEL_TO_CLIENT] > 0) {
        uint64_t n = st->pkts[EGRESS_TAG_CHANNEL_TO_CLIENT];
        metrics_add(e->metrics, M_PKTS_TO_CLIENT, n);
        metrics_add(e->metrics, M_BYTES_TO_CLIENT, st->bytes[EGRESS_TAG_CHANNEL_TO_CLIENT] - 4 * n);
    }
    metrics_add(e->metrics, M_SEND_CALLS, st->syscalls);
    metrics_add(e->metrics, M_SEND_GSO, st->gso_msgs);
    memset(st, 0, sizeof(*st));
    if (e->flushed != NULL)
        e->flushed(e->flushed_ctx);
}
