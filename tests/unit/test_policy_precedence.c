/* The precedence rules of umbra-policy(1), one at a time, on small
 * policies written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"

static struct policy_set *load(const char *text)
{
    const char *names[1] = {"p.json"};
    const char *texts[1] = {text};
    struct policy_set *set = NULL;
    char err[512];
    if (policy_set_load_texts(&set, names, texts, 1, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    return set;
}

static const struct policy_context plain = {POLICY_SERVICE_CONTACT_LIST,
                                            POLICY_CALL_SINGLE_CS,
                                            POLICY_DEST_UNCERTAIN,
                                            POLICY_CALLER_IDENTIFIED,
                                            NULL,
                                            NULL};

static void decide(const struct policy_set *set, const struct policy_context *ctx,
                   struct policy_decision *d)
{
    char err[256];
    if (policy_decide(set, ctx, d, err, sizeof(err)) < 0)
        fail_msg("%s", err);
}

static void assert_by(const struct policy_origin *o, const char *id)
{
    if (o->id == NULL || strcmp(o->id, id) != 0)
        fail_msg("set by %s, want %s", o->id ? o->id : "(none)", id);
}

static void test_builtin_defaults_are_private(void **state)
{
    struct policy_set *set = NULL;
    struct policy_decision d;
    char err[64];
    assert_int_equal(policy_set_load(&set, NULL, 0, err, sizeof(err)), 0);
    decide(set, &plain, &d);
    assert_int_equal(d.anonymity, POLICY_ANON_PSEUDONYMOUS);
    assert_int_equal(d.unlinkability, POLICY_UNLINK_GRANTED);
    assert_true(d.relay_only && d.ice_delay_until_answer && d.fresh_dtls_per_call);
    assert_int_equal(d.cname, POLICY_CNAME_PER_CALL_RANDOM);
    assert_int_equal(d.origin_disclosure, POLICY_ORIGIN_STATUS_ONLY);
    assert_false(d.org_domain_disclosure);
    assert_int_equal(d.identity_assertion, POLICY_ASSERT_ALLOW);
    assert_int_equal(d.log_retention_seconds, 0);
    assert_true(d.admit);
    assert_int_equal(d.n_refused, 0);
    for (int f = 0; f < POLICY_FIELD_COUNT; f++)
        assert_int_equal(d.set_by[f].source, POLICY_SOURCE_BUILTIN);

    /* emergency services may locate the caller (draft §5.4) */
    struct policy_context emergency = plain;
    emergency.destination = POLICY_DEST_EMERGENCY;
    decide(set, &emergency, &d);
    assert_int_equal(d.unlinkability, POLICY_UNLINK_REFUSED);
    assert_by(&d.set_by[POLICY_FIELD_UNLINKABILITY], "emergency-linkable");
    policy_set_free(set);
}

static void test_mandatory_beats_both_parties(void **state)
{
    struct policy_set *set = load(
        "{\"version\": 1, \"rules\": [\n"
        "{\"id\": \"m\", \"source\": \"service\", \"mandatory\": true,\n"
        " \"set\": {\"log_retention_seconds\": 600}},\n"
        "{\"id\": \"c\", \"source\": \"caller\", \"set\": {\"log_retention_seconds\": 0}},\n"
        "{\"id\": \"e\", \"source\": \"callee\", \"set\": {\"log_retention_seconds\": 9000}}]}");
    struct policy_decision d;
    decide(set, &plain, &d);
    assert_int_equal(d.log_retention_seconds, 600);
    assert_by(&d.set_by[POLICY_FIELD_LOG_RETENTION_SECONDS], "m");
    assert_true(d.set_by[POLICY_FIELD_LOG_RETENTION_SECONDS].mandatory);
    assert_int_equal(d.set_by[POLICY_FIELD_LOG_RETENTION_SECONDS].line, 2);
    assert_int_equal(d.n_refused, 2);
    assert_int_equal(d.refused[0].requested, 0);
    assert_by(&d.refused[0].by, "c");
    assert_int_equal(d.refused[0].reason, POLICY_REFUSED_MANDATORY);
    assert_by(&d.refused[0].winner, "m");
    assert_int_equal(d.refused[1].requested, 9000);
    assert_by(&d.refused[1].by, "e");
    policy_set_free(set);
}

static void test_more_private_party_wins(void **state)
{
    struct policy_set *set =
        load("{\"version\": 1, \"rules\": [\n"
             "{\"id\": \"c\", \"source\": \"caller\",\n"
             " \"set\": {\"origin_disclosure\": \"none\", \"org_domain_disclosure\": true}},\n"
             "{\"id\": \"e\", \"source\": \"callee\",\n"
             " \"set\": {\"origin_disclosure\": \"full\", \"org_domain_disclosure\": false}}]}");
    struct policy_decision d;
    decide(set, &plain, &d);
    assert_int_equal(d.origin_disclosure, POLICY_ORIGIN_NONE);
    assert_by(&d.set_by[POLICY_FIELD_ORIGIN_DISCLOSURE], "c");
    assert_false(d.org_domain_disclosure);
    assert_by(&d.set_by[POLICY_FIELD_ORG_DOMAIN_DISCLOSURE], "e");
    assert_int_equal(d.n_refused, 2);
    assert_int_equal(d.refused[0].field, POLICY_FIELD_ORIGIN_DISCLOSURE);
    assert_by(&d.refused[0].by, "e");
    assert_int_equal(d.refused[0].reason, POLICY_REFUSED_MORE_PRIVATE);
    assert_int_equal(d.refused[1].field, POLICY_FIELD_ORG_DOMAIN_DISCLOSURE);
    assert_int_equal(d.refused[1].requested, 1);
    assert_by(&d.refused[1].by, "c");
    policy_set_free(set);
}

/* A party that says nothing stands on the operator's default: one party
 * alone cannot lower privacy, both together can. */
static void test_silent_party_stands_on_default(void **state)
{
    const char *text =
        "{\"version\": 1, \"rules\": [\n"
        "{\"id\": \"d\", \"source\": \"service\", \"set\": {\"log_retention_seconds\": 60}},\n"
        "{\"id\": \"c\", \"source\": \"caller\", \"set\": {\"log_retention_seconds\": 3600}}%s]}";
    char buf[1024];
    snprintf(buf, sizeof(buf), text, "");
    struct policy_set *set = load(buf);
    struct policy_decision d;
    decide(set, &plain, &d);
    assert_int_equal(d.log_retention_seconds, 60);
    assert_by(&d.set_by[POLICY_FIELD_LOG_RETENTION_SECONDS], "d");
    assert_int_equal(d.n_refused, 1);
    assert_by(&d.refused[0].by, "c");
    assert_by(&d.refused[0].winner, "d");
    policy_set_free(set);

    snprintf(buf, sizeof(buf), text,
             ",\n{\"id\": \"e\", \"source\": \"callee\", \"set\": "
             "{\"log_retention_seconds\": 7200}}");
    set = load(buf);
    decide(set, &plain, &d);
    assert_int_equal(d.log_retention_seconds, 3600);
    assert_by(&d.set_by[POLICY_FIELD_LOG_RETENTION_SECONDS], "c");
    assert_int_equal(d.n_refused, 1);
    assert_by(&d.refused[0].by, "e");
    policy_set_free(set);
}

/* Draft §8.2.3: the callee may refuse unlinkability, but cannot take away
 * the caller's pseudonym. */
static void test_callee_refuses_unlinkability_not_pseudonymity(void **state)
{
    struct policy_set *set =
        load("{\"version\": 1, \"rules\": [\n"
             "{\"id\": \"c\", \"source\": \"caller\",\n"
             " \"set\": {\"unlinkability\": \"granted\", \"anonymity\": \"pseudonymous\"}},\n"
             "{\"id\": \"e\", \"source\": \"callee\",\n"
             " \"set\": {\"unlinkability\": \"refused\", \"anonymity\": \"identified\"}}]}");
    struct policy_decision d;
    decide(set, &plain, &d);
    assert_int_equal(d.unlinkability, POLICY_UNLINK_REFUSED);
    assert_by(&d.set_by[POLICY_FIELD_UNLINKABILITY], "e");
    assert_int_equal(d.anonymity, POLICY_ANON_PSEUDONYMOUS);
    assert_by(&d.set_by[POLICY_FIELD_ANONYMITY], "c");
    assert_int_equal(d.n_refused, 2);
    assert_int_equal(d.refused[0].field, POLICY_FIELD_ANONYMITY);
    assert_by(&d.refused[0].by, "e");
    assert_int_equal(d.refused[1].field, POLICY_FIELD_UNLINKABILITY);
    assert_int_equal(d.refused[1].reason, POLICY_REFUSED_CALLEE_LINKABLE);
    assert_by(&d.refused[1].by, "c");
    policy_set_free(set);
}

static void test_specific_rule_beats_general_one(void **state)
{
    struct policy_set *set =
        load("{\"version\": 1, \"source\": \"organisation\", \"rules\": [\n"
             "{\"id\": \"general\", \"set\": {\"cname\": \"per-call-random\"}},\n"
             "{\"id\": \"colleagues\", \"match\": {\"destination\": \"inner-circle\",\n"
             "  \"caller_org\": \"corp.example\"}, \"set\": {\"cname\": \"per-session\",\n"
             "  \"unlinkability\": \"refused\"}},\n"
             "{\"id\": \"tie-a\", \"match\": {\"service\": \"contact-list\"},\n"
             "  \"set\": {\"log_retention_seconds\": 100}},\n"
             "{\"id\": \"tie-b\", \"match\": {\"call_model\": \"single-cs\"},\n"
             "  \"set\": {\"log_retention_seconds\": 50}}]}");
    struct policy_decision d;
    struct policy_context ctx = plain;
    ctx.destination = POLICY_DEST_INNER_CIRCLE;
    ctx.caller_org = "corp.example";
    decide(set, &ctx, &d);
    assert_int_equal(d.cname, POLICY_CNAME_PER_SESSION);
    assert_by(&d.set_by[POLICY_FIELD_CNAME], "colleagues");
    assert_int_equal(d.set_by[POLICY_FIELD_CNAME].line, 3);
    /* equally specific: the more private value */
    assert_int_equal(d.log_retention_seconds, 50);
    assert_by(&d.set_by[POLICY_FIELD_LOG_RETENTION_SECONDS], "tie-b");
    /* operator defaults are not requests: nothing was refused */
    assert_int_equal(d.n_refused, 0);

    ctx.caller_org = "other.example";
    decide(set, &ctx, &d);
    assert_int_equal(d.cname, POLICY_CNAME_PER_CALL_RANDOM);
    ctx.caller_org = NULL;
    decide(set, &ctx, &d);
    assert_by(&d.set_by[POLICY_FIELD_CNAME], "general");
    policy_set_free(set);
}

/* Only an identified caller can be shown as identified; a mandatory demand
 * for it refuses the call, except towards emergency services. */
static void test_caller_state_limits_identification(void **state)
{
    struct policy_set *set = load(
        "{\"version\": 1, \"rules\": [\n"
        "{\"id\": \"need-id\", \"source\": \"service\", \"mandatory\": true,\n"
        " \"match\": {\"service\": \"negotiated\"}, \"set\": {\"anonymity\": \"identified\"}},\n"
        "{\"id\": \"e\", \"source\": \"callee\", \"set\": {\"anonymity\": \"identified\"}}]}");
    struct policy_decision d;
    struct policy_context ctx = plain;
    ctx.caller_state = POLICY_CALLER_PSEUDONYMOUS;
    decide(set, &ctx, &d);
    assert_true(d.admit);
    assert_int_equal(d.anonymity, POLICY_ANON_PSEUDONYMOUS);
    assert_int_equal(d.n_refused, 1);
    assert_int_equal(d.refused[0].reason, POLICY_REFUSED_MORE_PRIVATE);

    ctx.service = POLICY_SERVICE_NEGOTIATED;
    decide(set, &ctx, &d);
    assert_false(d.admit);
    assert_int_equal(d.anonymity, POLICY_ANON_PSEUDONYMOUS);
    assert_int_equal(d.refused[d.n_refused - 1].reason, POLICY_REFUSED_CALLER_STATE);
    assert_by(&d.refused[d.n_refused - 1].by, "need-id");

    ctx.destination = POLICY_DEST_EMERGENCY;
    decide(set, &ctx, &d);
    assert_true(d.admit);

    ctx.destination = POLICY_DEST_UNCERTAIN;
    ctx.caller_state = POLICY_CALLER_IDENTIFIED;
    decide(set, &ctx, &d);
    assert_true(d.admit);
    assert_int_equal(d.anonymity, POLICY_ANON_IDENTIFIED);
    assert_by(&d.set_by[POLICY_FIELD_ANONYMITY], "need-id");
    policy_set_free(set);
}

/* RFC 8827 §9.2: unlinkable means TURN only, fresh DTLS keys, random
 * CNAMEs; a mandatory rule against one of them makes the call linkable. */
static void test_unlinkable_calls_hide_everything(void **state)
{
    struct policy_set *set = load(
        "{\"version\": 1, \"rules\": [\n"
        "{\"id\": \"fast\", \"source\": \"service\", \"set\": {\"relay_only\": false,\n"
        "  \"cname\": \"per-session\"}},\n"
        "{\"id\": \"lan\", \"source\": \"service\", \"mandatory\": true,\n"
        " \"match\": {\"destination\": \"trusted\"}, \"set\": {\"relay_only\": false}},\n"
        "{\"id\": \"c\", \"source\": \"caller\", \"set\": {\"unlinkability\": \"granted\"}}]}");
    struct policy_decision d;
    decide(set, &plain, &d);
    assert_int_equal(d.unlinkability, POLICY_UNLINK_GRANTED);
    assert_true(d.relay_only);
    assert_int_equal(d.cname, POLICY_CNAME_PER_CALL_RANDOM);
    assert_by(&d.set_by[POLICY_FIELD_RELAY_ONLY], "c");
    assert_int_equal(d.n_refused, 2);
    assert_int_equal(d.refused[0].field, POLICY_FIELD_RELAY_ONLY);
    assert_int_equal(d.refused[0].reason, POLICY_REFUSED_NEEDS_UNLINKABLE);
    assert_by(&d.refused[0].by, "fast");
    assert_int_equal(d.refused[1].field, POLICY_FIELD_CNAME);

    struct policy_context ctx = plain;
    ctx.destination = POLICY_DEST_TRUSTED;
    decide(set, &ctx, &d);
    assert_int_equal(d.unlinkability, POLICY_UNLINK_REFUSED);
    assert_false(d.relay_only);
    assert_by(&d.set_by[POLICY_FIELD_UNLINKABILITY], "lan");
    assert_int_equal(d.n_refused, 1);
    assert_int_equal(d.refused[0].field, POLICY_FIELD_UNLINKABILITY);
    assert_int_equal(d.refused[0].reason, POLICY_REFUSED_MANDATORY);
    assert_by(&d.refused[0].by, "c");
    policy_set_free(set);
}

static void test_undetectable_caller_asserts_nothing(void **state)
{
    struct policy_set *set = load(
        "{\"version\": 1, \"rules\": [\n"
        "{\"id\": \"want-idp\", \"source\": \"service\", \"set\": {\"identity_assertion\": "
        "\"require\"}},\n"
        "{\"id\": \"must-idp\", \"source\": \"service\", \"mandatory\": true,\n"
        " \"match\": {\"call_model\": \"dual-cs\"}, \"set\": {\"identity_assertion\": "
        "\"require\"}},\n"
        "{\"id\": \"c\", \"source\": \"caller\", \"set\": {\"anonymity\": \"undetectable\"}}]}");
    struct policy_decision d;
    decide(set, &plain, &d);
    assert_int_equal(d.anonymity, POLICY_ANON_UNDETECTABLE);
    assert_int_equal(d.identity_assertion, POLICY_ASSERT_FORBID);
    assert_int_equal(d.refused[0].reason, POLICY_REFUSED_UNDETECTABLE);
    assert_by(&d.refused[0].by, "want-idp");

    struct policy_context ctx = plain;
    ctx.call_model = POLICY_CALL_DUAL_CS;
    decide(set, &ctx, &d);
    assert_int_equal(d.anonymity, POLICY_ANON_PSEUDONYMOUS);
    assert_int_equal(d.identity_assertion, POLICY_ASSERT_REQUIRE);
    assert_by(&d.set_by[POLICY_FIELD_ANONYMITY], "must-idp");
    assert_int_equal(d.refused[0].reason, POLICY_REFUSED_MANDATORY);
    assert_by(&d.refused[0].by, "c");
    policy_set_free(set);
}

/* Preferences that arrive with a call request take part like file rules. */
static void test_request_preferences(void **state)
{
    struct policy_set *set = load(
        "{\"version\": 1, \"rules\": [\n"
        "{\"id\": \"svc\", \"source\": \"service\", \"set\": {\"origin_disclosure\": \"full\"}}]}");
    json_error_t je;
    json_t *caller = json_loads("[{\"id\": \"mine\", \"set\": {\"origin_disclosure\": "
                                "\"status-only\"}}, {\"id\": \"sticky\", \"match\": "
                                "{\"destination\": \"uncertain\"}, \"set\": "
                                "{\"origin_disclosure\": \"none\"}}]",
                                0, &je);
    json_t *callee = json_loads("{\"id\": \"theirs\", \"set\": {\"origin_disclosure\": "
                                "\"full\"}}",
                                0, &je);
    struct policy_decision d;
    char err[256];
    assert_int_equal(policy_decide_with(set, &plain, caller, callee, &d, err, sizeof(err)), 0);
    assert_int_equal(d.origin_disclosure, POLICY_ORIGIN_NONE);
    assert_by(&d.set_by[POLICY_FIELD_ORIGIN_DISCLOSURE], "sticky");
    assert_string_equal(d.set_by[POLICY_FIELD_ORIGIN_DISCLOSURE].file, "<caller request>");
    assert_int_equal(d.set_by[POLICY_FIELD_ORIGIN_DISCLOSURE].line, 2);
    assert_int_equal(d.set_by[POLICY_FIELD_ORIGIN_DISCLOSURE].source, POLICY_SOURCE_CALLER);
    assert_int_equal(d.n_refused, 1);
    assert_string_equal(d.refused[0].by.file, "<callee request>");

    /* without the requests, the operator's default stands */
    assert_int_equal(policy_decide_with(set, &plain, NULL, NULL, &d, err, sizeof(err)), 0);
    assert_int_equal(d.origin_disclosure, POLICY_ORIGIN_FULL);
    json_decref(caller);
    json_decref(callee);
    policy_set_free(set);
}

/* split_relays follows the ordinary rule (true is the more private
 * value): off by default, a party alone can turn it on but not off, a
 * mandatory operator rule decides. */
static void test_split_relays(void **state)
{
    struct policy_set *set = NULL;
    struct policy_decision d;
    char err[256];
    assert_int_equal(policy_set_load(&set, NULL, 0, err, sizeof(err)), 0);
    decide(set, &plain, &d);
    assert_false(d.split_relays);
    assert_int_equal(d.set_by[POLICY_FIELD_SPLIT_RELAYS].source, POLICY_SOURCE_BUILTIN);
    policy_set_free(set);

    set = load("{\"version\": 1, \"rules\": [\n"
               "{\"id\": \"c\", \"source\": \"caller\", \"set\": {\"split_relays\": true}},\n"
               "{\"id\": \"e\", \"source\": \"callee\", \"set\": {\"split_relays\": false}}]}");
    decide(set, &plain, &d);
    assert_true(d.split_relays);
    assert_by(&d.set_by[POLICY_FIELD_SPLIT_RELAYS], "c");
    assert_int_equal(d.n_refused, 1);
    assert_int_equal(d.refused[0].field, POLICY_FIELD_SPLIT_RELAYS);
    assert_by(&d.refused[0].by, "e");
    assert_int_equal(d.refused[0].reason, POLICY_REFUSED_MORE_PRIVATE);
    policy_set_free(set);

    set = load("{\"version\": 1, \"rules\": [\n"
               "{\"id\": \"m\", \"source\": \"service\", \"mandatory\": true,\n"
               " \"set\": {\"split_relays\": false}},\n"
               "{\"id\": \"c\", \"source\": \"caller\", \"set\": {\"split_relays\": true}}]}");
    decide(set, &plain, &d);
    assert_false(d.split_relays);
    assert_by(&d.set_by[POLICY_FIELD_SPLIT_RELAYS], "m");
    assert_int_equal(d.n_refused, 1);
    assert_int_equal(d.refused[0].reason, POLICY_REFUSED_MANDATORY);
    policy_set_free(set);

    /* Not a bool: refused with the field's name. */
    const char *names[1] = {"p.json"};
    const char *texts[1] = {"{\"version\": 1, \"rules\": [{\"source\": \"service\", "
                            "\"set\": {\"split_relays\": \"yes\"}}]}"};
    set = NULL;
    assert_int_equal(policy_set_load_texts(&set, names, texts, 1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "\"split_relays\" must be true or false"));
    assert_null(set);
}

static void test_names_round_trip(void **state)
{
    enum policy_service s;
    enum policy_call_model m;
    enum policy_destination dst;
    enum policy_caller_state c;
    assert_int_equal(policy_service_parse("click-to-link", &s), 0);
    assert_int_equal(s, POLICY_SERVICE_CLICK_TO_LINK);
    assert_int_equal(policy_service_parse("conferencing", &s), 0);
    assert_int_equal(s, POLICY_SERVICE_CONFERENCING);
    assert_int_equal(policy_service_parse("Click-To-Link", &s), -1);
    assert_int_equal(policy_call_model_parse("dual-cs", &m), 0);
    assert_int_equal(m, POLICY_CALL_DUAL_CS);
    assert_int_equal(policy_call_model_parse("triple-cs", &m), -1);
    assert_int_equal(policy_destination_parse("inner-circle", &dst), 0);
    assert_int_equal(dst, POLICY_DEST_INNER_CIRCLE);
    assert_int_equal(policy_destination_parse(NULL, &dst), -1);
    assert_int_equal(policy_caller_state_parse("undetectable", &c), 0);
    assert_int_equal(c, POLICY_CALLER_UNDETECTABLE);
    assert_string_equal(policy_value_name(POLICY_FIELD_CNAME, POLICY_CNAME_PER_CALL_RANDOM),
                        "per-call-random");
    assert_null(policy_value_name(POLICY_FIELD_LOG_RETENTION_SECONDS, 5));
    assert_null(policy_value_name(POLICY_FIELD_ANONYMITY, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_defaults_are_private),
        cmocka_unit_test(test_mandatory_beats_both_parties),
        cmocka_unit_test(test_more_private_party_wins),
        cmocka_unit_test(test_silent_party_stands_on_default),
        cmocka_unit_test(test_callee_refuses_unlinkability_not_pseudonymity),
        cmocka_unit_test(test_specific_rule_beats_general_one),
        cmocka_unit_test(test_caller_state_limits_identification),
        cmocka_unit_test(test_unlinkable_calls_hide_everything),
        cmocka_unit_test(test_undetectable_caller_asserts_nothing),
        cmocka_unit_test(test_request_preferences),
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_split_relays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
