/* wipe_alloc: see wipe_alloc.h. */
#include "wipe_alloc.h"

#include <malloc.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void wipe_alloc_free(void *p)
{
    if (p == NULL)
        return;
    sodium_memzero(p, malloc_usable_size(p));
    free(p);
}

void *wipe_alloc_realloc(void *p, size_t n)
{
    size_t old;
    void *q;

    if (p == NULL)
        return malloc(n);
    if (n == 0) {
        wipe_alloc_free(p);
        return NULL;
    }
    old = malloc_usable_size(p);
    if (old >= n)
        return p;
    q = malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old);
    wipe_alloc_free(p);
    return q;
}
