/* broker_config: umbra-broker's settings, filled from "key = value" files and
 * --key=value flags through common/conf.h.
 *
 * broker_config_defaults() fills every field; broker_config_set() is the conf_setter that
 * validates one key. broker_config_check() verifies that the required keys are
 * present once everything has been applied. The struct owns no heap memory. */
#ifndef UMBRA_BROKER_BROKER_CONFIG_H
#define UMBRA_BROKER_BROKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "conf_table.h"
#include "log.h"
#include "redis_target.h"

#define CONFIG_PATH_MAX 512
#define CONFIG_MAX_RELAYS 16
#define CONFIG_MAX_POLICIES 8
#define CONFIG_URI_MAX 256
#define CONFIG_MAX_PROXIES 8

struct broker_config {
    char listen_host[128];
    uint16_t listen_port;
    char metrics_host[128]; /* metrics-listen: plain HTTP for /metrics and /healthz */
    uint16_t metrics_port;  /* 0: metrics-listen unset, /metrics served nowhere */
    char tls_cert[CONFIG_PATH_MAX];
    char tls_key[CONFIG_PATH_MAX];
    char redis_host[128]; /* host, or a unix socket path when redis_port is 0 */
    uint16_t redis_port;
    unsigned redis_timeout_ms;
    size_t n_relays;
    char relays[CONFIG_MAX_RELAYS][CONFIG_URI_MAX]; /* turn:/turns: URIs */
    char auth_secret_file[CONFIG_PATH_MAX];
    size_t n_policies;
    char policies[CONFIG_MAX_POLICIES][CONFIG_PATH_MAX];
    char broker_key_file[CONFIG_PATH_MAX];
    unsigned credential_ttl;        /* seconds a TURN credential stays valid */
    unsigned call_ttl;              /* seconds a call's state lives in Redis */
    unsigned identity_ttl;          /* seconds an idle identity lives */
    unsigned fingerprint_retention; /* seconds a seen fingerprint is remembered */
    unsigned long max_body;         /* bytes */
    unsigned long_poll_timeout;     /* seconds */
    unsigned dtls_pool;             /* pre-generated identities; 0 disables the pool */
    enum log_level log_level;
    char web_root[CONFIG_PATH_MAX]; /* directory served at /demo/; "" serves nothing */
    unsigned fleet_cache_ms;        /* how long the relay fleet read from Redis is reused;
                                       0: never read it (static relay URIs only) */
    unsigned client_connections;    /* open connections per client address; 0: no limit */
    unsigned client_rate;           /* requests per second per client address; 0: no limit */
    unsigned client_burst;          /* requests a client may send at once */
    unsigned client_table;          /* client addresses tracked (entries) */
    /* Creations per minute (create_limit.h), per client address and for
     * all clients together; 0: no limit. */
    unsigned identity_rate, identity_global_rate;
    unsigned pseudonym_rate, pseudonym_global_rate;
    unsigned call_rate, call_global_rate;
    size_t n_trusted_proxies; /* peers whose X-Forwarded-For names the client */
    struct umbra_addr trusted_proxies[CONFIG_MAX_PROXIES];
    /* redis-sentinel, redis-master-name; n == 0: the fixed redis address. */
    struct redis_sentinels redis_sentinels;
    char proc_user[64];  /* switch to this user once listening; "": stay */
    char proc_group[64]; /* and this group; "": the user's own */
};

/* Every key: name, type, bounds, default, field and help (conf_table.h). */
extern const struct conf_key broker_config_keys[];

/* The defaults of broker_config_keys. */
void broker_config_defaults(struct broker_config *c);
/* conf_setter: ctx is a struct broker_config. */
int broker_config_set(void *ctx, const char *key, const char *value, char *err, size_t errlen);
int broker_config_check(const struct broker_config *c, char *err, size_t errlen);
/* Prints the keys with their meaning, for --help. */
void broker_config_usage(FILE *out);

#endif
