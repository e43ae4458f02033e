/* load_config: see load_config.h. */
#include "load_config.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conf.h"
#include "load_http.h"

#define LOAD_VERSION "umbra-load 0.1.0"

enum {
    OPT_SERVER = 256,
    OPT_RAW,
    OPT_BROKER,
    OPT_TRANSPORT,
    OPT_SECRET,
    OPT_SECRET_FILE,
    OPT_USER,
    OPT_CALLS,
    OPT_THREADS,
    OPT_PROFILE,
    OPT_BITRATE,
    OPT_SRTP,
    OPT_DURATION,
    OPT_RAMP,
    OPT_INTERVAL,
    OPT_SETUP_TIMEOUT,
    OPT_SETUP_WINDOW,
    OPT_DRAIN,
    OPT_OFFERED,
    OPT_MAX_PPS,
    OPT_FIND_MAX,
    OPT_SETUP_ONLY,
    OPT_STEP,
    OPT_MAX_STEPS,
    OPT_LOSS_LIMIT,
    OPT_CORRUPT,
    OPT_RELAY_PID,
    OPT_CSV,
    OPT_PLOT,
    OPT_SUMMARY,
    OPT_TEST_NS,
    OPT_QUIET,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option load_options[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"raw-forwarder", required_argument, NULL, OPT_RAW},
    {"broker", required_argument, NULL, OPT_BROKER},
    {"transport", required_argument, NULL, OPT_TRANSPORT},
    {"secret", required_argument, NULL, OPT_SECRET},
    {"secret-file", required_argument, NULL, OPT_SECRET_FILE},
    {"user", required_argument, NULL, OPT_USER},
    {"calls", required_argument, NULL, OPT_CALLS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"bitrate", required_argument, NULL, OPT_BITRATE},
    {"srtp", required_argument, NULL, OPT_SRTP},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"ramp-up", required_argument, NULL, OPT_RAMP},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"setup-timeout", required_argument, NULL, OPT_SETUP_TIMEOUT},
    {"setup-window", required_argument, NULL, OPT_SETUP_WINDOW},
    {"drain", required_argument, NULL, OPT_DRAIN},
    {"offered-pps", required_argument, NULL, OPT_OFFERED},
    {"max-pps", required_argument, NULL, OPT_MAX_PPS},
    {"find-max", no_argument, NULL, OPT_FIND_MAX},
    {"setup-only", no_argument, NULL, OPT_SETUP_ONLY},
    {"step-duration", required_argument, NULL, OPT_STEP},
    {"max-steps", required_argument, NULL, OPT_MAX_STEPS},
    {"loss-limit", required_argument, NULL, OPT_LOSS_LIMIT},
    {"corrupt-every", required_argument, NULL, OPT_CORRUPT},
    {"relay-pid", required_argument, NULL, OPT_RELAY_PID},
    {"csv", required_argument, NULL, OPT_CSV},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"summary", required_argument, NULL, OPT_SUMMARY},
    {"allow-test-namespace", no_argument, NULL, OPT_TEST_NS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

void load_config_usage(FILE *out)
{
    fprintf(out,
            "Usage: umbra-load [OPTION]...\n"
            "Opens N calls through a TURN server (two allocations per call, bound to\n"
            "each other with CreatePermission and ChannelBind), sends SRTP at a codec's\n"
            "rate, unprotects every packet received and reports set-up rate, throughput,\n"
            "loss, reordering, jitter and one-way latency.\n"
            "\n"
            "Target\n"
            "  --server=ADDR            TURN server IP[:PORT] (default 127.0.0.1:3478)\n"
            "  --raw-forwarder=ADDR     aim at bench/forwarder instead (no TURN)\n"
            "  --broker=URL             set calls up through umbra-broker (http://IP:PORT):\n"
            "                           credentials, CNAMEs and DTLS identities from it, SDP\n"
            "                           through it, DTLS-SRTP between the legs via the relay\n"
            "  --transport=udp|tcp|tls  transport to the server (default udp); tls does\n"
            "                           not verify the server certificate\n"
            "  --secret=S               TURN REST shared secret (use-auth-secret)\n"
            "  --secret-file=FILE       the same, first line of FILE\n"
            "  --user=NAME:PASSWORD     static long-term user instead of a secret\n"
            "  --allow-test-namespace   allow a non-loopback target; only for a server in\n"
            "                           a test network namespace\n"
            "Load\n"
            "  --calls=N                concurrent calls (default 10, at most %u)\n"
            "  --threads=N              worker threads (default 2, at most %u)\n"
            "  --profile=audio|video    audio: 50 packets/s of 160 bytes per direction;\n"
            "                           video: 30 frames/s at --bitrate, packets <= %u bytes\n"
            "  --bitrate=BITS           video bit rate per direction, k/M suffix (default 1M)\n"
            "  --srtp=SUITE             AES_CM_128_HMAC_SHA1_80 (default), AEAD_AES_128_GCM, or\n"
            "                           NULL_NULL: SRTP framing without encryption or\n"
            "                           authentication, for capacity measurements only (the\n"
            "                           relay forwards opaque bytes either way), never for\n"
            "                           media; corruption is then caught only by a check\n"
            "                           word over the payload's header fields\n"
            "  --duration=S             seconds of media after the ramp-up (default 10, <= %u)\n"
            "  --ramp-up=S              spread call set-up over S seconds (default 0, <= %u)\n"
            "  --offered-pps=N          scale every call's rate so the total is N packets/s\n"
            "  --max-pps=N              refuse a run offering more (default and cap %u)\n"
            "  --corrupt-every=N        flip one bit in every Nth packet sent, after SRTP\n"
            "                           protection (checks that corruption is detected)\n"
            "Set-up\n"
            "  --setup-timeout=S        give up on a call after S seconds (default 10)\n"
            "  --setup-window=N         calls in set-up at once per thread (default 64)\n"
            "  --setup-only             set the calls up and tear them down, no media: measures\n"
            "                           allocations/s without media competing for the CPU\n"
            "                           (no SRTP keying; UDP sockets opened before the clock)\n"
            "Find the maximum\n"
            "  --find-max               raise the offered load step by step until loss\n"
            "                           exceeds --loss-limit; report the last good load\n"
            "  --step-duration=S        seconds per step (default 3)\n"
            "  --max-steps=N            steps at most (default 16, at most %u)\n"
            "  --loss-limit=PERCENT     loss that ends --find-max (default 0.1)\n"
            "Output\n"
            "  --interval=MS            time-series interval (default 1000)\n"
            "  --drain=MS               wait for packets in flight after sending (default 500)\n"
            "  --relay-pid=PID          report that process's CPU share and memory\n"
            "  --csv=FILE               per-interval figures as CSV\n"
            "  --plot=FILE              PNG plot of throughput and latency (gnuplot)\n"
            "  --summary=FILE           final figures as key=value lines\n"
            "  --quiet                  no progress lines\n"
            "  --help, --version\n"
            "The run is bounded: set-up timeout + ramp-up + duration (or the steps of\n"
            "--find-max) + drain, and a watchdog ends it 30 s after that.\n",
            LOAD_MAX_CALLS, LOAD_MAX_THREADS, LOAD_MAX_PAYLOAD, LOAD_MAX_DURATION_S,
            LOAD_MAX_RAMP_S, LOAD_MAX_TOTAL_PPS, LOAD_MAX_STEPS);
}

static int parse_uint(const char *name, const char *value, uint64_t min, uint64_t max,
                      uint64_t *out, char *err, size_t errlen)
{
    char reason[160];
    if (conf_parse_uint(value, min, max, out, reason, sizeof(reason)) == 0)
        return 0;
    snprintf(err, errlen, "--%s: %s", name, reason);
    return -1;
}

static int parse_u32(const char *name, const char *value, uint64_t min, uint64_t max, unsigned *out,
                     char *err, size_t errlen)
{
    uint64_t v;
    if (parse_uint(name, value, min, max, &v, err, errlen) != 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* "1500000", "1500k", "1.5M". */
static int parse_bitrate(const char *value, uint64_t *out, char *err, size_t errlen)
{
    char *end;
    double v = strtod(value, &end);
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
    *out = (uint64_t)v;
    return 0;
bad:
    snprintf(err, errlen, "--bitrate: expected 8k to %uM bits/s, e.g. 1.5M",
             LOAD_MAX_BITRATE / 1000000);
    return -1;
}

static int set_secret(struct load_config *cfg, const char *s, size_t len, char *err, size_t errlen)
{
    if (len == 0 || len >= sizeof(cfg->secret)) {
        snprintf(err, errlen, "--secret: 1 to %zu bytes", sizeof(cfg->secret) - 1);
        return -1;
    }
    memcpy(cfg->secret, s, len);
    cfg->secret[len] = '\0';
    cfg->secret_len = len;
    return 0;
}

static int read_secret_file(struct load_config *cfg, const char *path, char *err, size_t errlen)
{
    char line[LOAD_MAX_SECRET + 2];
    FILE *f = fopen(path, "r");
    size_t len;
    int rc;

    if (f == NULL) {
        snprintf(err, errlen, "--secret-file: cannot open %s", path);
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

static int set_user(struct load_config *cfg, const char *value, char *err, size_t errlen)
{
    const char *colon = strchr(value, ':');
    size_t nlen;

    if (colon == NULL || colon == value || colon[1] == '\0') {
        snprintf(err, errlen, "--user: expected NAME:PASSWORD");
        return -1;
    }
    nlen = (size_t)(colon - value);
    if (nlen >= sizeof(cfg->user) || strlen(colon + 1) >= sizeof(cfg->password)) {
        snprintf(err, errlen, "--user: name and password must be under 128 bytes");
        return -1;
    }
    memcpy(cfg->user, value, nlen);
    cfg->user[nlen] = '\0';
    snprintf(cfg->password, sizeof(cfg->password), "%s", colon + 1);
    return 0;
}

static int parse_target(const char *name, const char *value, struct umbra_addr *out, char *err,
                        size_t errlen)
{
    if (addr_parse(out, value, 3478) != 0) {
        snprintf(err, errlen, "--%s: expected IP[:PORT] (no names), got \"%s\"", name, value);
        return -1;
    }
    return 0;
}

static void set_defaults(struct load_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    addr_parse(&cfg->server, "127.0.0.1", 3478);
    cfg->transport = LOAD_UDP;
    cfg->calls = 10;
    cfg->threads = 2;
    cfg->profile = LOAD_AUDIO;
    cfg->bitrate = 1000000;
    cfg->suite = LOAD_AES_CM_128_HMAC_SHA1_80;
    cfg->duration_s = 10;
    cfg->interval_ms = 1000;
    cfg->setup_timeout_s = 10;
    cfg->setup_window = 64;
    cfg->drain_ms = 500;
    cfg->max_pps = LOAD_MAX_TOTAL_PPS;
    cfg->step_s = 3;
    cfg->max_steps = 16;
    cfg->loss_limit = 0.001;
}

static int apply_option(struct load_config *cfg, int opt, const char *arg, char *err, size_t errlen)
{
    uint64_t v;
    char *end;

    switch (opt) {
    case OPT_SERVER:
        return parse_target("server", arg, &cfg->server, err, errlen);
    case OPT_RAW:
        cfg->raw_forwarder = true;
        return parse_target("raw-forwarder", arg, &cfg->server, err, errlen);
    case OPT_BROKER:
        cfg->broker = true;
        if (load_http_parse_url(arg, &cfg->broker_addr) != 0) {
            snprintf(err, errlen, "--broker: expected http://IP:PORT");
            return -1;
        }
        return 0;
    case OPT_TRANSPORT:
        if (strcmp(arg, "udp") == 0)
            cfg->transport = LOAD_UDP;
        else if (strcmp(arg, "tcp") == 0)
            cfg->transport = LOAD_TCP;
        else if (strcmp(arg, "tls") == 0)
            cfg->transport = LOAD_TLS;
        else {
            snprintf(err, errlen, "--transport: expected udp, tcp or tls");
            return -1;
        }
        return 0;
    case OPT_SECRET:
        return set_secret(cfg, arg, strlen(arg), err, errlen);
    case OPT_SECRET_FILE:
        return read_secret_file(cfg, arg, err, errlen);
    case OPT_USER:
        return set_user(cfg, arg, err, errlen);
    case OPT_CALLS:
        return parse_u32("calls", arg, 1, LOAD_MAX_CALLS, &cfg->calls, err, errlen);
    case OPT_THREADS:
        return parse_u32("threads", arg, 1, LOAD_MAX_THREADS, &cfg->threads, err, errlen);
    case OPT_PROFILE:
        if (strcmp(arg, "audio") == 0)
            cfg->profile = LOAD_AUDIO;
        else if (strcmp(arg, "video") == 0)
            cfg->profile = LOAD_VIDEO;
        else {
            snprintf(err, errlen, "--profile: expected audio or video");
            return -1;
        }
        return 0;
    case OPT_BITRATE:
        return parse_bitrate(arg, &cfg->bitrate, err, errlen);
    case OPT_SRTP:
        if (strcasecmp(arg, "AES_CM_128_HMAC_SHA1_80") == 0)
            cfg->suite = LOAD_AES_CM_128_HMAC_SHA1_80;
        else if (strcasecmp(arg, "AEAD_AES_128_GCM") == 0)
            cfg->suite = LOAD_AEAD_AES_128_GCM;
        else if (strcasecmp(arg, "NULL_NULL") == 0)
            cfg->suite = LOAD_NULL_NULL;
        else {
            snprintf(err, errlen,
                     "--srtp: expected AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM or NULL_NULL");
            return -1;
        }
        return 0;
    case OPT_DURATION:
        return parse_u32("duration", arg, 1, LOAD_MAX_DURATION_S, &cfg->duration_s, err, errlen);
    case OPT_RAMP:
        return parse_u32("ramp-up", arg, 0, LOAD_MAX_RAMP_S, &cfg->ramp_s, err, errlen);
    case OPT_INTERVAL:
        return parse_u32("interval", arg, 100, 60000, &cfg->interval_ms, err, errlen);
    case OPT_SETUP_TIMEOUT:
        return parse_u32("setup-timeout", arg, 1, 120, &cfg->setup_timeout_s, err, errlen);
    case OPT_SETUP_WINDOW:
        return parse_u32("setup-window", arg, 1, 4096, &cfg->setup_window, err, errlen);
    case OPT_DRAIN:
        return parse_u32("drain", arg, 0, 10000, &cfg->drain_ms, err, errlen);
    case OPT_OFFERED:
        return parse_uint("offered-pps", arg, 1, LOAD_MAX_TOTAL_PPS, &cfg->offered_pps, err,
                          errlen);
    case OPT_MAX_PPS:
        return parse_uint("max-pps", arg, 1, LOAD_MAX_TOTAL_PPS, &cfg->max_pps, err, errlen);
    case OPT_FIND_MAX:
        cfg->find_max = true;
        return 0;
    case OPT_SETUP_ONLY:
        cfg->setup_only = true;
        return 0;
    case OPT_STEP:
        return parse_u32("step-duration", arg, 1, 60, &cfg->step_s, err, errlen);
    case OPT_MAX_STEPS:
        return parse_u32("max-steps", arg, 1, LOAD_MAX_STEPS, &cfg->max_steps, err, errlen);
    case OPT_LOSS_LIMIT:
        cfg->loss_limit = strtod(arg, &end) / 100.0;
        if (end == arg || *end != '\0' || !(cfg->loss_limit >= 0 && cfg->loss_limit < 1)) {
            snprintf(err, errlen, "--loss-limit: expected a percentage from 0 to 100");
            return -1;
        }
        return 0;
    case OPT_CORRUPT:
        return parse_u32("corrupt-every", arg, 1, 1000000000, &cfg->corrupt_every, err, errlen);
    case OPT_RELAY_PID:
        if (parse_uint("relay-pid", arg, 1, 4194304, &v, err, errlen) != 0)
            return -1;
        cfg->relay_pid = (int)v;
        return 0;
    case OPT_CSV:
        cfg->csv_path = arg;
        return 0;
    case OPT_PLOT:
        cfg->plot_path = arg;
        return 0;
    case OPT_SUMMARY:
        cfg->summary_path = arg;
        return 0;
    case OPT_TEST_NS:
        cfg->allow_test_namespace = true;
        return 0;
    case OPT_QUIET:
        cfg->quiet = true;
        return 0;
    default:
        snprintf(err, errlen, "unknown option (see --help)");
        return -1;
    }
}

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

enum load_config_result load_config_parse(struct load_config *cfg, int argc, char **argv, char *err,
                                          size_t errlen)
{
    int opt;

    set_defaults(cfg);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", load_options, NULL)) != -1) {
        if (opt == OPT_HELP || opt == 'h') {
            load_config_usage(stdout);
            return LOAD_CONFIG_EXIT;
        }
        if (opt == OPT_VERSION) {
            printf("%s\n", LOAD_VERSION);
            return LOAD_CONFIG_EXIT;
        }
        if (opt == '?' || opt == ':') {
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
