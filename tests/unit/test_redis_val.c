/* Unit tests for common/redis_val: replies in the Redis protocol read by
 * hiredis's own reader (what store.c and redis_link.c get from a server),
 * converted into the tree; every bound at N, N+1 and at the largest reply
 * the layer below lets through. The byte bound is tested on replies put
 * together by hand (64 strings sharing one buffer), so that 64 MiB is not
 * held three times over. */
#include <hiredis/hiredis.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "redis_val.h"

/* The reply hiredis reads from len bytes of wire; fails the test when the
 * reader does not give exactly one. */
static redisReply *wire(const char *bytes, size_t len)
{
    redisReader *rd = redisReaderCreate();
    void *reply = NULL;
    assert_non_null(rd);
    assert_int_equal(redisReaderFeed(rd, bytes, len), REDIS_OK);
    assert_int_equal(redisReaderGetReply(rd, &reply), REDIS_OK);
    assert_non_null(reply);
    redisReaderFree(rd);
    return reply;
}

static redisReply *wire_str(const char *s)
{
    return wire(s, strlen(s));
}

/* Converts the reply of the wire bytes s; returns the status. */
static int convert_wire(const char *s, struct redis_val *v)
{
    redisReply *r = wire_str(s);
    int rc = redis_val_from_reply(r, v);
    freeReplyObject(r);
    return rc;
}

static void assert_nil_value(const struct redis_val *v)
{
    assert_int_equal(v->type, REDIS_VAL_NIL);
    assert_null(v->str);
    assert_null(v->elem);
    assert_int_equal(v->n, 0);
}

static void test_scalars(void **state)
{
    struct redis_val v;

    assert_int_equal(convert_wire(":42\r\n", &v), 0);
    assert_int_equal(v.type, REDIS_VAL_INT);
    assert_int_equal(v.num, 42);
    redis_val_free(&v);
    assert_int_equal(convert_wire(":-9223372036854775808\r\n", &v), 0);
    assert_int_equal(v.type, REDIS_VAL_INT);
    assert_true(v.num == INT64_MIN);
    redis_val_free(&v);

    assert_int_equal(convert_wire("$-1\r\n", &v), 0);
    assert_nil_value(&v);
    assert_int_equal(convert_wire("*-1\r\n", &v), 0); /* a nil array */
    assert_nil_value(&v);

    assert_int_equal(convert_wire("+OK\r\n", &v), 0);
    assert_int_equal(v.type, REDIS_VAL_STR);
    assert_string_equal(v.str, "OK");
    assert_int_equal(v.len, 2);
    redis_val_free(&v);

    assert_int_equal(convert_wire("$0\r\n\r\n", &v), 0);
    assert_int_equal(v.type, REDIS_VAL_STR);
    assert_non_null(v.str);
    assert_string_equal(v.str, "");
    redis_val_free(&v);
}

static void test_binary_string(void **state)
{
    static const char w[] = "$5\r\na\0b\r\n\r\n";
    redisReply *r = wire(w, sizeof(w) - 1);
    struct redis_val v;

    assert_int_equal(redis_val_from_reply(r, &v), 0);
    freeReplyObject(r); /* the tree holds copies */
    assert_int_equal(v.type, REDIS_VAL_STR);
    assert_int_equal(v.len, 5);
    assert_memory_equal(v.str, "a\0b\r\n", 5);
    assert_int_equal(v.str[5], '\0');
    redis_val_free(&v);
}

static void test_error(void **state)
{
    struct redis_val v;

    assert_int_equal(convert_wire("-OOM command not allowed\r\n", &v), 0);
    assert_int_equal(v.type, REDIS_VAL_ERROR);
    assert_string_equal(v.str, "OOM command not allowed");
    assert_int_equal(v.len, 23);
    redis_val_free(&v);
    /* Inside an array (an EXEC or a script's reply). */
    assert_int_equal(convert_wire("*2\r\n-ERR x\r\n:1\r\n", &v), 0);
    assert_int_equal(v.elem[0].type, REDIS_VAL_ERROR);
    assert_string_equal(v.elem[0].str, "ERR x");
    assert_int_equal(v.elem[1].type, REDIS_VAL_INT);
    redis_val_free(&v);
}

static void test_empty_array(void **state)
{
    struct redis_val v;

    assert_int_equal(convert_wire("*0\r\n", &v), 0);
    assert_int_equal(v.type, REDIS_VAL_ARRAY);
    assert_int_equal(v.n, 0);
    assert_null(v.elem);
    redis_val_free(&v);
}

static void test_nested(void **state)
{
    struct redis_val v;

    assert_int_equal(convert_wire("*4\r\n:1\r\n*3\r\n$1\r\na\r\n$-1\r\n*0\r\n+st\r\n"
                                  "*1\r\n*1\r\n$2\r\nzz\r\n",
                                  &v),
                     0);
    assert_int_equal(v.type, REDIS_VAL_ARRAY);
    assert_int_equal(v.n, 4);
    assert_int_equal(v.elem[0].type, REDIS_VAL_INT);
    assert_int_equal(v.elem[0].num, 1);
    assert_int_equal(v.elem[1].type, REDIS_VAL_ARRAY);
    assert_int_equal(v.elem[1].n, 3);
    assert_string_equal(v.elem[1].elem[0].str, "a");
    assert_int_equal(v.elem[1].elem[1].type, REDIS_VAL_NIL);
    assert_int_equal(v.elem[1].elem[2].type, REDIS_VAL_ARRAY);
    assert_int_equal(v.elem[1].elem[2].n, 0);
    assert_int_equal(v.elem[2].type, REDIS_VAL_STR);
    assert_string_equal(v.elem[2].str, "st");
    assert_int_equal(v.elem[3].elem[0].type, REDIS_VAL_ARRAY);
    assert_string_equal(v.elem[3].elem[0].elem[0].str, "zz");
    redis_val_free(&v);
    assert_nil_value(&v);
    redis_val_free(&v); /* twice is harmless */
    redis_val_free(NULL);
}

/* depth arrays, each the only element of the one around it, the innermost
 * holding an integer. */
static char *nested_wire(unsigned depth)
{
    char *w = malloc(4 * depth + 8);
    size_t at = 0;
    assert_non_null(w);
    for (unsigned i = 0; i < depth; i++)
        at += (size_t)sprintf(w + at, "*1\r\n");
    sprintf(w + at, ":7\r\n");
    return w;
}

static int convert_nested(unsigned depth, struct redis_val *v)
{
    char *w = nested_wire(depth);
    int rc = convert_wire(w, v);
    free(w);
    return rc;
}

static void test_depth(void **state)
{
    struct redis_val v;
    const struct redis_val *e;
    unsigned deepest = 0;

    /* N: REDIS_VAL_MAX_DEPTH arrays. */
    assert_int_equal(convert_nested(REDIS_VAL_MAX_DEPTH, &v), 0);
    e = &v;
    for (unsigned i = 0; i < REDIS_VAL_MAX_DEPTH; i++) {
        assert_int_equal(e->type, REDIS_VAL_ARRAY);
        assert_int_equal(e->n, 1);
        e = &e->elem[0];
    }
    assert_int_equal(e->type, REDIS_VAL_INT);
    assert_int_equal(e->num, 7);
    redis_val_free(&v);

    /* N + 1. */
    assert_int_equal(convert_nested(REDIS_VAL_MAX_DEPTH + 1, &v), REDIS_VAL_EBOUND);
    assert_nil_value(&v);

    /* The deepest nesting hiredis's reader accepts (it refuses deeper
     * ones itself): found, then refused here. */
    for (unsigned d = REDIS_VAL_MAX_DEPTH + 1; d < 64; d++) {
        char *w = nested_wire(d);
        redisReader *rd = redisReaderCreate();
        void *reply = NULL;
        int ok;
        assert_int_equal(redisReaderFeed(rd, w, strlen(w)), REDIS_OK);
        ok = redisReaderGetReply(rd, &reply) == REDIS_OK && reply != NULL;
        if (reply != NULL)
            freeReplyObject(reply);
        redisReaderFree(rd);
        free(w);
        if (!ok)
            break;
        deepest = d;
    }
    assert_true(deepest > REDIS_VAL_MAX_DEPTH + 1 && deepest < 63);
    assert_int_equal(convert_nested(deepest, &v), REDIS_VAL_EBOUND);
    assert_nil_value(&v);
}

/* An array of n integers (n + 1 values), or, with nest, an array of an
 * array of n - 1 integers and one integer (n + 2 values). */
static char *wide_wire(size_t n, int nest)
{
    char *w = malloc(4 * n + 64);
    size_t at = 0;
    assert_non_null(w);
    if (nest)
        at += (size_t)sprintf(w, "*2\r\n*%zu\r\n", n - 1);
    else
        at += (size_t)sprintf(w, "*%zu\r\n", n);
    for (size_t i = 0; i < n; i++) {
        memcpy(w + at, ":0\r\n", 4);
        at += 4;
    }
    w[at] = '\0';
    return w;
}

static int convert_wide(size_t n, int nest, struct redis_val *v)
{
    char *w = wide_wire(n, nest);
    int rc = convert_wire(w, v);
    free(w);
    return rc;
}

static void test_nodes(void **state)
{
    struct redis_val v;

    /* N: the root and REDIS_VAL_MAX_NODES - 1 elements. */
    assert_int_equal(convert_wide(REDIS_VAL_MAX_NODES - 1, 0, &v), 0);
    assert_int_equal(v.n, REDIS_VAL_MAX_NODES - 1);
    assert_int_equal(v.elem[REDIS_VAL_MAX_NODES - 2].type, REDIS_VAL_INT);
    redis_val_free(&v);
    /* N + 1. */
    assert_int_equal(convert_wide(REDIS_VAL_MAX_NODES, 0, &v), REDIS_VAL_EBOUND);
    assert_nil_value(&v);

    /* Values below the top level count too: root, inner array, inner
     * elements and one more integer. */
    assert_int_equal(convert_wide(REDIS_VAL_MAX_NODES - 2, 1, &v), 0);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.elem[0].n, REDIS_VAL_MAX_NODES - 3);
    redis_val_free(&v);
    assert_int_equal(convert_wide(REDIS_VAL_MAX_NODES - 1, 1, &v), REDIS_VAL_EBOUND);
    assert_nil_value(&v);

    /* hiredis 0.14 sets no bound on elements: a reply 16 times over. */
    assert_int_equal(convert_wide(16 * (size_t)REDIS_VAL_MAX_NODES, 0, &v), REDIS_VAL_EBOUND);
    assert_nil_value(&v);
}

/* Hand-made replies for the byte bound: n strings of len bytes each, all
 * pointing at buf, and one more of extra bytes when extra > 0. */
struct big_reply {
    redisReply root;
    redisReply *ptrs[80];
    redisReply kids[80];
};

static void big_reply_init(struct big_reply *b, size_t n, size_t len, char *buf, size_t extra)
{
    memset(b, 0, sizeof(*b));
    assert_true(n + 1 <= 80);
    b->root.type = REDIS_REPLY_ARRAY;
    b->root.element = b->ptrs;
    for (size_t i = 0; i < n + (extra > 0); i++) {
        b->kids[i].type = REDIS_REPLY_STRING;
        b->kids[i].str = buf;
        b->kids[i].len = i < n ? len : extra;
        b->ptrs[i] = &b->kids[i];
    }
    b->root.elements = n + (extra > 0);
}

static void test_bytes(void **state)
{
    const size_t mib = 1024 * 1024;
    char *buf = malloc(mib);
    struct big_reply *b = malloc(sizeof(*b));
    struct redis_val v;

    assert_non_null(buf);
    assert_non_null(b);
    memset(buf, 'x', mib);
    /* N: 64 strings of 1 MiB. */
    _Static_assert(REDIS_VAL_MAX_BYTES == 64 * 1024 * 1024, "the test cuts 64 MiB in 64");
    big_reply_init(b, 64, mib, buf, 0);
    assert_int_equal(redis_val_from_reply(&b->root, &v), 0);
    assert_int_equal(v.n, 64);
    assert_int_equal(v.elem[63].len, mib);
    assert_int_equal(v.elem[63].str[mib - 1], 'x');
    assert_int_equal(v.elem[63].str[mib], '\0');
    redis_val_free(&v);
    /* N + 1: one byte more, in a string of its own. */
    big_reply_init(b, 64, mib, buf, 1);
    assert_int_equal(redis_val_from_reply(&b->root, &v), REDIS_VAL_EBOUND);
    assert_nil_value(&v);
    /* The largest bulk string Redis sends (proto-max-bulk-len, 512 MiB;
     * hiredis 0.14 reads any length): refused from its length alone, its
     * bytes never read (str points at 1 MiB; ASan would catch a read). */
    memset(b, 0, sizeof(*b));
    b->kids[0].type = REDIS_REPLY_STRING;
    b->kids[0].str = buf;
    b->kids[0].len = 512 * mib;
    assert_int_equal(redis_val_from_reply(&b->kids[0], &v), REDIS_VAL_EBOUND);
    assert_nil_value(&v);
    /* One string alone one byte over the bound. */
    b->kids[0].len = REDIS_VAL_MAX_BYTES + 1;
    assert_int_equal(redis_val_from_reply(&b->kids[0], &v), REDIS_VAL_EBOUND);
    free(b);
    free(buf);
}

static void test_null_and_unknown(void **state)
{
    redisReply odd;
    struct redis_val v;

    assert_int_equal(redis_val_from_reply(NULL, &v), REDIS_VAL_EBOUND);
    assert_nil_value(&v);
    memset(&odd, 0, sizeof(odd));
    odd.type = 99;
    assert_int_equal(redis_val_from_reply(&odd, &v), REDIS_VAL_EBOUND);
    assert_nil_value(&v);
    /* An array claiming elements it does not have. */
    odd.type = REDIS_REPLY_ARRAY;
    odd.elements = 3;
    odd.element = NULL;
    assert_int_equal(redis_val_from_reply(&odd, &v), REDIS_VAL_EBOUND);
    assert_nil_value(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_binary_string),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_empty_array),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_nodes),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_null_and_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
