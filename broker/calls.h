/* calls: the call state machine (invited -> accepted -> ended) and the
 * signaling it relays, with all state in Redis (every key with a TTL):
 *   umbra:call:<id>             hash: pseudonyms, keyed hashes of the two
 *                               party secrets, decision flags, CNAMEs,
 *                               label key, state, and each party's relay
 *                               (caller_relay/caller_op, callee_relay/
 *                               callee_op: id and operator in the fleet)
 *   umbra:call:<id>:ev:<party>  events for that party (JSON); those it has
 *                               acknowledged are overwritten (calls_ack)
 *   umbra:call:<id>:held:<p>    events held until the callee accepts
 *                               (ice_delay_until_answer, RFC 8827 §6.4)
 *   umbra:pend:<pseudonym>      pending calls of a callee (sorted set)
 *   umbra:fp:<H(fingerprint)>   H(call id):party, for fingerprint-retention
 *   umbra:end:<H(id)>           tombstone of an ended call (120 s)
 *   umbra:log:<random>          what remains of an ended call when
 *                               log_retention_seconds > 0: pseudonyms and
 *                               times only
 * The queues expire with the call's hash (created + call-ttl), never later.
 * Party secrets, identity tokens and fingerprints are stored only as keyed
 * hashes; issued private keys are never stored. Ending a call PUBLISHes
 * its id on "umbra:revoke", which umbra-relay turns into the teardown of
 * every allocation whose REST username carries that id.
 *
 * Every function returns 0 or a broker_status with a reason in err (which
 * never holds a secret, address or key). On error nothing was changed.
 * Result objects (*out) are new jansson references owned by the caller. */
#ifndef UMBRA_BROKER_CALLS_H
#define UMBRA_BROKER_CALLS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "broker_config.h"
#include "dtls_pool.h"
#include "fleet.h"
#include "identities.h"
#include "keys.h"
#include "log.h"
#include "policy.h"
#include "store.h"
#include "turn_rest.h"

#define CALLS_ID_LEN 33 /* 16 random bytes in hex + NUL */
#define CALLS_MAX_CANDIDATES 32
/* Events one party's queues (held and delivered) may hold in one call:
 * offers, answers and candidates (each SDP up to 64 KiB), so that one
 * call costs Redis a bounded amount. */
#define CALLS_MAX_EVENTS 256
/* Bytes of event text one party may be sent over a call (offers, answers,
 * candidates; delivered ones still count). Without it 256 SDPs of 64 KiB
 * made one call cost Redis 16 MiB a party, and a few dozen calls within
 * call-rate filled a 1 GB Redis. */
#define CALLS_MAX_EVENT_BYTES (1024 * 1024)
/* Pending calls GET /v1/pending lists: the newest this many. Calls to one
 * pseudonym are bounded only by the creation limits of all callers, so the
 * set can outgrow any one reply (and redis_val's bounds). */
#define CALLS_MAX_PENDING 256
#define CALLS_REVOKE_CHANNEL "umbra:revoke"
/* Brokers tell each other "call X has new events" here, so a long poll
 * held by one broker wakes when another changed the call. A message is
 * "TAG ID": TAG names the sending broker process (random), ID the call. */
#define CALLS_NOTIFY_CHANNEL "umbra:notify"
#define CALLS_TAG_LEN 17

struct calls_metrics {
    unsigned long long created, refused, accepted, ended;
    unsigned long long fingerprint_refused, sdp_rejected;
    unsigned long long candidates_kept, candidates_dropped, events_held;
};

struct calls {
    struct store *store;
    struct identities *ids;
    const struct keys *keys;
    const struct policy_set *policy;
    const struct turn_rest_secrets *secrets;
    const struct broker_config *cfg;
    struct dtls_pool *pool;
    struct fleet *fleet; /* live relays; NULL: the static relay URIs only */
    struct log_ctx *log;
    struct calls_metrics m;
    /* Called after an event was queued for call_id (wakes long polls). */
    void (*notify)(void *arg, const char *call_id);
    void *notify_arg;
    char tag[CALLS_TAG_LEN]; /* this process on CALLS_NOTIFY_CHANNEL; made on first use */
};

enum calls_party { CALLS_CALLER = 0, CALLS_CALLEE = 1 };

struct calls_create_req {
    struct policy_context ctx;
    const char *caller_token;   /* NULL: an undetectable caller */
    const char *caller_context; /* NULL: the callee's pseudonym */
    const char *callee;         /* the callee's pseudonym */
    bool native;                /* hand out a DTLS identity */
    const json_t *preferences;  /* caller's policy rules, or NULL */
    /* Asked before the caller's pseudonym is stored for a context that had
     * none (it lives for identity-ttl); NULL: no limit. Not from JSON. */
    const struct identities_admit *admit_context;
};

bool calls_id_valid(const char *id);
const char *calls_party_name(enum calls_party p);

/* *out is the reply as JSON text (malloc'd; it holds the caller's secret
 * and maybe a private key: wipe before free). On EFORBIDDEN (the policy
 * does not admit the call) *out is the decision's JSON text instead. */
int calls_create(struct calls *c, const struct calls_create_req *req, char **out, char *err,
                 size_t errlen);
/* Which party bearer speaks for: a party secret, or (callee only, until
 * the call is accepted) the identity token owning the callee pseudonym.
 * EGONE for an ended call, ENOTFOUND for an unknown one. */
int calls_authorize(struct calls *c, const char *id, const char *bearer, enum calls_party *party,
                    char *err, size_t errlen);
int calls_accept(struct calls *c, const char *id, const char *bearer, bool native, json_t **out,
                 char *err, size_t errlen);
/* offer (caller) or answer (callee): sanitized, fingerprints checked. */
int calls_sdp(struct calls *c, const char *id, const char *bearer, bool offer, const char *sdp,
              json_t **out, char *err, size_t errlen);
/* cands: array of strings or {"candidate", "sdpMid", "sdpMLineIndex"}. */
int calls_candidates(struct calls *c, const char *id, const char *bearer, const json_t *cands,
                     json_t **out, char *err, size_t errlen);
/* Events for party from index since: *events is a new array (maybe
 * empty), *next the index to ask from next time. *ended when the call is
 * gone (then *events holds one "ended" event). No authorization here:
 * callers authorize first with calls_authorize. */
int calls_events(struct calls *c, const char *id, enum calls_party party, long since,
                 json_t **events, long *next, bool *ended, char *err, size_t errlen);
/* party has received the events below since: they (SDP with its DTLS
 * fingerprints, candidates) are overwritten in Redis. No authorization
 * here either. */
int calls_ack(struct calls *c, const char *id, enum calls_party party, long since, char *err,
              size_t errlen);
int calls_end(struct calls *c, const char *id, const char *bearer, char *err, size_t errlen);
/* A store_message_cb for CALLS_NOTIFY_CHANNEL (arg: struct calls): runs
 * notify for a call another broker changed; ignores this broker's own and
 * malformed messages. */
void calls_on_message(void *arg, const char *msg, size_t len);
/* Pending (not yet accepted) calls for the token's pseudonym in context:
 * the newest CALLS_MAX_PENDING, oldest first, and "more" when there are
 * others. */
int calls_pending(struct calls *c, const char *token, const char *context, json_t **out, char *err,
                  size_t errlen);

#endif
