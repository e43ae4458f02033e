/* broker_config: see broker_config.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_table.h"
#include "broker_config.h"

void broker_config_defaults(struct broker_config *c)
{
    char err[256];
    memset(c, 0, sizeof(*c));
    if (conf_table_defaults(broker_config_keys, c, err, sizeof(err)) != 0) {
        /* The defaults are constants of the table, checked by its tests. */
        fprintf(stderr, "umbra-broker: %s\n", err);
        abort();
    }
}

static int copy_str(char *dst, size_t cap, const char *value, char *err, size_t errlen)
{
    size_t n = strlen(value);
    if (n == 0 || n >= cap) {
        snprintf(err, errlen, "expected 1 to %zu characters", cap - 1);
        return -1;
    }
    memcpy(dst, value, n + 1);
    return 0;
}

/* "HOST:PORT" or "[V6]:PORT". */
static int parse_hostport(const char *value, char *host, size_t hostcap, uint16_t *port, char *err,
                          size_t errlen)
{
    const char *colon, *hstart = value;
    size_t hlen;
    uint64_t p;

    if (value[0] == '[') {
        const char *close = strchr(value, ']');
        if (close == NULL || close[1] != ':')
            goto bad;
        hstart = value + 1;
        hlen = (size_t)(close - hstart);
        colon = close + 1;
    } else {
        colon = strrchr(value, ':');
        if (colon == NULL)
            goto bad;
        hlen = (size_t)(colon - value);
    }
    if (hlen == 0 || hlen >= hostcap)
        goto bad;
    if (conf_parse_uint(colon + 1, 1, 65535, &p, err, errlen) != 0)
        return -1;
    memcpy(host, hstart, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)p;
    return 0;
bad:
    snprintf(err, errlen, "expected HOST:PORT, got \"%.64s\"", value);
    return -1;
}

static int set_relay(void *ctx, const struct conf_key *k, const char *value, char *err,
                     size_t errlen)
{
    struct broker_config *c = ctx;
    (void)k;
    if (strncmp(value, "turn:", 5) != 0 && strncmp(value, "turns:", 6) != 0) {
        snprintf(err, errlen, "expected a turn: or turns: URI");
        return -1;
    }
    if (strpbrk(value, " \t\"\\") != NULL) {
        snprintf(err, errlen, "URI holds a space, quote or backslash");
        return -1;
    }
    if (c->n_relays == CONFIG_MAX_RELAYS) {
        snprintf(err, errlen, "more than %d relay URIs", CONFIG_MAX_RELAYS);
        return -1;
    }
    if (copy_str(c->relays[c->n_relays], CONFIG_URI_MAX, value, err, errlen) != 0)
        return -1;
    c->n_relays++;
    return 0;
}

static int set_proxy(void *ctx, const struct conf_key *k, const char *value, char *err,
                     size_t errlen)
{
    struct broker_config *c = ctx;
    struct umbra_addr a;
    (void)k;
    if (addr_parse(&a, value, 0) != 0 || addr_port(&a) != 0) {
        snprintf(err, errlen, "expected an IP address without a port");
        return -1;
    }
    if (c->n_trusted_proxies == CONFIG_MAX_PROXIES) {
        snprintf(err, errlen, "more than %d trusted proxies", CONFIG_MAX_PROXIES);
        return -1;
    }
    if (addr_normalise(&a, &c->trusted_proxies[c->n_trusted_proxies]) != ADDR_NORM_OK) {
        snprintf(err, errlen, "an unspecified address cannot be a proxy");
        return -1;
    }
    c->n_trusted_proxies++;
    return 0;
}

static int set_listen(void *ctx, const struct conf_key *k, const char *value, char *err,
                      size_t errlen)
{
    struct broker_config *c = ctx;
    (void)k;
    return parse_hostport(value, c->listen_host, sizeof(c->listen_host), &c->listen_port, err,
                          errlen);
}

static int set_metrics_listen(void *ctx, const struct conf_key *k, const char *value, char *err,
                              size_t errlen)
{
    struct broker_config *c = ctx;
    (void)k;
    return parse_hostport(value, c->metrics_host, sizeof(c->metrics_host), &c->metrics_port, err,
                          errlen);
}

/* HOST:PORT, or the path of a unix socket. */
static int set_redis(void *ctx, const struct conf_key *k, const char *value, char *err,
                     size_t errlen)
{
    struct broker_config *c = ctx;
    (void)k;
    if (value[0] == '/') {
        c->redis_port = 0;
        return copy_str(c->redis_host, sizeof(c->redis_host), value, err, errlen);
    }
    return parse_hostport(value, c->redis_host, sizeof(c->redis_host), &c->redis_port, err, errlen);
}

static int add_policy(void *ctx, const struct conf_key *k, const char *value, char *err,
                      size_t errlen)
{
    struct broker_config *c = ctx;
    (void)k;
    if (c->n_policies == CONFIG_MAX_POLICIES) {
        snprintf(err, errlen, "more than %d policy files", CONFIG_MAX_POLICIES);
        return -1;
    }
    if (copy_str(c->policies[c->n_policies], CONFIG_PATH_MAX, value, err, errlen) != 0)
        return -1;
    c->n_policies++;
    return 0;
}

static int set_sentinels(void *ctx, const struct conf_key *k, const char *value, char *err,
                         size_t errlen)
{
    (void)k;
    return redis_target_add_sentinels(&((struct broker_config *)ctx)->redis_sentinels, value, err,
                                      errlen);
}

static int set_master_name(void *ctx, const struct conf_key *k, const char *value, char *err,
                           size_t errlen)
{
    (void)k;
    return redis_target_set_name(&((struct broker_config *)ctx)->redis_sentinels, value, err,
                                 errlen);
}

#define B(field) CONF_FIELD(struct broker_config, field)
#define CUSTOM(fn) .type = CONF_T_CUSTOM, .parse = (fn)
#define UINT(field, lo, hi) .type = CONF_T_UINT, B(field), .min = (lo), .max = (hi)
#define STR(field) .type = CONF_T_STR, B(field)
#define PER_MINUTE(field) UINT(field, 0, 1000000), .arg = "N"

/* Every key, in the order of umbra-broker(8). */
const struct conf_key broker_config_keys[] = {
    {"listen", CUSTOM(set_listen), .arg = "HOST:PORT", .def = "127.0.0.1:8080",
     .help = "HTTP(S) address."},
    {"metrics-listen", CUSTOM(set_metrics_listen), .arg = "HOST:PORT",
     .help = "Plain HTTP for /metrics and /healthz, for the operator only (off: /metrics is "
             "served nowhere)."},
    {"tls-cert", STR(tls_cert), .arg = "FILE",
     .help = "Serve HTTPS with this PEM certificate (with tls-key)."},
    {"tls-key", STR(tls_key), .arg = "FILE", .help = "The PEM private key of tls-cert."},
    {"redis", CUSTOM(set_redis), .arg = "HOST:PORT|/PATH", .def = "127.0.0.1:6379",
     .help = "Redis server."},
    {"redis-timeout-ms", UINT(redis_timeout_ms, 10, 10000), .arg = "MS", .def = "200",
     .help = "Connect and command timeout."},
    {"relay", CUSTOM(set_relay), .flags = CONF_REPEAT, .arg = "URI",
     .help = "turn:/turns: URI handed to clients when no relay fleet is announced in Redis, at "
             "most 16."},
    {"auth-secret-file", STR(auth_secret_file), .arg = "FILE",
     .help = "TURN REST secrets shared with umbra-relay."},
    {"policy", CUSTOM(add_policy), .flags = CONF_REPEAT, .arg = "FILE",
     .help = "Policy file, at most 8."},
    {"broker-key-file", STR(broker_key_file), .arg = "FILE",
     .help = "64 hex digits: the key behind pseudonyms and hashes."},
    {"credential-ttl", UINT(credential_ttl, 30, 86400), .arg = "S", .def = "300",
     .help = "TURN credential lifetime."},
    {"call-ttl", UINT(call_ttl, 60, 7 * 86400), .arg = "S", .def = "3600",
     .help = "Lifetime of a call's state."},
    {"identity-ttl", UINT(identity_ttl, 60, 365 * 86400), .arg = "S", .def = "2592000",
     .help = "Lifetime of an unused identity."},
    {"fingerprint-retention", UINT(fingerprint_retention, 60, 365 * 86400), .arg = "S",
     .def = "86400", .help = "How long seen DTLS fingerprints are refused."},
    {"max-body", UINT(max_body, 1024, 16 * 1024 * 1024), .arg = "BYTES", .def = "65536",
     .help = "Largest request body."},
    {"long-poll-timeout", UINT(long_poll_timeout, 1, 300), .arg = "S", .def = "25",
     .help = "Longest wait of an events request."},
    {"dtls-pool", UINT(dtls_pool, 0, 4096), .arg = "N", .def = "64",
     .help = "DTLS identities generated ahead; 0: inline."},
    {"log-level", .type = CONF_T_ENUM, B(log_level), .names = conf_log_levels, .flags = CONF_NOCASE,
     .arg = "LEVEL", .def = "info", .help = "error, warn, info or debug."},
    {"web-root", STR(web_root), .arg = "DIR",
     .help = "Serve the demo page from DIR at /demo/ (off)."},
    {"fleet-cache-ms", UINT(fleet_cache_ms, 0, 60000), .arg = "MS", .def = "1000",
     .help = "Reuse the relay fleet read from Redis this long; 0: static relay URIs only."},
    {"client-connections", UINT(client_connections, 0, 1000000), .arg = "N", .def = "64",
     .help = "Open connections per client address; 0: any."},
    {"client-rate", UINT(client_rate, 0, 1000000), .arg = "N", .def = "100",
     .help = "Requests per second per client address; 0: any."},
    {"client-burst", UINT(client_burst, 1, 1000000), .arg = "N", .def = "200",
     .help = "Requests a client may send at once."},
    {"client-table", UINT(client_table, 64, 1u << 24), .arg = "N", .def = "16384",
     .help = "Client addresses tracked at once."},
    {"identity-rate", PER_MINUTE(identity_rate), .def = "10",
     .help = "Identities a client address may create a minute; 0: any."},
    {"identity-global-rate", PER_MINUTE(identity_global_rate), .def = "120",
     .help = "Identities all clients may create a minute; 0: any."},
    {"pseudonym-rate", PER_MINUTE(pseudonym_rate), .def = "30",
     .help = "New pseudonym contexts a client address may create a minute; 0: any."},
    {"pseudonym-global-rate", PER_MINUTE(pseudonym_global_rate), .def = "600",
     .help = "New pseudonym contexts of all clients a minute; 0: any."},
    {"call-rate", PER_MINUTE(call_rate), .def = "60",
     .help = "Calls a client address may create a minute; 0: any."},
    {"call-global-rate", PER_MINUTE(call_global_rate), .def = "1200",
     .help = "Calls all clients may create a minute; 0: any."},
    {"trusted-proxy", CUSTOM(set_proxy), .flags = CONF_REPEAT, .arg = "IP",
     .help = "A proxy whose X-Forwarded-For names the client, at most 8 (none)."},
    {"redis-sentinel", CUSTOM(set_sentinels), .flags = CONF_REPEAT,
     .arg = "HOST:PORT[,HOST:PORT...]",
     .help = "Find the Redis master through these sentinels instead of redis."},
    {"redis-master-name", CUSTOM(set_master_name), .arg = "NAME",
     .help = "The master's name known to the sentinels."},
    {"proc-user", STR(proc_user), .arg = "USER",
     .help = "Started as root: run as USER once listening (off)."},
    {"proc-group", STR(proc_group), .arg = "GROUP",
     .help = "With proc-user: run with this group (USER's own)."},
    {.name = NULL},
};

int broker_config_set(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
    return conf_table_set(broker_config_keys, ctx, key, value, err, errlen);
}

int broker_config_check(const struct broker_config *c, char *err, size_t errlen)
{
    if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
        snprintf(err, errlen, "tls-cert and tls-key go together");
        return -1;
    }
    if (c->metrics_port != 0 && c->metrics_port == c->listen_port &&
        strcmp(c->metrics_host, c->listen_host) == 0) {
        snprintf(err, errlen, "metrics-listen must not be the listen address");
        return -1;
    }
    if (c->n_relays == 0) {
        snprintf(err, errlen, "no relay URI: give at least one \"relay = turn:HOST:PORT\"");
        return -1;
    }
    if (c->auth_secret_file[0] == '\0') {
        snprintf(err, errlen, "auth-secret-file is required (shared with the relays)");
        return -1;
    }
    if (c->broker_key_file[0] == '\0') {
        snprintf(err, errlen, "broker-key-file is required");
        return -1;
    }
    if (c->n_policies == 0) {
        snprintf(err, errlen, "no policy file: give at least one \"policy = FILE\"");
        return -1;
    }
    return redis_target_check(&c->redis_sentinels, err, errlen);
}

void broker_config_usage(FILE *out)
{
    fputs("usage: umbra-broker [-c FILE] [--KEY=VALUE ...] [--help] [--version]\n"
          "keys (in FILE as \"key = value\", or as --key=value):\n",
          out);
    conf_table_usage(broker_config_keys, "", out);
}
