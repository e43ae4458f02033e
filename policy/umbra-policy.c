/* umbra-policy: check policy files, and explain the decision for a call.
 * Exit 0 on success, 1 on an invalid policy or request, 2 on bad usage. */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define MAX_POLICIES 64

/* The four options that describe the call, in struct explain_args.have order. */
static const char *const context_opts[4] = {"--service", "--call-model", "--destination",
                                            "--caller-state"};

struct explain_args {
    const char *policies[MAX_POLICIES];
    size_t n_policies;
    struct policy_context ctx;
    bool have[4];
    const char *caller_prefs;
    const char *callee_prefs;
    bool json;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: umbra-policy check FILE...\n"
            "       umbra-policy explain --policy FILE [--policy FILE...] --service S\n"
            "                            --call-model M --destination D --caller-state C\n"
            "                            [--caller-org DOMAIN] [--callee-org DOMAIN]\n"
            "                            [--caller-prefs FILE] [--callee-prefs FILE] [--json]\n"
            "See umbra-policy(1).\n");
}

static int cmd_check(int argc, char **argv)
{
    char err[512];
    int bad = 0;
    struct policy_set *set;
    if (argc < 1) {
        usage(stderr);
        return 2;
    }
    for (int i = 0; i < argc; i++) {
        const char *path = argv[i];
        if (policy_set_load(&set, &path, 1, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            bad = 1;
            continue;
        }
        printf("%s: ok, rules: %zu\n", path, policy_set_rule_count(set));
        policy_set_free(set);
    }
    if (bad || argc == 1)
        return bad;
    /* mandatory rules of different files must not contradict each other either */
    if (policy_set_load(&set, (const char *const *)argv, (size_t)argc, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("together: ok, rules: %zu\n", policy_set_rule_count(set));
    policy_set_free(set);
    return 0;
}

static int parse_context_opt(struct explain_args *a, int which, const char *v)
{
    int rc = -1;
    switch (which) {
    case 0:
        rc = policy_service_parse(v, &a->ctx.service);
        break;
    case 1:
        rc = policy_call_model_parse(v, &a->ctx.call_model);
        break;
    case 2:
        rc = policy_destination_parse(v, &a->ctx.destination);
        break;
    default:
        rc = policy_caller_state_parse(v, &a->ctx.caller_state);
        break;
    }
    if (rc < 0)
        fprintf(stderr, "%s: unknown value \"%s\"\n", context_opts[which], v);
    a->have[which] = true;
    return rc;
}

static int parse_explain(int argc, char **argv, struct explain_args *a)
{
    static const struct option opts[] = {
        {"service", required_argument, NULL, 0},
        {"call-model", required_argument, NULL, 1},
        {"destination", required_argument, NULL, 2},
        {"caller-state", required_argument, NULL, 3},
        {"policy", required_argument, NULL, 'p'},
        {"caller-org", required_argument, NULL, 'o'},
        {"callee-org", required_argument, NULL, 'O'},
        {"caller-prefs", required_argument, NULL, 'r'},
        {"callee-prefs", required_argument, NULL, 'R'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c >= 0 && c <= 3) {
            if (parse_context_opt(a, c, optarg) < 0)
                return -1;
        } else if (c == 'p') {
            if (a->n_policies == MAX_POLICIES) {
                fprintf(stderr, "--policy: at most %d files\n", MAX_POLICIES);
                return -1;
            }
            a->policies[a->n_policies++] = optarg;
        } else if (c == 'o') {
            a->ctx.caller_org = optarg;
        } else if (c == 'O') {
            a->ctx.callee_org = optarg;
        } else if (c == 'r') {
            a->caller_prefs = optarg;
        } else if (c == 'R') {
            a->callee_prefs = optarg;
        } else if (c == 'j') {
            a->json = true;
        } else {
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "explain: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        if (!a->have[i]) {
            fprintf(stderr, "explain: %s is required\n", context_opts[i]);
            return -1;
        }
    }
    if (a->n_policies == 0) {
        fprintf(stderr, "explain: at least one --policy FILE is required\n");
        return -1;
    }
    return 0;
}

static void print_origin(const struct policy_origin *o)
{
    printf("%s%s rule %s:%d", o->mandatory ? "mandatory " : "", policy_source_name(o->source),
           o->file, o->line);
    if (o->id != NULL)
        printf(" (%s)", o->id);
}

static void print_value(enum policy_field f, int64_t v)
{
    const char *name = policy_value_name(f, v);
    if (name != NULL)
        printf("%s", name);
    else
        printf("%lld", (long long)v);
}

static void print_text(const struct policy_decision *d)
{
    printf("admit: %s\n", d->admit ? "yes"
                                   : "no (a mandatory rule asks for an identity "
                                     "the caller cannot give)");
    for (int f = 0; f < POLICY_FIELD_COUNT; f++) {
        printf("%-24s ", policy_field_name((enum policy_field)f));
        print_value((enum policy_field)f, policy_decision_value(d, (enum policy_field)f));
        printf("\n    set by ");
        print_origin(&d->set_by[f]);
        printf("\n");
    }
    printf("refused requests: %zu%s\n", d->n_refused, d->refused_truncated ? " (truncated)" : "");
    for (size_t i = 0; i < d->n_refused; i++) {
        const struct policy_refusal *r = &d->refused[i];
        printf("  %s=", policy_field_name(r->field));
        print_value(r->field, r->requested);
        printf(" from ");
        print_origin(&r->by);
        printf("\n    refused: %s; kept the value of ", policy_refusal_reason_text(r->reason));
        print_origin(&r->winner);
        printf("\n");
    }
}

static json_t *load_prefs(const char *path)
{
    json_error_t je;
    json_t *j;
    if (path == NULL)
        return NULL;
    j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        fprintf(stderr, "%s:%d: syntax error at column %d: %s\n", path, je.line, je.column,
                je.text);
    return j;
}

static int cmd_explain(int argc, char **argv)
{
    struct explain_args a;
    struct policy_set *set = NULL;
    struct policy_decision d;
    json_t *caller = NULL, *callee = NULL;
    char err[512];
    int rc = 1;
    memset(&a, 0, sizeof(a));
    if (parse_explain(argc, argv, &a) < 0) {
        usage(stderr);
        return 2;
    }
    if (policy_set_load(&set, a.policies, a.n_policies, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if ((a.caller_prefs != NULL && (caller = load_prefs(a.caller_prefs)) == NULL) ||
        (a.callee_prefs != NULL && (callee = load_prefs(a.callee_prefs)) == NULL))
        goto done;
    if (policy_decide_with(set, &a.ctx, caller, callee, &d, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        goto done;
    }
    if (a.json) {
        json_t *j = policy_decision_to_json(&d);
        if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2)) < 0) {
            fprintf(stderr, "explain: out of memory\n");
            json_decref(j);
            goto done;
        }
        printf("\n");
        json_decref(j);
    } else {
        print_text(&d);
    }
    rc = 0;
done:
    json_decref(caller);
    json_decref(callee);
    policy_set_free(set);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "explain") == 0)
        return cmd_explain(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("umbra-policy %s\n", PACKAGE_VERSION);
        return 0;
    }
    usage(stderr);
    return 2;
}
