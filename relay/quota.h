/* quota: live allocations per username across all worker threads, for the
 * user-quota limit (486 Allocation Quota Reached).
 *
 * Thread-safe (one mutex); used on Allocate and when an allocation ends,
 * never per packet. A limit of 0 means no limit and takes no lock. */
#ifndef UMBRA_QUOTA_H
#define UMBRA_QUOTA_H

#include <pthread.h>
#include <stddef.h>

#include "htab.h"

struct quota {
    pthread_mutex_t lock;
    struct htab h;
    unsigned limit;
    unsigned char key[HTAB_HASH_KEY_BYTES];
};

int quota_init(struct quota *q, unsigned limit);
void quota_free(struct quota *q);
/* Takes one unit for user. Returns 0, or -1 when the user is at the limit
 * (or out of memory). */
int quota_take(struct quota *q, const char *user, size_t len);
void quota_give_back(struct quota *q, const char *user, size_t len);

#endif
