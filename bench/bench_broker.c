/* bench_broker: call set-ups per second of umbra-broker.
 *
 *   bench_broker inproc REDIS_PORT N
 *       calls_create() in this process against a real Redis, N times per
 *       variant, and each ingredient alone, so the figures say where the
 *       time goes.
 *   bench_broker http BROKER_PORT CALLEE_PSEUDONYM N CONNS
 *       POST /v1/calls (native: DTLS key included) over CONNS keep-alive
 *       connections to a running broker; set-ups/s and latency.
 * Prints one "name value unit" line per figure. */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "calls.h"
#include "cname.h"
#include "creds.h"
#include "dtls_id.h"
#include "dtls_pool.h"
#include "identities.h"
#include "keys.h"
#include "policy.h"
#include "store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *name, int n, double wall, double cpu)
{
    printf("%-34s %9.0f /s  %8.1f us/op wall  %8.1f us/op cpu(this thread)\n", name, n / wall,
           wall * 1e6 / n, cpu * 1e6 / n);
}

static int inproc(int redis_port, int n)
{
    struct broker_config cfg;
    struct keys keys;
    uint8_t master[KEYS_BYTES];
    struct turn_rest_secrets secrets = {0};
    struct policy_set *set = NULL;
    struct log_ctx log;
    struct store *st;
    struct identities ids;
    struct calls c;
    struct dtls_pool *inline_pool, *pool;
    char err[256], token[IDENTITIES_TOKEN_LEN], callee_tok[IDENTITIES_TOKEN_LEN];
    char pn[IDENTITIES_PSEUDONYM_LEN];
    struct calls_create_req req;
    struct policy_decision d;
    double t0, c0;

    log_init(&log, "bench", LOG_LEVEL_WARN, stderr);
    broker_config_defaults(&cfg);
    snprintf(cfg.relays[0], sizeof(cfg.relays[0]), "turn:127.0.0.1:3478?transport=udp");
    snprintf(cfg.relays[1], sizeof(cfg.relays[1]), "turns:relay.example:5349?transport=tcp");
    cfg.n_relays = 2;
    randombytes_buf(master, sizeof(master));
    keys_derive(master, &keys);
    secrets.count = 1;
    secrets.len[0] = 16;
    randombytes_buf(secrets.bytes[0], 16);
    if (policy_set_load(&set, NULL, 0, err, sizeof(err)) != 0) {
        fprintf(stderr, "policy: %s\n", err);
        return 1;
    }
    st = store_new("127.0.0.1", redis_port, 500, &log);
    if (!store_up(st)) {
        fprintf(stderr, "redis on port %d is not up\n", redis_port);
        return 1;
    }
    ids = (struct identities){st, &keys, 3600};
    inline_pool = dtls_pool_new(0);
    pool = dtls_pool_new(256);
    c = (struct calls){.store = st,
                       .ids = &ids,
                       .keys = &keys,
                       .policy = set,
                       .secrets = &secrets,
                       .cfg = &cfg,
                       .pool = inline_pool,
                       .log = &log};
    if (identities_create(&ids, token) != 0 || identities_create(&ids, callee_tok) != 0 ||
        identities_pseudonym_for(&ids, callee_tok, "bench", false, NULL, pn) != 0) {
        fprintf(stderr, "redis refused the set-up\n");
        return 1;
    }
    memset(&req, 0, sizeof(req));
    req.ctx.service = POLICY_SERVICE_CONTACT_LIST;
    req.ctx.call_model = POLICY_CALL_SINGLE_CS;
    req.ctx.destination = POLICY_DEST_TRUSTED;
    req.ctx.caller_state = POLICY_CALLER_PSEUDONYMOUS;
    req.caller_token = token;
    req.callee = pn;

    printf("== ingredients (one thread)\n");
    t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < n; i++)
        policy_decide(set, &req.ctx, &d, err, sizeof(err));
    report("policy_decide", n, now_s() - t0, cpu_s() - c0);
    t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < n; i++) {
        json_t *j = policy_decision_to_json(&d);
        char *s = json_dumps(j, JSON_COMPACT);
        free(s);
        json_decref(j);
    }
    report("decision to JSON text", n, now_s() - t0, cpu_s() - c0);
    t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < n; i++) {
        struct creds cr;
        char cn[CNAME_LEN];
        creds_make(&secrets, 300, 1700000000, "0123456789abcdef0123456789abcdef",
                   i & 1 ? TURN_REST_CALLEE : TURN_REST_CALLER, &cr);
        cname_generate(cn);
    }
    report("TURN credentials + CNAME", n, now_s() - t0, cpu_s() - c0);
    t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < n; i++) {
        struct dtls_id id;
        if (dtls_id_generate(&id, err, sizeof(err)) != 0)
            return 1;
        dtls_id_free(&id);
    }
    report("DTLS key + certificate", n, now_s() - t0, cpu_s() - c0);
    t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < n; i++) {
        struct redis_val v;
        store_cmd(st, &v, "PING", NULL);
        redis_val_free(&v);
    }
    report("Redis round trip (PING)", n, now_s() - t0, cpu_s() - c0);

    printf("== calls_create (policy, pseudonym, credentials, CNAME, Redis writes)\n");
    for (int variant = 0; variant < 3; variant++) {
        const char *name = variant == 0   ? "browser caller (no DTLS key)"
                           : variant == 1 ? "native, key made inline"
                                          : "native, key from the pool";
        req.native = variant > 0;
        c.pool = variant == 2 ? pool : inline_pool;
        if (variant == 2)
            while (dtls_pool_ready(pool) < 256)
                usleep(10000);
        t0 = now_s(), c0 = cpu_s();
        for (int i = 0; i < n; i++) {
            char *out = NULL;
            int rc = calls_create(&c, &req, &out, err, sizeof(err));
            if (rc != 0) {
                fprintf(stderr, "calls_create: %d %s\n", rc, err);
                return 1;
            }
            sodium_memzero(out, strlen(out));
            free(out);
        }
        report(name, n, now_s() - t0, cpu_s() - c0);
        if (variant == 2)
            printf("%-34s %9llu of %d\n", "  pool misses (generated inline)",
                   dtls_pool_misses(pool), n);
    }
    dtls_pool_free(pool);
    dtls_pool_free(inline_pool);
    store_free(st);
    policy_set_free(set);
    keys_clear(&keys);
    turn_rest_secrets_clear(&secrets);
    log_free(&log);
    return 0;
}

struct http_job {
    int port, n;
    const char *pn;
    double *lat;
    int errors;
};

static int read_reply(int fd, char *buf, size_t cap, int *status)
{
    size_t have = 0;
    long clen = -1;
    char *hdr_end = NULL;
    for (;;) {
        ssize_t r = read(fd, buf + have, cap - have - 1);
        if (r <= 0)
            return -1;
        have += (size_t)r;
        buf[have] = '\0';
        if (hdr_end == NULL && (hdr_end = strstr(buf, "\r\n\r\n")) != NULL) {
            char *cl = strcasestr(buf, "Content-Length:");
            clen = cl != NULL ? strtol(cl + 15, NULL, 10) : 0;
            *status = atoi(buf + 9);
        }
        if (hdr_end != NULL && have >= (size_t)(hdr_end + 4 - buf) + (size_t)clen)
            return 0;
        if (have + 1 >= cap)
            return -1;
    }
}

static void *http_worker(void *arg)
{
    struct http_job *j = arg;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)j->port)};
    char body[512], req[1024], buf[65536];
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, len, blen;

    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        j->errors = j->n;
        return NULL;
    }
    blen =
        snprintf(body, sizeof(body),
                 "{\"callee\":\"%s\",\"service\":\"contact-list\",\"call_model\":\"single-cs\","
                 "\"destination\":\"trusted\",\"caller_state\":\"undetectable\",\"native\":true}",
                 j->pn);
    len =
        snprintf(req, sizeof(req),
                 "POST /v1/calls HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: %d\r\n\r\n%s",
                 blen, body);
    for (int i = 0; i < j->n; i++) {
        int status = 0;
        double t0 = now_s();
        if (write(fd, req, (size_t)len) != len || read_reply(fd, buf, sizeof(buf), &status) != 0) {
            j->errors += j->n - i;
            break;
        }
        if (status != 201)
            j->errors++;
        j->lat[i] = now_s() - t0;
    }
    close(fd);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int http_bench(int port, const char *pn, int n, int conns)
{
    pthread_t th[64];
    struct http_job jobs[64];
    double *lat = calloc((size_t)n * (size_t)conns, sizeof(double)), t0, wall;
    int errors = 0, total = n * conns;

    if (conns < 1 || conns > 64 || lat == NULL)
        return 1;
    t0 = now_s();
    for (int i = 0; i < conns; i++) {
        jobs[i] = (struct http_job){port, n, pn, lat + (size_t)i * (size_t)n, 0};
        pthread_create(&th[i], NULL, http_worker, &jobs[i]);
    }
    for (int i = 0; i < conns; i++) {
        pthread_join(th[i], NULL);
        errors += jobs[i].errors;
    }
    wall = now_s() - t0;
    qsort(lat, (size_t)total, sizeof(double), cmp_double);
    printf(
        "HTTP POST /v1/calls (native)       %9.0f /s  over %d connections, %d calls, %d errors\n",
        total / wall, conns, total, errors);
    printf("  latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", lat[total / 2] * 1e3,
           lat[(size_t)(total * 0.99)] * 1e3, lat[total - 1] * 1e3);
    free(lat);
    return errors == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    if (argc == 4 && strcmp(argv[1], "inproc") == 0)
        return inproc(atoi(argv[2]), atoi(argv[3]));
    if (argc == 6 && strcmp(argv[1], "http") == 0)
        return http_bench(atoi(argv[2]), argv[3], atoi(argv[4]), atoi(argv[5]));
    fprintf(stderr, "usage: bench_broker inproc REDIS_PORT N\n"
                    "       bench_broker http BROKER_PORT CALLEE_PSEUDONYM N CONNS\n");
    return 2;
}
