/* Unit tests for the broker's pure request parsing: broker/api_req (one
 * parser per endpoint), http_parse_body and http_text_clean (http_json.c)
 * and calls_candidate_event. Bodies are the ones the integration tests and
 * browsers send; the expected values are written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "api_req.h"
#include "calls_internal.h"
#include "http.h"
#include "status.h"

static json_t *body_of(const char *text)
{
    json_t *b = NULL;
    char err[300];
    assert_int_equal(http_parse_body(text, strlen(text), &b, err, sizeof(err)), 0);
    return b;
}

/* A reason goes into {"error", "detail"}: jansson takes UTF-8 only. */
static void assert_reply_ok(const char *err)
{
    json_t *s = json_string(err);
    assert_non_null(s);
    json_decref(s);
}

static void test_body(void **state)
{
    /* jansson quotes the token "context\ up to the byte 0xda, half of
     * U+0685: the reason must still be UTF-8 (it was a 500). */
    static const char split[] = "{\"context\\\xda\x85\":\"x\"}";
    json_t *b = NULL;
    char err[300];

    assert_int_equal(http_parse_body("", 0, &b, err, sizeof(err)), 0);
    assert_true(json_is_object(b) && json_object_size(b) == 0);
    json_decref(b);
    assert_int_equal(http_parse_body("[1,2]", 5, &b, err, sizeof(err)), -1);
    assert_null(b);
    assert_string_equal(err, "the body must be a JSON object");
    assert_int_equal(http_parse_body("{\"a\":1,\"a\":2}", 13, &b, err, sizeof(err)), -1);
    assert_int_equal(http_parse_body(split, sizeof(split) - 1, &b, err, sizeof(err)), -1);
    assert_null(b);
    assert_non_null(strstr(err, "malformed JSON at line 1"));
    assert_reply_ok(err);
}

static void test_text_clean(void **state)
{
    char a[] = "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    char cut[] = "near 'x\xda";
    char overlong[] = "\xc0\xaf/";
    char surrogate[] = "\xed\xa0\x80!";
    char big[] = "\xf4\x90\x80\x80";

    http_text_clean(a);
    assert_string_equal(a, "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    http_text_clean(cut);
    assert_string_equal(cut, "near 'x?");
    http_text_clean(overlong);
    assert_string_equal(overlong, "?"
                                  "?/"); /* no trigraphs */
    http_text_clean(surrogate);
    assert_string_equal(surrogate, "?"
                                   "?"
                                   "?!");
    http_text_clean(big);
    assert_string_equal(big, "?"
                             "?"
                             "?"
                             "?");
}

static void test_create(void **state)
{
    struct calls_create_req cr;
    char err[512], text[600];
    json_t *b = body_of("{\"callee\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"service\":\"click-to-link\","
                        "\"call_model\":\"dual-cs\",\"destination\":\"untrusted\","
                        "\"caller_state\":\"pseudonymous\",\"caller\":\"tok\","
                        "\"caller_context\":\"shop\",\"native\":true,"
                        "\"preferences\":{\"id\":\"p\"}}");

    assert_int_equal(api_req_create(b, &cr, err, sizeof(err)), 0);
    assert_string_equal(cr.callee, "AAAAAAAAAAAAAAAAAAAAAA");
    assert_string_equal(cr.caller_token, "tok");
    assert_string_equal(cr.caller_context, "shop");
    assert_int_equal(cr.ctx.service, POLICY_SERVICE_CLICK_TO_LINK);
    assert_int_equal(cr.ctx.call_model, POLICY_CALL_DUAL_CS);
    assert_int_equal(cr.ctx.destination, POLICY_DEST_UNTRUSTED);
    assert_true(cr.native);
    assert_true(cr.preferences == json_object_get(b, "preferences"));
    json_object_set_new(b, "service", json_string("telepathy"));
    assert_int_equal(api_req_create(b, &cr, err, sizeof(err)), -1);
    assert_string_equal(err, "service: unknown value \"telepathy\"");
    /* a value cut at 64 bytes inside a 2-byte character */
    memset(text, 0, sizeof(text));
    text[0] = 'x';
    for (int i = 1; i < 101; i += 2)
        memcpy(text + i, "\xc3\xa9", 2);
    json_object_set_new(b, "service", json_string(text));
    assert_int_equal(api_req_create(b, &cr, err, sizeof(err)), -1);
    assert_reply_ok(err);
    json_object_set_new(b, "service", json_string("contact-list"));
    json_object_set_new(b, "preferences", json_integer(5));
    assert_int_equal(api_req_create(b, &cr, err, sizeof(err)), -1);
    assert_string_equal(err, "preferences: must be a rule object or an array of rules");
    json_object_del(b, "preferences");
    json_object_set_new(b, "caller_context", json_string(""));
    assert_int_equal(api_req_create(b, &cr, err, sizeof(err)), -1);
    assert_string_equal(err, "caller_context: 1 to 256 bytes");
    json_object_del(b, "callee");
    assert_int_equal(api_req_create(b, &cr, err, sizeof(err)), -1);
    assert_string_equal(err, "callee: required");
    json_decref(b);
}

static void test_events(void **state)
{
    struct api_req_events q;
    char err[256];

    assert_int_equal(api_req_events("callee", NULL, NULL, 25, &q, err, sizeof(err)), 0);
    assert_int_equal(q.party, CALLS_CALLEE);
    assert_int_equal(q.since, 0);
    assert_int_equal(q.wait, 25);
    assert_int_equal(api_req_events("caller", "7", "300", 25, &q, err, sizeof(err)), 0);
    assert_int_equal(q.party, CALLS_CALLER);
    assert_int_equal(q.since, 7);
    assert_int_equal(q.wait, 25);
    assert_int_equal(api_req_events("caller", "0", "0", 25, &q, err, sizeof(err)), 0);
    assert_int_equal(q.wait, 0);
    assert_int_equal(api_req_events("nobody", NULL, NULL, 25, &q, err, sizeof(err)), -1);
    assert_string_equal(err, "party: caller or callee");
    assert_int_equal(api_req_events(NULL, NULL, NULL, 25, &q, err, sizeof(err)), -1);
    assert_int_equal(api_req_events("caller", "-1", NULL, 25, &q, err, sizeof(err)), -1);
    assert_string_equal(err, "since, wait: non-negative integers");
    assert_int_equal(api_req_events("caller", "1e3", NULL, 25, &q, err, sizeof(err)), -1);
    assert_int_equal(api_req_events("caller", "1000001", NULL, 25, &q, err, sizeof(err)), -1);
}

static void test_small_bodies(void **state)
{
    struct api_req_pseudonym ps;
    const json_t *cands;
    const char *sdp;
    bool native;
    char err[256], ctx[300];
    json_t *b = body_of("{\"context\":\"shop.example\",\"rotate\":true}");

    assert_int_equal(api_req_pseudonym(b, &ps, err, sizeof(err)), 0);
    assert_string_equal(ps.context, "shop.example");
    assert_true(ps.rotate);
    memset(ctx, 'c', 257);
    ctx[257] = '\0';
    json_object_set_new(b, "context", json_string(ctx));
    assert_int_equal(api_req_pseudonym(b, &ps, err, sizeof(err)), -1);
    assert_string_equal(err, "context: 1 to 256 bytes");
    assert_int_equal(api_req_empty(b, err, sizeof(err)), -1);
    assert_string_equal(err, "unknown field \"context\"");
    json_decref(b);
    assert_int_equal(api_req_context(NULL, err, sizeof(err)), -1);
    assert_string_equal(err, "context: required query parameter");

    b = body_of("{\"native\":true}");
    assert_int_equal(api_req_accept(b, &native, err, sizeof(err)), 0);
    assert_true(native);
    json_decref(b);
    b = body_of("{\"native\":1}");
    assert_int_equal(api_req_accept(b, &native, err, sizeof(err)), -1);
    assert_string_equal(err, "native: must be true or false");
    json_decref(b);

    b = body_of("{\"type\":\"offer\",\"sdp\":\"v=0\"}");
    assert_int_equal(api_req_sdp(b, true, &sdp, err, sizeof(err)), 0);
    assert_string_equal(sdp, "v=0");
    assert_int_equal(api_req_sdp(b, false, &sdp, err, sizeof(err)), -1);
    assert_string_equal(err, "type: must be \"answer\"");
    json_decref(b);

    b = body_of("{\"candidates\":{}}");
    assert_int_equal(api_req_candidates(b, &cands, err, sizeof(err)), -1);
    assert_string_equal(err, "candidates: must be an array");
    json_decref(b);
}

static void test_candidate_event(void **state)
{
    json_t *b =
        body_of("{\"c\":[\"candidate:3 1 udp 41885439 198.51.100.20 50000 typ relay raddr 1.2.3.4 "
                "rport 5\","
                "{\"candidate\":\"candidate:1 1 udp 2122260223 192.168.1.23 54321 typ host\","
                "\"sdpMid\":\"0\",\"sdpMLineIndex\":0},"
                "{\"candidate\":\"\",\"sdpMid\":\"1\",\"sdpMLineIndex\":1},"
                "{\"candidate\":\"candidate:x\"},{\"candidate\":\"c\",\"colour\":1},7]}");
    json_t *c = json_object_get(b, "c"), *ev = NULL;
    char err[256];

    assert_int_equal(calls_candidate_event(json_array_get(c, 0), &ev, err, sizeof(err)), 0);
    assert_non_null(ev);
    assert_non_null(strstr(json_string_value(json_object_get(ev, "candidate")),
                           " typ relay raddr 0.0.0.0 rport 0"));
    json_decref(ev);
    assert_int_equal(calls_candidate_event(json_array_get(c, 1), &ev, err, sizeof(err)), 0);
    assert_null(ev); /* a host candidate is dropped */
    assert_int_equal(calls_candidate_event(json_array_get(c, 2), &ev, err, sizeof(err)), 0);
    assert_string_equal(json_string_value(json_object_get(ev, "candidate")), "");
    assert_string_equal(json_string_value(json_object_get(ev, "sdpMid")), "1");
    json_decref(ev);
    assert_int_equal(calls_candidate_event(json_array_get(c, 3), &ev, err, sizeof(err)),
                     BROKER_EUNPROCESSABLE);
    assert_int_equal(calls_candidate_event(json_array_get(c, 4), &ev, err, sizeof(err)),
                     BROKER_EINVALID);
    assert_string_equal(err, "candidates: unknown field");
    assert_int_equal(calls_candidate_event(json_array_get(c, 5), &ev, err, sizeof(err)),
                     BROKER_EINVALID);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body),         cmocka_unit_test(test_text_clean),
        cmocka_unit_test(test_create),       cmocka_unit_test(test_events),
        cmocka_unit_test(test_small_bodies), cmocka_unit_test(test_candidate_event),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
