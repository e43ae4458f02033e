/* quota: live allocations across all worker threads, counted three ways
 * for the relay's allocation limits: in total (max-allocations, 508
 * Insufficient Capacity), per username (user-quota, 486 Allocation Quota
 * Reached) and per call id, the one a sealed username carries (call-quota,
 * 486), so the two parties of a call and their devices share one budget.
 * A plain REST name or a static user has no call id (length 0) and only
 * counts toward the total and its user.
 *
 * Thread-safe (one mutex); used on Allocate and when an allocation ends,
 * never per packet. A limit of 0 means no limit; with no limit at all no
 * lock is taken. Nothing is kept about a user or call without live
 * allocations. */
#ifndef UMBRA_QUOTA_H
#define UMBRA_QUOTA_H

#include <pthread.h>
#include <stddef.h>

#include "htab.h"

struct quota_limits {
    unsigned total;    /* live allocations on the relay */
    unsigned per_user; /* per username */
    unsigned per_call; /* per REST call id */
};

struct quota {
    pthread_mutex_t lock;
    struct htab users;
    struct htab calls;
    unsigned total;
    struct quota_limits limits;
    unsigned char key[HTAB_HASH_KEY_BYTES];
};

enum quota_result {
    QUOTA_OK = 0,
    QUOTA_TOTAL = -1, /* max-allocations reached: 508 */
    QUOTA_USER = -2,  /* user-quota reached: 486 */
    QUOTA_CALL = -3,  /* call-quota reached: 486 */
    QUOTA_NOMEM = -4, /* 508 */
};

int quota_init(struct quota *q, const struct quota_limits *limits);
void quota_free(struct quota *q);
/* Takes one unit for user, its call (none when call_len is 0) and the
 * total, all or none. */
enum quota_result quota_take(struct quota *q, const char *user, size_t len, const char *call,
                             size_t call_len);
/* Gives back what quota_take took for the same user and call. */
void quota_give_back(struct quota *q, const char *user, size_t len, const char *call,
                     size_t call_len);

#endif
