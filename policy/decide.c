/* decide: reconcile the rules that match a call into one decision and
 * record why (precedence in umbra-policy(1), "PRECEDENCE"). Reads the set
 * only; allocates nothing unless a party's request has to be parsed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

#define F_ANON POLICY_FIELD_ANONYMITY
#define F_UNLINK POLICY_FIELD_UNLINKABILITY
#define F_ASSERT POLICY_FIELD_IDENTITY_ASSERTION

/* The library's own defaults: private unless a rule says otherwise
 * (RFC 8827 §6.4, §9.2), and linkable towards emergency services (draft
 * §5.4) unless a party asks otherwise. */
static const struct policy_rule builtin_rules[] = {
    {
        .match = {0x1f, 0x03, 0x1f, 0x07},
        .sets = (1u << POLICY_FIELD_COUNT) - 1,
        .value = {POLICY_ANON_PSEUDONYMOUS, POLICY_UNLINK_GRANTED, 1, 1, 1,
                  POLICY_CNAME_PER_CALL_RANDOM, POLICY_ORIGIN_STATUS_ONLY, 0, POLICY_ASSERT_ALLOW,
                  0, 0},
        .origin = {"<builtin>", 1, "defaults", POLICY_SOURCE_BUILTIN, false},
    },
    {
        .match = {0x1f, 0x03, 1u << POLICY_DEST_EMERGENCY, 0x07},
        .specificity = 1,
        .sets = 1u << POLICY_FIELD_UNLINKABILITY,
        .value = {[POLICY_FIELD_UNLINKABILITY] = POLICY_UNLINK_REFUSED},
        .origin = {"<builtin>", 2, "emergency-linkable", POLICY_SOURCE_BUILTIN, false},
    },
};

static const struct policy_origin caller_state_origin = {"<builtin>", 3, "caller-state",
                                                         POLICY_SOURCE_BUILTIN, true};

enum tier { TIER_MANDATORY, TIER_CALLER, TIER_CALLEE, TIER_DEFAULT, TIER_BUILTIN, TIER_COUNT };

struct candidates {
    const struct policy_rule *best[TIER_COUNT][POLICY_FIELD_COUNT];
};

static enum tier rule_tier(const struct policy_rule *r)
{
    switch (r->origin.source) {
    case POLICY_SOURCE_CALLER:
        return TIER_CALLER;
    case POLICY_SOURCE_CALLEE:
        return TIER_CALLEE;
    case POLICY_SOURCE_BUILTIN:
        return TIER_BUILTIN;
    default:
        return r->origin.mandatory ? TIER_MANDATORY : TIER_DEFAULT;
    }
}

/* Within one tier: the more specific rule, then the more private value,
 * then the rule loaded first. */
static bool beats(int f, const struct policy_rule *r, const struct policy_rule *cur)
{
    if (cur == NULL)
        return true;
    if (r->specificity != cur->specificity)
        return r->specificity > cur->specificity;
    return policy_privacy_rank((enum policy_field)f, r->value[f]) >
           policy_privacy_rank((enum policy_field)f, cur->value[f]);
}

static void consider_rule(struct candidates *c, const struct policy_rule *r)
{
    const struct policy_rule **best = c->best[rule_tier(r)];
    for (unsigned sets = r->sets; sets != 0; sets &= sets - 1) {
        int f = __builtin_ctz(sets);
        if (beats(f, r, best[f]))
            best[f] = r;
    }
}

static void consider(struct candidates *c, const struct policy_rule *rules, size_t n,
                     const struct policy_context *ctx)
{
    for (size_t i = 0; i < n; i++)
        if (policy_rule_matches(&rules[i], ctx))
            consider_rule(c, &rules[i]);
}

/* The set's index already holds the rules whose match allows this kind of
 * call; only organisation domains remain to check. */
static void consider_set(struct candidates *c, const struct policy_set *set,
                         const struct policy_context *ctx)
{
    size_t i = policy_context_index(ctx);
    for (uint32_t k = set->by_context_start[i]; k < set->by_context_start[i + 1]; k++) {
        const struct policy_rule *r = &set->rules[set->by_context[k]];
        if (policy_rule_orgs_match(r, ctx))
            consider_rule(c, r);
    }
}

static void refuse(struct policy_decision *d, int f, int64_t requested,
                   const struct policy_origin *by, enum policy_refusal_reason reason,
                   const struct policy_origin *winner)
{
    if (d->n_refused == POLICY_MAX_REFUSED) {
        d->refused_truncated = true;
        return;
    }
    struct policy_refusal *x = &d->refused[d->n_refused++];
    x->field = (enum policy_field)f;
    x->requested = requested;
    x->by = *by;
    x->reason = reason;
    x->winner = *winner;
}

/* Between the parties the more private position wins; a party that said
 * nothing stands on the operator's default (or the builtin one), so one
 * party alone can raise privacy but not lower it. The callee may refuse
 * unlinkability alone (draft §8.2.3). Ties go to a request, the caller's
 * first. */
static const struct policy_rule *party_winner(struct policy_decision *d, int f,
                                              const struct policy_rule *pc,
                                              const struct policy_rule *pe,
                                              const struct policy_rule *base)
{
    const struct policy_rule *c = pc != NULL ? pc : base, *e = pe != NULL ? pe : base;
    const struct policy_rule *win;
    enum policy_refusal_reason why = POLICY_REFUSED_MORE_PRIVATE;
    int64_t rc = policy_privacy_rank((enum policy_field)f, c->value[f]);
    int64_t re = policy_privacy_rank((enum policy_field)f, e->value[f]);
    if (f == F_UNLINK && pe != NULL && pe->value[f] == POLICY_UNLINK_REFUSED) {
        win = pe;
        why = POLICY_REFUSED_CALLEE_LINKABLE;
    } else if (re > rc || (re == rc && pc == NULL)) {
        win = e;
    } else {
        win = c;
    }
    if (pc != NULL && pc != win && pc->value[f] != win->value[f])
        refuse(d, f, pc->value[f], &pc->origin, why, &win->origin);
    if (pe != NULL && pe != win && pe->value[f] != win->value[f])
        refuse(d, f, pe->value[f], &pe->origin, POLICY_REFUSED_MORE_PRIVATE, &win->origin);
    return win;
}

static void resolve_field(struct policy_decision *d, const struct candidates *c, int f, int64_t *v)
{
    const struct policy_rule *m = c->best[TIER_MANDATORY][f];
    const struct policy_rule *pc = c->best[TIER_CALLER][f];
    const struct policy_rule *pe = c->best[TIER_CALLEE][f];
    const struct policy_rule *base = c->best[TIER_DEFAULT][f];
    const struct policy_rule *win;
    if (base == NULL)
        base = c->best[TIER_BUILTIN][f];
    if (m != NULL) {
        win = m;
        if (pc != NULL && pc->value[f] != m->value[f])
            refuse(d, f, pc->value[f], &pc->origin, POLICY_REFUSED_MANDATORY, &m->origin);
        if (pe != NULL && pe->value[f] != m->value[f])
            refuse(d, f, pe->value[f], &pe->origin, POLICY_REFUSED_MANDATORY, &m->origin);
    } else if (pc != NULL || pe != NULL) {
        win = party_winner(d, f, pc, pe, base);
    } else {
        win = base;
    }
    v[f] = win->value[f];
    d->set_by[f] = win->origin;
}

/* Only an identified caller can be presented as identified. */
static void constrain_caller_state(struct policy_decision *d, const struct policy_context *ctx,
                                   int64_t *v)
{
    if (v[F_ANON] != POLICY_ANON_IDENTIFIED || ctx->caller_state == POLICY_CALLER_IDENTIFIED)
        return;
    refuse(d, F_ANON, v[F_ANON], &d->set_by[F_ANON], POLICY_REFUSED_CALLER_STATE,
           &caller_state_origin);
    if (d->set_by[F_ANON].mandatory && ctx->destination != POLICY_DEST_EMERGENCY)
        d->admit = false;
    v[F_ANON] = POLICY_ANON_PSEUDONYMOUS;
    d->set_by[F_ANON] = caller_state_origin;
}

/* An undetectable caller asserts no identity; a mandatory requirement of an
 * assertion makes the caller pseudonymous instead. */
static void constrain_assertion(struct policy_decision *d, int64_t *v)
{
    if (v[F_ANON] != POLICY_ANON_UNDETECTABLE || v[F_ASSERT] != POLICY_ASSERT_REQUIRE)
        return;
    if (d->set_by[F_ASSERT].mandatory && !d->set_by[F_ANON].mandatory) {
        refuse(d, F_ANON, v[F_ANON], &d->set_by[F_ANON], POLICY_REFUSED_MANDATORY,
               &d->set_by[F_ASSERT]);
        v[F_ANON] = POLICY_ANON_PSEUDONYMOUS;
        d->set_by[F_ANON] = d->set_by[F_ASSERT];
    } else {
        refuse(d, F_ASSERT, v[F_ASSERT], &d->set_by[F_ASSERT], POLICY_REFUSED_UNDETECTABLE,
               &d->set_by[F_ANON]);
        v[F_ASSERT] = POLICY_ASSERT_FORBID;
        d->set_by[F_ASSERT] = d->set_by[F_ANON];
    }
}

/* RFC 8827 §9.2: an unlinkable call uses TURN throughout, a fresh DTLS key
 * and a random CNAME. A mandatory rule against one of those makes the call
 * linkable instead. */
static void constrain_unlinkable(struct policy_decision *d, int64_t *v)
{
    static const int needs[3] = {POLICY_FIELD_RELAY_ONLY, POLICY_FIELD_FRESH_DTLS_PER_CALL,
                                 POLICY_FIELD_CNAME};
    static const int64_t need_value[3] = {1, 1, POLICY_CNAME_PER_CALL_RANDOM};
    if (v[F_UNLINK] != POLICY_UNLINK_GRANTED)
        return;
    for (int i = 0; i < 3; i++) {
        int g = needs[i];
        if (v[g] != need_value[i] && d->set_by[g].mandatory && !d->set_by[F_UNLINK].mandatory) {
            refuse(d, F_UNLINK, v[F_UNLINK], &d->set_by[F_UNLINK], POLICY_REFUSED_MANDATORY,
                   &d->set_by[g]);
            v[F_UNLINK] = POLICY_UNLINK_REFUSED;
            d->set_by[F_UNLINK] = d->set_by[g];
            return;
        }
    }
    for (int i = 0; i < 3; i++) {
        int g = needs[i];
        if (v[g] == need_value[i])
            continue;
        refuse(d, g, v[g], &d->set_by[g], POLICY_REFUSED_NEEDS_UNLINKABLE, &d->set_by[F_UNLINK]);
        v[g] = need_value[i];
        d->set_by[g] = d->set_by[F_UNLINK];
    }
}

static void fill_fields(struct policy_decision *d, const int64_t *v)
{
    d->anonymity = (enum policy_anonymity)v[POLICY_FIELD_ANONYMITY];
    d->unlinkability = (enum policy_unlinkability)v[POLICY_FIELD_UNLINKABILITY];
    d->relay_only = v[POLICY_FIELD_RELAY_ONLY] != 0;
    d->ice_delay_until_answer = v[POLICY_FIELD_ICE_DELAY_UNTIL_ANSWER] != 0;
    d->fresh_dtls_per_call = v[POLICY_FIELD_FRESH_DTLS_PER_CALL] != 0;
    d->cname = (enum policy_cname)v[POLICY_FIELD_CNAME];
    d->origin_disclosure = (enum policy_origin_disclosure)v[POLICY_FIELD_ORIGIN_DISCLOSURE];
    d->org_domain_disclosure = v[POLICY_FIELD_ORG_DOMAIN_DISCLOSURE] != 0;
    d->identity_assertion = (enum policy_identity_assertion)v[POLICY_FIELD_IDENTITY_ASSERTION];
    d->log_retention_seconds = v[POLICY_FIELD_LOG_RETENTION_SECONDS];
    d->split_relays = v[POLICY_FIELD_SPLIT_RELAYS] != 0;
}

static int check_context(const struct policy_context *ctx, char *err, size_t errlen)
{
    if ((unsigned)ctx->service > POLICY_SERVICE_CONFERENCING ||
        (unsigned)ctx->call_model > POLICY_CALL_DUAL_CS ||
        (unsigned)ctx->destination > POLICY_DEST_EMERGENCY ||
        (unsigned)ctx->caller_state > POLICY_CALLER_IDENTIFIED) {
        snprintf(err, errlen, "context: a value is out of range");
        return -1;
    }
    return 0;
}

static int decide_rules(const struct policy_set *set, const struct policy_context *ctx,
                        const struct policy_rule *extra, size_t n_extra,
                        struct policy_decision *out, char *err, size_t errlen)
{
    struct candidates c;
    int64_t v[POLICY_FIELD_COUNT];
    if (check_context(ctx, err, errlen) < 0)
        return -1;
    memset(&c, 0, sizeof(c));
    memset(out, 0, sizeof(*out));
    out->admit = true;
    consider_set(&c, set, ctx);
    consider(&c, extra, n_extra, ctx);
    consider(&c, builtin_rules, sizeof(builtin_rules) / sizeof(builtin_rules[0]), ctx);
    for (int f = 0; f < POLICY_FIELD_COUNT; f++)
        resolve_field(out, &c, f, v);
    constrain_caller_state(out, ctx, v);
    constrain_assertion(out, v);
    constrain_unlinkable(out, v);
    fill_fields(out, v);
    return 0;
}

int policy_decide(const struct policy_set *set, const struct policy_context *ctx,
                  struct policy_decision *out, char *err, size_t errlen)
{
    return decide_rules(set, ctx, NULL, 0, out, err, errlen);
}

static size_t request_size(const json_t *prefs)
{
    if (prefs == NULL)
        return 0;
    return json_is_array(prefs) ? json_array_size(prefs) : 1;
}

static int parse_request(const json_t *prefs, enum policy_source party, const char *name,
                         struct policy_rule *rules, size_t *n, char *err, size_t errlen)
{
    struct policy_where where = {name, NULL};
    if (prefs == NULL)
        return 0;
    if (!json_is_array(prefs) && !json_is_object(prefs)) {
        snprintf(err, errlen, "%s: must be a rule object or an array of rule objects", name);
        return -1;
    }
    for (size_t i = 0; i < request_size(prefs); i++) {
        const json_t *r = json_is_array(prefs) ? json_array_get(prefs, i) : prefs;
        if (policy_rule_parse(r, &where, "", (int)i, -1, party, &rules[*n], err, errlen) < 0)
            return -1;
        (*n)++;
    }
    return 0;
}

int policy_decide_with(const struct policy_set *set, const struct policy_context *ctx,
                       const json_t *caller_prefs, const json_t *callee_prefs,
                       struct policy_decision *out, char *err, size_t errlen)
{
    size_t cap = request_size(caller_prefs) + request_size(callee_prefs), n = 0;
    struct policy_rule *rules = calloc(cap + 1, sizeof(*rules));
    int rc = -1;
    if (rules == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (parse_request(caller_prefs, POLICY_SOURCE_CALLER, "<caller request>", rules, &n, err,
                      errlen) == 0 &&
        parse_request(callee_prefs, POLICY_SOURCE_CALLEE, "<callee request>", rules, &n, err,
                      errlen) == 0)
        rc = decide_rules(set, ctx, rules, n, out, err, errlen);
    free(rules);
    return rc;
}

int64_t policy_decision_value(const struct policy_decision *d, enum policy_field f)
{
    switch (f) {
    case POLICY_FIELD_ANONYMITY:
        return d->anonymity;
    case POLICY_FIELD_UNLINKABILITY:
        return d->unlinkability;
    case POLICY_FIELD_RELAY_ONLY:
        return d->relay_only;
    case POLICY_FIELD_ICE_DELAY_UNTIL_ANSWER:
        return d->ice_delay_until_answer;
    case POLICY_FIELD_FRESH_DTLS_PER_CALL:
        return d->fresh_dtls_per_call;
    case POLICY_FIELD_CNAME:
        return d->cname;
    case POLICY_FIELD_ORIGIN_DISCLOSURE:
        return d->origin_disclosure;
    case POLICY_FIELD_ORG_DOMAIN_DISCLOSURE:
        return d->org_domain_disclosure;
    case POLICY_FIELD_IDENTITY_ASSERTION:
        return d->identity_assertion;
    case POLICY_FIELD_SPLIT_RELAYS:
        return d->split_relays;
    default:
        return d->log_retention_seconds;
    }
}
