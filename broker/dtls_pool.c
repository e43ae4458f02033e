/* dtls_pool: see dtls_pool.h. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dtls_pool.h"

struct dtls_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool has_thread;
    bool stop;
    size_t capacity, count;
    unsigned long long misses;
    struct dtls_id *ids;
};

static void *fill(void *arg)
{
    struct dtls_pool *p = arg;
    char err[128];

    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct dtls_id id;
        if (p->count == p->capacity) {
            pthread_cond_wait(&p->wake, &p->lock);
            continue;
        }
        pthread_mutex_unlock(&p->lock);
        if (dtls_id_generate(&id, err, sizeof(err)) != 0) {
            /* Nothing to do but let takers generate inline (and report). */
            pthread_mutex_lock(&p->lock);
            pthread_cond_wait(&p->wake, &p->lock);
            continue;
        }
        pthread_mutex_lock(&p->lock);
        p->ids[p->count++] = id;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct dtls_pool *dtls_pool_new(size_t capacity)
{
    struct dtls_pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->capacity = capacity;
    if (capacity == 0)
        return p;
    p->ids = calloc(capacity, sizeof(*p->ids));
    if (p->ids == NULL || pthread_create(&p->thread, NULL, fill, p) != 0) {
        free(p->ids);
        free(p);
        return NULL;
    }
    p->has_thread = true;
    return p;
}

void dtls_pool_free(struct dtls_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    if (p->has_thread)
        pthread_join(p->thread, NULL);
    for (size_t i = 0; i < p->count; i++)
        dtls_id_free(&p->ids[i]);
    free(p->ids);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

int dtls_pool_take(struct dtls_pool *p, struct dtls_id *out, char *err, size_t errlen)
{
    pthread_mutex_lock(&p->lock);
    if (p->count > 0) {
        *out = p->ids[--p->count];
        memset(&p->ids[p->count], 0, sizeof(p->ids[p->count]));
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    p->misses++;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    return dtls_id_generate(out, err, errlen);
}

size_t dtls_pool_ready(struct dtls_pool *p)
{
    size_t n;
    pthread_mutex_lock(&p->lock);
    n = p->count;
    pthread_mutex_unlock(&p->lock);
    return n;
}

unsigned long long dtls_pool_misses(struct dtls_pool *p)
{
    unsigned long long n;
    pthread_mutex_lock(&p->lock);
    n = p->misses;
    pthread_mutex_unlock(&p->lock);
    return n;
}
