/* load_report: turns merged figures into the text report, the CSV time
 * series and the key=value summary. Reads a load_result; owns nothing. */
#ifndef UMBRA_LOAD_REPORT_H
#define UMBRA_LOAD_REPORT_H

#include <stdio.h>

#include "load_config.h"
#include "load_stats.h"

struct load_step {
    double offered_target; /* packets/s asked for */
    double seconds;
    double relay_cpu; /* percent of one core, <0 unknown */
    struct load_bucket b;
};

struct load_result {
    const struct load_config *cfg;
    struct load_setup setup;
    double setup_seconds;     /* first Allocate to last allocation */
    double calls_per_s;       /* calls ready over the set-up phase */
    struct load_bucket ramp;  /* media before the measurement (ramp-up) */
    struct load_bucket total; /* the measurement (or best --find-max step) */
    double total_seconds;
    double relay_cpu; /* percent of one core over the measurement */
    double self_cpu;  /* umbra-load's own, same unit */
    struct load_bucket *intervals;
    double *interval_cpu; /* relay CPU per interval, <0 unknown */
    unsigned n_intervals; /* intervals that saw traffic */
    double interval_s;
    long rss_before_kb, rss_after_kb; /* relay, around set-up; -1 unknown */
    uint64_t bursts_skipped;
    unsigned n_steps;
    struct load_step steps[LOAD_MAX_STEPS];
    int best_step;            /* -1: none under the loss limit */
    const char *find_max_end; /* why the search stopped */
};

/* Loss as used by --find-max: packets not delivered intact. */
double load_report_loss(const struct load_bucket *b);

void load_report_text(FILE *out, const struct load_result *r);
int load_report_csv(const char *path, const struct load_result *r);
int load_report_summary(const char *path, const struct load_result *r);

#endif
