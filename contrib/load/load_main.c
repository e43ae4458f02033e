/* umbra-load: wires the modules together and runs the phases: set-up (with
 * ramp-up), then either one measurement or the steps of --find-max, then
 * teardown and the reports. Holds the only globals: the signal flag. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include "load_clock.h"
#include "load_config.h"
#include "load_conn.h"
#include "load_plot.h"
#include "load_proc.h"
#include "load_report.h"
#include "load_srtp.h"
#include "load_worker.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

struct run {
    const struct load_config *cfg;
    struct load_control ctl;
    struct load_worker *workers;
    unsigned n_workers;
    unsigned n_intervals;
    double *interval_cpu;
    double cpu_mark;      /* relay CPU seconds at the last interval boundary */
    int64_t next_tick;    /* next interval boundary */
    double setup_elapsed; /* seconds from the start until every call settled */
    unsigned tick;
};

static int raise_fd_limit(unsigned calls, char *err, size_t errlen)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)calls * 2 + 64;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur >= need)
        return 0;
    rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < need) {
        snprintf(err, errlen, "%u calls need %llu file descriptors; the limit is %llu", calls,
                 (unsigned long long)need, (unsigned long long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

static double relay_cpu_now(const struct run *r)
{
    double s;
    if (r->cfg->relay_pid <= 0 || load_proc_cpu_seconds(r->cfg->relay_pid, &s) != 0)
        return -1;
    return s;
}

/* Sleeps until t (or an interrupt), sampling the relay's CPU per interval. */
static void wait_until(struct run *r, int64_t t)
{
    for (;;) {
        int64_t now = load_now_ns();
        int64_t step;
        while (now >= r->next_tick) {
            double cpu = relay_cpu_now(r);
            if (r->tick < r->n_intervals)
                r->interval_cpu[r->tick] =
                    cpu >= 0 && r->cpu_mark >= 0
                        ? 100.0 * (cpu - r->cpu_mark) / ((double)r->ctl.interval_ns / LOAD_NS)
                        : -1;
            r->cpu_mark = cpu;
            r->tick++;
            r->next_tick += r->ctl.interval_ns;
        }
        if (now >= t || interrupted)
            return;
        step = t - now;
        if (step > r->next_tick - now)
            step = r->next_tick - now;
        if (step > 50 * 1000000LL)
            step = 50 * 1000000LL;
        {
            struct timespec ts = {.tv_sec = 0, .tv_nsec = step};
            nanosleep(&ts, NULL);
        }
    }
}

static unsigned count_settled(struct run *r)
{
    unsigned n = 0;
    for (unsigned i = 0; i < r->n_workers; i++)
        n += atomic_load_explicit(&r->workers[i].calls_ready, memory_order_relaxed) +
             atomic_load_explicit(&r->workers[i].calls_failed, memory_order_relaxed);
    return n;
}

static unsigned count_ready(struct run *r)
{
    unsigned n = 0;
    for (unsigned i = 0; i < r->n_workers; i++)
        n += atomic_load_explicit(&r->workers[i].calls_ready, memory_order_relaxed);
    return n;
}

/* Waits until every call is ready or failed, or the set-up deadline. */
static void wait_setup(struct run *r)
{
    int64_t deadline = r->ctl.t0_ns + (int64_t)r->cfg->ramp_s * LOAD_NS +
                       ((int64_t)r->cfg->setup_timeout_s + 1) * LOAD_NS;
    while (!interrupted && count_settled(r) < r->cfg->calls && load_now_ns() < deadline)
        wait_until(r, load_now_ns() + 20 * 1000000LL);
}

/* Closes epoch e and sums its buckets over the workers. */
static void close_epoch(struct run *r, unsigned e, struct load_bucket *out)
{
    atomic_store_explicit(&r->ctl.close_epoch, e + 1, memory_order_release);
    for (unsigned i = 0; i < r->n_workers; i++) {
        int64_t give_up = load_now_ns() + 2 * LOAD_NS;
        while (atomic_load_explicit(&r->workers[i].closed_epoch, memory_order_acquire) < e + 1 &&
               !atomic_load_explicit(&r->workers[i].done, memory_order_acquire) &&
               load_now_ns() < give_up)
            wait_until(r, load_now_ns() + 1000000LL);
    }
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < r->n_workers; i++)
        load_bucket_merge(out, &r->workers[i].epochs[e]);
}

static void set_scale(struct run *r, double scale)
{
    atomic_store_explicit(&r->ctl.scale_ppm, (uint64_t)(scale * 1e6), memory_order_relaxed);
}

/* One period of media stamped with epoch e, then a pause to drain. */
static void measure(struct run *r, unsigned e, unsigned seconds, struct load_step *out)
{
    double cpu0 = relay_cpu_now(r), cpu1;
    int64_t start, end;

    atomic_store_explicit(&r->ctl.epoch, e, memory_order_release);
    atomic_store_explicit(&r->ctl.sending, 1, memory_order_release);
    start = load_now_ns();
    wait_until(r, start + (int64_t)seconds * LOAD_NS);
    atomic_store_explicit(&r->ctl.sending, 0, memory_order_release);
    end = load_now_ns();
    cpu1 = relay_cpu_now(r);
    wait_until(r, end + (int64_t)r->cfg->drain_ms * 1000000LL);
    out->seconds = (double)(end - start) / LOAD_NS;
    out->relay_cpu = cpu0 >= 0 && cpu1 >= 0 ? 100 * (cpu1 - cpu0) / out->seconds : -1;
    close_epoch(r, e, &out->b);
}

static void find_max(struct run *r, struct load_result *res, double scale0, double base_pps)
{
    const struct load_config *cfg = r->cfg;
    double scale = scale0, good = 0, bad = 0;
    double cap = (double)cfg->max_pps / base_pps;

    res->best_step = -1;
    res->find_max_end = "step limit reached";
    for (unsigned k = 0; k < cfg->max_steps && !interrupted; k++) {
        struct load_step *s = &res->steps[k];
        double loss;

        set_scale(r, scale);
        s->offered_target = scale * base_pps;
        measure(r, k + 1, cfg->step_s, s);
        res->n_steps = k + 1;
        loss = load_report_loss(&s->b);
        if (!cfg->quiet)
            fprintf(stderr, "umbra-load: step %u: %.0f packets/s offered, loss %.4f%%\n", k + 1,
                    s->b.sent / s->seconds, 100 * loss);
        if (s->b.sent > 0 && loss <= cfg->loss_limit) {
            /* the best good step is the one that delivered most */
            if (res->best_step < 0 ||
                s->b.delivered / s->seconds >
                    res->steps[res->best_step].b.delivered / res->steps[res->best_step].seconds)
                res->best_step = (int)k;
            good = scale > good ? scale : good;
            if ((double)s->b.sent / s->seconds < 0.9 * s->offered_target) {
                res->find_max_end = "the generator could not offer more (CPU-bound)";
                break;
            }
        } else {
            bad = bad == 0 || scale < bad ? scale : bad;
        }
        if (bad == 0) {
            if (scale >= cap) {
                res->find_max_end = "reached --max-pps";
                break;
            }
            scale = scale * 1.5 > cap ? cap : scale * 1.5;
        } else if (good == 0) {
            scale /= 2;
        } else {
            if ((bad - good) / good < 0.08) {
                res->find_max_end = "converged within 8%";
                break;
            }
            scale = (good + bad) / 2;
        }
    }
    if (res->best_step >= 0) {
        res->total = res->steps[res->best_step].b;
        res->total_seconds = res->steps[res->best_step].seconds;
        res->relay_cpu = res->steps[res->best_step].relay_cpu;
    }
}

static void collect(struct run *r, struct load_result *res)
{
    unsigned used = 0;

    for (unsigned i = 0; i < r->n_workers; i++) {
        struct load_worker *w = &r->workers[i];
        load_setup_merge(&res->setup, &w->setup);
        res->bursts_skipped += w->bursts_skipped;
        for (unsigned k = 0; k < r->n_intervals; k++) {
            load_bucket_merge(&res->intervals[k], &w->intervals[k]);
            if (w->intervals[k].sent > 0 || w->intervals[k].delivered > 0)
                used = k + 1 > used ? k + 1 : used;
        }
    }
    res->n_intervals = used;
    res->calls_per_s = r->setup_elapsed > 0 ? (double)res->setup.calls_ok / r->setup_elapsed : 0;
    res->setup_seconds =
        res->setup.last_done_ns > res->setup.first_start_ns
            ? (double)(res->setup.last_done_ns - res->setup.first_start_ns) / LOAD_NS
            : 0;
}

static int run_load(const struct load_config *cfg, struct ssl_ctx_st *tls)
{
    struct run r;
    struct load_result *res;
    double base_pps = load_config_base_pps(cfg);
    double scale0 = cfg->offered_pps ? (double)cfg->offered_pps / base_pps : 1.0;
    double total_s, self0;
    int rc = 0;
    char err[256];

    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.n_workers = cfg->threads < cfg->calls ? cfg->threads : cfg->calls;
    total_s = cfg->setup_timeout_s + cfg->ramp_s + 2 +
              (cfg->find_max ? cfg->max_steps * (cfg->step_s + cfg->drain_ms / 1000.0 + 2.5)
                             : cfg->duration_s + cfg->drain_ms / 1000.0 + 2.5);
    r.n_intervals = (unsigned)(total_s * 1000 / cfg->interval_ms) + 2;
    /* the hard stop: whatever happens, the process ends 30 s after the plan */
    alarm((unsigned)total_s + 30);

    res = calloc(1, sizeof(*res));
    r.workers = calloc(r.n_workers, sizeof(*r.workers));
    r.interval_cpu = calloc(r.n_intervals, sizeof(double));
    if (res == NULL || r.workers == NULL || r.interval_cpu == NULL) {
        fprintf(stderr, "umbra-load: out of memory\n");
        free(res);
        free(r.workers);
        free(r.interval_cpu);
        return 1;
    }
    res->intervals = calloc(r.n_intervals, sizeof(*res->intervals));
    res->cfg = cfg;
    res->interval_cpu = r.interval_cpu;
    res->interval_s = cfg->interval_ms / 1000.0;
    res->rss_before_kb = res->rss_after_kb = -1;
    res->best_step = -1;

    r.ctl.interval_ns = (int64_t)cfg->interval_ms * 1000000LL;
    r.ctl.t0_ns = load_now_ns() + 20 * 1000000LL;
    r.next_tick = r.ctl.t0_ns + r.ctl.interval_ns;
    atomic_store(&r.ctl.scale_ppm, (uint64_t)(scale0 * 1e6));
    atomic_store(&r.ctl.sending, cfg->find_max || cfg->setup_only ? 0 : 1);
    if (cfg->relay_pid > 0) {
        if (load_proc_rss_kb(cfg->relay_pid, &res->rss_before_kb) != 0)
            fprintf(stderr, "umbra-load: warning: cannot read /proc/%d\n", cfg->relay_pid);
    }
    self0 = load_proc_self_cpu_seconds();
    for (unsigned i = 0; i < r.n_workers; i++) {
        if (res->intervals == NULL ||
            load_worker_init(&r.workers[i], i, r.n_workers, cfg, &r.ctl, tls, r.n_intervals) != 0 ||
            load_worker_start(&r.workers[i]) != 0) {
            fprintf(stderr, "umbra-load: cannot start worker %u\n", i);
            atomic_store(&r.ctl.stop, 1);
            for (unsigned j = 0; j < i; j++)
                load_worker_join(&r.workers[j]);
            for (unsigned j = 0; j <= i; j++)
                load_worker_free(&r.workers[j]);
            rc = 1;
            goto out;
        }
    }
    r.cpu_mark = relay_cpu_now(&r);

    wait_setup(&r);
    r.setup_elapsed = (double)(load_now_ns() - r.ctl.t0_ns) / LOAD_NS;
    wait_until(&r, r.ctl.t0_ns + (int64_t)cfg->ramp_s * LOAD_NS);
    if (cfg->relay_pid > 0)
        load_proc_rss_kb(cfg->relay_pid, &res->rss_after_kb);
    if (!cfg->quiet)
        fprintf(stderr, "umbra-load: %u of %u calls ready\n", count_ready(&r), cfg->calls);

    if (count_ready(&r) == 0) {
        fprintf(stderr, "umbra-load: no call could be set up\n");
        rc = 2;
    } else if (cfg->setup_only) {
        /* nothing to send: the set-up figures are the result */
    } else if (cfg->find_max) {
        find_max(&r, res, scale0, base_pps);
    } else {
        struct load_step s;
        memset(&s, 0, sizeof(s));
        measure(&r, 1, cfg->duration_s, &s);
        res->total = s.b;
        res->total_seconds = s.seconds;
        res->relay_cpu = s.relay_cpu;
    }
    atomic_store(&r.ctl.sending, 0);
    atomic_store(&r.ctl.stop, 1);
    for (unsigned i = 0; i < r.n_workers; i++)
        load_worker_join(&r.workers[i]);
    res->self_cpu = 0;
    if (res->total_seconds > 0)
        res->self_cpu = 100 * (load_proc_self_cpu_seconds() - self0) /
                        ((double)(load_now_ns() - r.ctl.t0_ns) / LOAD_NS);
    for (unsigned i = 0; i < r.n_workers; i++)
        load_bucket_merge(&res->ramp, &r.workers[i].epochs[0]);
    collect(&r, res);
    for (unsigned i = 0; i < r.n_workers; i++)
        load_worker_free(&r.workers[i]);

    load_report_text(stdout, res);
    if (cfg->summary_path != NULL && load_report_summary(cfg->summary_path, res) != 0) {
        fprintf(stderr, "umbra-load: cannot write %s\n", cfg->summary_path);
        rc = 1;
    }
    if (cfg->csv_path != NULL || cfg->plot_path != NULL) {
        char tmp[] = "/tmp/umbra-load-XXXXXX";
        const char *csv = cfg->csv_path;
        if (csv == NULL) {
            int fd = mkstemp(tmp);
            if (fd >= 0)
                close(fd);
            csv = tmp;
        }
        if (load_report_csv(csv, res) != 0) {
            fprintf(stderr, "umbra-load: cannot write %s\n", csv);
            rc = 1;
        } else if (cfg->plot_path != NULL &&
                   load_plot_png(csv, cfg->plot_path, "umbra-load", err, sizeof(err)) != 0) {
            fprintf(stderr, "umbra-load: %s\n", err);
            rc = 1;
        }
        if (cfg->csv_path == NULL)
            unlink(tmp);
    }
    if (interrupted)
        rc = rc ? rc : 130;
    else if (rc == 0 && res->setup.calls_failed > 0)
        rc = 3;
out:
    alarm(0);
    free(res->intervals);
    free(res);
    free(r.workers);
    free(r.interval_cpu);
    return rc;
}

int main(int argc, char **argv)
{
    struct load_config cfg;
    struct ssl_ctx_st *tls = NULL;
    struct sigaction sa;
    char err[512];
    int rc;

    switch (load_config_parse(&cfg, argc, argv, err, sizeof(err))) {
    case LOAD_CONFIG_EXIT:
        return 0;
    case LOAD_CONFIG_ERROR:
        fprintf(stderr, "umbra-load: %s\n", err);
        load_config_clear(&cfg);
        return 64;
    default:
        break;
    }
    /* libsodium's default generator makes a getrandom() system call per
     * request; its internal one (ChaCha20, seeded from the kernel, a stream
     * per thread) draws the transaction ids and SSRCs without one. */
    randombytes_set_implementation(&randombytes_internal_implementation);
    if (sodium_init() < 0 || load_srtp_global_init() != 0) {
        fprintf(stderr, "umbra-load: cannot initialise libsodium or libsrtp2\n");
        return 1;
    }
    if (raise_fd_limit(cfg.calls, err, sizeof(err)) != 0) {
        fprintf(stderr, "umbra-load: %s\n", err);
        return 64;
    }
    if (cfg.transport == LOAD_TLS && (tls = load_conn_tls_ctx_new()) == NULL) {
        fprintf(stderr, "umbra-load: cannot create a TLS context\n");
        return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = run_load(&cfg, tls);

    load_conn_tls_ctx_free(tls);
    load_srtp_global_free();
    load_config_clear(&cfg);
    return rc;
}
