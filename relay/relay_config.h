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
#include <stdio.h>

#include "addr.h"
#include "conf_table.h"
#include "fleet_net.h"
#include "log.h"
#include "redis_target.h"
#include "stun_auth.h"

#define RELAY_CONFIG_MAX_LISTEN 8
#define RELAY_CONFIG_MAX_USERS 64
#define RELAY_DEFAULT_PORT 3478
#define RELAY_DEFAULT_TLS_PORT 5349
#define RELAY_CONFIG_MAX_URIS 8
#define RELAY_CONFIG_URI_MAX 256
#define RELAY_CONFIG_LABEL_MAX 64 /* relay-id and operator */

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
    /* Fleet (with redis): how this relay announces itself. relay_id and
     * operator_label are set by finish() when redis is (derived defaults);
     * public_uris are derived from the listen addresses when none given. */
    char *relay_id;
    char *operator_label;
    size_t n_public_uris;
    char *public_uris[RELAY_CONFIG_MAX_URIS];
    unsigned fleet_refresh_s; /* how often the announcement is written */
    unsigned fleet_ttl_s;     /* how long it lives unless written again */
    /* fleet-networks: where other relays' announced ranges must lie; none:
     * no other relay's range is a peer. */
    size_t n_fleet_nets;
    struct fleet_net fleet_nets[FLEET_NET_MAX];
    unsigned max_allocations; /* live allocations on the relay; 0: no limit */
    unsigned call_quota;      /* live allocations per REST call id; 0: no limit */
    unsigned max_permissions; /* per allocation */
    unsigned max_channels;    /* channel bindings per allocation, cooldown included */
    uint64_t bandwidth;       /* bytes/s per allocation and direction; 0: no cap */
    uint64_t bandwidth_burst; /* bytes; 0 until finish(): one second of bandwidth */
    unsigned unauth_rate;     /* unauthenticated answers/s per source and worker; 0: off */
    unsigned unauth_burst;
    unsigned unauth_sources; /* sources each worker keeps a bucket for */
    unsigned udp_rcvbuf;     /* SO_RCVBUF of the listening UDP sockets, bytes */
    char *proc_user;         /* switch to this user after start-up; NULL: stay */
    char *proc_group;        /* and this group; NULL: the user's own */
    /* The file (-c) that gave a static user's password: a secret file. */
    bool users_from_file;
    /* For repeatable keys: set once the current source (defaults, file,
     * flags) has given the key, so the first occurrence in a later source
     * replaces the earlier list instead of adding to it. */
    bool listen_set, tls_listen_set, relay_set, users_set, public_uris_set, fleet_nets_set;
    /* redis-sentinel / redis-master-name: the revocation subscriber finds
     * the master through these (n == 0: the redis key alone). */
    struct redis_sentinels redis_sentinels;
    bool redis_sentinel_set;
};

/* Redis is configured: the redis key, or sentinels. */
static inline bool relay_config_uses_redis(const struct relay_config *c)
{
    return c->redis_host != NULL || c->redis_sentinels.n > 0;
}

/* Every key: name, type, bounds, default, field and help (conf_table.h). */
extern const struct conf_key relay_config_keys[];

/* The defaults of relay_config_keys. */
void relay_config_init(struct relay_config *c);
/* conf_setter: applies one key. */
int relay_config_set(void *ctx, const char *key, const char *value, char *err, size_t errlen);
/* The keys for --help. */
void relay_config_usage(FILE *out);
/* Checks the whole configuration; fills defaults that depend on others. */
int relay_config_finish(struct relay_config *c, char *err, size_t errlen);
void relay_config_free(struct relay_config *c);
/* Loads -c FILE then flags, then finish(). Error text names FILE:LINE or the
 * flag. */
int relay_config_load(struct relay_config *c, int argc, char **argv, char *err, size_t errlen);

#endif
