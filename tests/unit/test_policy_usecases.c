/* Table-driven tests of the example policies, one table row per call of a
 * draft §7 use case: every decision field, who set it, and every refused
 * request. Expected values come from reading the policy files by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"

/* Who should have set a field: a rule id, with its source and flag. */
struct want_field {
    int64_t value;
    const char *id;
    enum policy_source source;
    bool mandatory;
};

struct want_refusal {
    enum policy_field field;
    int64_t requested;
    const char *by;
    enum policy_refusal_reason reason;
    const char *winner;
};

struct use_case {
    const char *name;
    const char *file;
    struct policy_context ctx;
    bool admit;
    struct want_field f[POLICY_FIELD_COUNT];
    size_t n_refused;
    struct want_refusal refused[4];
};

#define BUILTIN(v)                                                                                 \
    {                                                                                              \
        (v), "defaults", POLICY_SOURCE_BUILTIN, false                                              \
    }
#define CALLER(v, id)                                                                              \
    {                                                                                              \
        (v), id, POLICY_SOURCE_CALLER, false                                                       \
    }
#define CALLEE(v, id)                                                                              \
    {                                                                                              \
        (v), id, POLICY_SOURCE_CALLEE, false                                                       \
    }
#define SERVICE(v, id, m)                                                                          \
    {                                                                                              \
        (v), id, POLICY_SOURCE_SERVICE, m                                                          \
    }
#define ORG(v, id, m)                                                                              \
    {                                                                                              \
        (v), id, POLICY_SOURCE_ORGANISATION, m                                                     \
    }

static const struct use_case cases[] = {
    {"7.1 undetectable visitor",
     "7.1-anonymous-caller-call-centre.json",
     {POLICY_SERVICE_CLICK_TO_LINK, POLICY_CALL_SINGLE_CS, POLICY_DEST_UNCERTAIN,
      POLICY_CALLER_UNDETECTABLE, NULL, NULL},
     true,
     {CALLER(POLICY_ANON_UNDETECTABLE, "alice-incognito"),
      CALLER(POLICY_UNLINK_GRANTED, "alice-incognito"), SERVICE(1, "centre-hide-ip", true),
      SERVICE(1, "centre-hide-ip", true), BUILTIN(1), BUILTIN(POLICY_CNAME_PER_CALL_RANDOM),
      CALLER(POLICY_ORIGIN_NONE, "alice-incognito"), CALLER(0, "alice-incognito"),
      CALLER(POLICY_ASSERT_FORBID, "alice-incognito"), CALLER(0, "alice-incognito")},
     1,
     {{POLICY_FIELD_ORIGIN_DISCLOSURE, POLICY_ORIGIN_STATUS_ONLY, "centre-wants-status",
       POLICY_REFUSED_MORE_PRIVATE, "alice-incognito"}}},
    {"7.1 visitor logged in under a pseudonym",
     "7.1-anonymous-caller-call-centre.json",
     {POLICY_SERVICE_CLICK_TO_LINK, POLICY_CALL_SINGLE_CS, POLICY_DEST_UNCERTAIN,
      POLICY_CALLER_PSEUDONYMOUS, NULL, NULL},
     true,
     {CALLER(POLICY_ANON_PSEUDONYMOUS, "alice-logged-in"),
      CALLER(POLICY_UNLINK_GRANTED, "alice-incognito"), SERVICE(1, "centre-hide-ip", true),
      SERVICE(1, "centre-hide-ip", true), BUILTIN(1), BUILTIN(POLICY_CNAME_PER_CALL_RANDOM),
      CALLER(POLICY_ORIGIN_NONE, "alice-incognito"), CALLER(0, "alice-incognito"),
      CALLER(POLICY_ASSERT_ALLOW, "alice-logged-in"), CALLER(0, "alice-incognito")},
     1,
     {{POLICY_FIELD_ORIGIN_DISCLOSURE, POLICY_ORIGIN_STATUS_ONLY, "centre-wants-status",
       POLICY_REFUSED_MORE_PRIVATE, "alice-incognito"}}},
    {"7.2 support worker calls a visitor back",
     "7.2-call-centre-worker.json",
     {POLICY_SERVICE_CLICK_TO_LINK, POLICY_CALL_SINGLE_CS, POLICY_DEST_UNCERTAIN,
      POLICY_CALLER_IDENTIFIED, "support.example", NULL},
     true,
     {ORG(POLICY_ANON_PSEUDONYMOUS, "support-group-identity", true),
      ORG(POLICY_UNLINK_GRANTED, "support-group-identity", true), BUILTIN(1), BUILTIN(1),
      BUILTIN(1), BUILTIN(POLICY_CNAME_PER_CALL_RANDOM), BUILTIN(POLICY_ORIGIN_STATUS_ONLY),
      ORG(1, "support-show-company", false), BUILTIN(POLICY_ASSERT_ALLOW),
      ORG(2592000, "support-show-company", false)},
     2,
     {{POLICY_FIELD_ANONYMITY, POLICY_ANON_IDENTIFIED, "bob-by-name", POLICY_REFUSED_MANDATORY,
       "support-group-identity"},
      {POLICY_FIELD_UNLINKABILITY, POLICY_UNLINK_REFUSED, "visitor-wants-bob",
       POLICY_REFUSED_MANDATORY, "support-group-identity"}}},
    {"7.3 player calls a friend",
     "7.3-gaming-pseudonyms.json",
     {POLICY_SERVICE_CONTACT_LIST, POLICY_CALL_SINGLE_CS, POLICY_DEST_INNER_CIRCLE,
      POLICY_CALLER_PSEUDONYMOUS, NULL, NULL},
     true,
     {SERVICE(POLICY_ANON_PSEUDONYMOUS, "players-by-pseudonym", true),
      CALLEE(POLICY_UNLINK_REFUSED, "player-calls-back"), BUILTIN(1), BUILTIN(1), BUILTIN(1),
      BUILTIN(POLICY_CNAME_PER_CALL_RANDOM), BUILTIN(POLICY_ORIGIN_STATUS_ONLY),
      SERVICE(0, "players-by-pseudonym", true), BUILTIN(POLICY_ASSERT_ALLOW),
      SERVICE(604800, "fraud-logs", false)},
     2,
     {{POLICY_FIELD_ANONYMITY, POLICY_ANON_UNDETECTABLE, "alice-hidden", POLICY_REFUSED_MANDATORY,
       "players-by-pseudonym"},
      {POLICY_FIELD_UNLINKABILITY, POLICY_UNLINK_GRANTED, "alice-hidden",
       POLICY_REFUSED_CALLEE_LINKABLE, "player-calls-back"}}},
    {"7.3 player calls a stranger",
     "7.3-gaming-pseudonyms.json",
     {POLICY_SERVICE_CONTACT_LIST, POLICY_CALL_SINGLE_CS, POLICY_DEST_UNCERTAIN,
      POLICY_CALLER_PSEUDONYMOUS, NULL, NULL},
     true,
     {SERVICE(POLICY_ANON_PSEUDONYMOUS, "players-by-pseudonym", true),
      CALLER(POLICY_UNLINK_GRANTED, "alice-hidden"), BUILTIN(1), BUILTIN(1), BUILTIN(1),
      BUILTIN(POLICY_CNAME_PER_CALL_RANDOM), BUILTIN(POLICY_ORIGIN_STATUS_ONLY),
      SERVICE(0, "players-by-pseudonym", true), BUILTIN(POLICY_ASSERT_ALLOW),
      SERVICE(604800, "fraud-logs", false)},
     1,
     {{POLICY_FIELD_ANONYMITY, POLICY_ANON_UNDETECTABLE, "alice-hidden", POLICY_REFUSED_MANDATORY,
       "players-by-pseudonym"}}},
    {"7.4 Alice calls into Bob's company",
     "7.4-hosted-enterprise-conferencing.json",
     {POLICY_SERVICE_CONFERENCING, POLICY_CALL_DUAL_CS, POLICY_DEST_TRUSTED,
      POLICY_CALLER_IDENTIFIED, "alice.example", "bob.example"},
     true,
     {ORG(POLICY_ANON_IDENTIFIED, "alice-co-defaults", false),
      ORG(POLICY_UNLINK_REFUSED, "alice-co-defaults", false), ORG(1, "bob-co-inbound", true),
      BUILTIN(1), ORG(1, "bob-co-inbound", true),
      ORG(POLICY_CNAME_PER_CALL_RANDOM, "bob-co-inbound", true),
      SERVICE(POLICY_ORIGIN_FULL, "host-origin", false), ORG(1, "alice-co-defaults", false),
      ORG(POLICY_ASSERT_REQUIRE, "bob-co-inbound", true),
      ORG(31536000, "alice-co-defaults", false)},
     1,
     {{POLICY_FIELD_RELAY_ONLY, 0, "alice-fast-path", POLICY_REFUSED_MANDATORY, "bob-co-inbound"}}},
    {"7.5 Alice surveys a customer",
     "7.5-variable-trust-by-destination.json",
     {POLICY_SERVICE_CONTACT_LIST, POLICY_CALL_SINGLE_CS, POLICY_DEST_UNCERTAIN,
      POLICY_CALLER_IDENTIFIED, "corp.example", NULL},
     true,
     {CALLER(POLICY_ANON_PSEUDONYMOUS, "alice-survey"),
      CALLER(POLICY_UNLINK_GRANTED, "alice-survey"), BUILTIN(1), BUILTIN(1), BUILTIN(1),
      BUILTIN(POLICY_CNAME_PER_CALL_RANDOM), BUILTIN(POLICY_ORIGIN_STATUS_ONLY),
      ORG(1, "corp-customers", true), ORG(POLICY_ASSERT_REQUIRE, "corp-customers", true),
      BUILTIN(0)},
     1,
     {{POLICY_FIELD_ORG_DOMAIN_DISCLOSURE, 0, "alice-survey", POLICY_REFUSED_MANDATORY,
       "corp-customers"}}},
    {"7.5 Alice calls a colleague",
     "7.5-variable-trust-by-destination.json",
     {POLICY_SERVICE_CONTACT_LIST, POLICY_CALL_SINGLE_CS, POLICY_DEST_INNER_CIRCLE,
      POLICY_CALLER_IDENTIFIED, "corp.example", NULL},
     true,
     {ORG(POLICY_ANON_IDENTIFIED, "corp-colleagues", false),
      ORG(POLICY_UNLINK_REFUSED, "corp-colleagues", false), BUILTIN(1), BUILTIN(1), BUILTIN(1),
      ORG(POLICY_CNAME_PER_SESSION, "corp-colleagues", false), BUILTIN(POLICY_ORIGIN_STATUS_ONLY),
      ORG(1, "corp-colleagues", false), BUILTIN(POLICY_ASSERT_ALLOW), BUILTIN(0)},
     0,
     {{0}}},
    {"7.6 employee on an untrusted service",
     "7.6-employee-untrusted-service.json",
     {POLICY_SERVICE_CONTACT_LIST, POLICY_CALL_SINGLE_CS, POLICY_DEST_TRUSTED,
      POLICY_CALLER_IDENTIFIED, "corp.example", NULL},
     true,
     {BUILTIN(POLICY_ANON_PSEUDONYMOUS), CALLER(POLICY_UNLINK_GRANTED, "alice-guarded"),
      CALLER(1, "alice-guarded"), SERVICE(0, "cheap-service-defaults", false),
      CALLER(1, "alice-guarded"), CALLER(POLICY_CNAME_PER_CALL_RANDOM, "alice-guarded"),
      BUILTIN(POLICY_ORIGIN_STATUS_ONLY), CALLER(0, "alice-guarded"),
      ORG(POLICY_ASSERT_REQUIRE, "corp-idp", true), CALLER(0, "alice-guarded")},
     3,
     {{POLICY_FIELD_RELAY_ONLY, 0, "bob-direct", POLICY_REFUSED_MORE_PRIVATE, "alice-guarded"},
      {POLICY_FIELD_FRESH_DTLS_PER_CALL, 0, "cheap-service-defaults",
       POLICY_REFUSED_NEEDS_UNLINKABLE, "alice-guarded"},
      {POLICY_FIELD_CNAME, POLICY_CNAME_PER_SESSION, "cheap-service-defaults",
       POLICY_REFUSED_NEEDS_UNLINKABLE, "alice-guarded"}}},
    {"7.7 Alice calls a friend's mobile",
     "7.7-interworking-sip.json",
     {POLICY_SERVICE_INTERWORKING, POLICY_CALL_DUAL_CS, POLICY_DEST_INNER_CIRCLE,
      POLICY_CALLER_IDENTIFIED, NULL, NULL},
     true,
     {CALLER(POLICY_ANON_PSEUDONYMOUS, "alice-withholds-number"),
      CALLER(POLICY_UNLINK_GRANTED, "alice-withholds-number"), BUILTIN(1), BUILTIN(1), BUILTIN(1),
      BUILTIN(POLICY_CNAME_PER_CALL_RANDOM),
      SERVICE(POLICY_ORIGIN_NONE, "sip-no-webrtc-identity", true), BUILTIN(0),
      SERVICE(POLICY_ASSERT_FORBID, "sip-no-webrtc-identity", true),
      SERVICE(7776000, "sip-defaults", false)},
     1,
     {{POLICY_FIELD_IDENTITY_ASSERTION, POLICY_ASSERT_ALLOW, "alice-withholds-number",
       POLICY_REFUSED_MANDATORY, "sip-no-webrtc-identity"}}},
    {"7.7 a visitor who is not logged in is refused",
     "7.7-interworking-sip.json",
     {POLICY_SERVICE_INTERWORKING, POLICY_CALL_DUAL_CS, POLICY_DEST_UNCERTAIN,
      POLICY_CALLER_UNDETECTABLE, NULL, NULL},
     false,
     {{POLICY_ANON_PSEUDONYMOUS, "caller-state", POLICY_SOURCE_BUILTIN, true},
      CALLER(POLICY_UNLINK_GRANTED, "alice-withholds-number"),
      BUILTIN(1),
      BUILTIN(1),
      BUILTIN(1),
      BUILTIN(POLICY_CNAME_PER_CALL_RANDOM),
      SERVICE(POLICY_ORIGIN_NONE, "sip-no-webrtc-identity", true),
      BUILTIN(0),
      SERVICE(POLICY_ASSERT_FORBID, "sip-no-webrtc-identity", true),
      SERVICE(7776000, "sip-defaults", false)},
     3,
     {{POLICY_FIELD_ANONYMITY, POLICY_ANON_PSEUDONYMOUS, "alice-withholds-number",
       POLICY_REFUSED_MANDATORY, "sip-needs-account"},
      {POLICY_FIELD_IDENTITY_ASSERTION, POLICY_ASSERT_ALLOW, "alice-withholds-number",
       POLICY_REFUSED_MANDATORY, "sip-no-webrtc-identity"},
      {POLICY_FIELD_ANONYMITY, POLICY_ANON_IDENTIFIED, "sip-needs-account",
       POLICY_REFUSED_CALLER_STATE, "caller-state"}}},
    {"7.7 emergency call without login goes through, linkable",
     "7.7-interworking-sip.json",
     {POLICY_SERVICE_INTERWORKING, POLICY_CALL_DUAL_CS, POLICY_DEST_EMERGENCY,
      POLICY_CALLER_UNDETECTABLE, NULL, NULL},
     true,
     {{POLICY_ANON_PSEUDONYMOUS, "caller-state", POLICY_SOURCE_BUILTIN, true},
      SERVICE(POLICY_UNLINK_REFUSED, "emergency-locatable", true),
      BUILTIN(1),
      BUILTIN(1),
      BUILTIN(1),
      BUILTIN(POLICY_CNAME_PER_CALL_RANDOM),
      SERVICE(POLICY_ORIGIN_NONE, "sip-no-webrtc-identity", true),
      BUILTIN(0),
      SERVICE(POLICY_ASSERT_FORBID, "sip-no-webrtc-identity", true),
      SERVICE(7776000, "sip-defaults", false)},
     4,
     {{POLICY_FIELD_ANONYMITY, POLICY_ANON_PSEUDONYMOUS, "alice-withholds-number",
       POLICY_REFUSED_MANDATORY, "sip-needs-account"},
      {POLICY_FIELD_UNLINKABILITY, POLICY_UNLINK_GRANTED, "alice-withholds-number",
       POLICY_REFUSED_MANDATORY, "emergency-locatable"},
      {POLICY_FIELD_IDENTITY_ASSERTION, POLICY_ASSERT_ALLOW, "alice-withholds-number",
       POLICY_REFUSED_MANDATORY, "sip-no-webrtc-identity"},
      {POLICY_FIELD_ANONYMITY, POLICY_ANON_IDENTIFIED, "sip-needs-account",
       POLICY_REFUSED_CALLER_STATE, "caller-state"}}},
};

static void policy_path(const char *file, char *buf, size_t len)
{
    const char *top = getenv("top_srcdir");
    snprintf(buf, len, "%s/contrib/policies/%s", top != NULL ? top : ".", file);
}

/* The line holding "id": "ID", found by reading the file here, not by the
 * library; the files open every rule with its id on the brace's line. */
static int line_of_id(const char *path, const char *id)
{
    char needle[128], line[1024];
    int n = 0;
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    snprintf(needle, sizeof(needle), "\"id\": \"%s\"", id);
    while (fgets(line, sizeof(line), f) != NULL) {
        n++;
        if (strstr(line, needle) != NULL) {
            assert_non_null(strchr(line, '{'));
            fclose(f);
            return n;
        }
    }
    fclose(f);
    fail_msg("no rule \"%s\" in %s", id, path);
    return -1;
}

static void check_origin(const char *path, const struct policy_origin *o, const char *id,
                         const char *what)
{
    if (o->id == NULL || strcmp(o->id, id) != 0)
        fail_msg("%s: set by %s, want %s", what, o->id ? o->id : "(no id)", id);
    if (o->source == POLICY_SOURCE_BUILTIN) {
        assert_string_equal(o->file, "<builtin>");
        return;
    }
    assert_string_equal(o->file, path);
    assert_int_equal(o->line, line_of_id(path, id));
}

static void run_case(const struct use_case *uc)
{
    char path[512], err[512];
    struct policy_set *set = NULL;
    struct policy_decision d;
    const char *paths[1] = {path};

    policy_path(uc->file, path, sizeof(path));
    if (policy_set_load(&set, paths, 1, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(policy_decide(set, &uc->ctx, &d, err, sizeof(err)), 0);
    assert_int_equal(d.admit, uc->admit);
    for (int f = 0; f < POLICY_FIELD_COUNT; f++) {
        /* No use case of the draft splits relays: the builtin default. */
        static const struct want_field split_default = BUILTIN(0);
        const struct want_field *w =
            f == POLICY_FIELD_SPLIT_RELAYS && uc->f[f].id == NULL ? &split_default : &uc->f[f];
        const char *name = policy_field_name((enum policy_field)f);
        if (policy_decision_value(&d, (enum policy_field)f) != w->value)
            fail_msg("%s: %s = %lld, want %lld", uc->name, name,
                     (long long)policy_decision_value(&d, (enum policy_field)f),
                     (long long)w->value);
        check_origin(path, &d.set_by[f], w->id, name);
        assert_int_equal(d.set_by[f].source, w->source);
        assert_int_equal(d.set_by[f].mandatory, w->mandatory);
    }
    if (d.n_refused != uc->n_refused)
        fail_msg("%s: %zu refusals, want %zu", uc->name, d.n_refused, uc->n_refused);
    assert_false(d.refused_truncated);
    for (size_t i = 0; i < uc->n_refused; i++) {
        const struct want_refusal *w = &uc->refused[i];
        const struct policy_refusal *r = &d.refused[i];
        assert_int_equal(r->field, w->field);
        assert_int_equal(r->requested, w->requested);
        assert_int_equal(r->reason, w->reason);
        check_origin(path, &r->by, w->by, "refused by");
        check_origin(path, &r->winner, w->winner, "refusal winner");
    }
    policy_set_free(set);
}

/* The typed fields and the generic accessor must say the same. */
static void check_typed_fields(const struct policy_decision *d)
{
    assert_int_equal(d->anonymity, policy_decision_value(d, POLICY_FIELD_ANONYMITY));
    assert_int_equal(d->relay_only, policy_decision_value(d, POLICY_FIELD_RELAY_ONLY));
    assert_int_equal(d->log_retention_seconds,
                     policy_decision_value(d, POLICY_FIELD_LOG_RETENTION_SECONDS));
}

static void test_use_cases(void **state)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("  %s\n", cases[i].name);
        run_case(&cases[i]);
    }
}

/* The JSON explanation of 7.6 carries the same facts, by name. */
static void test_use_case_json(void **state)
{
    char path[512], err[512];
    struct policy_set *set = NULL;
    struct policy_decision d;
    const char *paths[1] = {path};
    const struct use_case *uc = &cases[8];

    policy_path(uc->file, path, sizeof(path));
    assert_int_equal(policy_set_load(&set, paths, 1, err, sizeof(err)), 0);
    assert_int_equal(policy_decide(set, &uc->ctx, &d, err, sizeof(err)), 0);
    check_typed_fields(&d);
    json_t *j = policy_decision_to_json(&d);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "decision"), "cname")),
                        "per-call-random");
    assert_true(json_is_true(json_object_get(json_object_get(j, "decision"), "relay_only")));
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(j, "decision"), "log_retention_seconds")),
                     0);
    json_t *by = json_object_get(
        json_object_get(json_object_get(j, "explanation"), "identity_assertion"), "set_by");
    assert_string_equal(json_string_value(json_object_get(by, "source")), "organisation");
    assert_true(json_is_true(json_object_get(by, "mandatory")));
    assert_int_equal(json_integer_value(json_object_get(by, "line")), line_of_id(path, "corp-idp"));
    json_t *refused = json_object_get(j, "refused");
    assert_int_equal(json_array_size(refused), 3);
    json_t *r0 = json_array_get(refused, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "field")), "relay_only");
    assert_true(json_is_false(json_object_get(r0, "requested")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(r0, "by"), "source")),
                        "callee");
    assert_non_null(strstr(json_string_value(json_object_get(r0, "reason")), "more private"));
    json_decref(j);
    policy_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_use_cases),
        cmocka_unit_test(test_use_case_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
