/* umbra-relay: wires configuration, shared state, worker threads, metrics
 * and the revocation subscriber together, and handles signals. */
#include <config.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "conf.h"
#include "fleet_announce.h"
#include "fleet_mac.h"
#include "fleet_view.h"
#include "metrics.h"
#include "privs.h"
#include "relay_config.h"
#include "redis_link.h"
#include "redis_target.h"
#include "revocation.h"
#include "tls_server.h"
#include "listener.h"
#include "relay_shared.h"
#include "worker.h"

#define RELAY_REDIS_RESOLVE_MS 500

struct relay_main {
    struct relay_config cfg;
    struct log_ctx log;
    struct relay_shared sh;
    struct event_base *base;
    size_t n_workers;
    struct worker **workers;
    struct metrics_thread **metrics;
    struct metrics_server *metrics_server;
    struct redis_link *redis_sub;     /* revocations and fleet messages */
    struct redis_link *redis_cmd;     /* fleet entries */
    struct redis_target redis_target; /* where both links connect */
    struct fleet_view *fleet;
    struct fleet_announce *announce;
    /* Fleet keys from auth-secret-file, main thread only (SIGHUP replaces
     * them in place), and the main thread's own counters (fleet records). */
    struct fleet_mac_keys *fleet_keys;
    struct metrics_thread main_metrics;
    struct privs_target privs;
};

static void usage(FILE *out)
{
    fputs("usage: umbra-relay [-c FILE] [--KEY=VALUE ...]\n"
          "       umbra-relay --help | --version\n"
          "\n"
          "A TURN relay (RFC 8656) that enforces caller privacy itself.\n"
          "See umbra-relay(8) and contrib/umbra-relay.conf.\n",
          out);
    relay_config_usage(out);
}

/* Each allocation holds a socket: allow as many as the hard limit. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void on_revoke(void *ctx, const char *id, size_t len)
{
    struct relay_main *m = ctx;
    int64_t now = (int64_t)time(NULL);
    char tok[LOG_TOKEN_LEN];

    if (len > REVOKE_ID_MAX) {
        log_warn(&m->log, "revocation: call id too long, ignored");
        return;
    }
    if (revoke_list_add(m->sh.revoked, id, len, now, now + m->cfg.revoke_hold_s) != 0)
        log_warn(&m->log, "revocation: revoked list full; allocations still end");
    for (size_t i = 0; i < m->n_workers; i++)
        worker_post_revoke(m->workers[i], id, len);
    log_info(&m->log, "revocation of call %s", log_token(&m->log, id, len, tok));
}

static void on_sighup(evutil_socket_t sig, short what, void *arg)
{
    struct relay_main *m = arg;
    struct turn_rest_secrets *s;
    char err[512];

    if (m->cfg.auth_secret_file == NULL)
        return;
    if (privs_check_secret_file("auth-secret-file", m->cfg.auth_secret_file, err, sizeof(err)) !=
        0) {
        log_error(&m->log, "SIGHUP: keeping the old secrets: %s", err);
        return;
    }
    s = turn_rest_secrets_new();
    if (s == NULL) {
        log_error(&m->log, "SIGHUP: keeping the old secrets: out of memory");
        return;
    }
    if (turn_rest_secrets_load(m->cfg.auth_secret_file, s, err, sizeof(err)) != 0) {
        log_error(&m->log, "SIGHUP: keeping the old secrets: %s", err);
        turn_rest_secrets_free(s);
        return;
    }
    for (size_t i = 0; i < m->n_workers; i++)
        if (worker_post_secrets(m->workers[i], s) != 0)
            log_error(&m->log, "SIGHUP: worker %zu keeps its old secrets", i);
    if (m->fleet_keys != NULL)
        fleet_mac_keys_derive(m->fleet_keys, s);
    log_info(&m->log, "SIGHUP: %zu secrets loaded", s->count);
    turn_rest_secrets_free(s);
}

/* Where Redis is: the one place of the relay that answers it (every
 * link asks before each connect): the redis key, or the master the
 * sentinels name (asked on this thread, at most RELAY_REDIS_RESOLVE_MS,
 * and only a server whose ROLE is master: a subscriber left on a replica
 * and fleet writes to one would both go wrong). */
static int relay_redis_where(void *ctx, char *host, size_t hostcap, uint16_t *port)
{
    struct redis_target *t = ctx;
    struct redis_node n;
    if (redis_target_resolve(t, RELAY_REDIS_RESOLVE_MS, &n) != 0 || n.port == 0 ||
        strlen(n.host) >= hostcap)
        return -1;
    memcpy(host, n.host, strlen(n.host) + 1);
    *port = n.port;
    return 0;
}

static void on_left(void *arg)
{
    struct relay_main *m = arg;
    event_base_loopbreak(m->base);
}

static void on_sigterm(evutil_socket_t sig, short what, void *arg)
{
    struct relay_main *m = arg;
    log_info(&m->log, "stopping");
    if (m->announce != NULL)
        fleet_announce_leave(m->announce, on_left, m); /* then stops */
    else
        event_base_loopbreak(m->base);
}

static unsigned thread_count(const struct relay_config *cfg)
{
    long n;
    if (cfg->threads > 0)
        return cfg->threads;
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* Sets the workers up, sockets bound, without starting their threads. */
static int init_workers(struct relay_main *m, const struct turn_rest_secrets *secrets)
{
    unsigned n = thread_count(&m->cfg);
    m->workers = calloc(n, sizeof(*m->workers));
    /* One more: the main thread's, last. */
    m->metrics = calloc(n + 1, sizeof(*m->metrics));
    if (m->workers == NULL || m->metrics == NULL)
        return -1;
    m->sh.workers = m->workers;
    m->sh.n_workers = n;
    for (unsigned i = 0; i < n; i++) {
        struct worker *w = calloc(1, sizeof(*w));
        if (w == NULL)
            return -1;
        if (worker_init(w, i, &m->sh, secrets) != 0) {
            free(w);
            return -1;
        }
        m->workers[m->n_workers++] = w;
        m->metrics[i] = &w->metrics;
    }
    m->metrics[n] = &m->main_metrics;
    return 0;
}

static int start_workers(struct relay_main *m)
{
    for (size_t i = 0; i < m->n_workers; i++)
        if (worker_start(m->workers[i]) != 0)
            return -1;
    return 0;
}

static void stop_all(struct relay_main *m)
{
    /* Links first: their pending callbacks point at the fleet modules. */
    redis_link_free(m->redis_sub);
    redis_link_free(m->redis_cmd);
    fleet_announce_free(m->announce);
    metrics_server_free(m->metrics_server);
    for (size_t i = 0; i < m->n_workers; i++)
        worker_stop(m->workers[i]);
    for (size_t i = 0; i < m->n_workers; i++) {
        worker_free(m->workers[i]);
        free(m->workers[i]);
    }
    free(m->workers);
    free(m->metrics);
    relay_shared_free(&m->sh);
    fleet_view_free(m->fleet); /* the workers read it until they stop */
    fleet_mac_keys_free(m->fleet_keys);
}

/* Before anything is opened: secret files that group or others could
 * read, and a proc-user or proc-group that cannot be switched to, stop the
 * relay. The configuration file is a secret file when it gave a password. */
static int check_start(struct relay_main *m, const char *conf_path, char *err, size_t errlen)
{
    if (m->cfg.auth_secret_file != NULL &&
        privs_check_secret_file("auth-secret-file", m->cfg.auth_secret_file, err, errlen) != 0)
        return -1;
    if (m->cfg.tls_key != NULL &&
        privs_check_secret_file("tls-key", m->cfg.tls_key, err, errlen) != 0)
        return -1;
    if (m->cfg.users_from_file && conf_path != NULL &&
        privs_check_secret_file("configuration file (it holds user passwords)", conf_path, err,
                                errlen) != 0)
        return -1;
    return privs_resolve(m->cfg.proc_user, m->cfg.proc_group, &m->privs, err, errlen);
}

/* After every socket is bound and every secret read; before any thread
 * starts. SIGHUP re-reads auth-secret-file as proc-user from then on. */
static int drop_privileges(struct relay_main *m)
{
    char err[512];
    if (privs_drop(&m->privs, err, sizeof(err)) != 0) {
        log_error(&m->log, "%s", err);
        return -1;
    }
    if (m->privs.set) {
        log_info(&m->log, "running as %s", m->privs.user);
        if (m->cfg.auth_secret_file != NULL && !privs_can_read(&m->privs, m->cfg.auth_secret_file))
            log_warn(&m->log,
                     "auth-secret-file is not readable by proc-user %s: SIGHUP cannot "
                     "re-read it (chown it to %s, mode 600)",
                     m->privs.user, m->privs.user);
    }
    return 0;
}

/* Revocations and the fleet: two links to Redis (a subscriber and one
 * for commands). */
static int start_redis(struct relay_main *m)
{
    redis_target_init(&m->redis_target, m->cfg.redis_host, m->cfg.redis_port,
                      &m->cfg.redis_sentinels, true, &m->log);
    m->redis_sub =
        redis_link_start(m->base, relay_redis_where, &m->redis_target, &m->log, "redis-sub");
    m->redis_cmd =
        redis_link_start(m->base, relay_redis_where, &m->redis_target, &m->log, "redis-cmd");
    if (m->redis_sub == NULL || m->redis_cmd == NULL ||
        revocation_start(m->redis_sub, &m->log, on_revoke, m) != 0 ||
        fleet_view_start(m->fleet, m->base, m->redis_sub, m->redis_cmd, m->workers, m->n_workers) !=
            0) {
        log_error(&m->log, "redis: cannot start the subscriber");
        return -1;
    }
    m->announce =
        fleet_announce_start(m->base, m->redis_cmd, &m->cfg, m->fleet_keys,
                             (struct metrics_thread *const *)m->metrics, m->n_workers, &m->log);
    if (m->announce == NULL) {
        log_error(&m->log, "fleet: cannot start the announcement");
        return -1;
    }
    return 0;
}

/* Shared state, TLS, worker sockets and the metrics listener: everything
 * that may need root. */
static int setup_shared(struct relay_main *m, const struct turn_rest_secrets *secrets)
{
    struct peer_source fleet;
    char err[512];

    if (relay_config_uses_redis(&m->cfg)) {
        /* First: a datagram from another relay of the fleet is answered
         * without the pool's lock. */
        m->fleet_keys = fleet_mac_keys_new();
        if (m->fleet_keys != NULL)
            fleet_mac_keys_derive(m->fleet_keys, secrets);
        m->fleet = m->fleet_keys != NULL
                       ? fleet_view_new(&m->cfg, m->fleet_keys, &m->main_metrics, &m->log)
                       : NULL;
        if (m->fleet == NULL) {
            log_error(&m->log, "out of memory");
            return -1;
        }
        fleet = (struct peer_source){fleet_view_contains, m->fleet, .remote = true};
    }
    if (relay_shared_init(&m->sh, &m->cfg, &m->log, m->fleet != NULL ? &fleet : NULL, err,
                          sizeof(err)) != 0) {
        log_error(&m->log, "%s", err);
        return -1;
    }
    if (listener_check_free(&m->cfg, err, sizeof(err)) != 0) {
        log_error(&m->log, "%s", err);
        return -1;
    }
    if (init_workers(m, secrets) != 0)
        return -1;
    if (m->cfg.has_metrics) {
        m->metrics_server =
            metrics_server_start(m->base, &m->cfg.metrics_listen,
                                 (struct metrics_thread *const *)m->metrics, m->n_workers + 1);
        if (m->metrics_server == NULL) {
            log_error(&m->log, "metrics-listen: cannot listen");
            return -1;
        }
    }
    return 0;
}

static int setup(struct relay_main *m)
{
    char err[512];
    struct turn_rest_secrets *secrets = NULL;
    int rc;

    if (m->cfg.auth_secret_file != NULL) {
        secrets = turn_rest_secrets_new();
        if (secrets == NULL) {
            log_error(&m->log, "out of memory");
            return -1;
        }
        if (turn_rest_secrets_load(m->cfg.auth_secret_file, secrets, err, sizeof(err)) != 0) {
            log_error(&m->log, "auth-secret-file: %s", err);
            turn_rest_secrets_free(secrets);
            return -1;
        }
    }
    /* The workers keep their own copies: this one is wiped at once. */
    rc = setup_shared(m, secrets);
    turn_rest_secrets_free(secrets);
    if (rc != 0 || drop_privileges(m) != 0 || start_workers(m) != 0)
        return -1;
    if (relay_config_uses_redis(&m->cfg))
        return start_redis(m);
    return 0;
}

int main(int argc, char **argv)
{
    static struct relay_main m; /* large; zeroed */
    struct event *sig_term = NULL, *sig_int = NULL, *sig_hup = NULL;
    char err[1024];
    int rc = 1;

    if (conf_has_flag(argc, argv, "--help") || conf_has_flag(argc, argv, "-h")) {
        usage(stdout);
        return 0;
    }
    if (conf_has_flag(argc, argv, "--version")) {
        printf("umbra-relay %s\n", PACKAGE_VERSION);
        return 0;
    }
    /* Before the first secret is read: no core dump, no ptrace by others. */
    if (privs_no_dump() != 0 || sodium_init() < 0) {
        fprintf(stderr, "umbra-relay: cannot start (dumpable flag or libsodium)\n");
        return 1;
    }
    if (tls_secure_heap_init() != 0)
        fprintf(stderr, "umbra-relay: no OpenSSL secure heap; the TLS key stays in "
                        "ordinary memory\n");
    relay_config_init(&m.cfg);
    if (relay_config_load(&m.cfg, argc, argv, err, sizeof(err)) != 0 ||
        check_start(&m, conf_config_path(argc, argv), err, sizeof(err)) != 0) {
        fprintf(stderr, "umbra-relay: %s\n", err);
        relay_config_free(&m.cfg);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    log_init(&m.log, "umbra-relay", m.cfg.log_level, stderr);
    evthread_use_pthreads();
    m.base = event_base_new();
    if (m.base == NULL)
        goto out;
    sig_term = evsignal_new(m.base, SIGTERM, on_sigterm, &m);
    sig_int = evsignal_new(m.base, SIGINT, on_sigterm, &m);
    sig_hup = evsignal_new(m.base, SIGHUP, on_sighup, &m);
    if (sig_term == NULL || sig_int == NULL || sig_hup == NULL || event_add(sig_term, NULL) ||
        event_add(sig_int, NULL) || event_add(sig_hup, NULL))
        goto out;
    if (setup(&m) == 0) {
        log_info(&m.log, "started with %zu threads", m.n_workers);
        /* Counts and ports only: the addresses stay in the config file. */
        log_debug(&m.log,
                  "config: %zu UDP/TCP and %zu TLS listeners, %zu relay addresses, relay ports "
                  "%u-%u, %zu static users, revocation %s, metrics %s",
                  m.cfg.n_listen, m.cfg.n_tls_listen, m.cfg.n_relay, (unsigned)m.cfg.relay_port_low,
                  (unsigned)m.cfg.relay_port_high, m.cfg.n_users,
                  m.cfg.redis_host != NULL ? "on" : "off", m.cfg.has_metrics ? "on" : "off");
        event_base_dispatch(m.base);
        rc = 0;
    }
out:
    stop_all(&m);
    if (sig_term != NULL)
        event_free(sig_term);
    if (sig_int != NULL)
        event_free(sig_int);
    if (sig_hup != NULL)
        event_free(sig_hup);
    if (m.base != NULL)
        event_base_free(m.base);
    log_free(&m.log);
    relay_config_free(&m.cfg);
    libevent_global_shutdown();
    return rc;
}
