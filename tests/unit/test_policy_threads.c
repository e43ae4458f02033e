/* The library keeps no global state: several threads decide at once on one
 * shared set (and one shared request) and every decision must equal the
 * one made alone, and keep the invariants the policies promise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "policy.h"

#define N_THREADS 4
#define ROUNDS 40
#define N_CONTEXTS (5 * 2 * 5 * 3 * 2)

struct shared {
    struct policy_set *set;
    json_t *callee_request;
    struct policy_context ctx[N_CONTEXTS];
    struct policy_decision alone[N_CONTEXTS];
    struct policy_decision alone_with[N_CONTEXTS];
};

struct worker {
    struct shared *sh;
    int id;
    long decisions;
    long mismatches;
};

static void build_contexts(struct shared *sh)
{
    int n = 0;
    for (int s = 0; s < 5; s++)
        for (int m = 0; m < 2; m++)
            for (int d = 0; d < 5; d++)
                for (int c = 0; c < 3; c++)
                    for (int o = 0; o < 2; o++) {
                        struct policy_context *x = &sh->ctx[n++];
                        x->service = (enum policy_service)s;
                        x->call_model = (enum policy_call_model)m;
                        x->destination = (enum policy_destination)d;
                        x->caller_state = (enum policy_caller_state)c;
                        x->caller_org = o ? "corp.example" : NULL;
                        x->callee_org = NULL;
                    }
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct policy_decision d;
    char err[256];
    for (int round = 0; round < ROUNDS; round++) {
        for (int k = 0; k < N_CONTEXTS; k++) {
            int i = (k * 7 + w->id * 31 + round) % N_CONTEXTS;
            if (policy_decide(w->sh->set, &w->sh->ctx[i], &d, err, sizeof(err)) < 0 ||
                memcmp(&d, &w->sh->alone[i], sizeof(d)) != 0)
                w->mismatches++;
            if (policy_decide_with(w->sh->set, &w->sh->ctx[i], NULL, w->sh->callee_request, &d, err,
                                   sizeof(err)) < 0 ||
                memcmp(&d, &w->sh->alone_with[i], sizeof(d)) != 0)
                w->mismatches++;
            w->decisions += 2;
        }
    }
    return NULL;
}

static void load_shared(struct shared *sh)
{
    static const char *const files[] = {"7.1-anonymous-caller-call-centre.json",
                                        "7.3-gaming-pseudonyms.json",
                                        "7.6-employee-untrusted-service.json"};
    char paths[3][512], err[512];
    const char *p[3];
    const char *top = getenv("top_srcdir");
    json_error_t je;
    for (int i = 0; i < 3; i++) {
        snprintf(paths[i], sizeof(paths[i]), "%s/contrib/policies/%s", top ? top : ".", files[i]);
        p[i] = paths[i];
    }
    if (policy_set_load(&sh->set, p, 3, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    sh->callee_request = json_loads("[{\"id\": \"callee-no-logs\", \"set\": "
                                    "{\"log_retention_seconds\": 0}}, {\"match\": "
                                    "{\"destination\": \"trusted\"}, \"set\": "
                                    "{\"unlinkability\": \"refused\"}}]",
                                    0, &je);
    assert_non_null(sh->callee_request);
}

/* What the three policies promise whatever the call (read off the files). */
static void check_invariants(const struct shared *sh, int i)
{
    const struct policy_context *c = &sh->ctx[i];
    const struct policy_decision *d = &sh->alone[i];
    if (c->service == POLICY_SERVICE_CLICK_TO_LINK) {
        assert_true(d->relay_only && d->ice_delay_until_answer);
        assert_string_equal(d->set_by[POLICY_FIELD_RELAY_ONLY].id, "centre-hide-ip");
    }
    if (c->caller_org != NULL) {
        assert_int_equal(d->identity_assertion, POLICY_ASSERT_REQUIRE);
        assert_string_equal(d->set_by[POLICY_FIELD_IDENTITY_ASSERTION].id, "corp-idp");
    }
    if (c->service == POLICY_SERVICE_CONTACT_LIST)
        assert_false(d->org_domain_disclosure);
    /* the callee's request: no logs anywhere, linkable towards trusted
     * destinations unless a mandatory rule says otherwise */
    assert_int_equal(sh->alone_with[i].log_retention_seconds, 0);
    if (c->destination == POLICY_DEST_TRUSTED)
        assert_int_equal(sh->alone_with[i].unlinkability, POLICY_UNLINK_REFUSED);
}

static void test_threads_share_one_set(void **state)
{
    struct shared *sh = calloc(1, sizeof(*sh));
    struct worker w[N_THREADS];
    pthread_t t[N_THREADS];
    char err[256];
    long total = 0;
    assert_non_null(sh);
    load_shared(sh);
    build_contexts(sh);
    for (int i = 0; i < N_CONTEXTS; i++) {
        assert_int_equal(policy_decide(sh->set, &sh->ctx[i], &sh->alone[i], err, sizeof(err)), 0);
        assert_int_equal(policy_decide_with(sh->set, &sh->ctx[i], NULL, sh->callee_request,
                                            &sh->alone_with[i], err, sizeof(err)),
                         0);
        check_invariants(sh, i);
    }
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (struct worker){sh, i, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].mismatches, 0);
        total += w[i].decisions;
    }
    assert_int_equal(total, (long)N_THREADS * ROUNDS * N_CONTEXTS * 2);
    print_message("  %ld decisions in %d threads, all equal to the single-threaded ones\n", total,
                  N_THREADS);
    json_decref(sh->callee_request);
    policy_set_free(sh->set);
    free(sh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share_one_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
