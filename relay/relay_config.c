/* relay_config: see relay_config.h. */
#include "relay_config.h"

#include "conf.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
}

void relay_config_free(struct relay_config *c)
{
    free(c->tls_cert);
    free(c->tls_key);
    free(c->realm);
    free(c->auth_secret_file);
    free(c->redis_host);
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
        return set_string(&c->realm, value, err, errlen);
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
    if (strcmp(key, "proc-user") == 0)
        return set_string(&c->proc_user, value, err, errlen);
    if (strcmp(key, "proc-group") == 0)
        return set_string(&c->proc_group, value, err, errlen);
    snprintf(err, errlen, "unknown key");
    return -1;
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
    if (c->auth_secret_file == NULL && c->n_users == 0) {
        snprintf(err, errlen, "no credentials: set auth-secret-file or user");
        return -1;
    }
    return 0;
}

int relay_config_load(struct relay_config *c, int argc, char **argv, char *err, size_t errlen)
{
    const char *path = conf_config_path(argc, argv);
    if (path != NULL && conf_load_file(path, relay_config_set, c, err, errlen) != 0)
        return -1;
    c->users_from_file = c->n_users > 0;
    c->listen_set = c->tls_listen_set = c->relay_set = c->users_set = false;
    if (conf_load_args(argc, argv, relay_config_set, c, err, errlen) != 0)
        return -1;
    return relay_config_finish(c, err, errlen);
}
