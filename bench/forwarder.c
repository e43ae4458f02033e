/* forwarder: a bare UDP forwarder, the physical limit umbra-relay is
 * measured against. No TURN, no allocations, no crypto: each datagram names
 * its destination in a small header (contrib/load/load_raw.h) and is sent
 * on unchanged, in batches: recvmmsg in, sendmmsg out, one socket per thread
 * on one port with SO_REUSEPORT. What it costs is what the kernel costs.
 *
 * Loopback only (or a test namespace when told), destinations loopback
 * only, so it can never be an open proxy; it exits after --max-seconds.
 * Usage: forwarder [--listen=IP:PORT] [--threads=N] [--max-seconds=S]
 *                  [--allow-test-namespace] */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "addr.h"
#include "load_raw.h"

#define FWD_BATCH 64
#define FWD_DGRAM 2048
#define FWD_MAX_THREADS 16

static volatile sig_atomic_t fwd_stop;

static void on_signal(int sig)
{
    (void)sig;
    fwd_stop = 1;
}

struct fwd_thread {
    pthread_t tid;
    int fd;
    bool any_dest; /* test namespace: do not insist on loopback destinations */
    atomic_uint_fast64_t forwarded;
    atomic_uint_fast64_t dropped;
};

static bool dest_allowed(const struct umbra_addr *a, bool any)
{
    struct umbra_addr n;
    if (addr_normalise(a, &n) != ADDR_NORM_OK || addr_port(a) == 0)
        return false;
    return any || addr_scope_of(&n) == ADDR_SCOPE_LOOPBACK;
}

static void *fwd_loop(void *arg)
{
    struct fwd_thread *t = arg;
    static _Thread_local uint8_t bufs[FWD_BATCH][FWD_DGRAM];
    struct mmsghdr in[FWD_BATCH], out[FWD_BATCH];
    struct iovec iov_in[FWD_BATCH], iov_out[FWD_BATCH];
    struct umbra_addr dest[FWD_BATCH];

    while (!fwd_stop) {
        int n, m = 0, sent = 0;
        for (int i = 0; i < FWD_BATCH; i++) {
            iov_in[i].iov_base = bufs[i];
            iov_in[i].iov_len = FWD_DGRAM;
            memset(&in[i].msg_hdr, 0, sizeof(in[i].msg_hdr));
            in[i].msg_hdr.msg_iov = &iov_in[i];
            in[i].msg_hdr.msg_iovlen = 1;
        }
        n = recvmmsg(t->fd, in, FWD_BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0)
            continue; /* timeout (SO_RCVTIMEO) or signal: look at fwd_stop */
        for (int i = 0; i < n; i++) {
            if (load_raw_parse(bufs[i], in[i].msg_len, &dest[m]) < 0 ||
                !dest_allowed(&dest[m], t->any_dest)) {
                atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
                continue;
            }
            iov_out[m].iov_base = bufs[i];
            iov_out[m].iov_len = in[i].msg_len;
            memset(&out[m].msg_hdr, 0, sizeof(out[m].msg_hdr));
            out[m].msg_hdr.msg_name = &dest[m].u.sa;
            out[m].msg_hdr.msg_namelen = (socklen_t)addr_len(&dest[m]);
            out[m].msg_hdr.msg_iov = &iov_out[m];
            out[m].msg_hdr.msg_iovlen = 1;
            m++;
        }
        while (sent < m) {
            int r = sendmmsg(t->fd, out + sent, (unsigned)(m - sent), 0);
            if (r <= 0) {
                if (r < 0 && errno == EINTR)
                    continue;
                /* a refused datagram (full queue, vanished port): skip it */
                atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
                sent++;
                continue;
            }
            sent += r;
            atomic_fetch_add_explicit(&t->forwarded, (uint64_t)r, memory_order_relaxed);
        }
    }
    return NULL;
}

static int open_socket(const struct umbra_addr *listen)
{
    int one = 1;
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    int fd = socket(addr_family(listen), SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        bind(fd, &listen->u.sa, (socklen_t)addr_len(listen)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: forwarder [--listen=IP:PORT] [--threads=N] [--max-seconds=S]\n"
                 "                 [--allow-test-namespace]\n"
                 "A bare UDP forwarder for umbra-load --raw-forwarder (see bench/README.md).\n"
                 "Defaults: --listen=127.0.0.1:23400 --threads=1 --max-seconds=600.\n");
}

int main(int argc, char **argv)
{
    struct umbra_addr listen, norm;
    struct fwd_thread th[FWD_MAX_THREADS];
    unsigned threads = 1, max_s = 600;
    bool test_ns = false;
    struct sigaction sa;
    uint64_t fwd = 0, drop = 0;

    addr_parse(&listen, "127.0.0.1", 23400);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--listen=", 9) == 0 && addr_parse(&listen, a + 9, 23400) == 0)
            continue;
        if (strncmp(a, "--threads=", 10) == 0 && (threads = (unsigned)atoi(a + 10)) >= 1 &&
            threads <= FWD_MAX_THREADS)
            continue;
        if (strncmp(a, "--max-seconds=", 14) == 0 && (max_s = (unsigned)atoi(a + 14)) >= 1 &&
            max_s <= 86400)
            continue;
        if (strcmp(a, "--allow-test-namespace") == 0) {
            test_ns = true;
            continue;
        }
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        fprintf(stderr, "forwarder: bad argument \"%s\"\n", a);
        usage(stderr);
        return 64;
    }
    if (addr_normalise(&listen, &norm) != ADDR_NORM_OK ||
        (addr_scope_of(&norm) != ADDR_SCOPE_LOOPBACK && !test_ns)) {
        fprintf(stderr, "forwarder: refusing a non-loopback address without "
                        "--allow-test-namespace\n");
        return 64;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    alarm(max_s);
    memset(th, 0, sizeof(th));
    for (unsigned i = 0; i < threads; i++) {
        th[i].any_dest = test_ns;
        th[i].fd = open_socket(&listen);
        if (th[i].fd < 0 || pthread_create(&th[i].tid, NULL, fwd_loop, &th[i]) != 0) {
            fprintf(stderr, "forwarder: cannot open the socket or thread: %s\n", strerror(errno));
            fwd_stop = 1;
            for (unsigned j = 0; j < i; j++)
                pthread_join(th[j].tid, NULL);
            return 1;
        }
    }
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(th[i].tid, NULL);
        close(th[i].fd);
        fwd += atomic_load(&th[i].forwarded);
        drop += atomic_load(&th[i].dropped);
    }
    fprintf(stderr, "forwarder: %llu datagrams forwarded, %llu dropped\n", (unsigned long long)fwd,
            (unsigned long long)drop);
    return 0;
}
