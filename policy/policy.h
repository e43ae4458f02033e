/* policy: privacy rules for a call, reconciled into one decision that
 * explains itself (draft-copeland-rtcweb-p2p-privacy-requirements §3-8,
 * RFC 8827 §6.4 and §9.2).
 *
 * A policy set is loaded from one or more JSON rule files (format and the
 * precedence are documented in umbra-policy(1)). Once loaded a set is
 * immutable: share it between threads freely; the library keeps no global
 * state. A decision is plain data filled by the caller's storage; the
 * strings it points at (file names) belong to the set, so a decision is
 * valid only while its set is alive.
 *
 * Functions return 0 or -1; on -1 err holds "FILE:LINE: what is wrong" (or
 * "<caller request>: rule N: ..." for preferences given with
 * policy_decide_with) and nothing was changed or kept. */
#ifndef UMBRA_POLICY_H
#define UMBRA_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* --- call context ------------------------------------------------------ */

enum policy_service {
    POLICY_SERVICE_CONTACT_LIST,
    POLICY_SERVICE_CLICK_TO_LINK,
    POLICY_SERVICE_NEGOTIATED,
    POLICY_SERVICE_INTERWORKING,
    POLICY_SERVICE_CONFERENCING,
};
enum policy_call_model { POLICY_CALL_SINGLE_CS, POLICY_CALL_DUAL_CS };
enum policy_destination {
    POLICY_DEST_TRUSTED,
    POLICY_DEST_INNER_CIRCLE,
    POLICY_DEST_UNCERTAIN,
    POLICY_DEST_UNTRUSTED,
    POLICY_DEST_EMERGENCY,
};
/* What the caller is to the calling service: not logged in, logged in under
 * a pseudonym, or logged in under an identity. */
enum policy_caller_state {
    POLICY_CALLER_UNDETECTABLE,
    POLICY_CALLER_PSEUDONYMOUS,
    POLICY_CALLER_IDENTIFIED,
};

/* Names as in files and on the command line: "contact-list",
 * "click-to-link", "negotiated", "interworking", "conferencing";
 * "single-cs", "dual-cs"; "trusted", "inner-circle", "uncertain",
 * "untrusted", "emergency"; "undetectable", "pseudonymous", "identified".
 * 0, or -1 for an unknown name. */
int policy_service_parse(const char *s, enum policy_service *out);
int policy_call_model_parse(const char *s, enum policy_call_model *out);
int policy_destination_parse(const char *s, enum policy_destination *out);
int policy_caller_state_parse(const char *s, enum policy_caller_state *out);

struct policy_context {
    enum policy_service service;
    enum policy_call_model call_model;
    enum policy_destination destination;
    enum policy_caller_state caller_state;
    const char *caller_org; /* organisation domains, may be NULL */
    const char *callee_org;
};

/* --- decision ------------------------------------------------------------ */

enum policy_field {
    POLICY_FIELD_ANONYMITY,
    POLICY_FIELD_UNLINKABILITY,
    POLICY_FIELD_RELAY_ONLY,
    POLICY_FIELD_ICE_DELAY_UNTIL_ANSWER,
    POLICY_FIELD_FRESH_DTLS_PER_CALL,
    POLICY_FIELD_CNAME,
    POLICY_FIELD_ORIGIN_DISCLOSURE,
    POLICY_FIELD_ORG_DOMAIN_DISCLOSURE,
    POLICY_FIELD_IDENTITY_ASSERTION,
    POLICY_FIELD_LOG_RETENTION_SECONDS,
    POLICY_FIELD_SPLIT_RELAYS,
    POLICY_FIELD_COUNT
};

/* How the caller is presented to the callee. */
enum policy_anonymity {
    POLICY_ANON_IDENTIFIED,
    POLICY_ANON_PSEUDONYMOUS,
    POLICY_ANON_UNDETECTABLE,
};
enum policy_unlinkability { POLICY_UNLINK_REFUSED, POLICY_UNLINK_GRANTED };
enum policy_cname { POLICY_CNAME_PER_SESSION, POLICY_CNAME_PER_CALL_RANDOM };
enum policy_origin_disclosure {
    POLICY_ORIGIN_FULL,
    POLICY_ORIGIN_STATUS_ONLY,
    POLICY_ORIGIN_NONE,
};
enum policy_identity_assertion {
    POLICY_ASSERT_REQUIRE,
    POLICY_ASSERT_ALLOW,
    POLICY_ASSERT_FORBID,
};
/* Every enum above is ordered from least to most private. */

/* Who wrote a rule. Builtin is the library's own default. */
enum policy_source {
    POLICY_SOURCE_BUILTIN,
    POLICY_SOURCE_CALLER,
    POLICY_SOURCE_CALLEE,
    POLICY_SOURCE_SERVICE,
    POLICY_SOURCE_ORGANISATION,
};

/* A rule's place: file is owned by the set ("<builtin>",
 * "<caller request>" and "<callee request>" are static), line is the line
 * of the rule's opening brace (for requests: the rule's 1-based index);
 * id belongs to the set, or for requests to the request's JSON. */
struct policy_origin {
    const char *file;
    int line;
    const char *id; /* the rule's "id", or NULL */
    enum policy_source source;
    bool mandatory;
};

enum policy_refusal_reason {
    POLICY_REFUSED_MANDATORY,        /* a mandatory operator rule decided */
    POLICY_REFUSED_MORE_PRIVATE,     /* the other party (or the default a silent
                                        party stands on) is more private */
    POLICY_REFUSED_CALLEE_LINKABLE,  /* the callee refused unlinkability (§8.2.3) */
    POLICY_REFUSED_CALLER_STATE,     /* the caller is not logged in as identified */
    POLICY_REFUSED_NEEDS_UNLINKABLE, /* unlinkability needs TURN only, fresh DTLS
                                        keys and random CNAMEs (RFC 8827 §9.2) */
    POLICY_REFUSED_UNDETECTABLE,     /* an undetectable caller has no assertion */
};

/* One request that did not become the decision. winner is the rule (or
 * constraint's rule) whose value was kept instead. */
struct policy_refusal {
    enum policy_field field;
    int64_t requested;
    struct policy_origin by;
    enum policy_refusal_reason reason;
    struct policy_origin winner;
};

#define POLICY_MAX_REFUSED 32

struct policy_decision {
    enum policy_anonymity anonymity;
    enum policy_unlinkability unlinkability;
    bool relay_only;
    bool ice_delay_until_answer;
    bool fresh_dtls_per_call;
    enum policy_cname cname;
    enum policy_origin_disclosure origin_disclosure;
    bool org_domain_disclosure;
    enum policy_identity_assertion identity_assertion;
    int64_t log_retention_seconds;
    /* caller and callee get relays of different operators, so no single
     * relay sees both parties' addresses (the broker fails the call when
     * the fleet cannot do that). */
    bool split_relays;
    /* false when a mandatory rule asks for an identity the caller cannot
     * give (never for emergency destinations, §5.1): refuse the call. */
    bool admit;
    struct policy_origin set_by[POLICY_FIELD_COUNT];
    size_t n_refused;
    bool refused_truncated; /* more than POLICY_MAX_REFUSED refusals */
    struct policy_refusal refused[POLICY_MAX_REFUSED];
};

/* --- policy sets -------------------------------------------------------- */

struct policy_set;

/* Loads and validates every file; all or nothing. On success *out is a
 * new set (free with policy_set_free); on error *out is NULL. n_paths may
 * be 0 (built-in defaults only). */
int policy_set_load(struct policy_set **out, const char *const *paths, size_t n_paths, char *err,
                    size_t errlen);
/* Same, from JSON texts already in memory; names[i] is used in messages. */
int policy_set_load_texts(struct policy_set **out, const char *const *names,
                          const char *const *texts, size_t n, char *err, size_t errlen);
void policy_set_free(struct policy_set *set);
size_t policy_set_rule_count(const struct policy_set *set);

/* Decides the call described by ctx against the set. Never allocates. */
int policy_decide(const struct policy_set *set, const struct policy_context *ctx,
                  struct policy_decision *out, char *err, size_t errlen);

/* Same, adding the parties' own preferences as received in a call request:
 * each of caller_prefs and callee_prefs is NULL, one rule object, or an
 * array of rule objects, in the file format's rule syntax (keys "match",
 * "set", "comment"; "source" may be omitted or must name that party;
 * parties cannot be "mandatory"). They are validated exactly like files;
 * an invalid request is an error and nothing is decided. */
int policy_decide_with(const struct policy_set *set, const struct policy_context *ctx,
                       const json_t *caller_prefs, const json_t *callee_prefs,
                       struct policy_decision *out, char *err, size_t errlen);

/* --- explanation -------------------------------------------------------- */

/* {"decision": {field: value, ..., "admit": bool},
 *  "explanation": {field: {"value": v, "set_by": {"file", "line", "source",
 *                                                 "mandatory"}}},
 *  "refused": [{"field", "requested", "by": {...}, "reason": "...",
 *               "winner": {...}}]}
 * A new reference, or NULL when out of memory. */
json_t *policy_decision_to_json(const struct policy_decision *d);

/* The field's value as an integer (enums above, bools 0/1, seconds). */
int64_t policy_decision_value(const struct policy_decision *d, enum policy_field f);
/* "anonymity", "unlinkability", "relay_only", ... */
const char *policy_field_name(enum policy_field f);
/* Name of an enum value ("pseudonymous"), "true"/"false" for flags; NULL
 * for log_retention_seconds or an out-of-range value. */
const char *policy_value_name(enum policy_field f, int64_t v);
/* "builtin", "caller", "callee", "service", "organisation". */
const char *policy_source_name(enum policy_source s);
/* One sentence, e.g. "a mandatory rule decided this field". */
const char *policy_refusal_reason_text(enum policy_refusal_reason r);

#endif
