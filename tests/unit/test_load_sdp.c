/* Unit tests for contrib/load/load_sdp and load_http_parse_url: what
 * umbra-load writes into SDP reads back, sanitizer-style rewrites still
 * parse, and SDP without a relay candidate or fingerprint is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "load_http.h"
#include "load_sdp.h"

#define FP                                                                                         \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:"      \
    "45:67:89"

static void test_round_trip(void **state)
{
    char sdp[LOAD_SDP_MAX], fp[LOAD_SDP_FP_MAX];
    struct umbra_addr relayed, got;

    addr_parse(&relayed, "127.0.0.1:23456", 0);
    assert_int_equal(load_sdp_build(sdp, sizeof(sdp), true, FP, "cname1", &relayed), 0);
    assert_non_null(strstr(sdp, "a=setup:actpass\r\n"));
    assert_non_null(strstr(sdp, " typ relay raddr 0.0.0.0 rport 0\r\n"));
    assert_int_equal(load_sdp_read(sdp, &got, fp, sizeof(fp)), 0);
    assert_true(addr_equal(&got, &relayed));
    assert_string_equal(fp, FP);

    addr_parse(&relayed, "[::1]:40000", 0);
    assert_int_equal(load_sdp_build(sdp, sizeof(sdp), false, FP, "c", &relayed), 0);
    assert_non_null(strstr(sdp, "a=setup:active\r\n"));
    assert_int_equal(load_sdp_read(sdp, &got, fp, sizeof(fp)), 0);
    assert_true(addr_equal(&got, &relayed));
    /* no room: refused, not truncated */
    assert_int_equal(load_sdp_build(sdp, 100, false, FP, "c", &relayed), -1);
}

static void test_reads_first_relay_candidate_only(void **state)
{
    char fp[LOAD_SDP_FP_MAX];
    struct umbra_addr got, want;
    const char *sdp = "v=0\n"
                      "a=candidate:1 1 udp 2122260223 192.168.1.2 4000 typ host\n"
                      "a=candidate:2 1 udp 41885439 203.0.113.9 50000 typ relay raddr 0.0.0.0 "
                      "rport 0\n"
                      "a=fingerprint:sha-256 " FP "\n";

    assert_int_equal(load_sdp_read(sdp, &got, fp, sizeof(fp)), 0);
    addr_parse(&want, "203.0.113.9:50000", 0);
    assert_true(addr_equal(&got, &want));
}

static void test_refuses_incomplete(void **state)
{
    char fp[LOAD_SDP_FP_MAX];
    struct umbra_addr got;

    /* only host candidates */
    assert_int_equal(load_sdp_read("a=candidate:1 1 udp 1 10.0.0.1 4000 typ host\r\n"
                                   "a=fingerprint:sha-256 " FP "\r\n",
                                   &got, fp, sizeof(fp)),
                     -1);
    /* no fingerprint */
    assert_int_equal(
        load_sdp_read("a=candidate:1 1 udp 1 10.0.0.1 4000 typ relay\r\n", &got, fp, sizeof(fp)),
        -1);
    /* port out of range, address not an IP */
    assert_int_equal(load_sdp_read("a=candidate:1 1 udp 1 10.0.0.1 70000 typ relay\r\n"
                                   "a=fingerprint:sha-256 " FP "\r\n",
                                   &got, fp, sizeof(fp)),
                     -1);
    assert_int_equal(load_sdp_read("a=candidate:1 1 udp 1 relay.example 4000 typ relay\r\n"
                                   "a=fingerprint:sha-256 " FP "\r\n",
                                   &got, fp, sizeof(fp)),
                     -1);
    /* a fingerprint longer than the caller's buffer */
    assert_int_equal(load_sdp_read("a=candidate:1 1 udp 1 10.0.0.1 4000 typ relay\r\n"
                                   "a=fingerprint:sha-256 " FP "\r\n",
                                   &got, fp, 16),
                     -1);
}

static void test_url(void **state)
{
    struct umbra_addr a, want;
    assert_int_equal(load_http_parse_url("http://127.0.0.1:8080", &a), 0);
    addr_parse(&want, "127.0.0.1:8080", 0);
    assert_true(addr_equal(&a, &want));
    assert_int_equal(load_http_parse_url("http://[::1]:9000/", &a), 0);
    assert_int_equal(addr_port(&a), 9000);
    assert_int_equal(load_http_parse_url("https://127.0.0.1:8080", &a), -1);
    assert_int_equal(load_http_parse_url("http://broker.example:80", &a), -1);
    assert_int_equal(load_http_parse_url("http://127.0.0.1:80/v1", &a), -1);
    assert_int_equal(load_http_parse_url("http://", &a), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_reads_first_relay_candidate_only),
        cmocka_unit_test(test_refuses_incomplete),
        cmocka_unit_test(test_url),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
