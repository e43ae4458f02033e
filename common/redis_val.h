/* redis_val: one Redis reply as a plain tree of C values (nil, integer,
 * string, error, array), and its conversion from a hiredis redisReply.
 * The broker's store (broker/store.c) and the relay's redis_link
 * (relay/redis_link.c) both hand their callers this type, so the rest of
 * each daemon reads replies without hiredis.
 *
 * This is the named exception to "one file per dependency includes its
 * headers": redis_val.c includes hiredis/hiredis.h beside store.c and
 * redis_link.c, only to read the fields of a reply (it calls no hiredis
 * function). This header needs no hiredis.
 *
 * A reply comes from Redis, the shared store: it is taken as hostile
 * input. redis_val_from_reply() first measures the whole reply against
 * the bounds below, without allocating, and refuses it when it is over
 * any of them; only then does it copy. A refused reply costs nothing.
 *
 * Ownership: a converted tree owns every string and array in it; strings
 * are NUL-terminated copies (len excludes the NUL; a string may also hold
 * NUL bytes of its own). The caller frees the tree with redis_val_free(),
 * which leaves it a NIL value, so freeing twice is harmless.
 *
 * Layer: common/, a leaf; uses nothing of the project. */
#ifndef UMBRA_REDIS_VAL_H
#define UMBRA_REDIS_VAL_H

#include <stddef.h>

/* Arrays nested deeper than this are refused (the top-level array is depth
 * 1). Every reply umbra reads is a scalar or an array of scalars. */
#define REDIS_VAL_MAX_DEPTH 4
/* Values in one tree, the root and every element at every depth counted. */
#define REDIS_VAL_MAX_NODES 65536
/* Bytes of all strings (bulk, status and error) of one tree together. */
#define REDIS_VAL_MAX_BYTES (64u * 1024 * 1024)

#define REDIS_VAL_EBOUND (-1) /* over a bound, NULL or of an unknown type */
#define REDIS_VAL_ENOMEM (-2) /* out of memory while copying */

enum redis_val_type {
    REDIS_VAL_NIL = 0,
    REDIS_VAL_INT,
    REDIS_VAL_STR, /* bulk string or status reply */
    REDIS_VAL_ARRAY,
    REDIS_VAL_ERROR, /* an error reply; its text in str */
};

struct redis_val {
    enum redis_val_type type;
    long long num; /* REDIS_VAL_INT */
    char *str;     /* REDIS_VAL_STR and REDIS_VAL_ERROR: NUL-terminated */
    size_t len;    /* bytes of str without the NUL */
    size_t n;      /* REDIS_VAL_ARRAY: elements */
    struct redis_val *elem;
};

struct redisReply;

/* Copies r into out. 0; REDIS_VAL_EBOUND when r is over a bound (nothing
 * was allocated); REDIS_VAL_ENOMEM. On failure out is a NIL value. r stays
 * the caller's (typically freed with freeReplyObject right after). */
int redis_val_from_reply(const struct redisReply *r, struct redis_val *out);
/* Frees what v holds and makes it a NIL value. v may be NULL. */
void redis_val_free(struct redis_val *v);

#endif
