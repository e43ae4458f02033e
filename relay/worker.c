/* worker: see worker.h. */
#include "worker.h"

#include <event2/event.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allocation.h"

int64_t worker_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t worker_wall(void)
{
    return (int64_t)time(NULL);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    size_t ended = alloc_table_sweep(&w->allocs, worker_now());
    if (ended > 0)
        log_debug(w->sh->log, "worker %u: %zu allocations expired", w->id, ended);
}

static void set_auth(struct worker *w)
{
    w->auth.realm = w->sh->cfg->realm;
    w->auth.secrets = &w->secrets;
    w->auth.users = w->sh->cfg->users;
    w->auth.n_users = w->sh->cfg->n_users;
}

static void apply(struct worker *w, struct worker_msg *m)
{
    if (m->kind == WORKER_MSG_REVOKE) {
        size_t n = alloc_table_revoke(&w->allocs, m->id, m->len);
        metrics_add(&w->metrics, M_REVOKED_ALLOCATIONS, n);
        if (n > 0)
            log_info(w->sh->log, "worker %u: %zu allocations revoked", w->id, n);
    } else if (m->kind == WORKER_MSG_SECRETS && m->secrets != NULL) {
        turn_rest_secrets_clear(&w->secrets);
        w->secrets = *m->secrets;
    } else if (m->kind == WORKER_MSG_STOP) {
        event_base_loopbreak(w->base);
    }
}

static void msg_free(struct worker_msg *m)
{
    if (m->secrets != NULL) {
        turn_rest_secrets_clear(m->secrets);
        free(m->secrets);
    }
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
    if (len == 0 || len > sizeof(m->id))
        return -1;
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return -1;
    m->kind = WORKER_MSG_REVOKE;
    memcpy(m->id, id, len);
    m->len = len;
    return post(w, m);
}

int worker_post_secrets(struct worker *w, const struct turn_rest_secrets *s)
{
    struct worker_msg *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return -1;
    m->secrets = malloc(sizeof(*m->secrets));
    if (m->secrets == NULL) {
        free(m);
        return -1;
    }
    *m->secrets = *s;
    m->kind = WORKER_MSG_SECRETS;
    return post(w, m);
}

int worker_init(struct worker *w, unsigned id, struct relay_shared *sh,
                const struct turn_rest_secrets *secrets)
{
    struct timeval one_second = {1, 0};
    memset(w, 0, sizeof(*w));
    w->id = id;
    w->sh = sh;
    randombytes_buf(w->hash_key, sizeof(w->hash_key));
    if (secrets != NULL)
        w->secrets = *secrets;
    set_auth(w);
    pthread_mutex_init(&w->inbox_lock, NULL);
    w->base = event_base_new();
    if (w->base == NULL || alloc_table_init(&w->allocs, w->hash_key) != 0)
        goto fail;
    w->tick = event_new(w->base, -1, EV_PERSIST, on_tick, w);
    w->inbox_ev = event_new(w->base, -1, 0, on_inbox, w);
    if (w->tick == NULL || w->inbox_ev == NULL || event_add(w->tick, &one_second) != 0)
        goto fail;
    if (listener_open(w, &w->listener) != 0)
        goto fail_listen;
    return 0;
fail:
    log_error(sh->log, "worker %u: cannot set up its event loop", id);
fail_listen:
    worker_free(w);
    return -1;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
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
        listener_close(w, &w->listener);
    if (w->allocs.h.buckets != NULL)
        alloc_table_free(&w->allocs);
    if (w->tick != NULL)
        event_free(w->tick);
    if (w->inbox_ev != NULL)
        event_free(w->inbox_ev);
    m = w->inbox_head;
    while (m != NULL) {
        struct worker_msg *next = m->next;
        msg_free(m);
        m = next;
    }
    w->inbox_head = w->inbox_tail = NULL;
    if (w->base != NULL)
        event_base_free(w->base);
    w->base = NULL;
    pthread_mutex_destroy(&w->inbox_lock);
    turn_rest_secrets_clear(&w->secrets);
}
