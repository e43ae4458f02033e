/* wipe_alloc: a free and a realloc that zero a block before giving it back,
 * for libraries that let us replace their allocator (OpenSSL, jansson,
 * libevent) and free without telling the size: malloc_usable_size() gives
 * it. Blocks must come from malloc. Both are thread-safe. */
#ifndef UMBRA_WIPE_ALLOC_H
#define UMBRA_WIPE_ALLOC_H

#include <stddef.h>

/* Zeroes the whole block, then frees it; p may be NULL. */
void wipe_alloc_free(void *p);
/* realloc whose moved-from block is wiped like a free; n == 0 frees. */
void *wipe_alloc_realloc(void *p, size_t n);

#endif
