/* umbra-broker: wires config, keys, policy, store, calls and http
 * together and runs the event loop until SIGINT/SIGTERM. */
#include <event2/event.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "conf.h"
#include "broker_config.h"
#include "keys.h"
#include "redis_target.h"
#include "policy.h"
#include "privs.h"
#include "tls_server.h"
#include "turn_rest.h"
#include "wipe.h"

/* libevent reports through this; its warnings can name a peer, so only
 * errors are kept. The one global besides signal handling: libevent's
 * callback takes no context. */
static struct log_ctx *libevent_log;

static void on_libevent_log(int severity, const char *msg)
{
    if (severity >= EVENT_LOG_ERR && libevent_log != NULL)
        log_error(libevent_log, "libevent: %s", msg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    event_base_loopbreak(arg);
}

static int load_config(int argc, char **argv, struct broker_config *cfg, char *err, size_t errlen)
{
    const char *path = conf_config_path(argc, argv);
    broker_config_defaults(cfg);
    if (path != NULL && conf_load_file(path, broker_config_set, cfg, err, errlen) != 0)
        return -1;
    if (conf_load_args(argc, argv, broker_config_set, cfg, err, errlen) != 0)
        return -1;
    return broker_config_check(cfg, err, errlen);
}

/* Everything main owns, so one function can release it. */
struct broker {
    struct broker_config cfg;
    struct log_ctx log;
    struct keys *keys; /* sodium_malloc: locked, out of core dumps */
    struct turn_rest_secrets *secrets;
    struct fleet_mac_keys *fleet_keys; /* from secrets; sodium_malloc */
    struct policy_set *policy;
    struct dtls_pool *pool;
    struct store *store;
    struct tls_server *tls;
    struct event_base *base;
    struct identities ids;
    struct fleet fleet;
    struct calls calls;
    struct api api;
    struct http_server *metrics; /* metrics-listen; NULL when unset */
    struct privs_target privs;
};

/* Before anything is opened: secret files that group or others could
 * read, and a proc-user or proc-group that cannot be switched to. */
static int check_start(struct broker *b, char *err, size_t errlen)
{
    if (privs_check_secret_file("auth-secret-file", b->cfg.auth_secret_file, err, errlen) != 0 ||
        privs_check_secret_file("broker-key-file", b->cfg.broker_key_file, err, errlen) != 0 ||
        (b->cfg.tls_key[0] != '\0' &&
         privs_check_secret_file("tls-key", b->cfg.tls_key, err, errlen) != 0))
        return -1;
    return privs_resolve(b->cfg.proc_user, b->cfg.proc_group, &b->privs, err, errlen);
}

/* The operator's listener: plain HTTP, no per-client limits (loopback or
 * an operator network), GETs only (no body beyond the smallest max-body). */
static int start_metrics(struct broker *b, char *err, size_t errlen)
{
    char why[256];

    if (b->cfg.metrics_port == 0)
        return 0;
    b->metrics = http_new(b->base, b->cfg.metrics_host, b->cfg.metrics_port, NULL, 1024, 30,
                          api_metrics_routes, api_n_metrics_routes, &b->api, NULL, &b->log, why,
                          sizeof(why));
    if (b->metrics == NULL) {
        snprintf(err, errlen, "metrics-listen: %s", why);
        return -1;
    }
    return 0;
}

static int start(struct broker *b, char *err, size_t errlen)
{
    const char *paths[CONFIG_MAX_POLICIES];
    struct http_limits limits = {{b->cfg.client_connections, b->cfg.client_rate,
                                  b->cfg.client_burst, b->cfg.client_table, 1},
                                 b->cfg.trusted_proxies,
                                 b->cfg.n_trusted_proxies};
    struct create_limit_conf creates = {
        {b->cfg.identity_rate, b->cfg.pseudonym_rate, b->cfg.call_rate},
        {b->cfg.identity_global_rate, b->cfg.pseudonym_global_rate, b->cfg.call_global_rate},
        b->cfg.client_table};
    unsigned char hash_key[ADDR_HASH_KEY_BYTES];
    struct redis_target target;

    b->keys = sodium_malloc(sizeof(*b->keys));
    if (b->keys == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (keys_load(b->cfg.broker_key_file, b->keys, err, errlen) != 0)
        return -1;
    b->secrets = turn_rest_secrets_new();
    if (b->secrets == NULL ||
        turn_rest_secrets_load(b->cfg.auth_secret_file, b->secrets, err, errlen) != 0)
        return -1;
    if (b->secrets->count == 0) {
        snprintf(err, errlen, "auth-secret-file holds no secret");
        return -1;
    }
    b->fleet_keys = fleet_mac_keys_new();
    if (b->fleet_keys == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    fleet_mac_keys_derive(b->fleet_keys, b->secrets);
    for (size_t i = 0; i < b->cfg.n_policies; i++)
        paths[i] = b->cfg.policies[i];
    if (policy_set_load(&b->policy, paths, b->cfg.n_policies, err, errlen) != 0)
        return -1;
    if (b->cfg.tls_cert[0] != '\0' &&
        (b->tls = tls_server_new(b->cfg.tls_cert, b->cfg.tls_key, err, errlen)) == NULL)
        return -1;
    b->pool = dtls_pool_new(b->cfg.dtls_pool);
    redis_target_init(&target, b->cfg.redis_host, b->cfg.redis_port, &b->cfg.redis_sentinels, false,
                      &b->log);
    b->store = store_new_target(&target, b->cfg.redis_timeout_ms, &b->log);
    b->base = event_base_new();
    if (b->pool == NULL || b->store == NULL || b->base == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->ids = (struct identities){b->store, b->keys, b->cfg.identity_ttl};
    fleet_init(&b->fleet, b->store, b->fleet_keys, b->cfg.fleet_cache_ms, &b->log);
    b->calls = (struct calls){.store = b->store,
                              .ids = &b->ids,
                              .keys = b->keys,
                              .policy = b->policy,
                              .secrets = b->secrets,
                              .cfg = &b->cfg,
                              .pool = b->pool,
                              .fleet = b->cfg.fleet_cache_ms > 0 ? &b->fleet : NULL,
                              .log = &b->log,
                              .notify = api_calls_notify,
                              .notify_arg = &b->api};
    b->api = (struct api){.calls = &b->calls,
                          .ids = &b->ids,
                          .store = b->store,
                          .cfg = &b->cfg,
                          .log = &b->log,
                          .base = b->base,
                          .pool = b->pool};
    randombytes_buf(hash_key, sizeof(hash_key));
    b->api.create = create_limit_new(&creates, hash_key);
    sodium_memzero(hash_key, sizeof(hash_key));
    if (b->api.create == NULL || api_calls_init(&b->api) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->api.http = http_new(b->base, b->cfg.listen_host, b->cfg.listen_port, b->tls, b->cfg.max_body,
                           b->cfg.long_poll_timeout + 30, api_routes, api_n_routes, &b->api,
                           &limits, &b->log, err, errlen);
    if (b->api.http == NULL || start_metrics(b, err, errlen) != 0)
        return -1;
    /* Listening, keys and secrets read: root is no longer needed. */
    if (privs_drop(&b->privs, err, errlen) != 0)
        return -1;
    if (b->privs.set)
        log_info(&b->log, "running as %s", b->privs.user);
    if (!store_up(b->store))
        log_warn(&b->log, "redis: unreachable at start; answering 503 until it is up");
    if (store_watch(b->store, b->base) != 0 ||
        store_subscribe(b->store, CALLS_NOTIFY_CHANNEL, calls_on_message, &b->calls) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void stop(struct broker *b)
{
    if (b->api.waiters != NULL)
        api_calls_free(&b->api);
    http_free(b->metrics);
    http_free(b->api.http);
    create_limit_free(b->api.create);
    store_free(b->store); /* its probe lives on the base */
    if (b->base != NULL)
        event_base_free(b->base);
    dtls_pool_free(b->pool);
    tls_server_free(b->tls);
    policy_set_free(b->policy);
    turn_rest_secrets_free(b->secrets); /* wipes */
    fleet_mac_keys_free(b->fleet_keys); /* wipes */
    sodium_free(b->keys);               /* wipes */
}

int main(int argc, char **argv)
{
    static struct broker b;
    struct event *sigint = NULL, *sigterm = NULL;
    char err[512];
    int rc = 1;

    /* First: jansson and libevent must allocate through it from the start. */
    wipe_install();
    if (conf_has_flag(argc, argv, "--help") || conf_has_flag(argc, argv, "-h")) {
        broker_config_usage(stdout);
        return 0;
    }
    if (conf_has_flag(argc, argv, "--version")) {
        printf("umbra-broker %s\n", UMBRA_VERSION);
        return 0;
    }
    /* Before the first secret is read: no core dump, no ptrace by others. */
    if (privs_no_dump() != 0 || sodium_init() < 0) {
        fprintf(stderr, "umbra-broker: cannot start (dumpable flag or libsodium)\n");
        return 1;
    }
    if (tls_secure_heap_init() != 0)
        fprintf(stderr, "umbra-broker: no OpenSSL secure heap; TLS and DTLS keys stay in "
                        "ordinary memory\n");
    if (load_config(argc, argv, &b.cfg, err, sizeof(err)) != 0 ||
        check_start(&b, err, sizeof(err)) != 0) {
        fprintf(stderr, "umbra-broker: %s\n", err);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    log_init(&b.log, "umbra-broker", b.cfg.log_level, stderr);
    libevent_log = &b.log;
    event_set_log_callback(on_libevent_log);
    if (start(&b, err, sizeof(err)) != 0) {
        log_error(&b.log, "%s", err);
        goto out;
    }
    sigint = evsignal_new(b.base, SIGINT, on_signal, b.base);
    sigterm = evsignal_new(b.base, SIGTERM, on_signal, b.base);
    if (sigint == NULL || sigterm == NULL || evsignal_add(sigint, NULL) != 0 ||
        evsignal_add(sigterm, NULL) != 0) {
        log_error(&b.log, "cannot install signal handlers");
        goto out;
    }
    log_info(&b.log, "listening on port %u (%s), %zu relay URI(s), %zu policy file(s), metrics %s",
             b.cfg.listen_port, b.tls != NULL ? "https" : "http", b.cfg.n_relays, b.cfg.n_policies,
             b.metrics != NULL ? "on metrics-listen" : "off");
    log_debug(&b.log,
              "config: credential ttl %u s, call ttl %u s, identity ttl %u s, long poll %u s, "
              "max body %lu bytes, DTLS pool %u",
              b.cfg.credential_ttl, b.cfg.call_ttl, b.cfg.identity_ttl, b.cfg.long_poll_timeout,
              b.cfg.max_body, b.cfg.dtls_pool);
    event_base_dispatch(b.base);
    log_info(&b.log, "stopping");
    rc = 0;
out:
    if (sigint != NULL)
        event_free(sigint);
    if (sigterm != NULL)
        event_free(sigterm);
    stop(&b);
    log_free(&b.log);
    return rc;
}
