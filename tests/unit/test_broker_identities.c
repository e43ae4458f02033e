/* Unit tests for broker/identities (pure part), keys and cname. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "cname.h"
#include "identities.h"
#include "keys.h"

static const uint8_t sk_a[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t sk_b[16] = {16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};

static void pn(const struct keys *k, const uint8_t *sk, uint64_t rot, const char *ctx,
               char out[IDENTITIES_PSEUDONYM_LEN])
{
    identities_pseudonym(k->pseudonym, sk, rot, ctx, strlen(ctx), out);
}

static void derive(struct keys *k, uint8_t fill)
{
    uint8_t master[KEYS_BYTES];
    memset(master, fill, sizeof(master));
    keys_derive(master, k);
}

/* The contract: BLAKE2b-128 keyed with the pseudonym key over
 * sk || rotations (64-bit big endian) || context, base64url. Computed here
 * with libsodium's one-shot API rather than the module's streaming one. */
static void test_pseudonym_is_keyed_blake2b(void **state)
{
    struct keys k;
    uint8_t in[16 + 8 + 4], h[16];
    char want[IDENTITIES_PSEUDONYM_LEN], got[IDENTITIES_PSEUDONYM_LEN];
    derive(&k, 7);
    memcpy(in, sk_a, 16);
    memset(in + 16, 0, 8);
    in[23] = 3;
    memcpy(in + 24, "shop", 4);
    crypto_generichash(h, sizeof(h), in, sizeof(in), k.pseudonym, KEYS_BYTES);
    sodium_bin2base64(want, sizeof(want), h, sizeof(h), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    pn(&k, sk_a, 3, "shop", got);
    assert_string_equal(got, want);
    assert_int_equal(strlen(got), IDENTITIES_PSEUDONYM_LEN - 1);
    assert_true(identities_pseudonym_valid(got));
}

static void test_pseudonym_properties(void **state)
{
    struct keys k1, k2;
    char a[IDENTITIES_PSEUDONYM_LEN], b[IDENTITIES_PSEUDONYM_LEN];
    derive(&k1, 1);
    derive(&k2, 2);
    pn(&k1, sk_a, 0, "shop", a);
    pn(&k1, sk_a, 0, "shop", b);
    assert_string_equal(a, b); /* stable per context */
    pn(&k1, sk_a, 0, "clinic", b);
    assert_string_not_equal(a, b); /* contexts differ */
    pn(&k1, sk_b, 0, "shop", b);
    assert_string_not_equal(a, b); /* identities differ */
    pn(&k1, sk_a, 1, "shop", b);
    assert_string_not_equal(a, b); /* rotation changes it */
    pn(&k2, sk_a, 0, "shop", b);
    assert_string_not_equal(a, b); /* only the broker key links it */
    /* context boundaries: ("shop","") vs ("sho","p") style ambiguity is
     * impossible because sk and count have fixed sizes; check the counter
     * bytes are not confusable with context bytes. */
    pn(&k1, sk_a, 0x73, "hop", b);
    assert_string_not_equal(a, b);
}

static void test_one_call_pseudonyms(void **state)
{
    char a[IDENTITIES_PSEUDONYM_LEN], b[IDENTITIES_PSEUDONYM_LEN];
    identities_one_call_pseudonym(a);
    identities_one_call_pseudonym(b);
    assert_string_not_equal(a, b);
    assert_true(identities_pseudonym_valid(a));
}

static void test_token_and_pseudonym_forms(void **state)
{
    char t[64];
    memset(t, 'A', 43);
    t[43] = '\0';
    assert_true(identities_token_valid(t));
    t[10] = '-';
    t[11] = '_';
    assert_true(identities_token_valid(t));
    t[12] = '+';
    assert_false(identities_token_valid(t)); /* not base64url */
    t[12] = 'A';
    t[43] = 'A';
    t[44] = '\0';
    assert_false(identities_token_valid(t)); /* too long */
    t[42] = '\0';
    assert_false(identities_token_valid(t)); /* too short */
    assert_false(identities_token_valid(""));
    assert_false(identities_token_valid("../../etc/passwd"));
    assert_false(identities_pseudonym_valid("abc:def"));
}

static void test_keys_load(void **state)
{
    char path[] = "/tmp/umbra-bkey-XXXXXX", err[256];
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    struct keys k, k2;
    uint8_t master[KEYS_BYTES];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, hex, strlen(hex)), (ssize_t)strlen(hex));
    close(fd);
    assert_int_equal(keys_load(path, &k, err, sizeof(err)), 0);
    for (int i = 0; i < KEYS_BYTES; i++)
        master[i] = (uint8_t)i;
    keys_derive(master, &k2);
    assert_memory_equal(&k, &k2, sizeof(k));
    /* subkeys differ from each other and from the master */
    assert_memory_not_equal(k.pseudonym, k.token, KEYS_BYTES);
    assert_memory_not_equal(k.token, k.secret, KEYS_BYTES);
    assert_memory_not_equal(k.fingerprint, k.secret, KEYS_BYTES);
    assert_memory_not_equal(k.pseudonym, master, KEYS_BYTES);
    /* bad files name their problem and leave nothing */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "abcd\n", 5), 5);
    close(fd);
    assert_int_equal(keys_load(path, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "64 hex digits"));
    unlink(path);
    assert_int_equal(keys_load(path, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot open"));
    keys_clear(&k);
    for (size_t i = 0; i < sizeof(k); i++)
        assert_int_equal(((uint8_t *)&k)[i], 0);
}

static void test_keys_hash(void **state)
{
    struct keys k;
    char a[KEYS_HASH_HEX], b[KEYS_HASH_HEX];
    derive(&k, 9);
    keys_hash(k.token, "tok", 3, a);
    keys_hash(k.secret, "tok", 3, b);
    assert_string_not_equal(a, b); /* one purpose says nothing of another */
    keys_hash(k.token, "tok", 3, b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 32);
}

/* RFC 7022 §4.1: 96 random bits, base64 (16 characters). */
static void test_cname(void **state)
{
    char seen[200][CNAME_LEN];
    for (int i = 0; i < 200; i++) {
        unsigned char bin[32];
        size_t len = 0;
        cname_generate(seen[i]);
        assert_int_equal(strlen(seen[i]), 16);
        assert_int_equal(sodium_base642bin(bin, sizeof(bin), seen[i], 16, NULL, &len, NULL,
                                           sodium_base64_VARIANT_ORIGINAL),
                         0);
        assert_int_equal(len, 12);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pseudonym_is_keyed_blake2b),
        cmocka_unit_test(test_pseudonym_properties),
        cmocka_unit_test(test_one_call_pseudonyms),
        cmocka_unit_test(test_token_and_pseudonym_forms),
        cmocka_unit_test(test_keys_load),
        cmocka_unit_test(test_keys_hash),
        cmocka_unit_test(test_cname),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
