/* relay_config: see relay_config.h. */
#include "relay_config.h"

#include "conf.h"

#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void relay_config_init(struct relay_config *c)
{
    memset(c, 0, sizeof(*c));
    addr_parse(&c->listen[0], "0.0.0.0", RELAY_DEFAULT_PORT);
    c->n_listen = 1;
    c->relay_port_low = 49152;
    c->relay_port_high = 65535;
    c->log_level = LOG_LEVEL_INFO;
    c->relay_only_peers = true;
    c->stun_binding = false;
    c->mapped_address = RELAY_MAPPED_REAL;
    c->strict_expiry = false;
    c->udp_gso = true;
    c->revoke_hold_s = 86400;
    c->nonce_lifetime_s = 600;
    c->fleet_refresh_s = 2;
    c->fleet_ttl_s = 6;
    c->max_permissions = 64;
    c->max_channels = 64;
    c->unauth_rate = 50;
    c->unauth_burst = 200;
    c->unauth_sources = 16384;
    c->udp_rcvbuf = 4 << 20;
}

void relay_config_free(struct relay_config *c)
{
    free(c->tls_cert);
    free(c->tls_key);
    free(c->realm);
    free(c->auth_secret_file);
    free(c->redis_host);
    free(c->relay_id);
    free(c->operator_label);
    for (size_t i = 0; i < c->n_public_uris; i++)
        free(c->public_uris[i]);
    free(c->proc_user);
    free(c->proc_group);
    sodium_free(c->users); /* wipes */
    memset(c, 0, sizeof(*c));
}

static int set_string(char **slot, const char *value, char *err, size_t errlen)
{
    char *copy;
    if (value[0] == '\0') {
        snprintf(err, errlen, "empty value");
        return -1;
    }
    copy = strdup(value);
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    free(*slot);
    *slot = copy;
    return 0;
}

/* REALM (RFC 8489 §14.9): fewer than 128 characters of UTF-8, at most 763
 * bytes; the relay sends it in every challenge and checks what clients
 * send back with the same limit (stun_attr_text), so a longer one would
 * lock every client out. */
#define RELAY_CONFIG_REALM_CHARS 127
#define RELAY_CONFIG_REALM_BYTES 763

static int set_realm(struct relay_config *c, const char *value, char *err, size_t errlen)
{
    size_t bytes = strlen(value), chars = 0;
    for (size_t i = 0; i < bytes; i++)
        if (((unsigned char)value[i] & 0xC0) != 0x80) /* not a UTF-8 continuation byte */
            chars++;
    if (chars > RELAY_CONFIG_REALM_CHARS || bytes > RELAY_CONFIG_REALM_BYTES) {
        snprintf(err, errlen, "at most %d characters (%d bytes of UTF-8)", RELAY_CONFIG_REALM_CHARS,
                 RELAY_CONFIG_REALM_BYTES);
        return -1;
    }
    return set_string(&c->realm, value, err, errlen);
}

static int add_addr(struct umbra_addr *list, size_t *n, bool *replaced, const char *value,
                    uint16_t default_port, bool need_port, char *err, size_t errlen)
{
    struct umbra_addr a;
    if (addr_parse(&a, value, default_port) != 0 || (need_port && addr_port(&a) == 0)) {
        snprintf(err, errlen, "expected an IP address%s, got \"%.64s\"",
                 need_port ? " with :PORT" : "", value);
        return -1;
    }
    if (replaced != NULL && !*replaced) {
        *n = 0;
        *replaced = true;
    }
    if (*n >= RELAY_CONFIG_MAX_LISTEN) {
        snprintf(err, errlen, "at most %d addresses", RELAY_CONFIG_MAX_LISTEN);
        return -1;
    }
    list[(*n)++] = a;
    return 0;
}

static int add_user(struct relay_config *c, const char *value, char *err, size_t errlen)
{
    const char *colon = strchr(value, ':');
    size_t nlen = colon != NULL ? (size_t)(colon - value) : 0;
    struct auth_static_user *u;
    if (colon == NULL || nlen == 0 || colon[1] == '\0') {
        snprintf(err, errlen, "expected NAME:PASSWORD");
        return -1;
    }
    if (nlen >= sizeof(u->name) || strlen(colon + 1) >= sizeof(u->password)) {
        snprintf(err, errlen, "name or password too long");
        return -1;
    }
    if (c->users == NULL) {
        /* sodium_allocarray needs sodium_init(), which may run more than once. */
        if (sodium_init() >= 0)
            c->users = sodium_allocarray(RELAY_CONFIG_MAX_USERS, sizeof(*c->users));
        if (c->users == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        sodium_memzero(c->users, RELAY_CONFIG_MAX_USERS * sizeof(*c->users));
    }
    if (!c->users_set) {
        sodium_memzero(c->users, RELAY_CONFIG_MAX_USERS * sizeof(*c->users));
        c->n_users = 0;
        c->users_set = true;
    }
    if (c->n_users >= RELAY_CONFIG_MAX_USERS) {
        snprintf(err, errlen, "at most %d users", RELAY_CONFIG_MAX_USERS);
        return -1;
    }
    u = &c->users[c->n_users++];
    memcpy(u->name, value, nlen);
    u->name[nlen] = '\0';
    strcpy(u->password, colon + 1);
    return 0;
}

/* The keys of limits and flood resistance: each an unsigned number in a
 * range. */
struct limit_key {
    const char *name;
    uint64_t min, max;
    size_t offset;
    bool wide; /* uint64_t member, else unsigned */
};

static const struct limit_key limit_keys[] = {
    {"max-allocations", 0, 1000000, offsetof(struct relay_config, max_allocations), false},
    {"call-quota", 0, 100000, offsetof(struct relay_config, call_quota), false},
    {"max-permissions", 1, 10000, offsetof(struct relay_config, max_permissions), false},
    {"max-channels", 1, 16384, offsetof(struct relay_config, max_channels), false},
    {"bandwidth-limit", 0, 10000000000ull, offsetof(struct relay_config, bandwidth), true},
    {"bandwidth-burst", 0, 10000000000ull, offsetof(struct relay_config, bandwidth_burst), true},
    {"unauth-rate", 0, 1000000, offsetof(struct relay_config, unauth_rate), false},
    {"unauth-burst", 1, 1000000, offsetof(struct relay_config, unauth_burst), false},
    {"unauth-sources", 64, 16777216, offsetof(struct relay_config, unauth_sources), false},
    {"udp-rcvbuf", 65536, 1 << 30, offsetof(struct relay_config, udp_rcvbuf), false},
};

static int set_limit(struct relay_config *c, const char *key, const char *value, char *err,
                     size_t errlen)
{
    for (size_t i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++) {
        const struct limit_key *k = &limit_keys[i];
        uint64_t n;
        if (strcmp(key, k->name) != 0)
            continue;
        if (conf_parse_uint(value, k->min, k->max, &n, err, errlen) != 0)
            return -1;
        if (k->wide)
            *(uint64_t *)(void *)((char *)c + k->offset) = n;
        else
            *(unsigned *)(void *)((char *)c + k->offset) = (unsigned)n;
        return 0;
    }
    snprintf(err, errlen, "unknown key");
    return -1;
}

static int set_redis(struct relay_config *c, const char *value, char *err, size_t errlen)
{
    const char *colon = strrchr(value, ':');
    uint64_t port;
    char host[256];
    size_t hlen;
    if (colon == NULL || colon == value) {
        snprintf(err, errlen, "expected HOST:PORT, got \"%.64s\"", value);
        return -1;
    }
    hlen = (size_t)(colon - value);
    if (hlen >= sizeof(host)) {
        snprintf(err, errlen, "host name too long");
        return -1;
    }
    if (conf_parse_uint(colon + 1, 1, 65535, &port, err, errlen) != 0)
        return -1;
    memcpy(host, value, hlen);
    host[hlen] = '\0';
    c->redis_port = (uint16_t)port;
    return set_string(&c->redis_host, host, err, errlen);
}

/* relay-id and operator: they name Redis keys and travel in pub/sub
 * messages separated by a space, so a small safe alphabet. */
static int set_label(char **slot, const char *value, char *err, size_t errlen)
{
    size_t n = strlen(value);
    if (n == 0 || n > RELAY_CONFIG_LABEL_MAX ||
        strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") != n) {
        snprintf(err, errlen, "expected 1 to %d of A-Z a-z 0-9 . _ : -", RELAY_CONFIG_LABEL_MAX);
        return -1;
    }
    return set_string(slot, value, err, errlen);
}

static int add_public_uri(struct relay_config *c, const char *value, char *err, size_t errlen)
{
    if (strncmp(value, "turn:", 5) != 0 && strncmp(value, "turns:", 6) != 0) {
        snprintf(err, errlen, "expected a turn: or turns: URI");
        return -1;
    }
    if (strlen(value) >= RELAY_CONFIG_URI_MAX || strpbrk(value, " \t\"\\") != NULL) {
        snprintf(err, errlen, "URI too long, or holds a space, quote or backslash");
        return -1;
    }
    if (!c->public_uris_set) {
        for (size_t i = 0; i < c->n_public_uris; i++)
            free(c->public_uris[i]);
        c->n_public_uris = 0;
        c->public_uris_set = true;
    }
    if (c->n_public_uris == RELAY_CONFIG_MAX_URIS) {
        snprintf(err, errlen, "at most %d URIs", RELAY_CONFIG_MAX_URIS);
        return -1;
    }
    c->public_uris[c->n_public_uris] = NULL;
    if (set_string(&c->public_uris[c->n_public_uris], value, err, errlen) != 0)
        return -1;
    c->n_public_uris++;
    return 0;
}

int relay_config_set(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
    struct relay_config *c = ctx;
    uint64_t n;

    if (strcmp(key, "listen") == 0)
        return add_addr(c->listen, &c->n_listen, &c->listen_set, value, 0, true, err, errlen);
    if (strcmp(key, "tls-listen") == 0)
        return add_addr(c->tls_listen, &c->n_tls_listen, &c->tls_listen_set, value,
                        RELAY_DEFAULT_TLS_PORT, true, err, errlen);
    if (strcmp(key, "tls-cert") == 0)
        return set_string(&c->tls_cert, value, err, errlen);
    if (strcmp(key, "tls-key") == 0)
        return set_string(&c->tls_key, value, err, errlen);
    if (strcmp(key, "relay-address") == 0) {
        if (add_addr(c->relay, &c->n_relay, &c->relay_set, value, 0, false, err, errlen) != 0)
            return -1;
        if (addr_scope_of(&c->relay[c->n_relay - 1]) == ADDR_SCOPE_UNSPECIFIED) {
            c->n_relay--;
            snprintf(err, errlen, "must be a specific address, not a wildcard");
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "relay-ports") == 0)
        return conf_parse_port_range(value, &c->relay_port_low, &c->relay_port_high, err, errlen);
    if (strcmp(key, "realm") == 0)
        return set_realm(c, value, err, errlen);
    if (strcmp(key, "auth-secret-file") == 0)
        return set_string(&c->auth_secret_file, value, err, errlen);
    if (strcmp(key, "user") == 0)
        return add_user(c, value, err, errlen);
    if (strcmp(key, "threads") == 0) {
        if (conf_parse_uint(value, 0, 256, &n, err, errlen) != 0)
            return -1;
        c->threads = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "metrics-listen") == 0) {
        size_t one = 0;
        if (add_addr(&c->metrics_listen, &one, NULL, value, 0, true, err, errlen) != 0)
            return -1;
        c->has_metrics = true;
        return 0;
    }
    if (strcmp(key, "log-level") == 0) {
        if (log_level_parse(value, &c->log_level) != 0) {
            snprintf(err, errlen, "expected error, warn, info or debug");
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "relay-only-peers") == 0)
        return conf_parse_bool(value, &c->relay_only_peers, err, errlen);
    if (strcmp(key, "stun-binding") == 0)
        return conf_parse_bool(value, &c->stun_binding, err, errlen);
    if (strcmp(key, "strict-expiry") == 0)
        return conf_parse_bool(value, &c->strict_expiry, err, errlen);
    if (strcmp(key, "udp-gso") == 0)
        return conf_parse_bool(value, &c->udp_gso, err, errlen);
    if (strcmp(key, "mapped-address") == 0) {
        if (strcmp(value, "real") == 0)
            c->mapped_address = RELAY_MAPPED_REAL;
        else if (strcmp(value, "omit") == 0)
            c->mapped_address = RELAY_MAPPED_OMIT;
        else {
            snprintf(err, errlen, "expected real or omit");
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "redis") == 0)
        return set_redis(c, value, err, errlen);
    if (strcmp(key, "user-quota") == 0) {
        if (conf_parse_uint(value, 0, 100000, &n, err, errlen) != 0)
            return -1;
        c->user_quota = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "nonce-lifetime") == 0) {
        if (conf_parse_uint(value, 1, 86400, &n, err, errlen) != 0)
            return -1;
        c->nonce_lifetime_s = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "revoke-hold") == 0) {
        if (conf_parse_uint(value, 1, 30 * 86400, &n, err, errlen) != 0)
            return -1;
        c->revoke_hold_s = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "relay-id") == 0)
        return set_label(&c->relay_id, value, err, errlen);
    if (strcmp(key, "operator") == 0)
        return set_label(&c->operator_label, value, err, errlen);
    if (strcmp(key, "public-uri") == 0)
        return add_public_uri(c, value, err, errlen);
    if (strcmp(key, "fleet-refresh") == 0) {
        if (conf_parse_uint(value, 1, 3600, &n, err, errlen) != 0)
            return -1;
        c->fleet_refresh_s = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "fleet-ttl") == 0) {
        if (conf_parse_uint(value, 2, 86400, &n, err, errlen) != 0)
            return -1;
        c->fleet_ttl_s = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "redis-sentinel") == 0) {
        if (!c->redis_sentinel_set)
            c->redis_sentinels.n = 0;
        c->redis_sentinel_set = true;
        return redis_target_add_sentinels(&c->redis_sentinels, value, err, errlen);
    }
    if (strcmp(key, "redis-master-name") == 0)
        return redis_target_set_name(&c->redis_sentinels, value, err, errlen);
    if (strcmp(key, "proc-user") == 0)
        return set_string(&c->proc_user, value, err, errlen);
    if (strcmp(key, "proc-group") == 0)
        return set_string(&c->proc_group, value, err, errlen);
    return set_limit(c, key, value, err, errlen);
}

/* "turn:IP:PORT?transport=udp|tcp" or "turns:...tcp" for one listen
 * address; IPv6 in brackets. */
static int derive_uri(struct relay_config *c, const char *scheme, const struct umbra_addr *a,
                      const char *transport, char *err, size_t errlen)
{
    char ip[ADDR_TEXT_MAX], uri[RELAY_CONFIG_URI_MAX];
    bool v6 = addr_family(a) == AF_INET6;
    if (c->n_public_uris == RELAY_CONFIG_MAX_URIS)
        return 0;
    addr_format_ip(a, ip, sizeof(ip));
    snprintf(uri, sizeof(uri), "%s:%s%s%s:%u?transport=%s", scheme, v6 ? "[" : "", ip,
             v6 ? "]" : "", (unsigned)addr_port(a), transport);
    c->public_uris[c->n_public_uris] = NULL;
    if (set_string(&c->public_uris[c->n_public_uris], uri, err, errlen) != 0)
        return -1;
    c->n_public_uris++;
    return 0;
}

/* With redis the relay announces itself: an id (hostname and first relayed
 * IP unless given), an operator label ("default"), and the URIs clients
 * should use (from the listen addresses that are not wildcards). */
static int finish_fleet(struct relay_config *c, char *err, size_t errlen)
{
    char host[128], ip[ADDR_TEXT_MAX], id[RELAY_CONFIG_LABEL_MAX + 1];
    if (c->fleet_ttl_s <= c->fleet_refresh_s) {
        snprintf(err, errlen, "fleet-ttl must be longer than fleet-refresh");
        return -1;
    }
    if (c->relay_id == NULL) {
        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "relay");
        host[sizeof(host) - 1] = '\0';
        host[strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")] =
            '\0';
        addr_format_ip(&c->relay[0], ip, sizeof(ip));
        snprintf(id, sizeof(id), "%.20s-%.40s", host[0] != '\0' ? host : "relay", ip);
        if (set_label(&c->relay_id, id, err, errlen) != 0) {
            snprintf(err, errlen, "relay-id: cannot derive one from the host name; set it");
            return -1;
        }
    }
    if (c->operator_label == NULL && set_string(&c->operator_label, "default", err, errlen) != 0)
        return -1;
    if (c->n_public_uris > 0)
        return 0;
    for (size_t i = 0; i < c->n_listen; i++) {
        if (addr_scope_of(&c->listen[i]) == ADDR_SCOPE_UNSPECIFIED)
            continue;
        if (derive_uri(c, "turn", &c->listen[i], "udp", err, errlen) != 0 ||
            derive_uri(c, "turn", &c->listen[i], "tcp", err, errlen) != 0)
            return -1;
    }
    for (size_t i = 0; i < c->n_tls_listen; i++)
        if (addr_scope_of(&c->tls_listen[i]) != ADDR_SCOPE_UNSPECIFIED &&
            derive_uri(c, "turns", &c->tls_listen[i], "tcp", err, errlen) != 0)
            return -1;
    return 0;
}

int relay_config_finish(struct relay_config *c, char *err, size_t errlen)
{
    if (c->realm == NULL && set_string(&c->realm, "umbra", err, errlen) != 0)
        return -1;
    if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
        snprintf(err, errlen, "tls-cert and tls-key go together");
        return -1;
    }
    if (c->n_tls_listen > 0 && c->tls_cert == NULL) {
        snprintf(err, errlen, "tls-listen needs tls-cert and tls-key");
        return -1;
    }
    if (c->tls_cert != NULL && c->n_tls_listen == 0) {
        /* TLS on the listen addresses' IPs, port 5349. */
        for (size_t i = 0; i < c->n_listen; i++) {
            c->tls_listen[i] = c->listen[i];
            addr_set_port(&c->tls_listen[i], RELAY_DEFAULT_TLS_PORT);
        }
        c->n_tls_listen = c->n_listen;
    }
    if (c->n_relay == 0) {
        /* Without relay-address, a listen address that is not a wildcard
         * serves as relayed address too. */
        for (size_t i = 0; i < c->n_listen; i++) {
            if (addr_scope_of(&c->listen[i]) == ADDR_SCOPE_UNSPECIFIED)
                continue;
            c->relay[c->n_relay] = c->listen[i];
            addr_set_port(&c->relay[c->n_relay], 0);
            c->n_relay++;
        }
        if (c->n_relay == 0) {
            snprintf(err, errlen, "relay-address is needed when listen is a wildcard");
            return -1;
        }
    }
    if (relay_config_uses_redis(c) && finish_fleet(c, err, errlen) != 0)
        return -1;
    if (c->bandwidth > 0 && c->bandwidth_burst == 0)
        c->bandwidth_burst = c->bandwidth < 65535 ? 65535 : c->bandwidth;
    if (c->bandwidth > 0 && c->bandwidth_burst < 1500) {
        /* A datagram larger than the burst could never pass. */
        snprintf(err, errlen, "bandwidth-burst must be at least 1500 bytes");
        return -1;
    }
    if (c->auth_secret_file == NULL && c->n_users == 0) {
        snprintf(err, errlen, "no credentials: set auth-secret-file or user");
        return -1;
    }
    return redis_target_check(&c->redis_sentinels, err, errlen);
}

int relay_config_load(struct relay_config *c, int argc, char **argv, char *err, size_t errlen)
{
    const char *path = conf_config_path(argc, argv);
    if (path != NULL && conf_load_file(path, relay_config_set, c, err, errlen) != 0)
        return -1;
    c->users_from_file = c->n_users > 0;
    c->listen_set = c->tls_listen_set = c->relay_set = c->users_set = false;
    c->public_uris_set = false;
    c->redis_sentinel_set = false;
    if (conf_load_args(argc, argv, relay_config_set, c, err, errlen) != 0)
        return -1;
    return relay_config_finish(c, err, errlen);
}
