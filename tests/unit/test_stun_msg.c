/* Unit tests for stun/stun_msg: RFC 5769 vectors byte for byte, malformed
 * input, TURN attributes, ChannelData and stream framing, the builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>

#include "stun_msg.h"

/* RFC 5769 §2.1-§2.4, transcribed from the RFC. */
static const char rfc_request_hex[] =
    "000100582112a442b7e7a701bc34d686fa87dfae"
    "802200105354554e207465737420636c69656e74" /* SOFTWARE "STUN test client" */
    "002400046e0001ff"                         /* PRIORITY */
    "80290008932ff9b151263b36"                 /* ICE-CONTROLLED */
    "000600096576746a3a68367659202020"         /* USERNAME "evtj:h6vY", space padding */
    "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
    "80280004e57a3bcf";
static const char rfc_ipv4_hex[] =
    "0101003c2112a442b7e7a701bc34d686fa87dfae"
    "8022000b7465737420766563746f7220" /* SOFTWARE "test vector", space padding */
    "002000080001a147e112a643"
    "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96";
static const char rfc_ipv6_hex[] = "010100482112a442b7e7a701bc34d686fa87dfae"
                                   "8022000b7465737420766563746f7220"
                                   "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
                                   "00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
                                   "80280004c8fb0b4c";
static const char rfc_long_term_hex[] =
    "000100602112a44278ad3433c6ad72c029da412e"
    "00060012e3839ee38388e383aae38383e382afe382b90000"                 /* USERNAME, 6 katakana */
    "0015001c662f2f3439396b39353464364f4c33346f4c39465354767936347341" /* NONCE */
    "0014000b6578616d706c652e6f726700"                                 /* REALM "example.org" */
    "00080014f67024656dd64a3e02b8e0712e85c9a28ca89666";

static const char rfc_password[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t rfc_txid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
/* "マトリックス" in UTF-8, and the RFC's SASLprep'd password. */
static const char lt_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
                              "\xe3\x82\xb9";
static const char lt_realm[] = "example.org";
static const char lt_nonce[] = "f//499k954d6OL34oL9FSTvy64sA";
static const char lt_password[] = "TheMatrIX";
/* Computed apart from this code:
 * python3 -c "import
 * hashlib;print(hashlib.md5('マトリックス:example.org:TheMatrIX'.encode()).hexdigest())" */
static const uint8_t lt_key[16] = {0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51,
                                   0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9};

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* A heap copy of exactly len bytes, so AddressSanitizer sees any read past it. */
static uint8_t *exact_copy(const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len)
        memcpy(p, src, len);
    return p;
}

static void assert_text(const struct stun_msg *m, uint16_t type, const void *want, size_t wlen)
{
    const char *t;
    size_t n;
    const struct stun_attr *a = stun_find(m, type);
    assert_non_null(a);
    assert_int_equal(stun_attr_text(a, &t, &n), 0);
    assert_int_equal(n, wlen);
    assert_memory_equal(t, want, wlen);
}

static void test_rfc5769_request(void **state)
{
    uint8_t raw[256], out[256];
    size_t n = unhex(rfc_request_hex, raw, sizeof(raw));
    struct stun_msg m;
    struct stun_builder b;
    uint32_t prio;
    const struct stun_attr *a;

    assert_int_equal(n, 108);
    assert_int_equal(stun_parse(&m, raw, n), 0);
    assert_int_equal(m.method, STUN_METHOD_BINDING);
    assert_int_equal(m.cls, STUN_CLASS_REQUEST);
    assert_memory_equal(m.txid, rfc_txid, 12);
    assert_int_equal(m.n_attrs, 6);
    assert_text(&m, STUN_ATTR_SOFTWARE, "STUN test client", 16);
    assert_text(&m, STUN_ATTR_USERNAME, "evtj:h6vY", 9);
    assert_int_equal(stun_attr_u32(stun_find(&m, STUN_ATTR_PRIORITY), &prio), 0);
    assert_int_equal(prio, 0x6e0001ff);
    a = stun_find(&m, STUN_ATTR_ICE_CONTROLLED);
    assert_non_null(a);
    assert_int_equal(a->len, 8);
    assert_int_equal(stun_check_integrity(&m, (const uint8_t *)rfc_password, 22), 0);
    assert_int_equal(stun_check_integrity(&m, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBu", 22), -2);
    assert_int_equal(stun_check_fingerprint(&m), 0);

    stun_build_start(&b, out, sizeof(out), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, m.txid);
    stun_put_bytes(&b, STUN_ATTR_SOFTWARE, "STUN test client", 16);
    stun_put_u32(&b, STUN_ATTR_PRIORITY, prio);
    stun_put_bytes(&b, STUN_ATTR_ICE_CONTROLLED, a->value, a->len);
    stun_put_bytes_pad(&b, STUN_ATTR_USERNAME, "evtj:h6vY", 9, ' ');
    stun_put_integrity(&b, (const uint8_t *)rfc_password, 22);
    stun_put_fingerprint(&b);
    assert_int_equal(stun_build_finish(&b), n);
    assert_memory_equal(out, raw, n);
}

static void check_response(const char *hex, size_t want_len, const char *want_addr)
{
    uint8_t raw[256], out[256];
    size_t n = unhex(hex, raw, sizeof(raw));
    struct stun_msg m;
    struct stun_builder b;
    struct umbra_addr got, want;

    assert_int_equal(n, want_len);
    assert_int_equal(stun_parse(&m, raw, n), 0);
    assert_int_equal(m.method, STUN_METHOD_BINDING);
    assert_int_equal(m.cls, STUN_CLASS_SUCCESS);
    assert_text(&m, STUN_ATTR_SOFTWARE, "test vector", 11);
    assert_int_equal(stun_attr_xor_address(&m, stun_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS), &got),
                     0);
    assert_int_equal(addr_parse(&want, want_addr, 0), 0);
    assert_true(addr_equal(&got, &want));
    assert_int_equal(stun_check_integrity(&m, (const uint8_t *)rfc_password, 22), 0);
    assert_int_equal(stun_check_integrity(&m, (const uint8_t *)rfc_password, 21), -2);
    assert_int_equal(stun_check_fingerprint(&m), 0);

    stun_build_start(&b, out, sizeof(out), STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, rfc_txid);
    stun_put_bytes_pad(&b, STUN_ATTR_SOFTWARE, "test vector", 11, ' ');
    stun_put_xor_address(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, &want);
    stun_put_integrity(&b, (const uint8_t *)rfc_password, 22);
    stun_put_fingerprint(&b);
    assert_int_equal(stun_build_finish(&b), n);
    assert_memory_equal(out, raw, n);
}

static void test_rfc5769_ipv4_response(void **state)
{
    check_response(rfc_ipv4_hex, 80, "192.0.2.1:32853");
}

static void test_rfc5769_ipv6_response(void **state)
{
    check_response(rfc_ipv6_hex, 92, "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

static void test_rfc5769_long_term(void **state)
{
    uint8_t raw[256], out[256], key[16];
    size_t n = unhex(rfc_long_term_hex, raw, sizeof(raw));
    struct stun_msg m;
    struct stun_builder b;

    assert_int_equal(n, 116);
    assert_int_equal(stun_parse(&m, raw, n), 0);
    assert_int_equal(m.fingerprint, -1);
    assert_int_equal(stun_check_fingerprint(&m), 1);
    assert_text(&m, STUN_ATTR_USERNAME, lt_user, strlen(lt_user));
    assert_text(&m, STUN_ATTR_REALM, lt_realm, strlen(lt_realm));
    assert_text(&m, STUN_ATTR_NONCE, lt_nonce, strlen(lt_nonce));

    stun_long_term_key_md5(lt_user, strlen(lt_user), lt_realm, strlen(lt_realm), lt_password,
                           strlen(lt_password), key);
    assert_memory_equal(key, lt_key, 16);
    assert_int_equal(stun_check_integrity(&m, key, 16), 0);
    /* The password before SASLprep does not give the vector's key. */
    stun_long_term_key_md5(lt_user, strlen(lt_user), lt_realm, strlen(lt_realm),
                           "The\xc2\xad"
                           "M\xc2\xaatr\xe2\x85\xa8",
                           11, key);
    assert_int_equal(stun_check_integrity(&m, key, 16), -2);

    stun_build_start(&b, out, sizeof(out), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, raw + 8);
    stun_put_bytes(&b, STUN_ATTR_USERNAME, lt_user, strlen(lt_user));
    stun_put_bytes(&b, STUN_ATTR_NONCE, lt_nonce, strlen(lt_nonce));
    stun_put_bytes(&b, STUN_ATTR_REALM, lt_realm, strlen(lt_realm));
    stun_put_integrity(&b, lt_key, 16);
    assert_int_equal(stun_build_finish(&b), n);
    assert_memory_equal(out, raw, n);
}

/* Reads tests/fuzz/corpus/NAME, built by tests/fuzz/make_corpus.py with
 * Python's hmac, hashlib and zlib: an implementation apart from this one. */
static size_t read_corpus(const char *name, uint8_t *buf, size_t cap)
{
    char path[4096];
    FILE *f;
    size_t n;
    snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/%s", TOP_SRCDIR, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(buf, 1, cap, f);
    fclose(f);
    assert_true(n > 0 && n < cap);
    return n;
}

static void test_python_built_messages(void **state)
{
    uint8_t raw[512], key[16];
    unsigned int klen = 0;
    const char *kin = "1700003600:call:p:umbra.test:pw";
    struct stun_msg m;
    struct umbra_addr peer, want;
    uint16_t ch, unknown[4];
    int code;
    const char *reason;
    size_t n, rlen;

    assert_int_equal(EVP_Digest(kin, strlen(kin), key, &klen, EVP_md5(), NULL), 1);

    n = read_corpus("stun/refresh-sha256.bin", raw, sizeof(raw));
    assert_int_equal(stun_parse(&m, raw, n), 0);
    assert_int_equal(m.method, STUN_METHOD_REFRESH);
    assert_true(m.integrity_sha256 >= 0);
    assert_int_equal(stun_check_integrity(&m, key, 16), 0);
    assert_int_equal(stun_check_integrity(&m, key, 15), -2);
    assert_int_equal(stun_check_fingerprint(&m), 0);

    n = read_corpus("stun/channel-bind.bin", raw, sizeof(raw));
    assert_int_equal(stun_parse(&m, raw, n), 0);
    assert_int_equal(m.method, STUN_METHOD_CHANNEL_BIND);
    assert_int_equal(stun_check_integrity(&m, key, 16), 0);
    assert_int_equal(stun_check_fingerprint(&m), 0);
    assert_int_equal(stun_attr_channel_number(stun_find(&m, STUN_ATTR_CHANNEL_NUMBER), &ch), 0);
    assert_int_equal(ch, 0x4001);
    assert_int_equal(stun_attr_xor_address(&m, stun_find(&m, STUN_ATTR_XOR_PEER_ADDRESS), &peer),
                     0);
    assert_int_equal(addr_parse(&want, "198.51.100.7:5000", 0), 0);
    assert_true(addr_equal(&peer, &want));

    n = read_corpus("stun/allocate-401.bin", raw, sizeof(raw));
    assert_int_equal(stun_parse(&m, raw, n), 0);
    assert_int_equal(m.cls, STUN_CLASS_ERROR);
    assert_int_equal(stun_check_fingerprint(&m), 0);
    assert_int_equal(stun_attr_error(stun_find(&m, STUN_ATTR_ERROR_CODE), &code, &reason, &rlen),
                     0);
    assert_int_equal(code, 401);
    assert_memory_equal(reason, "Unauthorized", rlen);

    n = read_corpus("stun/unknown-420.bin", raw, sizeof(raw));
    assert_int_equal(stun_parse(&m, raw, n), 0);
    assert_int_equal(stun_unknown_required(&m, unknown, 4), 2);
    assert_int_equal(unknown[0], 0x0002);
    assert_int_equal(unknown[1], 0x7FFF);

    n = read_corpus("stun/send-indication.bin", raw, sizeof(raw));
    assert_int_equal(stun_parse(&m, raw, n), 0);
    assert_int_equal(m.cls, STUN_CLASS_INDICATION);
    assert_int_equal(m.method, STUN_METHOD_SEND);
    assert_int_equal(stun_check_fingerprint(&m), 1);
    assert_int_equal(stun_find(&m, STUN_ATTR_DATA)->len, 5);
}

/* Every prefix of every vector fails as is; with the header length patched
 * to the prefix, it parses exactly when it ends on an attribute boundary. */
static void test_truncated_every_length(void **state)
{
    static const size_t bounds[] = {20, 40, 48, 60, 76, 100, 108};
    const char *vectors[] = {rfc_request_hex, rfc_ipv4_hex, rfc_ipv6_hex, rfc_long_term_hex};
    uint8_t raw[256];
    struct stun_msg m;

    for (size_t v = 0; v < 4; v++) {
        size_t n = unhex(vectors[v], raw, sizeof(raw));
        for (size_t k = 0; k < n; k++) {
            uint8_t *p = exact_copy(raw, k);
            assert_int_equal(stun_parse(&m, p, k), -1);
            free(p);
        }
    }
    size_t n = unhex(rfc_request_hex, raw, sizeof(raw));
    for (size_t k = STUN_HEADER_LEN; k <= n; k++) {
        bool boundary = false;
        uint8_t *p = exact_copy(raw, k);
        for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
            boundary = boundary || bounds[i] == k;
        p[2] = (uint8_t)((k - 20) >> 8);
        p[3] = (uint8_t)(k - 20);
        assert_int_equal(stun_parse(&m, p, k), boundary ? 0 : -1);
        free(p);
    }
}

static void test_bad_header(void **state)
{
    uint8_t raw[256], bad[256];
    size_t n = unhex(rfc_request_hex, raw, sizeof(raw));
    struct stun_msg m;

    memcpy(bad, raw, n);
    bad[4] ^= 0x01; /* cookie */
    assert_int_equal(stun_parse(&m, bad, n), -1);
    memcpy(bad, raw, n);
    bad[0] |= 0x40; /* the two top bits must be zero */
    assert_int_equal(stun_parse(&m, bad, n), -1);
    memcpy(bad, raw, n);
    bad[3] = 0x5c; /* length 92 > what is there */
    assert_int_equal(stun_parse(&m, bad, n), -1);
    bad[3] = 0x54; /* 84, shorter than the datagram */
    assert_int_equal(stun_parse(&m, bad, n), -1);
    bad[3] = 0x59; /* not a multiple of 4 */
    assert_int_equal(stun_parse(&m, bad, n + 1), -1);
    assert_int_equal(stun_parse(&m, NULL, 0), -1);
    /* A bare header is a valid message with no attributes. */
    memcpy(bad, raw, 20);
    bad[2] = bad[3] = 0;
    assert_int_equal(stun_parse(&m, bad, 20), 0);
    assert_int_equal(m.n_attrs, 0);
    assert_null(stun_find(&m, STUN_ATTR_USERNAME));
    assert_int_equal(stun_check_integrity(&m, (const uint8_t *)"k", 1), -1);
}

/* A request with a broken attribute still has a usable header for 400. */
static void test_parse_header_only(void **state)
{
    uint8_t raw[256];
    size_t n = unhex(rfc_request_hex, raw, sizeof(raw));
    struct stun_msg m;

    raw[23] = 0x60; /* SOFTWARE claims 96 bytes */
    raw[1] = 0x03;  /* an Allocate request */
    assert_int_equal(stun_parse(&m, raw, n), -1);
    assert_int_equal(stun_parse_header(&m, raw, n), 0);
    assert_int_equal(m.method, STUN_METHOD_ALLOCATE);
    assert_int_equal(m.cls, STUN_CLASS_REQUEST);
    assert_memory_equal(m.txid, rfc_txid, 12);
    assert_int_equal(m.n_attrs, 0);
    assert_int_equal(m.len, 20);
    assert_int_equal(m.integrity, -1);
    assert_int_equal(m.fingerprint, -1);
    assert_null(stun_find(&m, STUN_ATTR_SOFTWARE));
    assert_int_equal(stun_parse_header(&m, raw, 19), -1);
    raw[7] ^= 0x10; /* cookie */
    assert_int_equal(stun_parse_header(&m, raw, n), -1);
    raw[7] ^= 0x10;
    raw[0] = 0x80;
    assert_int_equal(stun_parse_header(&m, raw, n), -1);
    assert_int_equal(stun_parse_header(&m, NULL, 0), -1);
}

static void test_bad_attribute_length(void **state)
{
    uint8_t raw[256], bad[256];
    size_t n = unhex(rfc_request_hex, raw, sizeof(raw));
    struct stun_msg m;

    memcpy(bad, raw, n);
    bad[23] = 0x60; /* SOFTWARE claims 96 bytes */
    assert_int_equal(stun_parse(&m, bad, n), -1);
    memcpy(bad, raw, n);
    bad[0x4f] = 0x10; /* MESSAGE-INTEGRITY of 16 bytes */
    assert_int_equal(stun_parse(&m, bad, n), -1);
    memcpy(bad, raw, n);
    bad[0x4f] = 0x18; /* 24: covers the following FINGERPRINT's header */
    assert_int_equal(stun_parse(&m, bad, n), -1);
    memcpy(bad, raw, n);
    bad[0x67] = 0x08; /* FINGERPRINT of 8 bytes */
    assert_int_equal(stun_parse(&m, bad, n), -1);
}

static ssize_t build_with(uint8_t *out, size_t cap, void (*fill)(struct stun_builder *))
{
    struct stun_builder b;
    stun_build_start(&b, out, cap, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, rfc_txid);
    fill(&b);
    return stun_build_finish(&b);
}

static void fill_after_fingerprint(struct stun_builder *b)
{
    stun_put_bytes(b, STUN_ATTR_USERNAME, "u", 1);
    stun_put_fingerprint(b);
    stun_put_u32(b, STUN_ATTR_LIFETIME, 600);
}

static void test_attribute_after_fingerprint(void **state)
{
    uint8_t out[128];
    struct stun_msg m;
    ssize_t n = build_with(out, sizeof(out), fill_after_fingerprint);
    assert_true(n > 0);
    assert_int_equal(stun_parse(&m, out, (size_t)n), -1);
    /* Without the trailing LIFETIME it is fine. */
    out[3] -= 8;
    assert_int_equal(stun_parse(&m, out, (size_t)n - 8), 0);
    assert_int_equal(stun_check_fingerprint(&m), 0);
    out[n - 9] ^= 1; /* corrupt the CRC itself */
    assert_int_equal(stun_check_fingerprint(&m), -1);
}

static void fill_padding(struct stun_builder *b)
{
    stun_put_bytes(b, STUN_ATTR_USERNAME, "abcde", 5);
    stun_put_bytes(b, STUN_ATTR_DATA, "", 0);
    stun_put_u32(b, STUN_ATTR_LIFETIME, 600);
}

static void test_padding(void **state)
{
    static const uint8_t want[] = {0x00, 0x06, 0x00, 0x05, 'a',  'b',  'c',  'd',
                                   'e',  0,    0,    0,    0x00, 0x13, 0x00, 0x00,
                                   0x00, 0x0d, 0x00, 0x04, 0x00, 0x00, 0x02, 0x58};
    uint8_t out[128];
    struct stun_msg m;
    uint32_t life;
    ssize_t n = build_with(out, sizeof(out), fill_padding);

    assert_int_equal(n, 20 + sizeof(want));
    assert_int_equal(out[3], sizeof(want));
    assert_memory_equal(out + 20, want, sizeof(want));
    assert_int_equal(stun_parse(&m, out, (size_t)n), 0);
    assert_int_equal(m.n_attrs, 3);
    assert_int_equal(m.attrs[1].offset, 32);
    assert_int_equal(m.attrs[1].len, 0);
    assert_int_equal(stun_attr_u32(stun_find(&m, STUN_ATTR_LIFETIME), &life), 0);
    assert_int_equal(life, 600);
    /* The last attribute must be padded too: 5 bytes of value, no padding. */
    uint8_t *p = exact_copy(out, 20 + 9);
    p[3] = 9;
    assert_int_equal(stun_parse(&m, p, 29), -1);
    p[3] = 12;
    assert_int_equal(stun_parse(&m, p, 29), -1);
    free(p);
}

static void fill_after_integrity(struct stun_builder *b)
{
    stun_put_bytes(b, STUN_ATTR_USERNAME, "alice", 5);
    stun_put_integrity(b, (const uint8_t *)"k", 1);
    stun_put_bytes(b, STUN_ATTR_REALM, "late", 4);
    stun_put_integrity_sha256(b, (const uint8_t *)"k", 1);
    stun_put_bytes(b, STUN_ATTR_NONCE, "later", 5);
    stun_put_fingerprint(b);
}

static void test_after_integrity_ignored(void **state)
{
    uint8_t out[256];
    struct stun_msg m;
    ssize_t n = build_with(out, sizeof(out), fill_after_integrity);
    uint16_t unknown[4];

    assert_true(n > 0);
    assert_int_equal(stun_parse(&m, out, (size_t)n), 0);
    assert_int_equal(m.n_attrs, 6);
    assert_int_equal(m.integrity, 1);
    assert_int_equal(m.integrity_sha256, 3);
    assert_int_equal(m.fingerprint, 5);
    assert_non_null(stun_find(&m, STUN_ATTR_USERNAME));
    assert_null(stun_find(&m, STUN_ATTR_REALM));
    assert_null(stun_find(&m, STUN_ATTR_NONCE));
    assert_non_null(stun_find(&m, STUN_ATTR_FINGERPRINT));
    assert_int_equal(stun_unknown_required(&m, unknown, 4), 0);
    /* SHA-256 wins when both are present; both were made with "k". */
    assert_int_equal(stun_check_integrity(&m, (const uint8_t *)"k", 1), 0);
    assert_int_equal(stun_check_integrity(&m, (const uint8_t *)"j", 1), -2);
    assert_int_equal(stun_check_fingerprint(&m), 0);
}

/* MESSAGE-INTEGRITY-SHA256 checked against OpenSSL's one-shot HMAC over a
 * copy whose length field is set by hand (RFC 8489 §14.6). */
static void test_integrity_sha256_independent(void **state)
{
    uint8_t out[128], copy[128], mac[32];
    unsigned int maclen = 0;
    struct stun_builder b;
    struct stun_msg m;
    static const uint8_t key[] = "a 32-byte sha256 long-term key..";
    ssize_t n;

    stun_build_start(&b, out, sizeof(out), STUN_METHOD_REFRESH, STUN_CLASS_REQUEST, rfc_txid);
    stun_put_u32(&b, STUN_ATTR_LIFETIME, 0);
    stun_put_integrity_sha256(&b, key, 32);
    stun_put_fingerprint(&b);
    n = stun_build_finish(&b);
    assert_int_equal(n, 20 + 8 + 36 + 8);
    memcpy(copy, out, 28);
    copy[2] = 0;
    copy[3] = 8 + 36;
    assert_non_null(HMAC(EVP_sha256(), key, 32, copy, 28, mac, &maclen));
    assert_int_equal(maclen, 32);
    assert_memory_equal(out + 32, mac, 32);
    assert_int_equal(stun_parse(&m, out, (size_t)n), 0);
    assert_int_equal(stun_check_integrity(&m, key, 32), 0);
    out[27] ^= 1; /* tamper with LIFETIME */
    assert_int_equal(stun_check_integrity(&m, key, 32), -2);
    assert_int_equal(stun_check_fingerprint(&m), -1);
}

static void fill_unknown(struct stun_builder *b)
{
    stun_put_bytes(b, 0x0002, "xxxx", 4); /* RESPONSE-ADDRESS, RFC 3489 only */
    stun_put_bytes(b, STUN_ATTR_USERNAME, "u", 1);
    stun_put_bytes(b, 0x7FFF, "", 0);
    stun_put_bytes(b, 0x8050, "opt", 3); /* comprehension-optional: never listed */
    stun_put_bytes(b, 0x0002, "yyyy", 4);
    stun_put_bytes(b, 0x0030, "", 0);
}

static void test_unknown_required(void **state)
{
    uint8_t out[256], resp[128];
    struct stun_msg m, r;
    uint16_t types[8], back[8];
    ssize_t n = build_with(out, sizeof(out), fill_unknown);
    struct stun_builder b;
    const struct stun_attr *a;

    assert_true(n > 0);
    assert_int_equal(stun_parse(&m, out, (size_t)n), 0);
    assert_int_equal(stun_unknown_required(&m, types, 8), 3);
    assert_int_equal(types[0], 0x0002);
    assert_int_equal(types[1], 0x7FFF);
    assert_int_equal(types[2], 0x0030);
    assert_int_equal(stun_unknown_required(&m, types, 2), 2);

    /* The 420 answer lists them. */
    stun_build_start(&b, resp, sizeof(resp), STUN_METHOD_ALLOCATE, STUN_CLASS_ERROR, m.txid);
    stun_put_error(&b, 420, NULL);
    stun_put_unknown(&b, types, 3);
    n = stun_build_finish(&b);
    assert_true(n > 0);
    assert_int_equal(stun_parse(&r, resp, (size_t)n), 0);
    a = stun_find(&r, STUN_ATTR_UNKNOWN_ATTRIBUTES);
    assert_non_null(a);
    assert_int_equal(a->len, 6);
    for (int i = 0; i < 3; i++)
        back[i] = (uint16_t)(a->value[2 * i] << 8 | a->value[2 * i + 1]);
    assert_memory_equal(back, types, 3 * sizeof(uint16_t));
}

static void test_error_code(void **state)
{
    uint8_t out[128];
    struct stun_builder b;
    struct stun_msg m;
    int code;
    const char *reason;
    size_t rlen;
    ssize_t n;

    stun_build_start(&b, out, sizeof(out), STUN_METHOD_ALLOCATE, STUN_CLASS_ERROR, rfc_txid);
    stun_put_error(&b, 438, NULL);
    n = stun_build_finish(&b);
    /* 0x0113 is an Allocate error response; class 4, number 38. */
    assert_int_equal(out[0], 0x01);
    assert_int_equal(out[1], 0x13);
    assert_int_equal(out[26], 4);
    assert_int_equal(out[27], 38);
    assert_int_equal(stun_parse(&m, out, (size_t)n), 0);
    assert_int_equal(m.cls, STUN_CLASS_ERROR);
    assert_int_equal(m.method, STUN_METHOD_ALLOCATE);
    assert_int_equal(stun_attr_error(stun_find(&m, STUN_ATTR_ERROR_CODE), &code, &reason, &rlen),
                     0);
    assert_int_equal(code, 438);
    assert_int_equal(rlen, strlen("Stale Nonce"));
    assert_memory_equal(reason, "Stale Nonce", rlen);
    assert_string_equal(stun_error_reason(401), "Unauthorized");
    assert_string_equal(stun_error_reason(420), "Unknown Attribute");

    out[26] = 7; /* class 7 does not exist */
    assert_int_equal(stun_attr_error(stun_find(&m, STUN_ATTR_ERROR_CODE), &code, &reason, &rlen),
                     -1);
    out[26] = 4;
    out[27] = 100;
    assert_int_equal(stun_attr_error(stun_find(&m, STUN_ATTR_ERROR_CODE), &code, &reason, &rlen),
                     -1);

    stun_build_start(&b, out, sizeof(out), STUN_METHOD_ALLOCATE, STUN_CLASS_ERROR, rfc_txid);
    stun_put_error(&b, 299, "no");
    assert_int_equal(stun_build_finish(&b), -1);
}

/* Type field values from RFC 8656's method and class numbers. */
static void test_method_class_bits(void **state)
{
    static const struct {
        uint16_t method;
        enum stun_class cls;
        uint16_t type;
    } cases[] = {
        {STUN_METHOD_BINDING, STUN_CLASS_REQUEST, 0x0001},
        {STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, 0x0101},
        {STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, 0x0003},
        {STUN_METHOD_ALLOCATE, STUN_CLASS_SUCCESS, 0x0103},
        {STUN_METHOD_REFRESH, STUN_CLASS_ERROR, 0x0114},
        {STUN_METHOD_SEND, STUN_CLASS_INDICATION, 0x0016},
        {STUN_METHOD_DATA, STUN_CLASS_INDICATION, 0x0017},
        {STUN_METHOD_CREATE_PERMISSION, STUN_CLASS_SUCCESS, 0x0108},
        {STUN_METHOD_CHANNEL_BIND, STUN_CLASS_REQUEST, 0x0009},
        {0xFFF, STUN_CLASS_ERROR, 0x3FFF},
        {0x0080, STUN_CLASS_REQUEST, 0x0200},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t out[32];
        struct stun_builder b;
        struct stun_msg m;
        stun_build_start(&b, out, sizeof(out), cases[i].method, cases[i].cls, rfc_txid);
        assert_int_equal(stun_build_finish(&b), 20);
        assert_int_equal(out[0] << 8 | out[1], cases[i].type);
        assert_int_equal(stun_parse(&m, out, 20), 0);
        assert_int_equal(m.method, cases[i].method);
        assert_int_equal(m.cls, cases[i].cls);
    }
}

static void test_addresses(void **state)
{
    const char *texts[] = {"203.0.113.9:3478", "[2001:db8::7]:65535", "0.0.0.1:0"};
    for (size_t i = 0; i < 3; i++) {
        uint8_t out[128];
        struct stun_builder b;
        struct stun_msg m;
        struct umbra_addr in, got;
        ssize_t n;
        assert_int_equal(addr_parse(&in, texts[i], 0), 0);
        stun_build_start(&b, out, sizeof(out), STUN_METHOD_ALLOCATE, STUN_CLASS_SUCCESS, rfc_txid);
        stun_put_xor_address(&b, STUN_ATTR_XOR_RELAYED_ADDRESS, &in);
        stun_put_xor_address(&b, STUN_ATTR_XOR_PEER_ADDRESS, &in);
        stun_put_address(&b, STUN_ATTR_MAPPED_ADDRESS, &in);
        n = stun_build_finish(&b);
        assert_true(n > 0);
        assert_int_equal(stun_parse(&m, out, (size_t)n), 0);
        assert_int_equal(
            stun_attr_xor_address(&m, stun_find(&m, STUN_ATTR_XOR_RELAYED_ADDRESS), &got), 0);
        assert_true(addr_equal(&got, &in));
        assert_int_equal(stun_attr_xor_address(&m, stun_find(&m, STUN_ATTR_XOR_PEER_ADDRESS), &got),
                         0);
        assert_true(addr_equal(&got, &in));
        assert_int_equal(stun_attr_address(stun_find(&m, STUN_ATTR_MAPPED_ADDRESS), &got), 0);
        assert_true(addr_equal(&got, &in));
        /* MAPPED-ADDRESS is in clear: the port is right there. */
        assert_int_equal(m.attrs[2].value[2] << 8 | m.attrs[2].value[3], addr_port(&in));
    }

    /* Malformed: unknown family, family and length that disagree. */
    struct stun_attr a = {STUN_ATTR_MAPPED_ADDRESS, 8, (const uint8_t *)"\0\3\0\1abcd", 20};
    struct umbra_addr out;
    assert_int_equal(stun_attr_address(&a, &out), -1);
    a.value = (const uint8_t *)"\0\2\0\1abcd";
    assert_int_equal(stun_attr_address(&a, &out), -1);
    a.value = (const uint8_t *)"\0\1\0\1abcd";
    a.len = 7;
    assert_int_equal(stun_attr_address(&a, &out), -1);
    a.len = 8;
    assert_int_equal(stun_attr_address(&a, &out), 0);
    assert_int_equal(addr_port(&out), 1);
}

static void fill_turn(struct stun_builder *b)
{
    static const uint8_t token[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    stun_put_u32(b, STUN_ATTR_REQUESTED_TRANSPORT, 17u << 24);
    stun_put_u32(b, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, 2u << 24);
    stun_put_u32(b, STUN_ATTR_LIFETIME, 3600);
    stun_put_u32(b, STUN_ATTR_CHANNEL_NUMBER, 0x7FFFu << 16);
    stun_put_bytes(b, STUN_ATTR_EVEN_PORT, "\x80", 1);
    stun_put_bytes(b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
    stun_put_bytes(b, STUN_ATTR_RESERVATION_TOKEN, token, 8);
    stun_put_bytes(b, STUN_ATTR_DATA, "media", 5);
}

static void test_turn_attributes(void **state)
{
    uint8_t out[256];
    struct stun_msg m;
    ssize_t n = build_with(out, sizeof(out), fill_turn);
    uint8_t proto;
    int family;
    uint32_t life;
    uint16_t ch;
    bool next;
    const struct stun_attr *a;
    struct stun_attr bad;

    assert_true(n > 0);
    assert_int_equal(stun_parse(&m, out, (size_t)n), 0);
    assert_int_equal(
        stun_attr_requested_transport(stun_find(&m, STUN_ATTR_REQUESTED_TRANSPORT), &proto), 0);
    assert_int_equal(proto, 17);
    assert_int_equal(
        stun_attr_requested_family(stun_find(&m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY), &family), 0);
    assert_int_equal(family, AF_INET6);
    assert_int_equal(stun_attr_u32(stun_find(&m, STUN_ATTR_LIFETIME), &life), 0);
    assert_int_equal(life, 3600);
    assert_int_equal(stun_attr_channel_number(stun_find(&m, STUN_ATTR_CHANNEL_NUMBER), &ch), 0);
    assert_int_equal(ch, 0x7FFF);
    assert_int_equal(stun_attr_even_port(stun_find(&m, STUN_ATTR_EVEN_PORT), &next), 0);
    assert_true(next);
    a = stun_find(&m, STUN_ATTR_DONT_FRAGMENT);
    assert_non_null(a);
    assert_int_equal(a->len, 0);
    a = stun_find(&m, STUN_ATTR_RESERVATION_TOKEN);
    assert_non_null(a);
    assert_int_equal(a->len, 8);
    assert_int_equal(a->value[7], 8);
    a = stun_find(&m, STUN_ATTR_DATA);
    assert_int_equal(a->len, 5);
    assert_memory_equal(a->value, "media", 5);

    /* Out-of-range or malformed values. */
    bad = (struct stun_attr){STUN_ATTR_CHANNEL_NUMBER, 4, (const uint8_t *)"\x3f\xff\0\0", 20};
    assert_int_equal(stun_attr_channel_number(&bad, &ch), -1);
    bad.value = (const uint8_t *)"\x80\x00\0\0";
    assert_int_equal(stun_attr_channel_number(&bad, &ch), -1);
    bad.value = (const uint8_t *)"\x40\x00\0\0";
    assert_int_equal(stun_attr_channel_number(&bad, &ch), 0);
    assert_int_equal(ch, 0x4000);
    bad.len = 2;
    assert_int_equal(stun_attr_channel_number(&bad, &ch), -1);
    assert_int_equal(stun_attr_u32(&bad, &life), -1);
    assert_int_equal(stun_attr_requested_transport(&bad, &proto), -1);
    bad.len = 4;
    bad.value = (const uint8_t *)"\3\0\0\0";
    assert_int_equal(stun_attr_requested_family(&bad, &family), -1);
    bad.value = (const uint8_t *)"\1\0\0\0";
    assert_int_equal(stun_attr_requested_family(&bad, &family), 0);
    assert_int_equal(family, AF_INET);
    assert_int_equal(stun_attr_even_port(&bad, &next), -1);
}

static void test_text_limits(void **state)
{
    static char big[800];
    const char *t;
    size_t n;
    struct stun_attr a = {STUN_ATTR_USERNAME, 512, (const uint8_t *)big, 20};
    assert_int_equal(stun_attr_text(&a, &t, &n), 0);
    a.len = 513;
    assert_int_equal(stun_attr_text(&a, &t, &n), -1);
    a.type = STUN_ATTR_NONCE;
    assert_int_equal(stun_attr_text(&a, &t, &n), 0);
    a.len = 764;
    assert_int_equal(stun_attr_text(&a, &t, &n), -1);
    a.type = STUN_ATTR_REALM;
    assert_int_equal(stun_attr_text(&a, &t, &n), -1);
}

static void test_channel_data(void **state)
{
    uint8_t frame[16] = {0x40, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0};
    uint16_t ch;
    const uint8_t *data;
    size_t dlen;
    uint8_t hdr[4];

    assert_int_equal(stun_channel_data_parse(frame, 9, &ch, &data, &dlen), 0);
    assert_int_equal(ch, 0x4000);
    assert_int_equal(dlen, 5);
    assert_ptr_equal(data, frame + 4);
    /* Padding after the data (stream transports) is allowed. */
    assert_int_equal(stun_channel_data_parse(frame, 12, &ch, &data, &dlen), 0);
    assert_int_equal(dlen, 5);
    assert_int_equal(stun_channel_data_parse(frame, 8, &ch, &data, &dlen), -1);
    assert_int_equal(stun_channel_data_parse(frame, 3, &ch, &data, &dlen), -1);
    frame[0] = 0x7F;
    frame[1] = 0xFF;
    assert_int_equal(stun_channel_data_parse(frame, 9, &ch, &data, &dlen), 0);
    assert_int_equal(ch, 0x7FFF);
    frame[0] = 0x3F;
    assert_int_equal(stun_channel_data_parse(frame, 9, &ch, &data, &dlen), -1);
    frame[0] = 0x80;
    frame[1] = 0x00;
    assert_int_equal(stun_channel_data_parse(frame, 9, &ch, &data, &dlen), -1);

    stun_channel_data_header(hdr, 0x4abc, 300);
    assert_int_equal(hdr[0], 0x4a);
    assert_int_equal(hdr[1], 0xbc);
    assert_int_equal(hdr[2], 0x01);
    assert_int_equal(hdr[3], 0x2c);
}

static void test_frame_length(void **state)
{
    uint8_t raw[256];
    size_t n = unhex(rfc_request_hex, raw, sizeof(raw));
    uint8_t cd[8] = {0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4};
    uint8_t rtp[4] = {0x80, 0x60, 0, 1};
    uint8_t dtls[4] = {22, 0xfe, 0xfd, 0};

    for (size_t k = 0; k < 8; k++)
        assert_int_equal(stun_frame_length(raw, k), 0);
    assert_int_equal(stun_frame_length(raw, 8), (ssize_t)n);
    assert_int_equal(stun_frame_length(raw, n), (ssize_t)n);
    raw[5] ^= 0xff;
    assert_int_equal(stun_frame_length(raw, n), -1);
    raw[5] ^= 0xff;
    raw[3] = 0x57; /* not a multiple of 4 */
    assert_int_equal(stun_frame_length(raw, n), -1);

    for (size_t k = 0; k < 4; k++)
        assert_int_equal(stun_frame_length(cd, k), 0);
    assert_int_equal(stun_frame_length(cd, 4), 12); /* 5 bytes padded to 8 */
    cd[3] = 8;
    assert_int_equal(stun_frame_length(cd, 8), 12);
    cd[3] = 0;
    assert_int_equal(stun_frame_length(cd, 4), 4);
    cd[0] = 0x7F;
    cd[2] = 0xFF;
    cd[3] = 0xFD;
    assert_int_equal(stun_frame_length(cd, 4), 4 + 0x10000); /* 0xFFFD padded */
    assert_int_equal(stun_frame_length(rtp, 4), -1);
    assert_int_equal(stun_frame_length(dtls, 4), -1);

    assert_int_equal(stun_classify(raw, n), STUN_KIND_STUN);
    assert_int_equal(stun_classify(cd, 4), STUN_KIND_CHANNEL_DATA);
    assert_int_equal(stun_classify(rtp, 4), STUN_KIND_OTHER);
    assert_int_equal(stun_classify(dtls, 4), STUN_KIND_OTHER);
    assert_int_equal(stun_classify(raw, 0), STUN_KIND_OTHER);
}

static void fill_full(struct stun_builder *b)
{
    struct umbra_addr a;
    assert_int_equal(addr_parse(&a, "[2001:db8::1]:5000", 0), 0);
    stun_put_bytes(b, STUN_ATTR_USERNAME, "someone", 7);
    stun_put_xor_address(b, STUN_ATTR_XOR_PEER_ADDRESS, &a);
    stun_put_error(b, 401, NULL);
    stun_put_integrity(b, (const uint8_t *)"k", 1);
    stun_put_fingerprint(b);
}

/* With any buffer shorter than the message the build fails, and it never
 * writes past the buffer (each is a heap block of exactly that size). */
static void test_builder_overflow(void **state)
{
    uint8_t full[256];
    ssize_t n = build_with(full, sizeof(full), fill_full);
    struct stun_msg m;

    assert_true(n > 0);
    assert_int_equal(stun_parse(&m, full, (size_t)n), 0);
    for (size_t cap = 0; cap < (size_t)n; cap++) {
        uint8_t *p = malloc(cap ? cap : 1);
        assert_non_null(p);
        assert_int_equal(build_with(p, cap, fill_full), -1);
        free(p);
    }
    uint8_t *p = malloc((size_t)n);
    assert_non_null(p);
    assert_int_equal(build_with(p, (size_t)n, fill_full), n);
    assert_memory_equal(p, full, (size_t)n);
    free(p);

    /* A value longer than an attribute can hold. */
    static uint8_t huge[70000];
    static uint8_t big[STUN_MAX_MSG + 100];
    struct stun_builder b;
    stun_build_start(&b, big, sizeof(big), STUN_METHOD_SEND, STUN_CLASS_INDICATION, rfc_txid);
    stun_put_bytes(&b, STUN_ATTR_DATA, huge, 65536);
    assert_int_equal(stun_build_finish(&b), -1);
    /* One that fits an attribute but would push the body past 65535. */
    stun_build_start(&b, big, sizeof(big), STUN_METHOD_SEND, STUN_CLASS_INDICATION, rfc_txid);
    stun_put_bytes(&b, STUN_ATTR_DATA, huge, 65528);
    assert_int_equal(stun_build_finish(&b), 20 + 65532);
    stun_put_u32(&b, STUN_ATTR_LIFETIME, 1);
    assert_int_equal(stun_build_finish(&b), -1);
}

static void test_too_many_attributes(void **state)
{
    uint8_t out[1024];
    struct stun_builder b;
    struct stun_msg m;
    ssize_t n;
    stun_build_start(&b, out, sizeof(out), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, rfc_txid);
    for (int i = 0; i < STUN_MAX_ATTRS; i++)
        stun_put_bytes(&b, 0x8050, NULL, 0);
    n = stun_build_finish(&b);
    assert_int_equal(stun_parse(&m, out, (size_t)n), 0);
    stun_put_bytes(&b, 0x8050, NULL, 0);
    n = stun_build_finish(&b);
    assert_int_equal(stun_parse(&m, out, (size_t)n), -1);
}

/* OpenSSL unable to compute a digest or an HMAC (here: every algorithm
 * restricted to a FIPS provider that is not loaded; out of memory takes the
 * same paths) fails the key, the check and the build instead of aborting
 * the relay. A fresh thread, as each relay worker is, makes its own HMAC
 * contexts. */
struct nocrypto {
    int key_rc, check_rc;
    ssize_t build_rc, build_sha256_rc;
    uint8_t key[16];
};

static void *nocrypto_thread(void *arg)
{
    struct nocrypto *r = arg;
    uint8_t raw[256], out[256];
    size_t n = unhex(rfc_request_hex, raw, sizeof(raw));
    struct stun_msg m;
    struct stun_builder b;

    memset(r->key, 0xAA, sizeof(r->key));
    r->key_rc = stun_long_term_key_md5("u", 1, "r", 1, "p", 1, r->key);
    r->check_rc = stun_parse(&m, raw, n) == 0
                      ? stun_check_integrity(&m, (const uint8_t *)rfc_password, 22)
                      : 99;
    stun_build_start(&b, out, sizeof(out), STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, rfc_txid);
    stun_put_integrity(&b, (const uint8_t *)"k", 1);
    stun_put_fingerprint(&b);
    r->build_rc = stun_build_finish(&b);
    stun_build_start(&b, out, sizeof(out), STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, rfc_txid);
    stun_put_integrity_sha256(&b, (const uint8_t *)"k", 1);
    r->build_sha256_rc = stun_build_finish(&b);
    return NULL;
}

static void test_crypto_unavailable(void **state)
{
    static const uint8_t zero[16];
    struct nocrypto r;
    pthread_t t;

    assert_int_equal(EVP_set_default_properties(NULL, "fips=yes"), 1);
    assert_int_equal(pthread_create(&t, NULL, nocrypto_thread, &r), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(EVP_set_default_properties(NULL, ""), 1);
    assert_int_equal(r.key_rc, -1);
    assert_memory_equal(r.key, zero, sizeof(zero));
    assert_int_equal(r.check_rc, -3);
    assert_int_equal(r.build_rc, -1);
    assert_int_equal(r.build_sha256_rc, -1);

    /* With OpenSSL whole again, a new thread computes them. */
    assert_int_equal(pthread_create(&t, NULL, nocrypto_thread, &r), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(r.key_rc, 0);
    assert_int_equal(r.check_rc, 0);
    assert_true(r.build_rc > 0);
    assert_true(r.build_sha256_rc > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5769_request),
        cmocka_unit_test(test_rfc5769_ipv4_response),
        cmocka_unit_test(test_rfc5769_ipv6_response),
        cmocka_unit_test(test_rfc5769_long_term),
        cmocka_unit_test(test_python_built_messages),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_parse_header_only),
        cmocka_unit_test(test_bad_attribute_length),
        cmocka_unit_test(test_attribute_after_fingerprint),
        cmocka_unit_test(test_padding),
        cmocka_unit_test(test_after_integrity_ignored),
        cmocka_unit_test(test_integrity_sha256_independent),
        cmocka_unit_test(test_unknown_required),
        cmocka_unit_test(test_error_code),
        cmocka_unit_test(test_method_class_bits),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_turn_attributes),
        cmocka_unit_test(test_text_limits),
        cmocka_unit_test(test_channel_data),
        cmocka_unit_test(test_frame_length),
        cmocka_unit_test(test_builder_overflow),
        cmocka_unit_test(test_too_many_attributes),
        cmocka_unit_test(test_crypto_unavailable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
