/* Fuzz target for the policy loader and for preferences in call requests:
 * the input is one policy file, then (when it is JSON) a caller request.
 * Aborts when an invariant breaks: an error without "FILE:LINE: ", a
 * decision value out of range, an origin without a file.
 *
 * Each input is decided for FUZZ_POLICY_CONTEXTS of the 150 kinds of call
 * (all by default, as make check runs it). The libFuzzer build (make fuzz)
 * sets it to 1, picked by a hash of the input, so that one input costs
 * little more than its two JSON parses (most of the time left). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define FUZZ_POLICY_KINDS (5 * 2 * 5 * 3)
#ifndef FUZZ_POLICY_CONTEXTS
#define FUZZ_POLICY_CONTEXTS FUZZ_POLICY_KINDS
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const char *err, const char *name)
{
    size_t n = strlen(name);
    char *end = NULL;
    if (strncmp(err, name, n) != 0 || err[n] != ':')
        abort();
    /* files: "NAME:LINE: " with LINE >= 1 */
    if (strcmp(name, "fuzz.json") == 0 && (strtol(err + n + 1, &end, 10) < 1 || end[0] != ':'))
        abort();
}

static void check_origin(const struct policy_origin *o)
{
    if (o->file == NULL || o->line < 0 || (unsigned)o->source > POLICY_SOURCE_ORGANISATION)
        abort();
}

static void check_decision(const struct policy_decision *d)
{
    if ((unsigned)d->anonymity > POLICY_ANON_UNDETECTABLE ||
        (unsigned)d->unlinkability > POLICY_UNLINK_GRANTED ||
        (unsigned)d->cname > POLICY_CNAME_PER_CALL_RANDOM ||
        (unsigned)d->origin_disclosure > POLICY_ORIGIN_NONE ||
        (unsigned)d->identity_assertion > POLICY_ASSERT_FORBID || d->log_retention_seconds < 0 ||
        d->n_refused > POLICY_MAX_REFUSED)
        abort();
    /* the constraints of umbra-policy(1) hold in every decision */
    if (d->unlinkability == POLICY_UNLINK_GRANTED &&
        (!d->relay_only || !d->fresh_dtls_per_call || d->cname != POLICY_CNAME_PER_CALL_RANDOM))
        abort();
    if (d->anonymity == POLICY_ANON_UNDETECTABLE && d->identity_assertion == POLICY_ASSERT_REQUIRE)
        abort();
    for (int f = 0; f < POLICY_FIELD_COUNT; f++)
        check_origin(&d->set_by[f]);
    for (size_t i = 0; i < d->n_refused; i++) {
        check_origin(&d->refused[i].by);
        check_origin(&d->refused[i].winner);
    }
    json_t *j = policy_decision_to_json(d);
    if (j == NULL)
        abort();
    json_decref(j);
}

/* The kinds of call first, first + step, ... (FUZZ_POLICY_CONTEXTS of them). */
static void decide_all(const struct policy_set *set, const json_t *prefs, int first)
{
    struct policy_decision d;
    char err[512];
    const int step = FUZZ_POLICY_KINDS / FUZZ_POLICY_CONTEXTS;
    for (int k = 0; k < FUZZ_POLICY_CONTEXTS; k++) {
        int i = (first + k * step) % FUZZ_POLICY_KINDS;
        struct policy_context ctx = {
            (enum policy_service)(i % 5),          (enum policy_call_model)(i / 5 % 2),
            (enum policy_destination)(i / 10 % 5), (enum policy_caller_state)(i / 50 % 3),
            i % 2 ? "corp.example" : NULL,         NULL};
        if (policy_decide(set, &ctx, &d, err, sizeof(err)) < 0)
            abort();
        check_decision(&d);
        if (prefs == NULL)
            continue;
        if (policy_decide_with(set, &ctx, prefs, prefs, &d, err, sizeof(err)) == 0)
            check_decision(&d);
        else if (strncmp(err, "<caller request>", 16) != 0 &&
                 strncmp(err, "<callee request>", 16) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u; /* FNV-1a: which kinds of call */
    char *text = malloc(size + 1);
    const char *names[1] = {"fuzz.json"};
    const char *texts[1] = {text};
    struct policy_set *set = NULL, *empty = NULL;
    char err[512];
    json_error_t je;
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    if (policy_set_load_texts(&set, names, texts, 1, err, sizeof(err)) < 0) {
        if (set != NULL)
            abort();
        check_error(err, "fuzz.json");
    } else {
        decide_all(set, NULL, (int)(h % FUZZ_POLICY_KINDS));
        policy_set_free(set);
    }
    /* the same bytes as a party's request: a rule, or "rules" of a file */
    json_t *j = json_loads(text, 0, &je);
    if (j != NULL && policy_set_load_texts(&empty, NULL, NULL, 0, err, sizeof(err)) == 0) {
        json_t *rules = json_is_object(j) ? json_object_get(j, "rules") : NULL;
        decide_all(empty, rules != NULL ? rules : j, (int)(h % FUZZ_POLICY_KINDS));
        policy_set_free(empty);
    }
    json_decref(j);
    free(text);
    return 0;
}
