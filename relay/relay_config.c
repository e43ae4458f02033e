/* relay_config: see relay_config.h. */
#include "relay_config.h"

#include "conf.h"
#include "conf_table.h"

#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void relay_config_init(struct relay_config *c)
{
    char err[256];
    memset(c, 0, sizeof(*c));
    if (conf_table_defaults(relay_config_keys, c, err, sizeof(err)) != 0) {
        /* The defaults are constants of the table, checked by its tests. */
        fprintf(stderr, "umbra-relay: %s\n", err);
        abort();
    }
    c->listen_set = false;
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

/* REALM (RFC 8489 §14.9): fewer than 128 characters of UTF-8, at most 763
 * bytes; the relay sends it in every challenge and checks what clients
 * send back with the same limit (stun_attr_text), so a longer one would
 * lock every client out. */
#define RELAY_CONFIG_REALM_CHARS 127
#define RELAY_CONFIG_REALM_BYTES 763

static int set_realm(void *ctx, const struct conf_key *k, const char *value, char *err,
                     size_t errlen)
{
    struct relay_config *c = ctx;
    size_t bytes = strlen(value), chars = 0;
    (void)k;
    for (size_t i = 0; i < bytes; i++)
        if (((unsigned char)value[i] & 0xC0) != 0x80) /* not a UTF-8 continuation byte */
            chars++;
    if (chars > RELAY_CONFIG_REALM_CHARS || bytes > RELAY_CONFIG_REALM_BYTES) {
        snprintf(err, errlen, "at most %d characters (%d bytes of UTF-8)", RELAY_CONFIG_REALM_CHARS,
                 RELAY_CONFIG_REALM_BYTES);
        return -1;
    }
    return conf_set_strdup(&c->realm, value, err, errlen);
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

static int add_user(void *ctx, const struct conf_key *k, const char *value, char *err,
                    size_t errlen)
{
    struct relay_config *c = ctx;
    const char *colon = strchr(value, ':');
    size_t nlen = colon != NULL ? (size_t)(colon - value) : 0;
    struct auth_static_user *u;
    (void)k;
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

static int set_redis(void *ctx, const struct conf_key *k, const char *value, char *err,
                     size_t errlen)
{
    struct relay_config *c = ctx;
    const char *colon = strrchr(value, ':');
    uint64_t port;
    char host[256];
    size_t hlen;
    (void)k;
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
    return conf_set_strdup(&c->redis_host, host, err, errlen);
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
    return conf_set_strdup(slot, value, err, errlen);
}

static int add_public_uri(void *ctx, const struct conf_key *k, const char *value, char *err,
                          size_t errlen)
{
    struct relay_config *c = ctx;
    (void)k;
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
    if (conf_set_strdup(&c->public_uris[c->n_public_uris], value, err, errlen) != 0)
        return -1;
    c->n_public_uris++;
    return 0;
}

static int set_listen(void *ctx, const struct conf_key *k, const char *value, char *err,
                      size_t errlen)
{
    struct relay_config *c = ctx;
    (void)k;
    return add_addr(c->listen, &c->n_listen, &c->listen_set, value, 0, true, err, errlen);
}

static int set_tls_listen(void *ctx, const struct conf_key *k, const char *value, char *err,
                          size_t errlen)
{
    struct relay_config *c = ctx;
    (void)k;
    return add_addr(c->tls_listen, &c->n_tls_listen, &c->tls_listen_set, value,
                    RELAY_DEFAULT_TLS_PORT, true, err, errlen);
}

static int set_relay_address(void *ctx, const struct conf_key *k, const char *value, char *err,
                             size_t errlen)
{
    struct relay_config *c = ctx;
    (void)k;
    if (add_addr(c->relay, &c->n_relay, &c->relay_set, value, 0, false, err, errlen) != 0)
        return -1;
    if (addr_scope_of(&c->relay[c->n_relay - 1]) == ADDR_SCOPE_UNSPECIFIED) {
        c->n_relay--;
        snprintf(err, errlen, "must be a specific address, not a wildcard");
        return -1;
    }
    return 0;
}

static int set_relay_ports(void *ctx, const struct conf_key *k, const char *value, char *err,
                           size_t errlen)
{
    struct relay_config *c = ctx;
    (void)k;
    return conf_parse_port_range(value, &c->relay_port_low, &c->relay_port_high, err, errlen);
}

static int set_metrics_listen(void *ctx, const struct conf_key *k, const char *value, char *err,
                              size_t errlen)
{
    struct relay_config *c = ctx;
    size_t one = 0;
    (void)k;
    if (add_addr(&c->metrics_listen, &one, NULL, value, 0, true, err, errlen) != 0)
        return -1;
    c->has_metrics = true;
    return 0;
}

static int set_relay_id(void *ctx, const struct conf_key *k, const char *value, char *err,
                        size_t errlen)
{
    (void)k;
    return set_label(&((struct relay_config *)ctx)->relay_id, value, err, errlen);
}

static int set_operator(void *ctx, const struct conf_key *k, const char *value, char *err,
                        size_t errlen)
{
    (void)k;
    return set_label(&((struct relay_config *)ctx)->operator_label, value, err, errlen);
}

static int add_fleet_net(void *ctx, const struct conf_key *k, const char *value, char *err,
                         size_t errlen)
{
    struct relay_config *c = ctx;
    (void)k;
    if (!c->fleet_nets_set) {
        c->n_fleet_nets = 0;
        c->fleet_nets_set = true;
    }
    if (c->n_fleet_nets == FLEET_NET_MAX) {
        snprintf(err, errlen, "at most %d prefixes", FLEET_NET_MAX);
        return -1;
    }
    if (fleet_net_parse(value, &c->fleet_nets[c->n_fleet_nets], err, errlen) != 0)
        return -1;
    c->n_fleet_nets++;
    return 0;
}

static int set_sentinels(void *ctx, const struct conf_key *k, const char *value, char *err,
                         size_t errlen)
{
    struct relay_config *c = ctx;
    (void)k;
    if (!c->redis_sentinel_set)
        c->redis_sentinels.n = 0;
    c->redis_sentinel_set = true;
    return redis_target_add_sentinels(&c->redis_sentinels, value, err, errlen);
}

static int set_master_name(void *ctx, const struct conf_key *k, const char *value, char *err,
                           size_t errlen)
{
    (void)k;
    return redis_target_set_name(&((struct relay_config *)ctx)->redis_sentinels, value, err,
                                 errlen);
}

static const struct conf_name mapped_names[] = {
    {"real", RELAY_MAPPED_REAL, false},
    {"omit", RELAY_MAPPED_OMIT, false},
    {NULL, 0, false},
};

#define R(field) CONF_FIELD(struct relay_config, field)
#define CUSTOM(fn) .type = CONF_T_CUSTOM, .parse = (fn)
#define UINT(field, lo, hi) .type = CONF_T_UINT, R(field), .min = (lo), .max = (hi)
#define BOOL(field) .type = CONF_T_BOOL, R(field)
#define STRDUP(field) .type = CONF_T_STRDUP, R(field)

/* Every key, in the order of contrib/umbra-relay.conf and umbra-relay(8). */
const struct conf_key relay_config_keys[] = {
    {"listen", CUSTOM(set_listen), .flags = CONF_REPEAT, .arg = "IP:PORT", .def = "0.0.0.0:3478",
     .help = "TURN over UDP and TCP, at most 8."},
    {"tls-listen", CUSTOM(set_tls_listen), .flags = CONF_REPEAT, .arg = "IP[:PORT]",
     .help = "TURN over TLS, port 5349 if left out, at most 8 (with tls-cert: the listen IPs at "
             "5349)."},
    {"tls-cert", STRDUP(tls_cert), .arg = "FILE", .help = "PEM certificate chain for TLS."},
    {"tls-key", STRDUP(tls_key), .arg = "FILE", .help = "PEM private key for TLS."},
    {"relay-address", CUSTOM(set_relay_address), .flags = CONF_REPEAT, .arg = "IP",
     .help = "IP of relayed addresses, one per family, never a wildcard (the listen IPs when "
             "they are not wildcards)."},
    {"relay-ports", CUSTOM(set_relay_ports), .arg = "LOW-HIGH", .def = "49152-65535",
     .help = "UDP ports of relayed addresses."},
    {"realm", CUSTOM(set_realm), .arg = "TEXT", .def = "umbra",
     .help = "REALM of the long-term credentials, at most 127 characters."},
    {"auth-secret-file", STRDUP(auth_secret_file), .arg = "FILE",
     .help = "TURN REST secrets, one per line; re-read on SIGHUP."},
    {"user", CUSTOM(add_user), .flags = CONF_REPEAT, .arg = "NAME:PASSWORD",
     .help = "A static user, for tests, at most 64."},
    {"threads", UINT(threads, 0, 256), .arg = "N", .def = "0",
     .help = "Worker threads; 0: one per core."},
    {"metrics-listen", CUSTOM(set_metrics_listen), .arg = "IP:PORT",
     .help = "Prometheus metrics at /metrics (off when unset)."},
    {"log-level", .type = CONF_T_ENUM, R(log_level), .names = conf_log_levels, .flags = CONF_NOCASE,
     .arg = "LEVEL", .def = "info", .help = "error, warn, info or debug."},
    {"relay-only-peers", BOOL(relay_only_peers), .arg = "yes|no", .def = "yes",
     .help = "Peers must be relayed addresses of live allocations."},
    {"stun-binding", BOOL(stun_binding), .arg = "yes|no", .def = "no",
     .help = "Answer STUN Binding requests (else 403)."},
    {"mapped-address", .type = CONF_T_ENUM, R(mapped_address), .names = mapped_names,
     .arg = "real|omit", .def = "real", .help = "XOR-MAPPED-ADDRESS in Allocate responses."},
    {"strict-expiry", BOOL(strict_expiry), .arg = "yes|no", .def = "no",
     .help = "End an allocation when its REST credential expires."},
    {"udp-gso", BOOL(udp_gso), .arg = "yes|no", .def = "yes",
     .help = "Send runs of equal datagrams as one UDP GSO message."},
    {"redis", CUSTOM(set_redis), .arg = "HOST:PORT",
     .help = "Redis for revocations and the fleet (off when unset)."},
    {"user-quota", UINT(user_quota, 0, 100000), .arg = "N", .def = "0",
     .help = "Live allocations per username; 0: no limit."},
    {"revoke-hold", UINT(revoke_hold_s, 1, 30 * 86400), .arg = "SECONDS", .def = "86400",
     .help = "How long a revoked call id stays refused."},
    {"nonce-lifetime", UINT(nonce_lifetime_s, 1, 86400), .arg = "SECONDS", .def = "600",
     .help = "How long a NONCE stays valid."},
    {"relay-id", CUSTOM(set_relay_id), .arg = "ID",
     .help = "This relay's name in the fleet, 1-64 of A-Z a-z 0-9 . _ : - (default: host name "
             "and first relay-address)."},
    {"operator", CUSTOM(set_operator), .arg = "LABEL",
     .help = "Who runs this relay, same alphabet (default: default)."},
    {"public-uri", CUSTOM(add_public_uri), .flags = CONF_REPEAT, .arg = "URI",
     .help = "turn: or turns: URI clients should use, at most 8 (default: from the listen "
             "addresses)."},
    {"fleet-refresh", UINT(fleet_refresh_s, 1, 3600), .arg = "SECONDS", .def = "2",
     .help = "How often the fleet entry is written."},
    {"fleet-ttl", UINT(fleet_ttl_s, 2, 86400), .arg = "SECONDS", .def = "6",
     .help = "How long the fleet entry lives; longer than fleet-refresh."},
    {"fleet-networks", CUSTOM(add_fleet_net), .flags = CONF_REPEAT, .arg = "IP/BITS",
     .help = "Networks other relays' announced ranges must lie in, at most 16; loopback or "
             "private space only by a prefix of that space (none: no other relay is a peer)."},
    {"max-allocations", UINT(max_allocations, 0, 1000000), .arg = "N", .def = "0",
     .help = "Live allocations on the relay; 0: no limit."},
    {"call-quota", UINT(call_quota, 0, 100000), .arg = "N", .def = "0",
     .help = "Live allocations per REST call id; 0: no limit."},
    {"max-permissions", UINT(max_permissions, 1, 10000), .arg = "N", .def = "64",
     .help = "Permissions per allocation."},
    {"max-channels", UINT(max_channels, 1, 16384), .arg = "N", .def = "64",
     .help = "Channel bindings per allocation, cooldown included."},
    {"bandwidth-limit", UINT(bandwidth, 0, 10000000000ull), .arg = "BYTES_PER_SECOND", .def = "0",
     .help = "Relayed bytes/s per allocation and direction; 0: no cap."},
    {"bandwidth-burst", UINT(bandwidth_burst, 0, 10000000000ull), .arg = "BYTES", .def = "0",
     .help = "What the bandwidth bucket saves up; 0: one second of bandwidth-limit."},
    {"unauth-rate", UINT(unauth_rate, 0, 1000000), .arg = "N", .def = "50",
     .help = "Unauthenticated answers/s per source and worker; 0: off."},
    {"unauth-burst", UINT(unauth_burst, 1, 1000000), .arg = "N", .def = "200",
     .help = "Such requests a source may send at once."},
    {"unauth-sources", UINT(unauth_sources, 64, 16777216), .arg = "N", .def = "16384",
     .help = "Sources each worker keeps a bucket for."},
    {"udp-rcvbuf", UINT(udp_rcvbuf, 65536, 1 << 30), .arg = "BYTES", .def = "4194304",
     .help = "SO_RCVBUF of the listening UDP sockets."},
    {"redis-sentinel", CUSTOM(set_sentinels), .flags = CONF_REPEAT,
     .arg = "HOST:PORT[,HOST:PORT...]",
     .help = "Find the Redis master through these sentinels instead of redis."},
    {"redis-master-name", CUSTOM(set_master_name), .arg = "NAME",
     .help = "The master's name known to the sentinels."},
    {"proc-user", STRDUP(proc_user), .arg = "USER",
     .help = "Started as root: run as USER once the sockets are bound (off)."},
    {"proc-group", STRDUP(proc_group), .arg = "GROUP",
     .help = "With proc-user: run with this group (USER's own)."},
    {.name = NULL},
};

int relay_config_set(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
    return conf_table_set(relay_config_keys, ctx, key, value, err, errlen);
}

void relay_config_usage(FILE *out)
{
    fputs("keys (in FILE as \"key = value\", or as --key=value):\n", out);
    conf_table_usage(relay_config_keys, "", out);
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
    if (conf_set_strdup(&c->public_uris[c->n_public_uris], uri, err, errlen) != 0)
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
    if (c->operator_label == NULL &&
        conf_set_strdup(&c->operator_label, "default", err, errlen) != 0)
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
    c->fleet_nets_set = false;
    c->redis_sentinel_set = false;
    if (conf_load_args(argc, argv, relay_config_set, c, err, errlen) != 0)
        return -1;
    return relay_config_finish(c, err, errlen);
}
