/* worker: see worker.h. */
#include "worker.h"

#include <event2/event.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"

enum worker_msg_kind { WORKER_MSG_REVOKE, WORKER_MSG_SECRETS, WORKER_MSG_STOP, WORKER_MSG_QUIESCE };

/* A message to the worker's thread: kind says which member of u is set. */
struct worker_msg {
    struct worker_msg *next;
    enum worker_msg_kind kind;
    union {
        struct {
            size_t len;
            char id[REVOKE_ID_MAX];
        } revoke;                          /* WORKER_MSG_REVOKE */
        struct turn_rest_secrets *secrets; /* WORKER_MSG_SECRETS: owned by the message */
        struct {
            void (*fn)(void *arg);
            void *arg;
        } quiesce; /* WORKER_MSG_QUIESCE */
    } u;
};

/* After each flush of the egress: wakes the workers this one handed
 * datagrams to since the last flush. */
static void on_flushed(void *arg)
{
    struct worker *w = arg;
    while (w->wake_pending != 0) {
        unsigned to = (unsigned)__builtin_ctzll(w->wake_pending);
        struct worker *dst = w->sh->workers[to];
        uint64_t one = 1;
        w->wake_pending &= w->wake_pending - 1;
        /* Not when the worker is asleep-proof: it still held older
         * records, or it is in a callback and drains the rings on leaving
         * (leave). */
        if (!handoff_needs_wake(&dst->in[w->id], w->wake_start[to]) ||
            atomic_load_explicit(&dst->busy, memory_order_relaxed))
            continue;
        if (write(dst->wake_fd, &one, sizeof(one)) < 0) {
            /* The counter cannot overflow in practice; the records wait for
             * the next wake-up. */
        }
    }
}

static void flush(struct worker *w)
{
    egress_flush(&w->dp.out);
}

/* datapath hook: hands a datagram to worker owner's ring. */
static int on_handoff(void *arg, unsigned owner, const struct umbra_addr *dst,
                      const struct umbra_addr *src, const uint8_t *data, size_t len)
{
    struct worker *w = arg;
    struct worker *to;
    if (owner >= w->sh->n_workers || owner >= WORKER_HANDOFF_MAX || owner == w->id ||
        w->id >= WORKER_HANDOFF_MAX)
        return -1;
    to = w->sh->workers[owner];
    if (to == NULL || to->in == NULL || w->id >= to->n_in)
        return -1;
    if ((w->wake_pending & ((uint64_t)1 << owner)) == 0)
        w->wake_start[owner] = handoff_producer_pos(&to->in[w->id]);
    if (handoff_push(&to->in[w->id], dst, src, data, len) != 0) {
        metrics_add(&w->metrics, M_DROP_CONGESTED, 1);
        return 0;
    }
    w->wake_pending |= (uint64_t)1 << owner;
    return 0;
}

/* Records handled per ring per wake-up, so one busy sender cannot hold the
 * worker; more wait for the next turn of the loop. */
#define WORKER_HANDOFF_BUDGET 256

/* Handles what the rings hold, up to a budget per ring. Returns true when
 * a ring had more. */
static bool drain_rings(struct worker *w)
{
    bool more = false;
    for (size_t i = 0; i < w->n_in; i++) {
        struct handoff_ring *r = &w->in[i];
        int n = 0;
        if (r->buf == NULL)
            continue;
        for (;;) {
            size_t pos = handoff_consumer_pos(r);
            struct handoff_rec rec;
            int m = 0;
            while (n < WORKER_HANDOFF_BUDGET && handoff_peek(r, &pos, &rec)) {
                n++;
                m++;
                datapath_handoff_in(&w->dp, &rec.dst, &rec.src, rec.data, rec.len);
            }
            if (m == 0)
                break;
            /* The send batch points into the ring until flushed. */
            flush(w);
            /* Records that came meanwhile may have come without a wake-up
             * (handoff.h): take them now, or on the next turn. */
            if (!handoff_release_check(r, pos))
                break;
            if (n >= WORKER_HANDOFF_BUDGET) {
                more = true;
                break;
            }
        }
    }
    return more;
}

static bool rings_pending(struct worker *w)
{
    for (size_t i = 0; i < w->n_in; i++)
        if (w->in[i].buf != NULL && handoff_pending(&w->in[i]))
            return true;
    return false;
}

/* Bracket a packet callback: between them the worker counts as awake, and
 * leave() handles what other workers handed over meanwhile, so they need
 * not wake it. */
static void enter(struct worker *w)
{
    if (w->in != NULL)
        atomic_store_explicit(&w->busy, true, memory_order_relaxed);
}

static void leave(struct worker *w)
{
    bool more;
    if (w->in == NULL)
        return;
    more = drain_rings(w);
    /* Paired with the producer's fence in handoff_needs_wake(): either it
     * sees busy cleared and wakes this worker, or this check sees its
     * records. */
    atomic_store_explicit(&w->busy, false, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    if (more || rings_pending(w))
        event_active(w->wake_ev, EV_READ, 0);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    uint64_t v;

    if (read(fd, &v, sizeof(v)) < 0) {
        /* EAGAIN: woken by event_active() to continue. */
    }
    enter(w);
    leave(w);
}

static int handoff_init(struct worker *w)
{
    size_t n = w->sh->n_workers;
    w->wake_fd = -1;
    if (n < 2 || w->id >= WORKER_HANDOFF_MAX)
        return 0;
    if (n > WORKER_HANDOFF_MAX)
        n = WORKER_HANDOFF_MAX;
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->in = calloc(n, sizeof(*w->in));
    if (w->wake_fd < 0 || w->in == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (i == w->id)
            continue;
        if (handoff_ring_init(&w->in[i], HANDOFF_RING_BYTES) != 0)
            return -1;
    }
    w->n_in = n;
    w->wake_ev = event_new(w->base, w->wake_fd, EV_READ | EV_PERSIST, on_wake, w);
    if (w->wake_ev == NULL || event_add(w->wake_ev, NULL) != 0)
        return -1;
    return 0;
}

static void handoff_free(struct worker *w)
{
    if (w->wake_ev != NULL)
        event_free(w->wake_ev);
    w->wake_ev = NULL;
    if (w->in != NULL)
        for (size_t i = 0; i < w->n_in; i++)
            handoff_ring_free(&w->in[i]);
    free(w->in);
    w->in = NULL;
    w->n_in = 0;
    if (w->wake_fd >= 0)
        close(w->wake_fd);
    w->wake_fd = -1;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    size_t ended = datapath_sweep(&w->dp, clock_now());
    if (ended > 0)
        log_debug(w->sh->log, "worker %u: %zu allocations expired", w->id, ended);
}

static void set_auth(struct worker *w)
{
    w->auth.realm = w->sh->cfg->realm;
    w->auth.secrets = w->secrets;
    w->auth.users = w->sh->cfg->users;
    w->auth.n_users = w->sh->cfg->n_users;
}

static void apply(struct worker *w, struct worker_msg *m)
{
    if (m->kind == WORKER_MSG_REVOKE) {
        size_t n = datapath_revoke(&w->dp, m->u.revoke.id, m->u.revoke.len);
        metrics_add(&w->metrics, M_REVOKED_ALLOCATIONS, n);
        if (n > 0)
            log_info(w->sh->log, "worker %u: %zu allocations revoked", w->id, n);
    } else if (m->kind == WORKER_MSG_SECRETS && m->u.secrets != NULL) {
        /* The message takes the old set away; msg_free() wipes it. */
        struct turn_rest_secrets *old = w->secrets;
        w->secrets = m->u.secrets;
        m->u.secrets = old;
        w->auth.secrets = w->secrets;
    } else if (m->kind == WORKER_MSG_STOP) {
        event_base_loopbreak(w->base);
    } else if (m->kind == WORKER_MSG_QUIESCE) {
        m->u.quiesce.fn(m->u.quiesce.arg);
    }
}

static void msg_free(struct worker_msg *m)
{
    if (m->kind == WORKER_MSG_SECRETS)
        turn_rest_secrets_free(m->u.secrets);
    sodium_memzero(m, sizeof(*m));
    free(m);
}

static void on_inbox(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    struct worker_msg *m;
    pthread_mutex_lock(&w->inbox_lock);
    m = w->inbox_head;
    w->inbox_head = w->inbox_tail = NULL;
    pthread_mutex_unlock(&w->inbox_lock);
    while (m != NULL) {
        struct worker_msg *next = m->next;
        apply(w, m);
        msg_free(m);
        m = next;
    }
}

static int post(struct worker *w, struct worker_msg *m)
{
    pthread_mutex_lock(&w->inbox_lock);
    if (w->inbox_tail != NULL)
        w->inbox_tail->next = m;
    else
        w->inbox_head = m;
    w->inbox_tail = m;
    pthread_mutex_unlock(&w->inbox_lock);
    event_active(w->inbox_ev, EV_READ, 0);
    return 0;
}

int worker_post_revoke(struct worker *w, const char *id, size_t len)
{
    struct worker_msg *m;
    if (len == 0 || len > sizeof(m->u.revoke.id))
        return -1;
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return -1;
    m->kind = WORKER_MSG_REVOKE;
    memcpy(m->u.revoke.id, id, len);
    m->u.revoke.len = len;
    return post(w, m);
}

int worker_post_secrets(struct worker *w, const struct turn_rest_secrets *s)
{
    struct worker_msg *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return -1;
    m->u.secrets = turn_rest_secrets_new();
    if (m->u.secrets == NULL) {
        free(m);
        return -1;
    }
    *m->u.secrets = *s;
    m->kind = WORKER_MSG_SECRETS;
    return post(w, m);
}

int worker_post_quiesce(struct worker *w, void (*fn)(void *arg), void *arg)
{
    struct worker_msg *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return -1;
    m->kind = WORKER_MSG_QUIESCE;
    m->u.quiesce.fn = fn;
    m->u.quiesce.arg = arg;
    return post(w, m);
}

/* listener and datapath callbacks */

static void on_enter(void *arg)
{
    enter(arg);
}

static void on_leave(void *arg)
{
    leave(arg);
}

static void on_packet(void *arg, const struct client_path *p, uint8_t *buf, size_t len)
{
    struct worker *w = arg;
    turn_handle_packet(&w->turn, p, buf, len);
}

static void on_flush(void *arg)
{
    flush(arg);
}

static void on_conn_closed(void *arg, void *owner)
{
    struct worker *w = arg;
    datapath_end(&w->dp, owner);
}

static void on_relayed_readable(void *arg, struct allocation *a, int fd)
{
    struct worker *w = arg;
    enter(w);
    datapath_peer_read(&w->dp, a, fd);
    leave(w);
}

static const struct listener_ops listener_ops = {
    .enter = on_enter,
    .leave = on_leave,
    .packet = on_packet,
    .flush = on_flush,
    .closed = on_conn_closed,
};

static int open_listener(struct worker *w)
{
    struct listener_env env = {.base = w->base,
                               .cfg = w->sh->cfg,
                               .tls = w->sh->tls,
                               .log = w->sh->log,
                               .metrics = &w->metrics,
                               .rx = &w->rx,
                               .warn_rcvbuf = w->id == 0,
                               .ops = &listener_ops,
                               .ctx = w};
    if (listener_open(&w->listener, &env) != 0)
        return -1;
    egress_set_gso(&w->dp.out, w->listener.n_udp > 0 && w->sh->cfg->udp_gso &&
                                   send_batch_gso_probe(w->listener.udp[0].transport.udp_fd));
    return 0;
}

static int init_core(struct worker *w)
{
    struct datapath_hooks hooks = {
        .readable = on_relayed_readable, .handoff = on_handoff, .flushed = on_flushed, .ctx = w};
    if (recv_batch_init(&w->rx) != 0 ||
        datapath_init(&w->dp, w->sh, w->base, &w->metrics, &w->rx, w->hash_key, &hooks) != 0)
        return -1;
    w->turn = (struct turn_ctx){.worker_id = w->id,
                                .sh = w->sh,
                                .dp = &w->dp,
                                .metrics = &w->metrics,
                                .unauth = &w->unauth,
                                .auth = &w->auth};
    return 0;
}

int worker_init(struct worker *w, unsigned id, struct relay_shared *sh,
                const struct turn_rest_secrets *secrets)
{
    struct timeval one_second = {1, 0};
    memset(w, 0, sizeof(*w));
    w->wake_fd = -1;
    w->id = id;
    w->sh = sh;
    randombytes_buf(w->hash_key, sizeof(w->hash_key));
    pthread_mutex_init(&w->inbox_lock, NULL);
    w->secrets = turn_rest_secrets_new();
    if (w->secrets == NULL)
        goto fail;
    if (secrets != NULL)
        *w->secrets = *secrets;
    set_auth(w);
    w->base = event_base_new();
    if (w->base == NULL || init_core(w) != 0 ||
        unauth_limit_init(&w->unauth, sh->cfg->unauth_rate, sh->cfg->unauth_burst,
                          sh->cfg->unauth_sources) != 0)
        goto fail;
    w->tick = event_new(w->base, -1, EV_PERSIST, on_tick, w);
    w->inbox_ev = event_new(w->base, -1, 0, on_inbox, w);
    if (w->tick == NULL || w->inbox_ev == NULL || event_add(w->tick, &one_second) != 0 ||
        handoff_init(w) != 0)
        goto fail;
    if (open_listener(w) != 0)
        goto fail_listen;
    return 0;
fail:
    log_error(sh->log, "worker %u: cannot set up its event loop", id);
fail_listen:
    worker_free(w);
    return -1;
}

/* OpenSSL loads its provider and algorithms on first use; doing it before
 * the first request keeps that one-off cost (time and about 2 MB) out of
 * the first allocations. */
static void warm_crypto(void)
{
    char password[TURN_REST_PASSWORD_MAX];
    uint8_t key[16];
    stun_thread_init();
    (void)turn_rest_password((const uint8_t *)"x", 1, "0:x:x", 5, password);
    (void)stun_long_term_key_md5("x", 1, "x", 1, password, strlen(password), key);
    sodium_memzero(password, sizeof(password));
    sodium_memzero(key, sizeof(key));
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    warm_crypto();
    event_base_dispatch(w->base);
    return NULL;
}

int worker_start(struct worker *w)
{
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return -1;
    w->started = true;
    return 0;
}

void worker_stop(struct worker *w)
{
    struct worker_msg *m;
    if (!w->started)
        return;
    /* A message rather than event_base_loopbreak(): a break asked for
     * before the thread entered its loop would be lost. */
    m = calloc(1, sizeof(*m));
    if (m != NULL) {
        m->kind = WORKER_MSG_STOP;
        post(w, m);
    } else {
        event_base_loopbreak(w->base);
    }
    pthread_join(w->thread, NULL);
    w->started = false;
}

void worker_free(struct worker *w)
{
    struct worker_msg *m;
    if (w->base != NULL)
        listener_close(&w->listener);
    datapath_free(&w->dp);
    recv_batch_free(&w->rx);
    if (w->tick != NULL)
        event_free(w->tick);
    if (w->inbox_ev != NULL)
        event_free(w->inbox_ev);
    handoff_free(w);
    m = w->inbox_head;
    while (m != NULL) {
        struct worker_msg *next = m->next;
        if (m->kind == WORKER_MSG_QUIESCE) /* stopped: nothing of it is in use */
            m->u.quiesce.fn(m->u.quiesce.arg);
        msg_free(m);
        m = next;
    }
    w->inbox_head = w->inbox_tail = NULL;
    if (w->base != NULL)
        event_base_free(w->base);
    w->base = NULL;
    pthread_mutex_destroy(&w->inbox_lock);
    turn_rest_secrets_free(w->secrets);
    w->secrets = NULL;
    unauth_limit_free(&w->unauth);
}
