/* Every kind of malformed policy gives one clear message naming the file
 * and line, and no set at all (not even the valid files loaded with it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"

struct bad_case {
    const char *files[3];
    const char *where; /* "file:line" the message must start with */
    const char *what;  /* and a phrase it must hold */
};

/* Lines read off the fixtures in tests/policy/. */
static const struct bad_case bad[] = {
    {{"bad-syntax.json"}, "bad-syntax.json:5", "syntax error"},
    {{"bad-duplicate-key.json"}, "bad-duplicate-key.json:5", "duplicate object key"},
    {{"bad-unknown-key.json"}, "bad-unknown-key.json:7", "unknown key \"relay_ony\" in \"set\""},
    {{"bad-unknown-rule-key.json"},
     "bad-unknown-rule-key.json:7",
     "unknown key \"mandatroy\" in a rule"},
    {{"bad-unknown-top-key.json"}, "bad-unknown-top-key.json:3", "unknown key \"rule\""},
    {{"bad-wrong-type.json"}, "bad-wrong-type.json:7", "\"relay_only\" must be true or false"},
    {{"bad-wrong-type-retention.json"},
     "bad-wrong-type-retention.json:5",
     "must be an integer number of seconds, not a string"},
    {{"bad-unknown-enum.json"}, "bad-unknown-enum.json:7", "unknown anonymity \"anonymous\""},
    {{"bad-unknown-match-enum.json"},
     "bad-unknown-match-enum.json:6",
     "unknown destination \"friends\""},
    {{"bad-conflict.json"}, "bad-conflict.json:8", "conflicts with the mandatory rule at"},
    {{"conflict-a.json", "conflict-b.json"},
     "conflict-b.json:7",
     "conflict-a.json:5: both can match one call"},
    {{"bad-self-contradiction.json"},
     "bad-self-contradiction.json:5",
     "relay_only=false cannot go with unlinkability=granted"},
    {{"bad-mandatory-caller.json"},
     "bad-mandatory-caller.json:5",
     "only service or organisation rules can be mandatory"},
    {{"bad-no-source.json"}, "bad-no-source.json:5", "no \"source\""},
    /* a valid file loaded with a broken one is dropped with it */
    {{"ok-disjoint-mandatory.json", "bad-wrong-type.json"},
     "bad-wrong-type.json:7",
     "must be true or false"},
    {{"does-not-exist.json"}, "does-not-exist.json", "cannot open"},
};

static void fixture(const char *name, char *buf, size_t len)
{
    const char *top = getenv("top_srcdir");
    snprintf(buf, len, "%s/tests/policy/%s", top != NULL ? top : ".", name);
}

static void test_bad_files(void **state)
{
    struct policy_set *good = NULL;
    char err[512];
    assert_int_equal(policy_set_load(&good, NULL, 0, err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char paths[3][512], where[600];
        const char *p[3];
        size_t n = 0;
        struct policy_set *set = good; /* a failed load must set it to NULL */
        for (; n < 3 && bad[i].files[n] != NULL; n++) {
            fixture(bad[i].files[n], paths[n], sizeof(paths[n]));
            p[n] = paths[n];
        }
        fixture(bad[i].where, where, sizeof(where));
        err[0] = '\0';
        assert_int_equal(policy_set_load(&set, p, n, err, sizeof(err)), -1);
        assert_null(set);
        if (strncmp(err, where, strlen(where)) != 0 || strstr(err, bad[i].what) == NULL)
            fail_msg("case %zu: got \"%s\", want \"%s...%s\"", i, err, where, bad[i].what);
        /* "FILE:LINE: " and then the reason, when there is a line */
        if (strchr(bad[i].where, ':') != NULL)
            assert_memory_equal(err + strlen(where), ": ", 2);
    }
    policy_set_free(good);
}

static void test_disjoint_mandatory_rules_load(void **state)
{
    char path[512], err[512];
    const char *p[1] = {path};
    struct policy_set *set = NULL;
    fixture("ok-disjoint-mandatory.json", path, sizeof(path));
    if (policy_set_load(&set, p, 1, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(policy_set_rule_count(set), 4);
    policy_set_free(set);
}

/* Files in memory: the name given is the one in messages. */
static void test_texts_name_the_source(void **state)
{
    const char *names[2] = {"first.json", "second.json"};
    const char *texts[2] = {"{\"version\": 1, \"rules\": []}",
                            "{\"version\": 1,\n \"source\": \"service\",\n \"rules\": [\n"
                            "  {\"set\": {\"cname\": 5}}]}"};
    struct policy_set *set = NULL;
    char err[512];
    assert_int_equal(policy_set_load_texts(&set, names, texts, 2, err, sizeof(err)), -1);
    assert_null(set);
    assert_string_equal(err, "second.json:4: \"cname\" must be a string (per-session or "
                             "per-call-random), not an integer");
    texts[1] = "{\"version\": 2, \"rules\": []}";
    assert_int_equal(policy_set_load_texts(&set, names, texts, 2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "second.json:1: \"version\" must be 1"));
    texts[1] = "[]";
    assert_int_equal(policy_set_load_texts(&set, names, texts, 2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "second.json:1: a policy file must be a JSON object"));
    texts[1] = "{\"version\": 1, \"source\": \"service\", \"rules\": [{\"set\": {}}]}";
    assert_int_equal(policy_set_load_texts(&set, names, texts, 2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "the rule sets nothing"));
    texts[1] = "{\"version\": 1, \"source\": \"service\", \"rules\": [{\"set\": "
               "{\"log_retention_seconds\": -1}}]}";
    assert_int_equal(policy_set_load_texts(&set, names, texts, 2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "must be between 0 and"));
    texts[1] = "{\"version\": 1, \"source\": \"service\", \"rules\": [{\"match\": "
               "{\"service\": []}, \"set\": {\"relay_only\": true}}]}";
    assert_int_equal(policy_set_load_texts(&set, names, texts, 2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "empty list"));
}

/* Lines stay right after nesting deeper than the line finder tracks. */
static void test_lines_after_deep_nesting(void **state)
{
    char text[512], err[512];
    const char *names[1] = {"deep.json"};
    const char *texts[1] = {text};
    struct policy_set *set = NULL;
    snprintf(text, sizeof(text),
             "{\"version\": 1, \"source\": \"service\",\n\"rules\": [{\"set\": "
             "%.*s1, 2%.*s}],\n\n\"zzz\": 1}",
             40, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 40,
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    assert_int_equal(policy_set_load_texts(&set, names, texts, 1, err, sizeof(err)), -1);
    assert_string_equal(err, "deep.json:4: unknown key \"zzz\" at the top level (expected "
                             "version, source, comment or rules)");
}

/* Preferences in a call request are checked like files, and a bad one
 * decides nothing. */
static void test_bad_requests(void **state)
{
    struct policy_set *set = NULL;
    struct policy_decision d;
    struct policy_context ctx = {POLICY_SERVICE_NEGOTIATED,
                                 POLICY_CALL_DUAL_CS,
                                 POLICY_DEST_UNCERTAIN,
                                 POLICY_CALLER_PSEUDONYMOUS,
                                 NULL,
                                 NULL};
    char err[512];
    json_error_t je;
    assert_int_equal(policy_set_load(&set, NULL, 0, err, sizeof(err)), 0);

    json_t *req = json_loads("[{\"set\": {\"relay_only\": true}}, {\"mandatory\": true, "
                             "\"set\": {\"relay_only\": true}}]",
                             0, &je);
    assert_int_equal(policy_decide_with(set, &ctx, req, NULL, &d, err, sizeof(err)), -1);
    assert_string_equal(err, "<caller request>: rule 2: only service or organisation rules can "
                             "be mandatory, not caller rules");
    json_decref(req);

    req = json_loads("{\"source\": \"service\", \"set\": {\"relay_only\": false}}", 0, &je);
    assert_int_equal(policy_decide_with(set, &ctx, NULL, req, &d, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "<callee request>: rule 1: a callee request cannot give rules"));
    json_decref(req);

    req = json_loads("{\"set\": {\"anonymity\": \"ghost\"}}", 0, &je);
    assert_int_equal(policy_decide_with(set, &ctx, req, NULL, &d, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown anonymity \"ghost\""));
    json_decref(req);

    req = json_string("be private");
    assert_int_equal(policy_decide_with(set, &ctx, req, NULL, &d, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "must be a rule object or an array"));
    json_decref(req);

    ctx.destination = (enum policy_destination)17;
    assert_int_equal(policy_decide(set, &ctx, &d, err, sizeof(err)), -1);
    policy_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_disjoint_mandatory_rules_load),
        cmocka_unit_test(test_texts_name_the_source),
        cmocka_unit_test(test_lines_after_deep_nesting),
        cmocka_unit_test(test_bad_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
