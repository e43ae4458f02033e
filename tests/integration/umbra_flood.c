/* umbra_flood: sends a bounded, paced flood of malformed datagrams and of
 * Allocate requests with bad credentials to a TURN server on loopback, from
 * several source addresses, and counts the answers it gets. For the relay's
 * flood test (tests/integration/relay_flood.sh); loopback targets only.
 *
 *   umbra_flood --target=127.0.0.1:PORT --sources=127.0.0.2-127.0.0.9
 *               --malformed=N --bad-creds=N --rate=PACKETS_PER_S
 *               [--ports=K] [--drain-ms=MS]
 *
 * Malformed kinds, in turn: a truncated STUN header, a STUN header whose
 * length runs past the datagram, a bad magic cookie, random garbage,
 * ChannelData on a channel nobody bound, and a request whose attribute runs
 * past the message (sound header: the server may answer it with 400). Bad
 * credentials: an Allocate signed with a wrong password, using a real
 * REALM and NONCE fetched first with one unauthenticated Allocate, so the
 * server does its full credential check on each.
 *
 * Each source address gets K sockets (ports), so the server's SO_REUSEPORT
 * hash spreads them over its worker threads. Pacing: every millisecond the
 * packets due by then leave in sendmmsg() batches; answers are read every
 * 16 ms and for --drain-ms at the end. Prints key=value lines: sent_malformed, sent_bad_creds,
 * answers_malformed, answers_bad_creds, answers_other, seconds, rate. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "stun_msg.h"

#define FLOOD_MAX_SOCKS 256
#define FLOOD_POOL 64 /* prebuilt messages per malformed kind */
#define FLOOD_KINDS 6
#define FLOOD_BATCH 64
#define FLOOD_MSG_MAX 256
/* First transaction-id byte: which kind a response answers. */
#define TAG_BAD_CREDS 0xBC
#define TAG_MALFORMED 0xAD
#define TAG_NONCE 0x4E

struct flood {
    struct umbra_addr target;
    int socks[FLOOD_MAX_SOCKS];
    size_t n_socks;
    uint64_t malformed, bad_creds, rate;
    int64_t drain_ms;
    char realm[128], nonce[128];
    uint8_t pool[FLOOD_KINDS][FLOOD_POOL][FLOOD_MSG_MAX];
    size_t pool_len[FLOOD_KINDS][FLOOD_POOL];
    uint64_t sent_malformed, sent_bad_creds;
    uint64_t ans_malformed, ans_bad_creds, ans_other;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void txid_tagged(uint8_t txid[STUN_TXID_LEN], uint8_t tag)
{
    randombytes_buf(txid, STUN_TXID_LEN);
    txid[0] = tag;
}

static void header(uint8_t *p, uint16_t type, uint16_t len, uint32_t cookie, uint8_t tag)
{
    p[0] = (uint8_t)(type >> 8);
    p[1] = (uint8_t)type;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    p[4] = (uint8_t)(cookie >> 24);
    p[5] = (uint8_t)(cookie >> 16);
    p[6] = (uint8_t)(cookie >> 8);
    p[7] = (uint8_t)cookie;
    txid_tagged(p + 8, tag);
}

/* One malformed message of a kind into buf; returns its length. */
static size_t make_malformed(int kind, uint8_t *buf)
{
    switch (kind) {
    case 0: /* truncated header */
        header(buf, 0x0003, 0, STUN_MAGIC_COOKIE, TAG_MALFORMED);
        return 4 + randombytes_uniform(15);
    case 1: /* length past the end */
        header(buf, 0x0003, 200, STUN_MAGIC_COOKIE, TAG_MALFORMED);
        memset(buf + 20, 0, 8);
        return 28;
    case 2: /* bad magic cookie */
        header(buf, 0x0003, 8, 0xDEADBEEF, TAG_MALFORMED);
        buf[20] = 0x00;
        buf[21] = 0x19;
        buf[22] = 0;
        buf[23] = 4;
        buf[24] = 17;
        buf[25] = buf[26] = buf[27] = 0;
        return 28;
    case 3: { /* garbage */
        size_t n = 20 + randombytes_uniform(180);
        randombytes_buf(buf, n);
        return n;
    }
    case 4: /* ChannelData on an unbound channel */
        buf[0] = 0x40;
        buf[1] = 0x01;
        buf[2] = 0;
        buf[3] = 100;
        randombytes_buf(buf + 4, 100);
        return 104;
    default: /* an attribute that runs past the message: 400 */
        header(buf, 0x0003, 8, STUN_MAGIC_COOKIE, TAG_MALFORMED);
        buf[20] = 0x00;
        buf[21] = 0x19;
        buf[22] = 0;
        buf[23] = 40;
        buf[24] = 17;
        buf[25] = buf[26] = buf[27] = 0;
        return 28;
    }
}

/* An Allocate signed with a wrong password, with the fetched nonce. */
static size_t make_bad_creds(struct flood *f, uint8_t *buf)
{
    static const uint8_t udp[4] = {17, 0, 0, 0};
    struct stun_builder b;
    uint8_t txid[STUN_TXID_LEN], key[16];
    char user[64];
    ssize_t n;
    int ulen = snprintf(user, sizeof(user), "%" PRId64 ":flood-call:p%u",
                        (int64_t)time(NULL) + 3600, randombytes_uniform(1000));

    stun_long_term_key_md5(user, (size_t)ulen, f->realm, strlen(f->realm), "not-the-password", 16,
                           key);
    txid_tagged(txid, TAG_BAD_CREDS);
    stun_build_start(&b, buf, FLOOD_MSG_MAX, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, txid);
    stun_put_bytes(&b, STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
    stun_put_bytes(&b, STUN_ATTR_USERNAME, user, (size_t)ulen);
    stun_put_bytes(&b, STUN_ATTR_REALM, f->realm, strlen(f->realm));
    stun_put_bytes(&b, STUN_ATTR_NONCE, f->nonce, strlen(f->nonce));
    stun_put_integrity(&b, key, sizeof(key));
    stun_put_fingerprint(&b);
    n = stun_build_finish(&b);
    return n > 0 ? (size_t)n : 0;
}

static void count_answer(struct flood *f, const uint8_t *buf, size_t len)
{
    struct stun_msg m;
    if (stun_parse(&m, buf, len) != 0 || m.cls == STUN_CLASS_REQUEST ||
        m.cls == STUN_CLASS_INDICATION) {
        f->ans_other++;
        return;
    }
    if (m.txid[0] == TAG_BAD_CREDS)
        f->ans_bad_creds++;
    else if (m.txid[0] == TAG_MALFORMED)
        f->ans_malformed++;
    else
        f->ans_other++;
}

/* Reads every answer waiting on the sockets. */
static void drain(struct flood *f)
{
    static uint8_t bufs[FLOOD_BATCH][2048];
    struct mmsghdr mm[FLOOD_BATCH];
    struct iovec iov[FLOOD_BATCH];

    for (size_t s = 0; s < f->n_socks; s++) {
        for (;;) {
            int n;
            memset(mm, 0, sizeof(mm));
            for (int i = 0; i < FLOOD_BATCH; i++) {
                iov[i].iov_base = bufs[i];
                iov[i].iov_len = sizeof(bufs[i]);
                mm[i].msg_hdr.msg_iov = &iov[i];
                mm[i].msg_hdr.msg_iovlen = 1;
            }
            n = recvmmsg(f->socks[s], mm, FLOOD_BATCH, MSG_DONTWAIT, NULL);
            if (n <= 0)
                break;
            for (int i = 0; i < n; i++)
                count_answer(f, bufs[i], mm[i].msg_len);
        }
    }
}

/* One unauthenticated Allocate, for the REALM and NONCE the server hands
 * out (a stateless nonce is good for any source). */
static int fetch_nonce(struct flood *f)
{
    static const uint8_t udp[4] = {17, 0, 0, 0};
    uint8_t req[FLOOD_MSG_MAX], resp[2048], txid[STUN_TXID_LEN];
    struct stun_builder b;
    struct stun_msg m;
    ssize_t n;
    int64_t deadline = now_ns() + 3000000000LL;

    txid_tagged(txid, TAG_NONCE);
    stun_build_start(&b, req, sizeof(req), STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, txid);
    stun_put_bytes(&b, STUN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
    stun_put_fingerprint(&b);
    n = stun_build_finish(&b);
    if (n < 0 || sendto(f->socks[0], req, (size_t)n, 0, &f->target.u.sa,
                        (socklen_t)addr_len(&f->target)) != n)
        return -1;
    while (now_ns() < deadline) {
        const struct stun_attr *realm, *nonce;
        const char *t;
        size_t tl;
        n = recv(f->socks[0], resp, sizeof(resp), MSG_DONTWAIT);
        if (n < 0) {
            usleep(1000);
            continue;
        }
        if (stun_parse(&m, resp, (size_t)n) != 0 || memcmp(m.txid, txid, sizeof(txid)) != 0)
            continue;
        realm = stun_find(&m, STUN_ATTR_REALM);
        nonce = stun_find(&m, STUN_ATTR_NONCE);
        if (realm == NULL || nonce == NULL || stun_attr_text(realm, &t, &tl) != 0 ||
            tl >= sizeof(f->realm))
            return -1;
        memcpy(f->realm, t, tl);
        f->realm[tl] = '\0';
        if (stun_attr_text(nonce, &t, &tl) != 0 || tl >= sizeof(f->nonce))
            return -1;
        memcpy(f->nonce, t, tl);
        f->nonce[tl] = '\0';
        return 0;
    }
    return -1;
}

/* Sends count packets, the bad-credential ones spread evenly among the
 * malformed ones; socket s takes the batch. Returns how many left. */
static size_t send_some(struct flood *f, size_t s, size_t count)
{
    static uint8_t creds[FLOOD_BATCH][FLOOD_MSG_MAX];
    struct mmsghdr mm[FLOOD_BATCH];
    struct iovec iov[FLOOD_BATCH];
    uint64_t total = f->malformed + f->bad_creds;
    bool is_cred[FLOOD_BATCH];
    int n;

    if (count > FLOOD_BATCH)
        count = FLOOD_BATCH;
    memset(mm, 0, sizeof(mm));
    for (size_t i = 0; i < count; i++) {
        uint64_t seq = f->sent_malformed + f->sent_bad_creds + i;
        /* Bad credentials due by this point of the sequence. */
        uint64_t creds_due = total > 0 ? (seq + 1) * f->bad_creds / total : 0;
        uint64_t creds_so_far = f->sent_bad_creds;
        for (size_t j = 0; j < i; j++)
            creds_so_far += is_cred[j];
        is_cred[i] = creds_so_far < creds_due;
        if (is_cred[i]) {
            iov[i].iov_base = creds[i];
            iov[i].iov_len = make_bad_creds(f, creds[i]);
        } else {
            int kind = (int)(seq % FLOOD_KINDS);
            size_t k = randombytes_uniform(FLOOD_POOL);
            iov[i].iov_base = f->pool[kind][k];
            iov[i].iov_len = f->pool_len[kind][k];
        }
        mm[i].msg_hdr.msg_name = &f->target.u.sa;
        mm[i].msg_hdr.msg_namelen = (socklen_t)addr_len(&f->target);
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    n = sendmmsg(f->socks[s], mm, (unsigned)count, MSG_DONTWAIT);
    if (n <= 0)
        return 0;
    for (int i = 0; i < n; i++) {
        if (is_cred[i])
            f->sent_bad_creds++;
        else
            f->sent_malformed++;
    }
    return (size_t)n;
}

static int open_sources(struct flood *f, const char *spec, unsigned ports)
{
    char first[64];
    const char *dash = strrchr(spec, '-');
    struct umbra_addr lo;
    unsigned last;
    const uint8_t *ip;
    size_t iplen;

    if (dash == NULL || (size_t)(dash - spec) >= sizeof(first))
        return -1;
    memcpy(first, spec, (size_t)(dash - spec));
    first[dash - spec] = '\0';
    if (addr_parse(&lo, first, 0) != 0 || addr_family(&lo) != AF_INET)
        return -1;
    ip = addr_ip_bytes(&lo, &iplen);
    /* 127.0.0.2-127.0.0.9 or 127.0.0.2-9: the last octet varies. */
    if (strchr(dash + 1, '.') != NULL) {
        struct umbra_addr hi;
        size_t hlen;
        if (addr_parse(&hi, dash + 1, 0) != 0 || addr_family(&hi) != AF_INET ||
            memcmp(addr_ip_bytes(&hi, &hlen), ip, 3) != 0)
            return -1;
        last = addr_ip_bytes(&hi, &hlen)[3];
    } else {
        last = (unsigned)atoi(dash + 1);
    }
    if (ip[0] != 127 || last < ip[3] || last > 254)
        return -1; /* loopback only */
    for (unsigned o = ip[3]; o <= last; o++) {
        for (unsigned p = 0; p < ports; p++) {
            uint8_t b[4] = {ip[0], ip[1], ip[2], (uint8_t)o};
            struct umbra_addr src;
            int fd, sz = 4 << 20;
            if (f->n_socks >= FLOOD_MAX_SOCKS)
                return -1;
            addr_from_bytes(&src, AF_INET, b, 0);
            fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0)
                return -1;
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
            if (bind(fd, &src.u.sa, (socklen_t)addr_len(&src)) != 0) {
                close(fd);
                return -1;
            }
            f->socks[f->n_socks++] = fd;
        }
    }
    return 0;
}

static const char *arg(const char *a, const char *name)
{
    size_t n = strlen(name);
    return strncmp(a, name, n) == 0 && a[n] == '=' ? a + n + 1 : NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: umbra_flood --target=127.0.0.1:PORT --sources=127.0.0.A-B "
                    "--malformed=N --bad-creds=N --rate=PPS [--ports=K] [--drain-ms=MS]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static struct flood f;
    const char *sources = NULL, *v;
    unsigned ports = 4;
    int64_t start, next, end;
    size_t s = 0;
    uint64_t ticks = 0;
    const uint8_t *tip;
    size_t tlen;

    if (sodium_init() < 0)
        return 1;
    f.rate = 50000;
    f.drain_ms = 1000;
    for (int i = 1; i < argc; i++) {
        if ((v = arg(argv[i], "--target")) != NULL) {
            if (addr_parse(&f.target, v, 0) != 0 || addr_port(&f.target) == 0)
                return usage();
        } else if ((v = arg(argv[i], "--sources")) != NULL)
            sources = v;
        else if ((v = arg(argv[i], "--malformed")) != NULL)
            f.malformed = strtoull(v, NULL, 10);
        else if ((v = arg(argv[i], "--bad-creds")) != NULL)
            f.bad_creds = strtoull(v, NULL, 10);
        else if ((v = arg(argv[i], "--rate")) != NULL)
            f.rate = strtoull(v, NULL, 10);
        else if ((v = arg(argv[i], "--ports")) != NULL)
            ports = (unsigned)atoi(v);
        else if ((v = arg(argv[i], "--drain-ms")) != NULL)
            f.drain_ms = atoll(v);
        else
            return usage();
    }
    if (sources == NULL || addr_port(&f.target) == 0 || f.rate == 0 || ports == 0 ||
        f.malformed + f.bad_creds > 100000000)
        return usage();
    tip = addr_ip_bytes(&f.target, &tlen);
    if (addr_family(&f.target) != AF_INET || tip[0] != 127) {
        fprintf(stderr, "umbra_flood: loopback targets only\n");
        return 2;
    }
    if (open_sources(&f, sources, ports) != 0) {
        fprintf(stderr, "umbra_flood: cannot bind the sources %s: %s\n", sources, strerror(errno));
        return 1;
    }
    if (f.bad_creds > 0 && fetch_nonce(&f) != 0) {
        fprintf(stderr, "umbra_flood: no REALM/NONCE from the server\n");
        return 1;
    }
    for (int k = 0; k < FLOOD_KINDS; k++)
        for (int i = 0; i < FLOOD_POOL; i++)
            f.pool_len[k][i] = make_malformed(k, f.pool[k][i]);

    start = now_ns();
    next = start;
    while (f.sent_malformed + f.sent_bad_creds < f.malformed + f.bad_creds) {
        uint64_t sent = f.sent_malformed + f.sent_bad_creds;
        uint64_t due = (uint64_t)((double)(now_ns() - start) * (double)f.rate / 1e9) + 1;
        uint64_t left = f.malformed + f.bad_creds - sent;
        uint64_t want = due > sent ? due - sent : 0;
        struct timespec ts;
        if (want > left)
            want = left;
        while (want > 0) {
            size_t n = send_some(&f, s, (size_t)want);
            s = (s + 1) % f.n_socks;
            if (n == 0)
                break; /* the socket's buffer is full: the next tick */
            want -= n;
        }
        /* Answers are few (the server limits them): reading them every
         * 16 ms keeps the syscalls for the flood itself. */
        if (++ticks % 16 == 0)
            drain(&f);
        next += 1000000;
        ts.tv_sec = next / 1000000000;
        ts.tv_nsec = next % 1000000000;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
    end = now_ns();
    while (now_ns() < end + f.drain_ms * 1000000) {
        drain(&f);
        usleep(10000);
    }
    printf("sent_malformed=%" PRIu64 "\nsent_bad_creds=%" PRIu64 "\nanswers_malformed=%" PRIu64
           "\nanswers_bad_creds=%" PRIu64 "\nanswers_other=%" PRIu64 "\nseconds=%.3f\nrate=%.0f\n",
           f.sent_malformed, f.sent_bad_creds, f.ans_malformed, f.ans_bad_creds, f.ans_other,
           (double)(end - start) / 1e9,
           (double)(f.sent_malformed + f.sent_bad_creds) * 1e9 / (double)(end - start));
    for (size_t i = 0; i < f.n_socks; i++)
        close(f.socks[i]);
    return 0;
}
