/* turn_handlers: see turn_handlers.h. */
#include "turn_handlers.h"

#include <netinet/in.h>
#include <sodium.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "datapath.h"
#include "stun_auth.h"
#include "stun_msg.h"
#include "turn_rest.h"
#include "metrics.h"
#include "relay_shared.h"
#include "unauth_limit.h"

#define MAX_PEERS_PER_REQUEST 16
#define PROTO_UDP 17

/* A request being answered, with the credentials it proved, if any. */
struct request {
    struct turn_ctx *t;
    const struct client_path *p;
    const struct stun_msg *msg;
    bool authed;
    char user[ALLOC_USER_MAX];
    size_t user_len;
    uint8_t key[32];
    size_t key_len;
    struct turn_rest_claims claims; /* call and party of a sealed username */
};

static void req_wipe(struct request *r)
{
    sodium_memzero(r->key, sizeof(r->key));
    sodium_memzero(r->user, sizeof(r->user));
    sodium_memzero(&r->claims, sizeof(r->claims));
}

/* A request that proved no credentials is answered only within its
 * source's unauth-rate (unauth_limit.h): over it, the relay stays silent,
 * so a flood (of spoofed sources too) gets no answers to amplify or
 * reflect. Authenticated requests are never limited. */
static bool answer_allowed(struct request *r)
{
    struct turn_ctx *t = r->t;
    struct unauth_limit *l = t->unauth;
    size_t used = l->used;
    uint64_t evicted = l->evicted;
    bool ok;

    if (r->authed)
        return true;
    ok = unauth_limit_allow(l, &r->p->client, clock_now_ms());
    if (l->used != used)
        metrics_gauge(t->metrics, G_UNAUTH_SOURCES, (int64_t)(l->used - used));
    if (l->evicted != evicted)
        metrics_add(t->metrics, M_UNAUTH_EVICTED, l->evicted - evicted);
    if (!ok)
        metrics_add(t->metrics, M_UNAUTH_LIMITED, 1);
    return ok;
}

/* Starts the answer; false (nothing to send) when answer_allowed() says
 * no. */
static bool reply_start(struct request *r, struct stun_builder *b, enum stun_class cls)
{
    if (!answer_allowed(r))
        return false;
    stun_build_start(b, r->t->dp->tx, sizeof(r->t->dp->tx) - 4, r->msg->method, cls, r->msg->txid);
    return true;
}

static void reply_send(struct request *r, struct stun_builder *b)
{
    ssize_t n;
    if (r->authed) {
        if (r->msg->integrity_sha256 >= 0)
            stun_put_integrity_sha256(b, r->key, r->key_len);
        else
            stun_put_integrity(b, r->key, r->key_len);
    }
    if (r->msg->fingerprint >= 0)
        stun_put_fingerprint(b);
    n = stun_build_finish(b);
    if (n > 0)
        egress_send(&r->t->dp->out, r->p, r->t->dp->tx, (size_t)n, false);
}

static void reply_error(struct request *r, int code)
{
    struct stun_builder b;
    if (!reply_start(r, &b, STUN_CLASS_ERROR))
        return;
    stun_put_error(&b, code, stun_error_reason(code));
    reply_send(r, &b);
}

/* 401 and 438 carry the realm and a fresh nonce, never integrity. */
static void reply_challenge(struct request *r, int code)
{
    struct turn_ctx *t = r->t;
    struct stun_builder b;
    char nonce[AUTH_NONCE_MAX];
    const char *realm = t->sh->cfg->realm;

    r->authed = false;
    if (!reply_start(r, &b, STUN_CLASS_ERROR))
        return;
    auth_nonce_make(t->sh->nonce_key, clock_wall(), t->sh->cfg->nonce_lifetime_s, nonce);
    stun_put_error(&b, code, stun_error_reason(code));
    stun_put_bytes(&b, STUN_ATTR_REALM, realm, strlen(realm));
    stun_put_bytes(&b, STUN_ATTR_NONCE, nonce, strlen(nonce));
    reply_send(r, &b);
}

static bool is_revoked(struct turn_ctx *t, const struct turn_rest_claims *c)
{
    if (c->call_id_len == 0)
        return false;
    return revoke_list_contains(t->sh->revoked, c->call_id, c->call_id_len, clock_wall());
}

/* Checks the request's long-term credentials; answers and returns -1 when
 * they fail. */
static int authenticate(struct request *r)
{
    struct turn_ctx *t = r->t;
    enum auth_result res =
        auth_check(t->auth, t->sh->nonce_key, r->msg, clock_wall(), r->user, sizeof(r->user),
                   &r->user_len, r->key, &r->key_len, &r->claims);
    switch (res) {
    case AUTH_OK:
        break;
    case AUTH_NO_CREDENTIALS:
        metrics_add(t->metrics, M_AUTH_NO_CREDENTIALS, 1);
        reply_challenge(r, 401);
        return -1;
    case AUTH_BAD_REQUEST:
        metrics_add(t->metrics, M_AUTH_BAD_REQUEST, 1);
        reply_error(r, 400);
        return -1;
    case AUTH_STALE_NONCE:
        metrics_add(t->metrics, M_AUTH_STALE_NONCE, 1);
        reply_challenge(r, 438);
        return -1;
    case AUTH_EXPIRED:
        metrics_add(t->metrics, M_AUTH_EXPIRED, 1);
        reply_challenge(r, 401);
        return -1;
    case AUTH_WRONG:
    default:
        metrics_add(t->metrics, M_AUTH_WRONG, 1);
        reply_challenge(r, 401);
        return -1;
    }
    if (r->user_len >= sizeof(r->user))
        r->user_len = sizeof(r->user) - 1;
    if (is_revoked(t, &r->claims)) {
        metrics_add(t->metrics, M_AUTH_REVOKED, 1);
        req_wipe(r);
        reply_challenge(r, 401);
        return -1;
    }
    r->authed = true;
    return 0;
}

/* The allocation of this 5-tuple, made with the same username; answers 437
 * or 441 and returns NULL otherwise. */
static struct allocation *own_allocation(struct request *r)
{
    struct turn_ctx *t = r->t;
    struct allocation *a = alloc_table_find(&t->dp->allocs, &r->p->client, r->p->transport);
    if (a == NULL) {
        reply_error(r, 437);
        return NULL;
    }
    if (a->user_len != r->user_len || memcmp(a->user, r->user, r->user_len) != 0) {
        metrics_add(t->metrics, M_AUTH_MISMATCH, 1);
        reply_error(r, 441);
        return NULL;
    }
    return a;
}

/* A LIFETIME attribute that is there but malformed gets 400. */
static int lifetime_malformed(struct request *r)
{
    const struct stun_attr *at = stun_find(r->msg, STUN_ATTR_LIFETIME);
    uint32_t v;
    if (at != NULL && stun_attr_u32(at, &v) != 0) {
        reply_error(r, 400);
        return 1;
    }
    return 0;
}

/* Lifetime for a requested LIFETIME (RFC 8656 §7.2, §7.3), capped by the
 * credential's expiry under strict-expiry. */
static uint32_t grant_lifetime(struct request *r, int64_t cred_expiry)
{
    const struct stun_attr *at = stun_find(r->msg, STUN_ATTR_LIFETIME);
    uint32_t want = ALLOC_DEFAULT_LIFETIME;
    if (at != NULL && stun_attr_u32(at, &want) == 0) {
        if (want < ALLOC_DEFAULT_LIFETIME)
            want = ALLOC_DEFAULT_LIFETIME;
        if (want > ALLOC_MAX_LIFETIME)
            want = ALLOC_MAX_LIFETIME;
    } else {
        want = ALLOC_DEFAULT_LIFETIME;
    }
    if (r->t->sh->cfg->strict_expiry && cred_expiry > 0) {
        int64_t left = cred_expiry - clock_wall();
        if (left < 1)
            left = 1;
        if (left < want)
            want = (uint32_t)left;
    }
    return want;
}

/* The REST expiry of the request's username, or 0 for static users. */
static int64_t cred_expiry_of(const struct request *r)
{
    const struct relay_config *cfg = r->t->sh->cfg;
    int64_t expiry;
    for (size_t i = 0; i < cfg->n_users; i++)
        if (strlen(cfg->users[i].name) == r->user_len &&
            memcmp(cfg->users[i].name, r->user, r->user_len) == 0)
            return 0;
    if (turn_rest_expiry(r->user, r->user_len, &expiry) != 0)
        return 0;
    return expiry;
}

static void reply_allocate_success(struct request *r, const struct allocation *a)
{
    struct stun_builder b;
    int64_t left = a->expires - clock_now();
    if (!reply_start(r, &b, STUN_CLASS_SUCCESS))
        return;
    stun_put_xor_address(&b, STUN_ATTR_XOR_RELAYED_ADDRESS, &a->relayed);
    stun_put_u32(&b, STUN_ATTR_LIFETIME, left > 0 ? (uint32_t)left : 0);
    if (a->has_token)
        stun_put_bytes(&b, STUN_ATTR_RESERVATION_TOKEN, a->token, sizeof(a->token));
    if (r->t->sh->cfg->mapped_address == RELAY_MAPPED_REAL)
        stun_put_xor_address(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, &r->p->client);
    reply_send(r, &b);
}

static int requested_family(struct request *r, int *family)
{
    const struct stun_attr *at = stun_find(r->msg, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
    *family = AF_INET;
    if (at == NULL)
        return 0;
    if (at->len != 4) {
        reply_error(r, 400);
        return -1;
    }
    if (stun_attr_requested_family(at, family) != 0) {
        reply_error(r, 440);
        return -1;
    }
    return 0;
}

/* What an Allocate asks for beyond the defaults. */
struct alloc_request {
    int family;
    enum relay_addr_even even;
    const uint8_t *token; /* RESERVATION-TOKEN value, or NULL */
};

/* Reads REQUESTED-TRANSPORT, EVEN-PORT, RESERVATION-TOKEN,
 * REQUESTED-ADDRESS-FAMILY and LIFETIME (RFC 8656 §7.2); answers and returns
 * -1 when one of them is refused. */
static int allocate_options(struct request *r, struct alloc_request *o)
{
    const struct stun_msg *m = r->msg;
    const struct stun_attr *transport = stun_find(m, STUN_ATTR_REQUESTED_TRANSPORT);
    const struct stun_attr *even_at = stun_find(m, STUN_ATTR_EVEN_PORT);
    const struct stun_attr *token_at = stun_find(m, STUN_ATTR_RESERVATION_TOKEN);
    const struct stun_attr *family_at = stun_find(m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
    uint8_t proto;

    o->even = RELAY_ADDR_ANY_PORT;
    o->token = NULL;
    if (transport == NULL || stun_attr_requested_transport(transport, &proto) != 0) {
        reply_error(r, 400);
        return -1;
    }
    if (proto != PROTO_UDP) {
        reply_error(r, 442);
        return -1;
    }
    if (token_at != NULL &&
        (even_at != NULL || family_at != NULL || token_at->len != RELAY_ADDR_TOKEN_LEN)) {
        reply_error(r, 400);
        return -1;
    }
    if (even_at != NULL) {
        bool reserve;
        if (stun_attr_even_port(even_at, &reserve) != 0) {
            reply_error(r, 400);
            return -1;
        }
        o->even = reserve ? RELAY_ADDR_EVEN_RESERVE : RELAY_ADDR_EVEN;
    }
    if (requested_family(r, &o->family) != 0 || lifetime_malformed(r))
        return -1;
    if (token_at != NULL)
        o->token = token_at->value;
    else if (!relay_addr_has_family(r->t->sh->pool, o->family)) {
        reply_error(r, 440);
        return -1;
    }
    return 0;
}

/* Takes quota (max-allocations, user-quota, call-quota) and a relayed port
 * and makes the allocation; answers 486, 440 or 508 and returns NULL when
 * that fails. */
static struct allocation *allocate_create(struct request *r, const struct alloc_request *o)
{
    struct turn_ctx *t = r->t;
    struct relay_addr_lease lease;
    enum relay_addr_status st;
    struct allocation *a;

    switch (
        quota_take(t->sh->quota, r->user, r->user_len, r->claims.call_id, r->claims.call_id_len)) {
    case QUOTA_OK:
        break;
    case QUOTA_USER:
        metrics_add(t->metrics, M_ALLOCATE_QUOTA, 1);
        reply_error(r, 486);
        return NULL;
    case QUOTA_CALL:
        metrics_add(t->metrics, M_ALLOCATE_CALL_QUOTA, 1);
        reply_error(r, 486);
        return NULL;
    case QUOTA_TOTAL:
        metrics_add(t->metrics, M_ALLOCATE_MAX, 1);
        reply_error(r, 508);
        return NULL;
    case QUOTA_NOMEM:
    default:
        metrics_add(t->metrics, M_ALLOCATE_CAPACITY, 1);
        reply_error(r, 508);
        return NULL;
    }
    st = relay_addr_open(t->sh->pool, o->family, o->even, o->token, clock_now(), &lease);
    if (st != RELAY_ADDR_OK) {
        quota_give_back(t->sh->quota, r->user, r->user_len, r->claims.call_id,
                        r->claims.call_id_len);
        metrics_add(t->metrics, M_ALLOCATE_CAPACITY, 1);
        reply_error(r, st == RELAY_ADDR_NO_FAMILY ? 440 : 508);
        return NULL;
    }
    a = allocation_new(&t->dp->io, r->p, &lease, r->user, r->user_len, &r->claims, r->key,
                       r->key_len);
    if (a == NULL) {
        close(lease.fd);
        relay_addr_release(t->sh->pool, &lease.addr);
        quota_give_back(t->sh->quota, r->user, r->user_len, r->claims.call_id,
                        r->claims.call_id_len);
        reply_error(r, 508);
        return NULL;
    }
    relay_addr_set_owner(t->sh->pool, &a->relayed, t->worker_id);
    return a;
}

static void handle_allocate(struct request *r)
{
    struct turn_ctx *t = r->t;
    const struct stun_msg *m = r->msg;
    struct alloc_request o;
    struct allocation *a;
    uint32_t lifetime;

    if (authenticate(r) != 0)
        return;
    a = alloc_table_find(&t->dp->allocs, &r->p->client, r->p->transport);
    if (a != NULL) {
        /* A retransmitted Allocate gets the same answer (RFC 8656 §7.2). */
        if (memcmp(a->txid, m->txid, STUN_TXID_LEN) == 0 && a->user_len == r->user_len &&
            memcmp(a->user, r->user, r->user_len) == 0)
            reply_allocate_success(r, a);
        else
            reply_error(r, 437);
        return;
    }
    if (allocate_options(r, &o) != 0)
        return;
    a = allocate_create(r, &o);
    if (a == NULL)
        return;
    memcpy(a->txid, m->txid, STUN_TXID_LEN);
    a->cred_expiry = cred_expiry_of(r);
    lifetime = grant_lifetime(r, a->cred_expiry);
    a->expires = clock_now() + lifetime;
    if (stun_find(m, STUN_ATTR_DONT_FRAGMENT) != NULL && addr_family(&a->relayed) == AF_INET) {
        int df = IP_PMTUDISC_DO;
        setsockopt(a->fd, IPPROTO_IP, IP_MTU_DISCOVER, &df, sizeof(df));
    }
    datapath_insert(t->dp, a);
    if (log_enabled(t->sh->log, LOG_LEVEL_DEBUG)) {
        char ct[LOG_TOKEN_LEN], ut[LOG_TOKEN_LEN], it[LOG_TOKEN_LEN];
        log_debug(t->sh->log, "worker %u: allocation for %s user %s call %s party %s, lifetime %u",
                  t->worker_id, log_addr_token(t->sh->log, &r->p->client, ct),
                  log_token(t->sh->log, r->user, r->user_len, ut),
                  r->claims.call_id_len == 0
                      ? "none"
                      : log_token(t->sh->log, r->claims.call_id, r->claims.call_id_len, it),
                  r->claims.call_id_len == 0            ? "none"
                  : r->claims.party == TURN_REST_CALLER ? "caller"
                                                        : "callee",
                  lifetime);
    }
    reply_allocate_success(r, a);
}

static void handle_refresh(struct request *r)
{
    struct turn_ctx *t = r->t;
    struct stun_builder b;
    const struct stun_attr *at;
    struct allocation *a;
    uint32_t want = ALLOC_DEFAULT_LIFETIME;
    int family;

    if (authenticate(r) != 0)
        return;
    a = own_allocation(r);
    if (a == NULL || lifetime_malformed(r))
        return;
    if (stun_find(r->msg, STUN_ATTR_REQUESTED_ADDRESS_FAMILY) != NULL) {
        if (requested_family(r, &family) != 0)
            return;
        if (family != addr_family(&a->relayed)) {
            reply_error(r, 443);
            return;
        }
    }
    at = stun_find(r->msg, STUN_ATTR_LIFETIME);
    if (at != NULL && stun_attr_u32(at, &want) == 0 && want == 0) {
        datapath_end(t->dp, a);
        if (!reply_start(r, &b, STUN_CLASS_SUCCESS))
            return;
        stun_put_u32(&b, STUN_ATTR_LIFETIME, 0);
        reply_send(r, &b);
        return;
    }
    want = grant_lifetime(r, a->cred_expiry);
    a->expires = clock_now() + want;
    if (!reply_start(r, &b, STUN_CLASS_SUCCESS))
        return;
    stun_put_u32(&b, STUN_ATTR_LIFETIME, want);
    reply_send(r, &b);
}

/* Normalises and checks one XOR-PEER-ADDRESS; answers 400, 403 or 443 and
 * returns -1 when the peer is refused. */
static int check_peer(struct request *r, const struct allocation *a, const struct stun_attr *at,
                      struct umbra_addr *peer)
{
    struct turn_ctx *t = r->t;
    struct umbra_addr wire;
    enum peer_verdict v;

    if (stun_attr_xor_address(r->msg, at, &wire) != 0) {
        reply_error(r, 400);
        return -1;
    }
    v = peer_policy_check(&t->sh->policy, &wire, peer);
    if (v != PEER_ALLOW) {
        datapath_count_denial(t->metrics, v);
        if (log_enabled(t->sh->log, LOG_LEVEL_DEBUG)) {
            char tok[LOG_TOKEN_LEN];
            log_debug(t->sh->log, "worker %u: peer %s refused (%s)", t->worker_id,
                      log_addr_token(t->sh->log, peer, tok), peer_verdict_name(v));
        }
        reply_error(r, 403);
        return -1;
    }
    if (addr_family(peer) != addr_family(&a->relayed)) {
        reply_error(r, 443);
        return -1;
    }
    return 0;
}

static size_t attr_limit(const struct stun_msg *m)
{
    size_t limit = m->n_attrs;
    if (m->integrity >= 0 && (size_t)m->integrity < limit)
        limit = (size_t)m->integrity;
    if (m->integrity_sha256 >= 0 && (size_t)m->integrity_sha256 < limit)
        limit = (size_t)m->integrity_sha256;
    return limit;
}

/* How many entries installing permissions for peers would add: their
 * distinct IPs that the allocation holds no entry for. */
static size_t new_permissions(const struct allocation *a, const struct umbra_addr *peers, size_t n)
{
    size_t fresh = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = perm_known(&a->perms, &peers[i]);
        for (size_t j = 0; j < i && !seen; j++)
            seen = addr_equal_ip(&peers[j], &peers[i]);
        if (!seen)
            fresh++;
    }
    return fresh;
}

static void handle_create_permission(struct request *r)
{
    struct turn_ctx *t = r->t;
    struct umbra_addr peers[MAX_PEERS_PER_REQUEST];
    size_t n = 0, limit = attr_limit(r->msg);
    struct stun_builder b;
    struct allocation *a;
    int64_t now = clock_now();

    if (authenticate(r) != 0)
        return;
    a = own_allocation(r);
    if (a == NULL)
        return;
    /* All peers are checked before any is installed: all or nothing. */
    for (size_t i = 0; i < limit; i++) {
        const struct stun_attr *at = &r->msg->attrs[i];
        if (at->type != STUN_ATTR_XOR_PEER_ADDRESS)
            continue;
        if (n >= MAX_PEERS_PER_REQUEST) {
            reply_error(r, 400);
            return;
        }
        if (check_peer(r, a, at, &peers[n]) != 0)
            return;
        n++;
    }
    if (n == 0) {
        reply_error(r, 400);
        return;
    }
    if (perm_count(&a->perms) + new_permissions(a, peers, n) > t->sh->cfg->max_permissions) {
        metrics_add(t->metrics, M_LIMIT_PERMISSIONS, 1);
        reply_error(r, 508);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = perm_install(&a->perms, &peers[i], now);
        if (rc < 0) {
            reply_error(r, 508);
            return;
        }
        metrics_gauge(t->metrics, G_PERMISSIONS, rc);
    }
    if (reply_start(r, &b, STUN_CLASS_SUCCESS))
        reply_send(r, &b);
}

static void handle_channel_bind(struct request *r)
{
    struct turn_ctx *t = r->t;
    const struct stun_attr *num_at, *peer_at;
    struct umbra_addr peer;
    struct stun_builder b;
    struct allocation *a;
    uint16_t number;
    int64_t now = clock_now();
    int rc;

    if (authenticate(r) != 0)
        return;
    a = own_allocation(r);
    if (a == NULL)
        return;
    num_at = stun_find(r->msg, STUN_ATTR_CHANNEL_NUMBER);
    peer_at = stun_find(r->msg, STUN_ATTR_XOR_PEER_ADDRESS);
    if (num_at == NULL || peer_at == NULL || stun_attr_channel_number(num_at, &number) != 0 ||
        number < STUN_CHANNEL_MIN || number > STUN_CHANNEL_MAX) {
        reply_error(r, 400);
        return;
    }
    if (check_peer(r, a, peer_at, &peer) != 0)
        return;
    /* The limits hold before anything is bound: all or nothing. */
    if (!chan_known(&a->chans, number, &peer) &&
        chan_count(&a->chans) >= t->sh->cfg->max_channels) {
        metrics_add(t->metrics, M_LIMIT_CHANNELS, 1);
        reply_error(r, 508);
        return;
    }
    if (!perm_known(&a->perms, &peer) && perm_count(&a->perms) >= t->sh->cfg->max_permissions) {
        metrics_add(t->metrics, M_LIMIT_PERMISSIONS, 1);
        reply_error(r, 508);
        return;
    }
    switch (chan_bind(&a->chans, number, &peer, now)) {
    case CHAN_BOUND_NEW:
        metrics_gauge(t->metrics, G_CHANNELS, 1);
        break;
    case CHAN_REFRESHED:
        break;
    case CHAN_CONFLICT:
        reply_error(r, 400);
        return;
    case CHAN_NOMEM:
    default:
        reply_error(r, 508);
        return;
    }
    rc = perm_install(&a->perms, &peer, now);
    if (rc > 0)
        metrics_gauge(t->metrics, G_PERMISSIONS, 1);
    if (reply_start(r, &b, STUN_CLASS_SUCCESS))
        reply_send(r, &b);
}

static void handle_binding(struct request *r)
{
    struct stun_builder b;
    if (!r->t->sh->cfg->stun_binding) {
        /* The relay tells no one their reflexive address. */
        metrics_add(r->t->metrics, M_BINDING_REFUSED, 1);
        reply_error(r, 403);
        return;
    }
    if (!reply_start(r, &b, STUN_CLASS_SUCCESS))
        return;
    stun_put_xor_address(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, &r->p->client);
    reply_send(r, &b);
}

/* A request whose attributes do not parse still gets 400 if its header is
 * sound (RFC 8489 §6.3). */
static void reply_malformed(struct turn_ctx *t, const struct client_path *p, const uint8_t *buf,
                            size_t len)
{
    struct stun_msg hdr;
    struct request r = {.t = t, .p = p, .msg = &hdr};
    if (len < STUN_HEADER_LEN || stun_parse_header(&hdr, buf, len) != 0 ||
        hdr.cls != STUN_CLASS_REQUEST)
        return;
    reply_error(&r, 400);
}

static void handle_stun(struct turn_ctx *t, const struct client_path *p, const uint8_t *buf,
                        size_t len)
{
    struct stun_msg msg;
    struct request r;
    uint16_t unknown[16];
    size_t n_unknown;

    if (stun_parse(&msg, buf, len) != 0) {
        metrics_add(t->metrics, M_DROP_MALFORMED, 1);
        reply_malformed(t, p, buf, len);
        return;
    }
    if (msg.fingerprint >= 0 && stun_check_fingerprint(&msg) != 0) {
        metrics_add(t->metrics, M_DROP_MALFORMED, 1);
        return;
    }
    if (msg.cls == STUN_CLASS_INDICATION) {
        if (msg.method == STUN_METHOD_SEND && stun_unknown_required(&msg, unknown, 16) == 0)
            datapath_send_indication(t->dp, p, &msg);
        return;
    }
    if (msg.cls != STUN_CLASS_REQUEST)
        return;
    memset(&r, 0, offsetof(struct request, user));
    r.t = t;
    r.p = p;
    r.msg = &msg;
    r.user_len = 0;
    r.key_len = 0;
    n_unknown = stun_unknown_required(&msg, unknown, 16);
    if (n_unknown > 0) {
        struct stun_builder b;
        if (!reply_start(&r, &b, STUN_CLASS_ERROR))
            return;
        stun_put_error(&b, 420, stun_error_reason(420));
        stun_put_unknown(&b, unknown, n_unknown);
        reply_send(&r, &b);
        return;
    }
    switch (msg.method) {
    case STUN_METHOD_BINDING:
        handle_binding(&r);
        break;
    case STUN_METHOD_ALLOCATE:
        handle_allocate(&r);
        break;
    case STUN_METHOD_REFRESH:
        handle_refresh(&r);
        break;
    case STUN_METHOD_CREATE_PERMISSION:
        handle_create_permission(&r);
        break;
    case STUN_METHOD_CHANNEL_BIND:
        handle_channel_bind(&r);
        break;
    default:
        reply_error(&r, 400);
        break;
    }
    req_wipe(&r);
}

void turn_handle_packet(struct turn_ctx *t, const struct client_path *p, uint8_t *buf, size_t len)
{
    switch (stun_classify(buf, len)) {
    case STUN_KIND_STUN:
        handle_stun(t, p, buf, len);
        break;
    case STUN_KIND_CHANNEL_DATA:
        datapath_channel_data(t->dp, p, buf, len);
        break;
    default:
        metrics_add(t->metrics, M_DROP_MALFORMED, 1);
        break;
    }
}
