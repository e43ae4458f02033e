/* store_batch: building a pipeline and the one-command form, over any
 * store_batch_run (broker/store.c, or the fuzz targets' recording fake).
 * See store.h. */
#include <stdarg.h>
#include <stdbool.h>

#include "store.h"

static void collect(struct store_batch *b, va_list ap)
{
    const char *arg;
    int argc = 0;
    if (b->n == STORE_BATCH_MAX) {
        b->overflow = true;
        return;
    }
    while ((arg = va_arg(ap, const char *)) != NULL) {
        if (argc == STORE_ARGV_MAX) {
            b->overflow = true;
            return;
        }
        b->argv[b->n][argc++] = arg;
    }
    b->argc[b->n++] = argc;
}

void store_batch_add(struct store_batch *b, ...)
{
    va_list ap;
    va_start(ap, b);
    collect(b, ap);
    va_end(ap);
}

int store_cmd(struct store *st, struct redis_val *out, ...)
{
    struct store_batch b = {0};
    va_list ap;
    va_start(ap, out);
    collect(&b, ap);
    va_end(ap);
    return store_batch_run(st, &b, out);
}
