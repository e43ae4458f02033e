/* wipe: see wipe.h. */
#include <event2/event.h>
#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wipe.h"

void wipe_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    sodium_memzero(p, len);
    free(p);
}

/* The libraries free without a size: malloc knows it. */
static void wiping_free(void *p)
{
    if (p != NULL)
        wipe_free(p, malloc_usable_size(p));
}

/* realloc may move the block: the old one is wiped like a free. */
static void *wiping_realloc(void *p, size_t n)
{
    size_t old;
    void *q;

    if (p == NULL)
        return malloc(n);
    if (n == 0) {
        wiping_free(p);
        return NULL;
    }
    old = malloc_usable_size(p);
    if (old >= n)
        return p;
    q = malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old);
    wiping_free(p);
    return q;
}

int wipe_install(void)
{
    event_set_mem_functions(malloc, wiping_realloc, wiping_free);
    json_set_alloc_funcs(malloc, wiping_free);
    return 0;
}
