/* load_config: see load_config.h. */
#include "load_config.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conf.h"
#include "conf_table.h"
#include "load_http.h"

#define LOAD_VERSION "umbra-load 0.1.0"

/* "1500000", "1500k", "1.5M". */
static int set_bitrate(void *ctx, const struct conf_key *k, const char *value, char *err,
                       size_t errlen)
{
    char *end;
    double v = strtod(value, &end);
    (void)k;
    if (end == value || v <= 0 || !isfinite(v))
        goto bad;
    if (*end == 'k' || *end == 'K') {
        v *= 1e3;
        end++;
    } else if (*end == 'M' || *end == 'm') {
        v *= 1e6;
        end++;
    }
    if (*end != '\0' || v < 8000 || v > LOAD_MAX_BITRATE)
        goto bad;
    ((struct load_config *)ctx)->bitrate = (uint64_t)v;
    return 0;
bad:
    snprintf(err, errlen, "expected 8k to %uM bits/s, e.g. 1.5M", LOAD_MAX_BITRATE / 1000000);
    return -1;
}

void load_config_usage(FILE *out)
{
    fputs("Usage: umbra-load [OPTION]...\n"
          "Opens N calls through a TURN server (two allocations per call, bound to\n"
          "each other with CreatePermission and ChannelBind), sends SRTP at a codec's\n"
          "rate, unprotects every packet received and reports set-up rate, throughput,\n"
          "loss, reordering, jitter and one-way latency.\n"
          "\n",
          out);
    conf_table_usage(load_config_keys, "--", out);
    fputs("  --help, --version\n"
          "The run is bounded: set-up timeout + ramp-up + duration (or the steps of\n"
          "--find-max) + drain, and a watchdog ends it 30 s after that.\n",
          out);
}

static int set_secret(struct load_config *cfg, const char *s, size_t len, char *err, size_t errlen)
{
    if (len == 0 || len >= sizeof(cfg->secret)) {
        snprintf(err, errlen, "1 to %zu bytes", sizeof(cfg->secret) - 1);
        return -1;
    }
    memcpy(cfg->secret, s, len);
    cfg->secret[len] = '\0';
    cfg->secret_len = len;
    return 0;
}

static int read_secret_file(void *ctx, const struct conf_key *k, const char *path, char *err,
                            size_t errlen)
{
    struct load_config *cfg = ctx;
    char line[LOAD_MAX_SECRET + 2];
    FILE *f = fopen(path, "r");
    size_t len;
    int rc;

    (void)k;
    if (f == NULL) {
        snprintf(err, errlen, "cannot open %s", path);
        return -1;
    }
    if (fgets(line, sizeof(line), f) == NULL)
        line[0] = '\0';
    fclose(f);
    len = strcspn(line, "\r\n");
    rc = set_secret(cfg, line, len, err, errlen);
    sodium_memzero(line, sizeof(line));
    return rc;
}

static int set_user(void *ctx, const struct conf_key *k, const char *value, char *err,
                    size_t errlen)
{
    struct load_config *cfg = ctx;
    const char *colon = strchr(value, ':');
    size_t nlen;

    (void)k;
    if (colon == NULL || colon == value || colon[1] == '\0') {
        snprintf(err, errlen, "expected NAME:PASSWORD");
        return -1;
    }
    nlen = (size_t)(colon - value);
    if (nlen >= sizeof(cfg->user) || strlen(colon + 1) >= sizeof(cfg->password)) {
        snprintf(err, errlen, "name and password must be under 128 bytes");
        return -1;
    }
    memcpy(cfg->user, value, nlen);
    cfg->user[nlen] = '\0';
    snprintf(cfg->password, sizeof(cfg->password), "%s", colon + 1);
    return 0;
}

static int parse_target(const char *value, struct umbra_addr *out, char *err, size_t errlen)
{
    if (addr_parse(out, value, 3478) != 0) {
        snprintf(err, errlen, "expected IP[:PORT] (no names), got \"%s\"", value);
        return -1;
    }
    return 0;
}

static int set_server(void *ctx, const struct conf_key *k, const char *value, char *err,
                      size_t errlen)
{
    (void)k;
    return parse_target(value, &((struct load_config *)ctx)->server, err, errlen);
}

static int set_raw(void *ctx, const struct conf_key *k, const char *value, char *err, size_t errlen)
{
    struct load_config *cfg = ctx;
    (void)k;
    cfg->raw_forwarder = true;
    return parse_target(value, &cfg->server, err, errlen);
}

static int set_broker(void *ctx, const struct conf_key *k, const char *value, char *err,
                      size_t errlen)
{
    struct load_config *cfg = ctx;
    (void)k;
    cfg->broker = true;
    if (load_http_parse_url(value, &cfg->broker_addr) != 0) {
        snprintf(err, errlen, "expected http://IP:PORT");
        return -1;
    }
    return 0;
}

static int set_secret_value(void *ctx, const struct conf_key *k, const char *value, char *err,
                            size_t errlen)
{
    (void)k;
    return set_secret(ctx, value, strlen(value), err, errlen);
}

static int set_loss_limit(void *ctx, const struct conf_key *k, const char *value, char *err,
                          size_t errlen)
{
    struct load_config *cfg = ctx;
    char *end;
    (void)k;
    cfg->loss_limit = strtod(value, &end) / 100.0;
    if (end == value || *end != '\0' || !(cfg->loss_limit >= 0 && cfg->loss_limit < 1)) {
        snprintf(err, errlen, "expected a percentage from 0 to 100");
        return -1;
    }
    return 0;
}

/* --csv, --plot, --summary: the path stays in argv. */
static int set_path(void *ctx, const struct conf_key *k, const char *value, char *err,
                    size_t errlen)
{
    (void)err;
    (void)errlen;
    memcpy((char *)ctx + k->offset, &value, sizeof(value));
    return 0;
}

static const struct conf_name transport_names[] = {
    {"udp", LOAD_UDP, false},
    {"tcp", LOAD_TCP, false},
    {"tls", LOAD_TLS, false},
    {NULL, 0, false},
};

static const struct conf_name profile_names[] = {
    {"audio", LOAD_AUDIO, false},
    {"video", LOAD_VIDEO, false},
    {NULL, 0, false},
};

static const struct conf_name suite_names[] = {
    {"AES_CM_128_HMAC_SHA1_80", LOAD_AES_CM_128_HMAC_SHA1_80, false},
    {"AEAD_AES_128_GCM", LOAD_AEAD_AES_128_GCM, false},
    {"NULL_NULL", LOAD_NULL_NULL, false},
    {NULL, 0, false},
};

#define STR_(x) #x
#define XSTR(x) STR_(x)
#define L(field) CONF_FIELD(struct load_config, field)
#define CUSTOM(fn) .type = CONF_T_CUSTOM, .parse = (fn)
#define UINT(field, lo, hi) .type = CONF_T_UINT, L(field), .min = (lo), .max = (hi)
#define FLAG(field) .type = CONF_T_BOOL, L(field), .flags = CONF_FLAG
#define ENUM(field, list) .type = CONF_T_ENUM, L(field), .names = (list)

/* Every option but --help and --version, in the order of umbra-load(1). */
const struct conf_key load_config_keys[] = {
    {"server", CUSTOM(set_server), .group = "Target", .arg = "ADDR", .def = "127.0.0.1:3478",
     .help = "TURN server IP[:PORT]."},
    {"raw-forwarder", CUSTOM(set_raw), .group = "Target", .arg = "ADDR",
     .help = "Aim at bench/forwarder instead (no TURN)."},
    {"broker", CUSTOM(set_broker), .group = "Target", .arg = "URL",
     .help = "Set calls up through umbra-broker (http://IP:PORT): credentials, CNAMEs and DTLS "
             "identities from it, SDP through it, DTLS-SRTP between the legs via the relay."},
    {"transport", ENUM(transport, transport_names), .group = "Target", .arg = "udp|tcp|tls",
     .def = "udp", .help = "Transport to the server; tls does not verify the server certificate."},
    {"secret", CUSTOM(set_secret_value), .group = "Target", .arg = "S",
     .help = "TURN REST shared secret (use-auth-secret)."},
    {"secret-file", CUSTOM(read_secret_file), .group = "Target", .arg = "FILE",
     .help = "The same, first line of FILE."},
    {"user", CUSTOM(set_user), .group = "Target", .arg = "NAME:PASSWORD",
     .help = "Static long-term user instead of a secret."},
    {"allow-test-namespace", FLAG(allow_test_namespace), .group = "Target",
     .help = "Allow a non-loopback target; only for a server in a test network namespace."},
    {"calls", UINT(calls, 1, LOAD_MAX_CALLS), .group = "Load", .arg = "N", .def = "10",
     .help = "Concurrent calls, at most " XSTR(LOAD_MAX_CALLS) "."},
    {"threads", UINT(threads, 1, LOAD_MAX_THREADS), .group = "Load", .arg = "N", .def = "2",
     .help = "Worker threads, at most " XSTR(LOAD_MAX_THREADS) "."},
    {"profile", ENUM(profile, profile_names), .group = "Load", .arg = "audio|video", .def = "audio",
     .help = "audio: 50 packets/s of 160 bytes per direction; video: 30 frames/s at --bitrate, "
             "packets <= " XSTR(LOAD_MAX_PAYLOAD) " bytes."},
    {"bitrate", CUSTOM(set_bitrate), .group = "Load", .arg = "BITS", .def = "1M",
     .help = "Video bit rate per direction, k/M suffix."},
    {"srtp", ENUM(suite, suite_names), .flags = CONF_NOCASE, .group = "Load", .arg = "SUITE",
     .def = "AES_CM_128_HMAC_SHA1_80",
     .help = "AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM, or NULL_NULL: SRTP framing without "
             "encryption or authentication, for capacity measurements only, never for media."},
    {"duration", UINT(duration_s, 1, LOAD_MAX_DURATION_S), .group = "Load", .arg = "S", .def = "10",
     .help = "Seconds of media after the ramp-up, at most " XSTR(LOAD_MAX_DURATION_S) "."},
    {"ramp-up", UINT(ramp_s, 0, LOAD_MAX_RAMP_S), .group = "Load", .arg = "S", .def = "0",
     .help = "Spread call set-up over S seconds, at most " XSTR(LOAD_MAX_RAMP_S) "."},
    {"offered-pps", UINT(offered_pps, 1, LOAD_MAX_TOTAL_PPS), .group = "Load", .arg = "N",
     .help = "Scale every call's rate so the total is N packets/s."},
    {"max-pps", UINT(max_pps, 1, LOAD_MAX_TOTAL_PPS), .group = "Load", .arg = "N",
     .def = XSTR(LOAD_MAX_TOTAL_PPS), .help = "Refuse a run offering more."},
    {"corrupt-every", UINT(corrupt_every, 1, 1000000000), .group = "Load", .arg = "N",
     .help = "Flip one bit in every Nth packet sent, after SRTP protection."},
    {"setup-timeout", UINT(setup_timeout_s, 1, 120), .group = "Set-up", .arg = "S", .def = "10",
     .help = "Give up on a call after S seconds."},
    {"setup-window", UINT(setup_window, 1, 4096), .group = "Set-up", .arg = "N", .def = "64",
     .help = "Calls in set-up at once per thread."},
    {"setup-only", FLAG(setup_only), .group = "Set-up",
     .help = "Set the calls up and tear them down, no media: measures allocations/s."},
    {"find-max", FLAG(find_max), .group = "Find the maximum",
     .help = "Raise the offered load step by step until loss exceeds --loss-limit; report the "
             "last good load."},
    {"step-duration", UINT(step_s, 1, 60), .group = "Find the maximum", .arg = "S", .def = "3",
     .help = "Seconds per step."},
    {"max-steps", UINT(max_steps, 1, LOAD_MAX_STEPS), .group = "Find the maximum", .arg = "N",
     .def = "16", .help = "Steps at most, at most " XSTR(LOAD_MAX_STEPS) "."},
    {"loss-limit", CUSTOM(set_loss_limit), .group = "Find the maximum", .arg = "PERCENT",
     .def = "0.1", .help = "Loss that ends --find-max."},
    {"interval", UINT(interval_ms, 100, 60000), .group = "Output", .arg = "MS", .def = "1000",
     .help = "Time-series interval."},
    {"drain", UINT(drain_ms, 0, 10000), .group = "Output", .arg = "MS", .def = "500",
     .help = "Wait for packets in flight after sending."},
    {"relay-pid", UINT(relay_pid, 1, 4194304), .group = "Output", .arg = "PID",
     .help = "Report that process's CPU share and memory."},
    {"csv", CUSTOM(set_path), L(csv_path), .group = "Output", .arg = "FILE",
     .help = "Per-interval figures as CSV."},
    {"plot", CUSTOM(set_path), L(plot_path), .group = "Output", .arg = "FILE",
     .help = "PNG plot of throughput and latency (gnuplot)."},
    {"summary", CUSTOM(set_path), L(summary_path), .group = "Output", .arg = "FILE",
     .help = "Final figures as key=value lines."},
    {"quiet", FLAG(quiet), .group = "Output", .help = "No progress lines."},
    {.name = NULL},
};

static int check_config(struct load_config *cfg, char *err, size_t errlen)
{
    struct umbra_addr norm;
    double pps;

    if (addr_port(&cfg->server) == 0) {
        snprintf(err, errlen, "the target's port must not be 0");
        return -1;
    }
    if (addr_normalise(&cfg->server, &norm) != ADDR_NORM_OK ||
        (addr_scope_of(&norm) != ADDR_SCOPE_LOOPBACK && !cfg->allow_test_namespace)) {
        snprintf(err, errlen,
                 "refusing a target that is not loopback; if it is a server in a test network "
                 "namespace, say so with --allow-test-namespace");
        return -1;
    }
    if (cfg->broker) {
        if (addr_normalise(&cfg->broker_addr, &norm) != ADDR_NORM_OK ||
            (addr_scope_of(&norm) != ADDR_SCOPE_LOOPBACK && !cfg->allow_test_namespace)) {
            snprintf(err, errlen, "--broker: refusing a broker that is not on loopback");
            return -1;
        }
        if (cfg->suite == LOAD_NULL_NULL) {
            snprintf(err, errlen,
                     "--broker keys SRTP through DTLS, which has no NULL_NULL profile");
            return -1;
        }
        if (cfg->raw_forwarder || cfg->secret_len != 0 || cfg->user[0] != '\0') {
            snprintf(err, errlen,
                     "--broker takes its credentials from the broker: no --secret, --user or "
                     "--raw-forwarder");
            return -1;
        }
    }
    if (!cfg->broker && !cfg->raw_forwarder && cfg->secret_len == 0 && cfg->user[0] == '\0') {
        snprintf(err, errlen, "give --secret, --secret-file or --user (or --raw-forwarder)");
        return -1;
    }
    if (cfg->secret_len != 0 && cfg->user[0] != '\0') {
        snprintf(err, errlen, "--secret and --user exclude each other");
        return -1;
    }
    if (cfg->setup_only && cfg->find_max) {
        snprintf(err, errlen, "--setup-only and --find-max exclude each other");
        return -1;
    }
    if (cfg->raw_forwarder && cfg->transport != LOAD_UDP) {
        snprintf(err, errlen, "--raw-forwarder works over udp only");
        return -1;
    }
    pps = cfg->offered_pps ? (double)cfg->offered_pps : load_config_base_pps(cfg);
    if (pps > (double)cfg->max_pps) {
        snprintf(err, errlen, "offered load %.0f packets/s exceeds --max-pps %llu", pps,
                 (unsigned long long)cfg->max_pps);
        return -1;
    }
    return 0;
}

#define LOAD_OPT_HELP 'h'
#define LOAD_OPT_VERSION 'V'
#define LOAD_OPT_KEY 256 /* + the row's index */
#define LOAD_MAX_OPTIONS 64

/* getopt_long's view of load_config_keys, then --help and --version. */
static int build_options(struct option *opts, size_t cap, char *err, size_t errlen)
{
    size_t n = 0;
    for (const struct conf_key *k = load_config_keys; k->name != NULL; k++, n++) {
        if (n + 3 > cap) {
            snprintf(err, errlen, "more options than getopt's table holds");
            return -1;
        }
        opts[n] =
            (struct option){k->name, (k->flags & CONF_FLAG) != 0 ? no_argument : required_argument,
                            NULL, LOAD_OPT_KEY + (int)n};
    }
    opts[n++] = (struct option){"help", no_argument, NULL, LOAD_OPT_HELP};
    opts[n++] = (struct option){"version", no_argument, NULL, LOAD_OPT_VERSION};
    opts[n] = (struct option){NULL, 0, NULL, 0};
    return 0;
}

/* Applies one row; the error names the option. */
static int apply_option(struct load_config *cfg, int opt, const char *arg, char *err, size_t errlen)
{
    const struct conf_key *k = &load_config_keys[opt - LOAD_OPT_KEY];
    char reason[256] = "";
    if (conf_table_apply(k, cfg, arg, reason, sizeof(reason)) == 0)
        return 0;
    snprintf(err, errlen, "--%s: %s", k->name, reason[0] != '\0' ? reason : "invalid value");
    return -1;
}

enum load_config_result load_config_parse(struct load_config *cfg, int argc, char **argv, char *err,
                                          size_t errlen)
{
    struct option opts[LOAD_MAX_OPTIONS];
    int opt;

    memset(cfg, 0, sizeof(*cfg));
    if (conf_table_defaults(load_config_keys, cfg, err, errlen) != 0 ||
        build_options(opts, LOAD_MAX_OPTIONS, err, errlen) != 0)
        return LOAD_CONFIG_ERROR;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == LOAD_OPT_HELP) {
            load_config_usage(stdout);
            return LOAD_CONFIG_EXIT;
        }
        if (opt == LOAD_OPT_VERSION) {
            printf("%s\n", LOAD_VERSION);
            return LOAD_CONFIG_EXIT;
        }
        if (opt < LOAD_OPT_KEY) {
            snprintf(err, errlen, "%s: unknown option or missing value (see --help)",
                     argv[optind - 1]);
            return LOAD_CONFIG_ERROR;
        }
        if (apply_option(cfg, opt, optarg, err, errlen) != 0)
            return LOAD_CONFIG_ERROR;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument \"%s\"", argv[optind]);
        return LOAD_CONFIG_ERROR;
    }
    return check_config(cfg, err, errlen) == 0 ? LOAD_CONFIG_RUN : LOAD_CONFIG_ERROR;
}

void load_config_clear(struct load_config *cfg)
{
    sodium_memzero(cfg->secret, sizeof(cfg->secret));
    sodium_memzero(cfg->password, sizeof(cfg->password));
    cfg->secret_len = 0;
}

void load_config_shape(const struct load_config *cfg, struct load_shape *out)
{
    if (cfg->profile == LOAD_AUDIO) {
        out->burst_rate = 50;
        out->burst_packets = 1;
        out->payload_size = 160;
        return;
    }
    {
        uint64_t frame = cfg->bitrate / 8 / 30;
        unsigned n = (unsigned)((frame + LOAD_MAX_PAYLOAD - 1) / LOAD_MAX_PAYLOAD);
        if (n == 0)
            n = 1;
        out->burst_rate = 30;
        out->burst_packets = n;
        out->payload_size = (unsigned)(frame / n);
        if (out->payload_size < 32)
            out->payload_size = 32;
    }
}

double load_config_base_pps(const struct load_config *cfg)
{
    struct load_shape s;
    load_config_shape(cfg, &s);
    return s.burst_rate * s.burst_packets * 2.0 * cfg->calls;
}

const char *load_suite_name(enum load_suite s)
{
    switch (s) {
    case LOAD_AEAD_AES_128_GCM:
        return "AEAD_AES_128_GCM";
    case LOAD_NULL_NULL:
        return "NULL_NULL";
    default:
        return "AES_CM_128_HMAC_SHA1_80";
    }
}

const char *load_transport_name(enum load_transport t)
{
    return t == LOAD_TLS ? "tls" : t == LOAD_TCP ? "tcp" : "udp";
}
