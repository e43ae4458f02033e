/* handoff: see handoff.h. */
#include "handoff.h"

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Record layout, 8-byte aligned: a header, 4 scratch bytes, the datagram,
 * then 3 scratch bytes and padding. A header whose len is HANDOFF_WRAP
 * says the rest of the ring is unused and the next record is at its start. */
#define HANDOFF_WRAP UINT32_MAX
#define HANDOFF_ADDR_MAX 28 /* sizeof(struct sockaddr_in6) */

_Static_assert(HANDOFF_ADDR_MAX == sizeof(struct sockaddr_in6) &&
                   sizeof(struct sockaddr_in) <= HANDOFF_ADDR_MAX,
               "a record holds any address addr_len() gives");

struct handoff_hdr {
    uint32_t len;
    uint16_t dst_len;
    uint16_t src_len;
    uint8_t dst[HANDOFF_ADDR_MAX];
    uint8_t src[HANDOFF_ADDR_MAX];
    uint8_t scratch[4]; /* room for a ChannelData header before the data */
};

static size_t rec_size(size_t len)
{
    return (sizeof(struct handoff_hdr) + len + 3 + 7) & ~(size_t)7;
}

int handoff_ring_init(struct handoff_ring *r, size_t cap)
{
    size_t n = 4096;
    while (n < cap)
        n <<= 1;
    memset(r, 0, sizeof(*r));
    r->buf = malloc(n);
    if (r->buf == NULL)
        return -1;
    r->cap = n;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return 0;
}

void handoff_ring_free(struct handoff_ring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

static void put_addr(uint8_t *out, uint16_t *out_len, const struct umbra_addr *a)
{
    size_t n = addr_len(a);
    if (n > HANDOFF_ADDR_MAX)
        n = HANDOFF_ADDR_MAX;
    memcpy(out, &a->u, n);
    *out_len = (uint16_t)n;
}

static void get_addr(struct umbra_addr *a, const uint8_t *in, uint16_t len)
{
    memset(a, 0, sizeof(*a));
    memcpy(&a->u, in, len);
}

int handoff_push(struct handoff_ring *r, const struct umbra_addr *dst, const struct umbra_addr *src,
                 const uint8_t *data, size_t len)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t need = rec_size(len), off = head & (r->cap - 1), room = r->cap - off;
    struct handoff_hdr h;

    if (len > 65535)
        return -1;
    /* A record never wraps: when it does not fit before the end, a wrap
     * marker fills the rest and the record starts at the beginning. */
    if (room < need) {
        if (head + room + need - tail > r->cap)
            return -1;
        h.len = HANDOFF_WRAP;
        memcpy(r->buf + off, &h.len, sizeof(h.len));
        head += room;
        off = 0;
    } else if (head + need - tail > r->cap) {
        return -1;
    }
    h.len = (uint32_t)len;
    put_addr(h.dst, &h.dst_len, dst);
    put_addr(h.src, &h.src_len, src);
    memcpy(r->buf + off, &h, sizeof(h));
    memcpy(r->buf + off + sizeof(h), data, len);
    atomic_store_explicit(&r->head, head + need, memory_order_release);
    return 0;
}

size_t handoff_consumer_pos(const struct handoff_ring *r)
{
    return atomic_load_explicit(&r->tail, memory_order_relaxed);
}

bool handoff_peek(struct handoff_ring *r, size_t *pos, struct handoff_rec *out)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    struct handoff_hdr h;

    for (;;) {
        size_t off = *pos & (r->cap - 1);
        if (*pos == head)
            return false;
        memcpy(&h.len, r->buf + off, sizeof(h.len));
        if (h.len == HANDOFF_WRAP) {
            *pos += r->cap - off;
            continue;
        }
        memcpy(&h, r->buf + off, sizeof(h));
        get_addr(&out->dst, h.dst, h.dst_len);
        get_addr(&out->src, h.src, h.src_len);
        out->data = r->buf + off + sizeof(h);
        out->len = h.len;
        *pos += rec_size(h.len);
        out->end = *pos;
        return true;
    }
}

void handoff_release(struct handoff_ring *r, size_t pos)
{
    atomic_store_explicit(&r->tail, pos, memory_order_release);
}

size_t handoff_producer_pos(const struct handoff_ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_relaxed);
}

bool handoff_needs_wake(struct handoff_ring *r, size_t batch_start)
{
    atomic_thread_fence(memory_order_seq_cst);
    return atomic_load_explicit(&r->tail, memory_order_relaxed) >= batch_start;
}

bool handoff_release_check(struct handoff_ring *r, size_t pos)
{
    atomic_store_explicit(&r->tail, pos, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    return atomic_load_explicit(&r->head, memory_order_acquire) != pos;
}

bool handoff_pending(struct handoff_ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_acquire) !=
           atomic_load_explicit(&r->tail, memory_order_relaxed);
}
