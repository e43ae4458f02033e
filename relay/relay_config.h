/* relay_config: umbra-relay's settings, from a file (-c FILE) and --key=value
 * flags (common/conf.h), with defaults, validated as a whole by
 * relay_config_finish(). contrib/umbra-relay.conf documents every key.
 *
 * A relay_config owns its strings and passwords; the passwords live in
 * memory from sodium_malloc (locked, left out of core dumps) and
 * relay_config_free() wipes them. After finish() it is read-only and shared
 * by all threads. */
#ifndef UMBRA_RELAY_CONFIG_H
#define UMBRA_RELAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "log.h"
#include "stun_auth.h"

#define RELAY_CONFIG_MAX_LISTEN 8
#define RELAY_CONFIG_MAX_USERS 64
#define RELAY_DEFAULT_PORT 3478
#define RELAY_DEFAULT_TLS_PORT 5349

enum relay_mapped_address { RELAY_MAPPED_REAL, RELAY_MAPPED_OMIT };

struct relay_config {
    size_t n_listen;
    struct umbra_addr listen[RELAY_CONFIG_MAX_LISTEN];
    size_t n_tls_listen;
    struct umbra_addr tls_listen[RELAY_CONFIG_MAX_LISTEN];
    char *tls_cert;
    char *tls_key;
    size_t n_relay;
    struct umbra_addr relay[RELAY_CONFIG_MAX_LISTEN];
    uint16_t relay_port_low, relay_port_high;
    char *realm;
    char *auth_secret_file;
    size_t n_users;
    struct auth_static_user *users; /* RELAY_CONFIG_MAX_USERS, sodium_malloc; NULL: none */
    unsigned threads;               /* 0: one per core */
    bool has_metrics;
    struct umbra_addr metrics_listen;
    enum log_level log_level;
    bool relay_only_peers;
    bool stun_binding;
    enum relay_mapped_address mapped_address;
    bool strict_expiry;
    bool udp_gso;     /* send runs of equal datagrams as one GSO message */
    char *redis_host; /* NULL: no revocation subscriber */
    uint16_t redis_port;
    unsigned user_quota;       /* allocations per username at once; 0: no limit */
    unsigned revoke_hold_s;    /* how long a revoked call id stays refused */
    unsigned nonce_lifetime_s; /* how long a NONCE we hand out stays valid */
    char *proc_user;           /* switch to this user after start-up; NULL: stay */
    char *proc_group;          /* and this group; NULL: the user's own */
    /* The file (-c) that gave a static user's password: a secret file. */
    bool users_from_file;
    /* For repeatable keys: set once the current source (defaults, file,
     * flags) has given the key, so the first occurrence in a later source
     * replaces the earlier list instead of adding to it. */
    bool listen_set, tls_listen_set, relay_set, users_set;
};

void relay_config_init(struct relay_config *c);
/* conf_setter: applies one key. */
int relay_config_set(void *ctx, const char *key, const char *value, char *err, size_t errlen);
/* Checks the whole configuration; fills defaults that depend on others. */
int relay_config_finish(struct relay_config *c, char *err, size_t errlen);
void relay_config_free(struct relay_config *c);
/* Loads -c FILE then flags, then finish(). Error text names FILE:LINE or the
 * flag. */
int relay_config_load(struct relay_config *c, int argc, char **argv, char *err, size_t errlen);

#endif
