/* load_worker: one thread of umbra-load. It owns a share of the calls (both
 * legs of a call on the same thread), their sockets in one epoll set, and
 * its statistics; it sets calls up, paces and sends their media, receives
 * and unprotects what comes back, and tears the calls down at the end.
 *
 * Main steers all workers through a load_control of atomics: whether media
 * flows, at what rate scale, which epoch packets are stamped with, and up
 * below which epoch the counts are final. A worker acknowledges closed
 * epochs in closed_epoch (release); after main reads that (acquire) the worker no
 * longer touches those epoch buckets and main may read them. Everything
 * else in a worker is read by main only after the thread has been joined. */
#ifndef UMBRA_LOAD_WORKER_H
#define UMBRA_LOAD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "load_config.h"
#include "load_conn.h"
#include "load_stats.h"

#define LOAD_EPOCHS (LOAD_MAX_STEPS + 2)
#define LOAD_BATCH 64

struct load_control {
    atomic_int stop;                /* tear down and exit */
    atomic_int sending;             /* media flows while 1 */
    atomic_uint epoch;              /* stamped into every packet sent */
    atomic_uint close_epoch;        /* counts of epochs below this are final */
    atomic_uint_fast64_t scale_ppm; /* rate scale, parts per million */
    int64_t t0_ns;                  /* the run's start (CLOCK_MONOTONIC) */
    int64_t interval_ns;
};

struct load_call;
struct load_broker;

struct load_worker {
    unsigned id;
    pthread_t thread;
    const struct load_config *cfg;
    struct load_control *ctl;
    struct ssl_ctx_st *tls;
    struct load_broker *broker; /* --broker: this thread's identities */
    struct load_shape shape;
    int epfd;
    bool no_pwait2; /* epoll_pwait2 is missing (Linux < 5.11, valgrind) */

    struct load_call *calls;
    unsigned n_calls;
    unsigned next_to_start;
    struct load_call **in_setup; /* at most cfg->setup_window */
    unsigned n_in_setup;
    int64_t next_send_ns;

    /* statistics, written only by this thread */
    struct load_setup setup;
    struct load_bucket *intervals;
    unsigned n_intervals;
    struct load_bucket epochs[LOAD_EPOCHS];
    unsigned closed_local; /* epochs below it are closed */
    unsigned cur_epoch;
    uint64_t bursts_skipped;
    uint64_t packets_made; /* for --corrupt-every */

    atomic_uint closed_epoch;
    atomic_uint calls_ready;
    atomic_uint calls_failed;
    atomic_int done;

    /* scratch for recvmmsg/sendmmsg */
    struct mmsghdr msgs[LOAD_BATCH];
    struct iovec iov[LOAD_BATCH];
    uint8_t (*bufs)[LOAD_CONN_DGRAM_MAX];
};

/* Prepares worker id of n: its calls are the global indexes id, id+n, ...
 * n_intervals sizes the time series. 0 or -1. */
int load_worker_init(struct load_worker *w, unsigned id, unsigned n, const struct load_config *cfg,
                     struct load_control *ctl, struct ssl_ctx_st *tls, unsigned n_intervals);
int load_worker_start(struct load_worker *w);
void load_worker_join(struct load_worker *w);
void load_worker_free(struct load_worker *w);

/* The bucket for a send time, clamped to the series. */
struct load_bucket *load_worker_interval(struct load_worker *w, int64_t t_ns);

#endif
