/* wipe: see wipe.h. */
#include <event2/event.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wipe.h"
#include "wipe_alloc.h"

void wipe_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    sodium_memzero(p, len);
    free(p);
}

int wipe_install(void)
{
    event_set_mem_functions(malloc, wipe_alloc_realloc, wipe_alloc_free);
    json_set_alloc_funcs(malloc, wipe_alloc_free);
    return 0;
}
