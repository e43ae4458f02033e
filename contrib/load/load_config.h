/* load_config: umbra-load's options, parsed from the command line and
 * checked against hard caps, so a run is always bounded in calls, rate and
 * time and aims only at loopback (or, when the operator says so, at a test
 * network namespace). The struct owns copies of every string; secrets are
 * wiped by load_config_clear(). */
#ifndef UMBRA_LOAD_CONFIG_H
#define UMBRA_LOAD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "conf_table.h"

/* Hard caps: no option can exceed these. */
#define LOAD_MAX_CALLS 20000
#define LOAD_MAX_THREADS 16
#define LOAD_MAX_DURATION_S 3600
#define LOAD_MAX_RAMP_S 600
#define LOAD_MAX_TOTAL_PPS 2000000
#define LOAD_MAX_BITRATE 50000000 /* per direction of one video call */
#define LOAD_MAX_STEPS 40
#define LOAD_MAX_PAYLOAD 1200
#define LOAD_MAX_SECRET 256

enum load_transport { LOAD_UDP, LOAD_TCP, LOAD_TLS };
enum load_profile { LOAD_AUDIO, LOAD_VIDEO };
/* LOAD_NULL_NULL: libsrtp2's null cipher and null auth, real SRTP framing
 * (header, sequence, replay window) without the crypto; for capacity
 * measurements only, never for media. */
enum load_suite { LOAD_AES_CM_128_HMAC_SHA1_80, LOAD_AEAD_AES_128_GCM, LOAD_NULL_NULL };

struct load_config {
    struct umbra_addr server; /* TURN server, or the bare forwarder */
    bool raw_forwarder;       /* --raw-forwarder: no TURN, forwarder framing */
    bool broker;              /* --broker: calls set up through umbra-broker */
    struct umbra_addr broker_addr;
    enum load_transport transport;
    char secret[LOAD_MAX_SECRET]; /* REST shared secret, or empty */
    size_t secret_len;
    char user[128];     /* static user name, or empty */
    char password[128]; /* its password */
    unsigned calls;
    unsigned threads;
    enum load_profile profile;
    uint64_t bitrate; /* video, bits/s per direction */
    enum load_suite suite;
    unsigned duration_s;
    unsigned ramp_s;
    unsigned interval_ms;
    unsigned setup_timeout_s;
    unsigned setup_window; /* calls in set-up at once, per thread */
    unsigned drain_ms;
    uint64_t offered_pps; /* total target; 0 = the profile's own rate */
    uint64_t max_pps;     /* cap on total offered packets/s */
    bool find_max;
    bool setup_only; /* set calls up, measure that, send no media */
    unsigned step_s;
    unsigned max_steps;
    double loss_limit;      /* fraction, for --find-max */
    unsigned corrupt_every; /* flip a bit in every Nth sent packet, 0 = never */
    int relay_pid;          /* 0 = none */
    const char *csv_path;
    const char *plot_path;
    const char *summary_path;
    bool allow_test_namespace;
    bool quiet;
};

/* Every option but --help and --version: name, type, bounds, default,
 * field and help (conf_table.h). */
extern const struct conf_key load_config_keys[];

enum load_config_result { LOAD_CONFIG_RUN = 0, LOAD_CONFIG_EXIT = 1, LOAD_CONFIG_ERROR = -1 };

/* Parses argv. LOAD_CONFIG_EXIT after --help/--version (text printed),
 * LOAD_CONFIG_ERROR with a reason in err. */
enum load_config_result load_config_parse(struct load_config *cfg, int argc, char **argv, char *err,
                                          size_t errlen);
void load_config_clear(struct load_config *cfg);
void load_config_usage(FILE *out);

/* One direction of one call sends bursts (an audio packet, or the packets
 * of a video frame) at burst_rate bursts/s (at rate scale 1.0), each of
 * burst_packets RTP packets with payload_size bytes of RTP payload. */
struct load_shape {
    double burst_rate;
    unsigned burst_packets;
    unsigned payload_size;
};
void load_config_shape(const struct load_config *cfg, struct load_shape *out);
/* Total packets/s offered by every call, both directions, at scale 1.0. */
double load_config_base_pps(const struct load_config *cfg);
const char *load_suite_name(enum load_suite s);
const char *load_transport_name(enum load_transport t);

#endif
