/* load_worker: see load_worker.h. */
#include "load_worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "load_broker.h"
#include "load_call.h"
#include "load_clock.h"

#define LOAD_EVENTS 256
#define LOAD_MAX_WAIT_NS (5 * 1000000LL) /* look at the control block this often */
#define LOAD_SEND_SLACK_NS (200 * 1000LL)
#define LOAD_TEARDOWN_NS (1000 * 1000000LL)

int load_worker_init(struct load_worker *w, unsigned id, unsigned n, const struct load_config *cfg,
                     struct load_control *ctl, struct ssl_ctx_st *tls, unsigned n_intervals)
{
    int64_t ramp_ns = (int64_t)cfg->ramp_s * LOAD_NS;

    memset(w, 0, sizeof(*w));
    w->id = id;
    w->cfg = cfg;
    w->ctl = ctl;
    w->tls = tls;
    w->epfd = -1;
    load_config_shape(cfg, &w->shape);
    w->n_calls = cfg->calls / n + (id < cfg->calls % n ? 1 : 0);
    w->n_intervals = n_intervals;
    w->calls = calloc(w->n_calls ? w->n_calls : 1, sizeof(*w->calls));
    w->in_setup = calloc(cfg->setup_window, sizeof(*w->in_setup));
    w->intervals = calloc(n_intervals, sizeof(*w->intervals));
    w->bufs = calloc(LOAD_BATCH, sizeof(*w->bufs));
    if (w->calls == NULL || w->in_setup == NULL || w->intervals == NULL || w->bufs == NULL)
        return -1;
    for (unsigned i = 0; i < w->n_calls; i++) {
        unsigned g = id + i * n;
        int64_t at = ctl->t0_ns + (cfg->calls > 1 ? ramp_ns * g / cfg->calls : 0);
        load_call_init(&w->calls[i], g, at);
    }
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0)
        return -1;
    if (cfg->setup_only && cfg->transport == LOAD_UDP && !cfg->broker)
        for (unsigned i = 0; i < w->n_calls; i++)
            if (load_call_preopen(w, &w->calls[i]) != 0)
                return -1;
    if (cfg->broker) {
        char err[512];
        w->broker = calloc(1, sizeof(*w->broker));
        if (w->broker == NULL ||
            load_broker_init(w->broker, &cfg->broker_addr, err, sizeof(err)) != 0) {
            fprintf(stderr, "umbra-load: %s\n", w->broker ? err : "out of memory");
            return -1;
        }
    }
    return 0;
}

struct load_bucket *load_worker_interval(struct load_worker *w, int64_t t_ns)
{
    int64_t i = (t_ns - w->ctl->t0_ns) / w->ctl->interval_ns;
    if (i < 0)
        i = 0;
    if (i >= (int64_t)w->n_intervals)
        i = (int64_t)w->n_intervals - 1;
    return &w->intervals[i];
}

static void start_calls(struct load_worker *w, int64_t now)
{
    /* drop finished set-ups from the window */
    unsigned k = 0;
    for (unsigned i = 0; i < w->n_in_setup; i++)
        if (w->in_setup[i]->state == LOAD_CALL_SETUP)
            w->in_setup[k++] = w->in_setup[i];
    w->n_in_setup = k;

    while (w->next_to_start < w->n_calls && w->n_in_setup < w->cfg->setup_window &&
           w->calls[w->next_to_start].start_at_ns <= now) {
        struct load_call *c = &w->calls[w->next_to_start++];
        if (load_call_begin(w, c, now) == 0 && c->state == LOAD_CALL_SETUP)
            w->in_setup[w->n_in_setup++] = c;
    }
}

static int64_t send_due(struct load_worker *w, int64_t now, uint64_t scale)
{
    int64_t next = INT64_MAX;
    for (unsigned i = 0; i < w->n_calls; i++) {
        struct load_call *c = &w->calls[i];
        if (c->state != LOAD_CALL_READY)
            continue;
        for (unsigned j = 0; j < 2; j++) {
            int64_t t = c->leg[j].next_burst_ns;
            if (t <= now)
                t = load_call_send_media(w, &c->leg[j], now, scale);
            if (t < next)
                next = t;
        }
    }
    return next;
}

/* Picks up control changes; acknowledges closed epochs. */
static void read_control(struct load_worker *w)
{
    unsigned close = atomic_load_explicit(&w->ctl->close_epoch, memory_order_acquire);
    unsigned epoch = atomic_load_explicit(&w->ctl->epoch, memory_order_acquire);

    w->cur_epoch = epoch < LOAD_EPOCHS ? epoch : LOAD_EPOCHS - 1;
    if (close > w->closed_local && close <= LOAD_EPOCHS) {
        w->closed_local = close;
        atomic_store_explicit(&w->closed_epoch, close, memory_order_release);
    }
}

static void poll_once(struct load_worker *w, int64_t wait_ns)
{
    struct epoll_event ev[LOAD_EVENTS];
    struct timespec ts;
    int n;

    if (wait_ns < 0)
        wait_ns = 0;
    if (wait_ns > LOAD_MAX_WAIT_NS)
        wait_ns = LOAD_MAX_WAIT_NS;
    ts.tv_sec = 0;
    ts.tv_nsec = wait_ns;
    n = w->no_pwait2 ? -1 : epoll_pwait2(w->epfd, ev, LOAD_EVENTS, &ts, NULL);
    if (n < 0 && (w->no_pwait2 || errno == ENOSYS)) {
        /* Millisecond waits, rounded up so a due send is never early. */
        w->no_pwait2 = true;
        n = epoll_wait(w->epfd, ev, LOAD_EVENTS, (int)((wait_ns + 999999) / 1000000));
    }
    for (int i = 0; i < n; i++)
        load_call_on_event(w, ev[i].data.ptr, ev[i].events);
}

static void run_loop(struct load_worker *w)
{
    while (!atomic_load_explicit(&w->ctl->stop, memory_order_relaxed)) {
        int64_t now = load_now_ns();
        int64_t wake = now + LOAD_MAX_WAIT_NS;

        read_control(w);
        start_calls(w, now);
        for (unsigned i = 0; i < w->n_in_setup; i++)
            load_call_timers(w, w->in_setup[i], now);
        if (w->next_to_start < w->n_calls && w->calls[w->next_to_start].start_at_ns < wake)
            wake = w->calls[w->next_to_start].start_at_ns;
        if (atomic_load_explicit(&w->ctl->sending, memory_order_relaxed)) {
            uint64_t scale = atomic_load_explicit(&w->ctl->scale_ppm, memory_order_relaxed);
            if (now >= w->next_send_ns) {
                int64_t next = send_due(w, now, scale);
                /* batch what falls due within a short slack into one pass */
                w->next_send_ns =
                    next == INT64_MAX ? now + LOAD_MAX_WAIT_NS : next + LOAD_SEND_SLACK_NS;
            }
            if (w->next_send_ns < wake)
                wake = w->next_send_ns;
        } else {
            /* when media resumes, no leg may carry a backlog from the pause */
            for (unsigned i = 0; i < w->n_calls; i++)
                for (unsigned j = 0; j < 2; j++)
                    if (w->calls[i].leg[j].next_burst_ns < now)
                        w->calls[i].leg[j].next_burst_ns = now;
            w->next_send_ns = now;
        }
        poll_once(w, wake - load_now_ns());
    }
}

static void teardown(struct load_worker *w)
{
    int64_t until;
    bool pending = true;

    for (unsigned i = 0; i < w->n_calls; i++)
        load_call_teardown(w, &w->calls[i]);
    until = load_now_ns() + LOAD_TEARDOWN_NS;
    while (pending && load_now_ns() < until) {
        pending = false;
        for (unsigned i = 0; i < w->n_calls && !pending; i++)
            for (unsigned j = 0; j < 2; j++)
                if (w->calls[i].leg[j].state == LOAD_LEG_CLOSING)
                    pending = true;
        if (pending)
            poll_once(w, 20 * 1000000LL);
    }
    read_control(w);
}

static void *worker_main(void *arg)
{
    struct load_worker *w = arg;
    run_loop(w);
    teardown(w);
    atomic_store_explicit(&w->done, 1, memory_order_release);
    return NULL;
}

int load_worker_start(struct load_worker *w)
{
    return pthread_create(&w->thread, NULL, worker_main, w) == 0 ? 0 : -1;
}

void load_worker_join(struct load_worker *w)
{
    pthread_join(w->thread, NULL);
}

void load_worker_free(struct load_worker *w)
{
    for (unsigned i = 0; i < w->n_calls && w->calls != NULL; i++)
        load_call_free(&w->calls[i]);
    if (w->epfd >= 0)
        close(w->epfd);
    free(w->calls);
    free(w->in_setup);
    free(w->intervals);
    free(w->bufs);
    if (w->broker != NULL) {
        load_broker_clear(w->broker);
        free(w->broker);
    }
    memset(w, 0, sizeof(*w));
    w->epfd = -1;
}
