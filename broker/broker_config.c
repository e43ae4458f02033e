/* broker_config: see broker_config.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "broker_config.h"

void broker_config_defaults(struct broker_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
    c->listen_port = 8080;
    snprintf(c->redis_host, sizeof(c->redis_host), "127.0.0.1");
    c->redis_port = 6379;
    c->redis_timeout_ms = 200;
    c->credential_ttl = 300;
    c->call_ttl = 3600;
    c->identity_ttl = 30 * 86400;
    c->fingerprint_retention = 86400;
    c->max_body = 65536;
    c->long_poll_timeout = 25;
    c->dtls_pool = 64;
    c->log_level = LOG_LEVEL_INFO;
    c->fleet_cache_ms = 1000;
    c->client_connections = 64;
    c->client_rate = 100;
    c->client_burst = 200;
    c->client_table = 16384;
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

static int set_uint(const char *value, uint64_t min, uint64_t max, unsigned *out, char *err,
                    size_t errlen)
{
    uint64_t v;
    if (conf_parse_uint(value, min, max, &v, err, errlen) != 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int set_relay(struct broker_config *c, const char *value, char *err, size_t errlen)
{
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

static int set_proxy(struct broker_config *c, const char *value, char *err, size_t errlen)
{
    struct umbra_addr a;
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

int broker_config_set(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
    struct broker_config *c = ctx;
    uint64_t v;

    if (strcmp(key, "listen") == 0)
        return parse_hostport(value, c->listen_host, sizeof(c->listen_host), &c->listen_port, err,
                              errlen);
    if (strcmp(key, "metrics-listen") == 0)
        return parse_hostport(value, c->metrics_host, sizeof(c->metrics_host), &c->metrics_port,
                              err, errlen);
    if (strcmp(key, "tls-cert") == 0)
        return copy_str(c->tls_cert, sizeof(c->tls_cert), value, err, errlen);
    if (strcmp(key, "tls-key") == 0)
        return copy_str(c->tls_key, sizeof(c->tls_key), value, err, errlen);
    if (strcmp(key, "redis") == 0) {
        if (value[0] == '/') {
            c->redis_port = 0;
            return copy_str(c->redis_host, sizeof(c->redis_host), value, err, errlen);
        }
        return parse_hostport(value, c->redis_host, sizeof(c->redis_host), &c->redis_port, err,
                              errlen);
    }
    if (strcmp(key, "redis-timeout-ms") == 0)
        return set_uint(value, 10, 10000, &c->redis_timeout_ms, err, errlen);
    if (strcmp(key, "relay") == 0)
        return set_relay(c, value, err, errlen);
    if (strcmp(key, "auth-secret-file") == 0)
        return copy_str(c->auth_secret_file, sizeof(c->auth_secret_file), value, err, errlen);
    if (strcmp(key, "policy") == 0) {
        if (c->n_policies == CONFIG_MAX_POLICIES) {
            snprintf(err, errlen, "more than %d policy files", CONFIG_MAX_POLICIES);
            return -1;
        }
        if (copy_str(c->policies[c->n_policies], CONFIG_PATH_MAX, value, err, errlen) != 0)
            return -1;
        c->n_policies++;
        return 0;
    }
    if (strcmp(key, "broker-key-file") == 0)
        return copy_str(c->broker_key_file, sizeof(c->broker_key_file), value, err, errlen);
    if (strcmp(key, "credential-ttl") == 0)
        return set_uint(value, 30, 86400, &c->credential_ttl, err, errlen);
    if (strcmp(key, "call-ttl") == 0)
        return set_uint(value, 60, 7 * 86400, &c->call_ttl, err, errlen);
    if (strcmp(key, "identity-ttl") == 0)
        return set_uint(value, 60, 365 * 86400, &c->identity_ttl, err, errlen);
    if (strcmp(key, "fingerprint-retention") == 0)
        return set_uint(value, 60, 365 * 86400, &c->fingerprint_retention, err, errlen);
    if (strcmp(key, "long-poll-timeout") == 0)
        return set_uint(value, 1, 300, &c->long_poll_timeout, err, errlen);
    if (strcmp(key, "dtls-pool") == 0)
        return set_uint(value, 0, 4096, &c->dtls_pool, err, errlen);
    if (strcmp(key, "max-body") == 0) {
        if (conf_parse_uint(value, 1024, 16 * 1024 * 1024, &v, err, errlen) != 0)
            return -1;
        c->max_body = (unsigned long)v;
        return 0;
    }
    if (strcmp(key, "web-root") == 0)
        return copy_str(c->web_root, sizeof(c->web_root), value, err, errlen);
    if (strcmp(key, "redis-sentinel") == 0)
        return redis_target_add_sentinels(&c->redis_sentinels, value, err, errlen);
    if (strcmp(key, "redis-master-name") == 0)
        return redis_target_set_name(&c->redis_sentinels, value, err, errlen);
    if (strcmp(key, "log-level") == 0) {
        if (log_level_parse(value, &c->log_level) != 0) {
            snprintf(err, errlen, "expected error, warn, info or debug");
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "fleet-cache-ms") == 0)
        return set_uint(value, 0, 60000, &c->fleet_cache_ms, err, errlen);
    if (strcmp(key, "client-connections") == 0)
        return set_uint(value, 0, 1000000, &c->client_connections, err, errlen);
    if (strcmp(key, "client-rate") == 0)
        return set_uint(value, 0, 1000000, &c->client_rate, err, errlen);
    if (strcmp(key, "client-burst") == 0)
        return set_uint(value, 1, 1000000, &c->client_burst, err, errlen);
    if (strcmp(key, "client-table") == 0)
        return set_uint(value, 64, 1u << 24, &c->client_table, err, errlen);
    if (strcmp(key, "trusted-proxy") == 0)
        return set_proxy(c, value, err, errlen);
    if (strcmp(key, "proc-user") == 0)
        return copy_str(c->proc_user, sizeof(c->proc_user), value, err, errlen);
    if (strcmp(key, "proc-group") == 0)
        return copy_str(c->proc_group, sizeof(c->proc_group), value, err, errlen);
    snprintf(err, errlen, "unknown key");
    return -1;
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
          "keys (in FILE as \"key = value\", or as --key=value):\n"
          "  listen HOST:PORT            HTTP(S) address (127.0.0.1:8080)\n"
          "  metrics-listen HOST:PORT    plain HTTP for /metrics and /healthz, for the\n"
          "                              operator only (off: /metrics is served nowhere)\n"
          "  tls-cert FILE, tls-key FILE serve HTTPS with this PEM certificate and key\n"
          "  redis HOST:PORT|/PATH       Redis server (127.0.0.1:6379)\n"
          "  redis-timeout-ms N          connect and command timeout (200)\n"
          "  relay URI                   turn:/turns: URI handed to clients when no relay\n"
          "                              fleet is announced in Redis; repeatable\n"
          "  auth-secret-file FILE       TURN REST secrets shared with umbra-relay\n"
          "  policy FILE                 policy file; repeatable\n"
          "  broker-key-file FILE        64 hex digits: the key behind pseudonyms and hashes\n"
          "  credential-ttl S            TURN credential lifetime (300)\n"
          "  call-ttl S                  lifetime of a call's state (3600)\n"
          "  identity-ttl S              lifetime of an unused identity (2592000)\n"
          "  fingerprint-retention S     how long seen DTLS fingerprints are refused (86400)\n"
          "  max-body BYTES              largest request body (65536)\n"
          "  long-poll-timeout S         longest wait of an events request (25)\n"
          "  dtls-pool N                 DTLS identities generated ahead (64; 0 = inline)\n"
          "  log-level LEVEL             error, warn, info or debug (info)\n"
          "  web-root DIR                serve the demo page from DIR at /demo/ (off)\n"
          "  fleet-cache-ms MS           reuse the relay fleet read from Redis this long\n"
          "                              (1000; 0 = static relay URIs only)\n"
          "  client-connections N        open connections per client address (64; 0 = any)\n"
          "  client-rate N               requests per second per client address (100; 0 = any)\n"
          "  client-burst N              requests a client may send at once (200)\n"
          "  client-table N              client addresses tracked at once (16384)\n"
          "  trusted-proxy IP            a proxy whose X-Forwarded-For names the client;\n"
          "                              repeatable (none)\n"
          "  redis-sentinel HOST:PORT[,HOST:PORT...]  find the Redis master through these\n"
          "                              sentinels (repeatable; replaces redis)\n"
          "  redis-master-name NAME      the master's name known to the sentinels\n"
          "  proc-user USER              started as root: run as USER once listening (off)\n"
          "  proc-group GROUP            with proc-user: run with this group (USER's own)\n",
          out);
}
