/* status: the negative statuses broker modules return; http maps each to
 * one HTTP code (http_status_code). 0 is success everywhere. */
#ifndef UMBRA_BROKER_STATUS_H
#define UMBRA_BROKER_STATUS_H

#include "store.h"

enum broker_status {
    BROKER_OK = 0,
    BROKER_EDOWN = -1,          /* Redis unreachable: 503 + Retry-After (== STORE_EDOWN) */
    BROKER_EINTERNAL = -2,      /* 500 */
    BROKER_EINVALID = -3,       /* 400: the request is malformed */
    BROKER_EAUTH = -4,          /* 401: missing or unknown bearer secret */
    BROKER_EFORBIDDEN = -5,     /* 403: this party may not do that (or policy refused) */
    BROKER_ENOTFOUND = -6,      /* 404: unknown or expired id */
    BROKER_ECONFLICT = -7,      /* 409: fingerprint reuse, wrong call state */
    BROKER_EGONE = -8,          /* 410: the call has ended */
    BROKER_EUNPROCESSABLE = -9, /* 422: well-formed but refused SDP */
    BROKER_ENORELAY = -10,      /* 503: no live relay fits the call (split_relays) */
    BROKER_ELIMITED = -11,      /* 429: over a creation limit (create_limit.h) */
    BROKER_EFULL = -12,         /* 503 + Retry-After: Redis is at maxmemory (-OOM) */
};

/* The broker_status of a store return: 0, STORE_EDOWN and STORE_EFULL as
 * themselves, any other error (a refused command, a malformed reply)
 * BROKER_EINTERNAL. */
static inline int broker_status_of_store(int rc)
{
    return rc == 0             ? 0
           : rc == STORE_EDOWN ? BROKER_EDOWN
           : rc == STORE_EFULL ? BROKER_EFULL
                               : BROKER_EINTERNAL;
}

#endif
