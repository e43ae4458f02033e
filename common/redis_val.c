/* redis_val: see redis_val.h. */
#include "redis_val.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* What a reply uses up of the bounds, counted while measuring. */
struct redis_val_count {
    size_t nodes;
    size_t bytes;
};

static bool redis_val_is_text(int type)
{
    return type == REDIS_REPLY_STRING || type == REDIS_REPLY_STATUS || type == REDIS_REPLY_ERROR;
}

/* 0 when r and everything below it fit the bounds left in c; depth is the
 * number of arrays around r. An array inside REDIS_VAL_MAX_DEPTH others is
 * refused before its elements are looked at, so the recursion is at most
 * REDIS_VAL_MAX_DEPTH + 1 calls deep. */
static int redis_val_measure(const redisReply *r, unsigned depth, struct redis_val_count *c)
{
    if (r == NULL || c->nodes == REDIS_VAL_MAX_NODES)
        return REDIS_VAL_EBOUND;
    c->nodes++;
    if (redis_val_is_text(r->type)) {
        if (r->len > REDIS_VAL_MAX_BYTES - c->bytes || (r->str == NULL && r->len > 0))
            return REDIS_VAL_EBOUND;
        c->bytes += r->len;
        return 0;
    }
    if (r->type == REDIS_REPLY_INTEGER || r->type == REDIS_REPLY_NIL)
        return 0;
    if (r->type != REDIS_REPLY_ARRAY || depth == REDIS_VAL_MAX_DEPTH)
        return REDIS_VAL_EBOUND;
    if (r->elements > REDIS_VAL_MAX_NODES - c->nodes || (r->element == NULL && r->elements > 0))
        return REDIS_VAL_EBOUND;
    for (size_t i = 0; i < r->elements; i++)
        if (redis_val_measure(r->element[i], depth + 1, c) != 0)
            return REDIS_VAL_EBOUND;
    return 0;
}

/* Copies a reply that redis_val_measure() accepted. On failure what was
 * copied so far stays in out, for redis_val_free(). */
static int redis_val_copy(const redisReply *r, struct redis_val *out)
{
    memset(out, 0, sizeof(*out));
    switch (r->type) {
    case REDIS_REPLY_INTEGER:
        out->type = REDIS_VAL_INT;
        out->num = r->integer;
        return 0;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        out->type = r->type == REDIS_REPLY_ERROR ? REDIS_VAL_ERROR : REDIS_VAL_STR;
        out->str = malloc(r->len + 1);
        if (out->str == NULL)
            return REDIS_VAL_ENOMEM;
        if (r->len > 0)
            memcpy(out->str, r->str, r->len);
        out->str[r->len] = '\0';
        out->len = r->len;
        return 0;
    case REDIS_REPLY_ARRAY:
        out->type = REDIS_VAL_ARRAY;
        if (r->elements == 0)
            return 0;
        out->elem = calloc(r->elements, sizeof(*out->elem));
        if (out->elem == NULL)
            return REDIS_VAL_ENOMEM;
        out->n = r->elements;
        for (size_t i = 0; i < r->elements; i++)
            if (redis_val_copy(r->element[i], &out->elem[i]) != 0)
                return REDIS_VAL_ENOMEM;
        return 0;
    default:
        out->type = REDIS_VAL_NIL;
        return 0;
    }
}

int redis_val_from_reply(const struct redisReply *r, struct redis_val *out)
{
    struct redis_val_count c = {0, 0};
    int rc;

    memset(out, 0, sizeof(*out));
    if (redis_val_measure(r, 0, &c) != 0)
        return REDIS_VAL_EBOUND;
    rc = redis_val_copy(r, out);
    if (rc != 0)
        redis_val_free(out);
    return rc;
}

void redis_val_free(struct redis_val *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++)
        redis_val_free(&v->elem[i]);
    free(v->elem);
    free(v->str);
    memset(v, 0, sizeof(*v));
}
