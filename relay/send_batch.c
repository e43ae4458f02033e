/* send_batch: see send_batch.h. */
#include "send_batch.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/uio.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

void send_batch_init(struct send_batch *b, bool gso)
{
    memset(b, 0, sizeof(*b));
    b->gso = gso;
}

bool send_batch_gso_probe(int fd)
{
    /* Setting the socket's default segment size to 0 changes nothing but
     * fails on kernels without UDP GSO (before 4.18). */
    int zero = 0;
    return setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof(zero)) == 0;
}

void send_batch_add(struct send_batch *b, int fd, const struct umbra_addr *dest,
                    const uint8_t *data, size_t len, uint8_t tag)
{
    struct send_batch_entry *e;
    if (b->n == SEND_BATCH_MAX)
        send_batch_flush(b);
    e = &b->e[b->n++];
    e->fd = fd;
    e->tag = tag < SEND_BATCH_TAGS ? tag : 0;
    e->dest = *dest;
    e->data = data;
    e->len = len;
}

static bool same_flow(const struct send_batch_entry *a, const struct send_batch_entry *b)
{
    return a->fd == b->fd && addr_equal(&a->dest, &b->dest);
}

/* Adds to the message started by entry j the later datagrams of its flow
 * while they fit a GSO run: equal size, one shorter one closing the run.
 * Stops at the first datagram of the flow that does not fit, so no
 * datagram of the flow overtakes another. Returns the segment size, or 0
 * when the message stayed a single datagram. */
static uint16_t gso_run(const struct send_batch_entry *e, size_t n, size_t j, bool *taken,
                        size_t *order, size_t *k, size_t *count)
{
    size_t seg = e[j].len, total = seg;
    bool closed = false;

    if (seg == 0 || seg > SEND_BATCH_GSO_SEGMENT_MAX)
        return 0;
    for (size_t q = j + 1; q < n; q++) {
        if (taken[q] || !same_flow(&e[q], &e[j]))
            continue;
        if (closed || e[q].len == 0 || e[q].len > seg ||
            total + e[q].len > SEND_BATCH_GSO_BYTES_MAX || *count >= SEND_BATCH_GSO_SEGMENTS)
            break;
        taken[q] = true;
        order[(*k)++] = q;
        (*count)++;
        total += e[q].len;
        if (e[q].len < seg)
            closed = true;
    }
    return *count > 1 ? (uint16_t)seg : 0;
}

size_t send_batch_plan(const struct send_batch_entry *e, size_t n, bool gso,
                       size_t order[SEND_BATCH_MAX], struct send_batch_msg msgs[SEND_BATCH_MAX])
{
    bool taken[SEND_BATCH_MAX] = {false};
    size_t k = 0, m = 0;

    if (n > SEND_BATCH_MAX)
        n = SEND_BATCH_MAX;
    for (size_t i = 0; i < n; i++) {
        if (taken[i])
            continue;
        /* Every message of this socket, so that one sendmmsg() takes them. */
        for (size_t j = i; j < n; j++) {
            struct send_batch_msg *msg;
            if (taken[j] || e[j].fd != e[i].fd)
                continue;
            msg = &msgs[m++];
            msg->first = k;
            msg->count = 1;
            msg->gso_size = 0;
            taken[j] = true;
            order[k++] = j;
            if (gso)
                msg->gso_size = gso_run(e, n, j, taken, order, &k, &msg->count);
        }
    }
    return m;
}

static void count_msg(struct send_batch *b, const struct send_batch_msg *msg, bool ok)
{
    for (size_t i = 0; i < msg->count; i++) {
        const struct send_batch_entry *e = &b->e[b->order[msg->first + i]];
        if (ok) {
            b->stats.pkts[e->tag]++;
            b->stats.bytes[e->tag] += e->len;
        } else {
            b->stats.dropped[e->tag]++;
        }
    }
}

/* A GSO message the kernel refused (a device without segmentation
 * offload, a route with a smaller MTU): its datagrams one by one. */
static void send_singly(struct send_batch *b, const struct send_batch_msg *msg)
{
    for (size_t i = 0; i < msg->count; i++) {
        const struct send_batch_entry *e = &b->e[b->order[msg->first + i]];
        ssize_t r = sendto(e->fd, e->data, e->len, 0, &e->dest.u.sa, (socklen_t)addr_len(&e->dest));
        struct send_batch_msg one = {msg->first + i, 1, 0};
        b->stats.syscalls++;
        count_msg(b, &one, r >= 0);
    }
}

static void build_msg(struct send_batch *b, size_t x)
{
    const struct send_batch_msg *msg = &b->msgs[x];
    const struct send_batch_entry *head = &b->e[b->order[msg->first]];
    struct msghdr *h = &b->mm[x].msg_hdr;

    for (size_t i = 0; i < msg->count; i++) {
        const struct send_batch_entry *e = &b->e[b->order[msg->first + i]];
        b->iov[msg->first + i].iov_base = (void *)(uintptr_t)e->data;
        b->iov[msg->first + i].iov_len = e->len;
    }
    memset(h, 0, sizeof(*h));
    h->msg_name = (void *)(uintptr_t)&head->dest.u.sa;
    h->msg_namelen = (socklen_t)addr_len(&head->dest);
    h->msg_iov = &b->iov[msg->first];
    h->msg_iovlen = msg->count;
    if (msg->gso_size != 0) {
        struct cmsghdr *c;
        memset(b->ctl[x].buf, 0, sizeof(b->ctl[x].buf));
        h->msg_control = b->ctl[x].buf;
        h->msg_controllen = sizeof(b->ctl[x].buf);
        c = CMSG_FIRSTHDR(h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        memcpy(CMSG_DATA(c), &msg->gso_size, sizeof(uint16_t));
    }
}

/* Messages x .. y-1, all on one socket. */
static void send_range(struct send_batch *b, int fd, size_t x, size_t y)
{
    while (x < y) {
        int r = sendmmsg(fd, &b->mm[x], (unsigned)(y - x), 0);
        b->stats.syscalls++;
        if (r > 0) {
            for (size_t i = x; i < x + (size_t)r; i++) {
                count_msg(b, &b->msgs[i], true);
                if (b->msgs[i].gso_size != 0)
                    b->stats.gso_msgs++;
            }
            x += (size_t)r;
            continue;
        }
        /* Message x failed: a full buffer or an unreachable peer drops it,
         * like a lost datagram; a refused GSO message goes out singly. */
        if (b->msgs[x].gso_size != 0)
            send_singly(b, &b->msgs[x]);
        else
            count_msg(b, &b->msgs[x], false);
        x++;
    }
}

void send_batch_flush(struct send_batch *b)
{
    size_t m, x = 0;
    if (b->n == 0)
        return;
    m = send_batch_plan(b->e, b->n, b->gso, b->order, b->msgs);
    for (size_t i = 0; i < m; i++)
        build_msg(b, i);
    while (x < m) {
        int fd = b->e[b->order[b->msgs[x].first]].fd;
        size_t y = x + 1;
        while (y < m && b->e[b->order[b->msgs[y].first]].fd == fd)
            y++;
        send_range(b, fd, x, y);
        x = y;
    }
    b->n = 0;
}
