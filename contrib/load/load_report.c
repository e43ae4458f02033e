/* load_report: see load_report.h. */
#include "load_report.h"

#include <inttypes.h>
#include <string.h>

double load_report_loss(const struct load_bucket *b)
{
    if (b->sent == 0)
        return 0;
    return b->delivered >= b->sent ? 0 : (double)(b->sent - b->delivered) / (double)b->sent;
}

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static double rate(uint64_t n, double seconds)
{
    return seconds > 0 ? (double)n / seconds : 0;
}

static double mean_jitter_ms(const struct load_bucket *b)
{
    return b->delivered ? (double)b->jitter_sum_ns / (double)b->delivered / 1e6 : 0;
}

static double allocs_per_s(const struct load_result *r)
{
    return r->setup_seconds > 0 ? (double)r->setup.allocations_ok / r->setup_seconds : 0;
}

static void text_bucket(FILE *out, const struct load_bucket *b, double seconds)
{
    uint64_t lost = load_bucket_lost(b);
    fprintf(out, "offered      %12.0f packets/s %10.3f Mbit/s\n", rate(b->sent, seconds),
            rate(b->sent_bytes, seconds) * 8 / 1e6);
    fprintf(out, "delivered    %12.0f packets/s %10.3f Mbit/s\n", rate(b->delivered, seconds),
            rate(b->delivered_bytes, seconds) * 8 / 1e6);
    fprintf(out, "sent         %12" PRIu64 " packets (%" PRIu64 " refused by the kernel)\n",
            b->sent, b->send_drops);
    fprintf(out,
            "loss         %12" PRIu64 " packets (%.4f%%); corrupt %" PRIu64 ", replayed %" PRIu64
            ", late %" PRIu64 "\n",
            lost, b->sent ? 100.0 * (double)lost / (double)b->sent : 0.0, b->corrupt, b->replayed,
            b->late);
    fprintf(out, "reordered    %12" PRIu64 " packets (%.4f%%)\n", b->reordered,
            b->delivered ? 100.0 * (double)b->reordered / (double)b->delivered : 0.0);
    fprintf(out, "jitter       %12.3f ms (RFC 3550, mean over packets)\n", mean_jitter_ms(b));
    fprintf(out, "latency      p50 %.3f ms  p99 %.3f ms  p999 %.3f ms  max %.3f ms\n",
            ms(load_hist_quantile(&b->latency_us, 0.5)),
            ms(load_hist_quantile(&b->latency_us, 0.99)),
            ms(load_hist_quantile(&b->latency_us, 0.999)), ms(b->latency_us.max));
}

void load_report_text(FILE *out, const struct load_result *r)
{
    const struct load_config *cfg = r->cfg;

    /* The target is always loopback (load_config refuses others); its
     * port says which server, and the report, like every log of umbra's,
     * holds no address. */
    fprintf(out,
            "umbra-load: %u calls (%u allocations) over %s to loopback port %u%s, %s, %s, %u "
            "threads\n",
            cfg->calls, cfg->calls * 2, load_transport_name(cfg->transport),
            (unsigned)addr_port(&cfg->server), cfg->raw_forwarder ? " (bare forwarder)" : "",
            cfg->profile == LOAD_AUDIO ? "audio" : "video", load_suite_name(cfg->suite),
            cfg->threads);
    fprintf(out, "calls        %12" PRIu64 " ready, %" PRIu64 " failed\n", r->setup.calls_ok,
            r->setup.calls_failed);
    if (!cfg->raw_forwarder) {
        fprintf(out,
                "allocations  %12" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64
                " retransmissions; %.1f allocations/s\n",
                r->setup.allocations_ok, r->setup.allocations_failed, r->setup.retransmits,
                allocs_per_s(r));
        fprintf(out, "allocate     p50 %.3f ms  p99 %.3f ms\n",
                ms(load_hist_quantile(&r->setup.alloc_us, 0.5)),
                ms(load_hist_quantile(&r->setup.alloc_us, 0.99)));
        if (cfg->broker)
            fprintf(out,
                    "call set-up  p50 %.3f ms  p99 %.3f ms (first broker request to first media "
                    "packet); %.1f calls/s\n",
                    ms(load_hist_quantile(&r->setup.call_us, 0.5)),
                    ms(load_hist_quantile(&r->setup.call_us, 0.99)), r->calls_per_s);
        else
            fprintf(out,
                    "call set-up  p50 %.3f ms  p99 %.3f ms (both allocations to both channels)\n",
                    ms(load_hist_quantile(&r->setup.call_us, 0.5)),
                    ms(load_hist_quantile(&r->setup.call_us, 0.99)));
    }
    if (cfg->relay_pid > 0 && r->rss_before_kb >= 0 && r->rss_after_kb >= 0)
        fprintf(out, "relay RSS    %12ld KiB before set-up, %ld KiB after\n", r->rss_before_kb,
                r->rss_after_kb);
    if (cfg->setup_only)
        return;
    if (cfg->find_max) {
        fprintf(out, "find-max     %u steps of %u s, loss limit %.3f%%; %s\n", r->n_steps,
                cfg->step_s, cfg->loss_limit * 100, r->find_max_end ? r->find_max_end : "");
        fprintf(out, "  step  target pkt/s  offered pkt/s  delivered pkt/s   loss %%   p99 ms  "
                     "relay CPU %%\n");
        for (unsigned i = 0; i < r->n_steps; i++) {
            const struct load_step *s = &r->steps[i];
            fprintf(out, "  %4u  %12.0f  %13.0f  %15.0f  %7.4f  %7.3f  %10.1f%s\n", i + 1,
                    s->offered_target, rate(s->b.sent, s->seconds),
                    rate(s->b.delivered, s->seconds), 100 * load_report_loss(&s->b),
                    ms(load_hist_quantile(&s->b.latency_us, 0.99)), s->relay_cpu,
                    (int)i == r->best_step ? "  <- last good" : "");
        }
        if (r->best_step < 0) {
            fprintf(out, "max          none: even the first step lost more than the limit\n");
            return;
        }
        fprintf(out, "max          %.0f packets/s delivered at < %.3f%% loss (step %d)\n",
                rate(r->total.delivered, r->total_seconds), cfg->loss_limit * 100,
                r->best_step + 1);
    } else if (r->ramp.sent > 0) {
        fprintf(out, "ramp-up      %" PRIu64 " sent, %" PRIu64 " lost (not in the figures below)\n",
                r->ramp.sent, load_bucket_lost(&r->ramp));
    }
    fprintf(out, "measured     %12.2f s\n", r->total_seconds);
    text_bucket(out, &r->total, r->total_seconds);
    if (cfg->relay_pid > 0) {
        fprintf(out, "relay CPU    %12.1f %% of one core\n", r->relay_cpu);
    }
    fprintf(out, "load CPU     %12.1f %% of one core (umbra-load itself)\n", r->self_cpu);
    if (r->bursts_skipped > 0)
        fprintf(out,
                "warning      the generator fell behind and skipped %" PRIu64
                " bursts: it, not the server, limited the load\n",
                r->bursts_skipped);
}

int load_report_csv(const char *path, const struct load_result *r)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "t_s,offered_pps,offered_bps,delivered_pps,delivered_bps,lost,corrupt,"
               "reordered,jitter_ms,latency_p50_ms,latency_p99_ms,latency_p999_ms,"
               "relay_cpu_pct\n");
    for (unsigned i = 0; i < r->n_intervals; i++) {
        const struct load_bucket *b = &r->intervals[i];
        double s = r->interval_s;
        fprintf(f,
                "%.3f,%.1f,%.1f,%.1f,%.1f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.4f,%.4f,%.4f,%.4f,",
                (i + 1) * s, rate(b->sent, s), rate(b->sent_bytes, s) * 8, rate(b->delivered, s),
                rate(b->delivered_bytes, s) * 8, load_bucket_lost(b), b->corrupt, b->reordered,
                mean_jitter_ms(b), ms(load_hist_quantile(&b->latency_us, 0.5)),
                ms(load_hist_quantile(&b->latency_us, 0.99)),
                ms(load_hist_quantile(&b->latency_us, 0.999)));
        if (r->interval_cpu != NULL && r->interval_cpu[i] >= 0)
            fprintf(f, "%.1f", r->interval_cpu[i]);
        fprintf(f, "\n");
    }
    return fclose(f) == 0 ? 0 : -1;
}

int load_report_summary(const char *path, const struct load_result *r)
{
    const struct load_bucket *b = &r->total;
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "calls_ready=%" PRIu64 "\ncalls_failed=%" PRIu64 "\n", r->setup.calls_ok,
            r->setup.calls_failed);
    fprintf(f, "allocations_ok=%" PRIu64 "\nallocations_failed=%" PRIu64 "\n",
            r->setup.allocations_ok, r->setup.allocations_failed);
    fprintf(f, "allocations_per_s=%.1f\n", allocs_per_s(r));
    fprintf(f, "calls_per_s=%.1f\n", r->calls_per_s);
    fprintf(f, "setup_p50_ms=%.3f\nsetup_p99_ms=%.3f\n",
            ms(load_hist_quantile(&r->setup.call_us, 0.5)),
            ms(load_hist_quantile(&r->setup.call_us, 0.99)));
    fprintf(f, "measured_s=%.3f\n", r->total_seconds);
    fprintf(f,
            "sent=%" PRIu64 "\ndelivered=%" PRIu64 "\nlost=%" PRIu64 "\ncorrupt=%" PRIu64
            "\nreplayed=%" PRIu64 "\nreordered=%" PRIu64 "\nsend_refused=%" PRIu64 "\n",
            b->sent, b->delivered, load_bucket_lost(b), b->corrupt, b->replayed, b->reordered,
            b->send_drops);
    fprintf(f, "offered_pps=%.1f\ndelivered_pps=%.1f\n", rate(b->sent, r->total_seconds),
            rate(b->delivered, r->total_seconds));
    fprintf(f, "offered_bps=%.1f\ndelivered_bps=%.1f\n", rate(b->sent_bytes, r->total_seconds) * 8,
            rate(b->delivered_bytes, r->total_seconds) * 8);
    fprintf(f, "loss_pct=%.5f\n", 100 * load_report_loss(b));
    fprintf(f, "jitter_ms=%.4f\n", mean_jitter_ms(b));
    fprintf(f, "latency_p50_ms=%.4f\nlatency_p99_ms=%.4f\nlatency_p999_ms=%.4f\n",
            ms(load_hist_quantile(&b->latency_us, 0.5)),
            ms(load_hist_quantile(&b->latency_us, 0.99)),
            ms(load_hist_quantile(&b->latency_us, 0.999)));
    fprintf(f, "relay_cpu_pct=%.1f\nload_cpu_pct=%.1f\n", r->relay_cpu, r->self_cpu);
    fprintf(f, "relay_rss_before_kb=%ld\nrelay_rss_after_kb=%ld\n", r->rss_before_kb,
            r->rss_after_kb);
    fprintf(f, "bursts_skipped=%" PRIu64 "\n", r->bursts_skipped);
    if (r->cfg->find_max)
        fprintf(f, "find_max_pps=%.1f\nfind_max_steps=%u\n",
                r->best_step >= 0 ? rate(b->delivered, r->total_seconds) : 0.0, r->n_steps);
    return fclose(f) == 0 ? 0 : -1;
}
