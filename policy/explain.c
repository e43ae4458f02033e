/* explain: a decision and its reasons as JSON, for the broker to show
 * users what was honoured (draft §8.6.1, §8.6.3). */
#include "rules.h"

static json_t *value_json(enum policy_field f, int64_t v)
{
    if (policy_field_is_bool(f))
        return json_boolean(v);
    if (f == POLICY_FIELD_LOG_RETENTION_SECONDS)
        return json_integer((json_int_t)v);
    const char *name = policy_value_name(f, v);
    return name != NULL ? json_string(name) : json_null();
}

static json_t *origin_json(const struct policy_origin *o)
{
    json_t *j = json_pack("{s:s, s:i, s:s, s:b}", "file", o->file, "line", o->line, "source",
                          policy_source_name(o->source), "mandatory", o->mandatory);
    if (j != NULL && o->id != NULL)
        json_object_set_new(j, "id", json_string(o->id));
    return j;
}

static int add_fields(json_t *decision, json_t *explanation, const struct policy_decision *d)
{
    for (int f = 0; f < POLICY_FIELD_COUNT; f++) {
        const char *name = policy_field_name((enum policy_field)f);
        int64_t v = policy_decision_value(d, (enum policy_field)f);
        json_t *e = json_pack("{s:o, s:o}", "value", value_json((enum policy_field)f, v), "set_by",
                              origin_json(&d->set_by[f]));
        if (e == NULL || json_object_set_new(explanation, name, e) < 0 ||
            json_object_set_new(decision, name, value_json((enum policy_field)f, v)) < 0)
            return -1;
    }
    return json_object_set_new(decision, "admit", json_boolean(d->admit));
}

static int add_refused(json_t *refused, const struct policy_decision *d)
{
    for (size_t i = 0; i < d->n_refused; i++) {
        const struct policy_refusal *r = &d->refused[i];
        json_t *e = json_pack("{s:s, s:o, s:o, s:s, s:o}", "field", policy_field_name(r->field),
                              "requested", value_json(r->field, r->requested), "by",
                              origin_json(&r->by), "reason", policy_refusal_reason_text(r->reason),
                              "winner", origin_json(&r->winner));
        if (e == NULL || json_array_append_new(refused, e) < 0)
            return -1;
    }
    return 0;
}

json_t *policy_decision_to_json(const struct policy_decision *d)
{
    json_t *decision = json_object(), *explanation = json_object(), *refused = json_array();
    json_t *root = NULL;
    if (decision == NULL || explanation == NULL || refused == NULL ||
        add_fields(decision, explanation, d) < 0 || add_refused(refused, d) < 0)
        goto fail;
    root = json_pack("{s:o, s:o, s:o, s:b}", "decision", decision, "explanation", explanation,
                     "refused", refused, "refused_truncated", d->refused_truncated);
    return root;
fail:
    json_decref(decision);
    json_decref(explanation);
    json_decref(refused);
    return NULL;
}
