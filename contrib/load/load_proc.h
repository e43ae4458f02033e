/* load_proc: what /proc says about another process (the relay under test):
 * CPU time used by all its threads and resident memory. Pure readers. */
#ifndef UMBRA_LOAD_PROC_H
#define UMBRA_LOAD_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* utime + stime of every thread, in seconds. 0 or -1. */
int load_proc_cpu_seconds(pid_t pid, double *out);
/* VmRSS in KiB. 0 or -1. */
int load_proc_rss_kb(pid_t pid, long *out);
/* This process's own CPU seconds (user + system). */
double load_proc_self_cpu_seconds(void);

#endif
