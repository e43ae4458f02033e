/* relay_shared: see relay_shared.h. */
#include "relay_shared.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_server.h"

static int init_stores(struct relay_shared *sh, const struct relay_config *cfg)
{
    struct quota_limits limits = {
        .total = cfg->max_allocations, .per_user = cfg->user_quota, .per_call = cfg->call_quota};
    sh->pool = calloc(1, sizeof(*sh->pool));
    sh->revoked = calloc(1, sizeof(*sh->revoked));
    sh->quota = calloc(1, sizeof(*sh->quota));
    if (sh->pool == NULL || sh->revoked == NULL || sh->quota == NULL)
        return -1;
    if (relay_addr_pool_init(sh->pool, cfg->relay, cfg->n_relay, cfg->relay_port_low,
                             cfg->relay_port_high) != 0) {
        free(sh->pool);
        sh->pool = NULL;
        return -1;
    }
    if (revoke_list_init(sh->revoked) != 0) {
        free(sh->revoked);
        sh->revoked = NULL;
        return -1;
    }
    if (quota_init(sh->quota, &limits) != 0) {
        free(sh->quota);
        sh->quota = NULL;
        return -1;
    }
    sh->nonce_key = sodium_malloc(sizeof(*sh->nonce_key));
    if (sh->nonce_key == NULL)
        return -1;
    auth_nonce_key_init(sh->nonce_key);
    return 0;
}

static void init_policy(struct relay_shared *sh, const struct relay_config *cfg,
                        const struct peer_source *first)
{
    struct peer_source own = {relay_addr_contains, sh->pool, false};
    peer_policy_init(&sh->policy, cfg->relay_only_peers);
    peer_policy_set_networks(&sh->policy, cfg->fleet_nets, cfg->n_fleet_nets);
    if (first != NULL)
        peer_policy_add_source(&sh->policy, *first);
    peer_policy_add_source(&sh->policy, own);
    for (size_t i = 0; i < cfg->n_relay; i++)
        peer_policy_add_own(&sh->policy, &cfg->relay[i]);
    for (size_t i = 0; i < cfg->n_listen; i++)
        peer_policy_add_own(&sh->policy, &cfg->listen[i]);
    for (size_t i = 0; i < cfg->n_tls_listen; i++)
        peer_policy_add_own(&sh->policy, &cfg->tls_listen[i]);
    if (cfg->has_metrics)
        peer_policy_add_own(&sh->policy, &cfg->metrics_listen);
}

int relay_shared_init(struct relay_shared *sh, const struct relay_config *cfg, struct log_ctx *log,
                      const struct peer_source *first, char *err, size_t errlen)
{
    memset(sh, 0, sizeof(*sh));
    sh->cfg = cfg;
    sh->log = log;
    if (init_stores(sh, cfg) != 0) {
        snprintf(err, errlen, "out of memory");
        relay_shared_free(sh);
        return -1;
    }
    init_policy(sh, cfg, first);
    if (cfg->tls_cert != NULL) {
        sh->tls = tls_server_new(cfg->tls_cert, cfg->tls_key, err, errlen);
        if (sh->tls == NULL) {
            relay_shared_free(sh);
            return -1;
        }
    }
    return 0;
}

void relay_shared_free(struct relay_shared *sh)
{
    tls_server_free(sh->tls);
    sh->tls = NULL;
    if (sh->quota != NULL)
        quota_free(sh->quota);
    if (sh->revoked != NULL)
        revoke_list_free(sh->revoked);
    if (sh->pool != NULL)
        relay_addr_pool_free(sh->pool);
    free(sh->quota);
    free(sh->revoked);
    free(sh->pool);
    sh->quota = NULL;
    sh->revoked = NULL;
    sh->pool = NULL;
    if (sh->nonce_key != NULL)
        auth_nonce_key_clear(sh->nonce_key);
    sodium_free(sh->nonce_key);
    sh->nonce_key = NULL;
}
