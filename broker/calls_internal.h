/* calls_internal: what the calls_* files share and nothing else includes.
 * The public API and the Redis layout are in calls.h; the files are
 *   calls_record.c    ids, key names, load and parse a call's hash,
 *                     authorize a bearer, end (tombstone, revocation)
 *   calls_material.c  what one party is handed: secret, TURN credentials,
 *                     DTLS identity, and the JSON that shows them
 *   calls_create.c    create (policy decision, caller pseudonym, invite)
 *                     and accept
 *   calls_signal.c    offer, answer, candidates through the sanitizer,
 *                     fingerprint reuse checks, queues and the ICE hold
 *   calls_events.c    long-poll reads, acknowledgements, pending calls
 * A struct calls_record may hold party secret hashes and the label key:
 * whoever loads one wipes it (sodium_memzero) when done. A struct
 * calls_material holds a secret, a TURN password and maybe a private key:
 * wipe and free it with calls_material_clear. Functions that take err
 * leave a reason there on error, as calls.h says. */
#ifndef UMBRA_BROKER_CALLS_INTERNAL_H
#define UMBRA_BROKER_CALLS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calls.h"
#include "cname.h"
#include "creds.h"
#include "dtls_id.h"
#include "sdp_sanitize.h"
#include "store.h"

#define CALLS_KEY_MAX 128
#define CALLS_SECRET_LEN 44                    /* base64url of 32 bytes + NUL */
#define CALLS_FP_OWNER_LEN (KEYS_HASH_HEX + 8) /* "H(call id):party" */
#define CALLS_TIME_LEN 24                      /* a decimal time_t */

/* A call as loaded from its Redis hash. */
struct calls_record {
    char id[CALLS_ID_LEN];
    char caller_pn[IDENTITIES_PSEUDONYM_LEN];
    char callee_pn[IDENTITIES_PSEUDONYM_LEN];
    char sec[2][KEYS_HASH_HEX]; /* H(party secret); empty until issued */
    char cname[2][CNAME_LEN];
    uint64_t sid[2];
    uint8_t label_key[SDP_LABEL_KEY_BYTES];
    bool accepted, relay_only, ice_delay, fresh_dtls, strip_identity, unlinkable, split;
    char caller_op[FLEET_LABEL_MAX]; /* operator of the caller's relay, or "" */
    long long retention, created;
};

/* The key names of one call; a store_batch keeps pointers into it. */
struct calls_keys {
    char hash[CALLS_KEY_MAX];
    char ev[2][CALLS_KEY_MAX];    /* by enum calls_party */
    char held[2][CALLS_KEY_MAX];  /* events held until the accept */
    char bytes[2][CALLS_KEY_MAX]; /* bytes of events sent to the party so far */
};

/* calls_record.c */
/* Writes why to err and returns status. */
int calls_fail(char *err, size_t errlen, int status, const char *why);
/* A store status as a broker status. */
int calls_store_status(int rc);
/* "umbra:call:<id><suffix>" */
void calls_record_key(char out[CALLS_KEY_MAX], const char *id, const char *suffix);
void calls_record_keys(struct calls_keys *k, const char *id);
/* The event queue of party `to`, or its hold queue when hold. */
void calls_record_queue_key(char out[CALLS_KEY_MAX], const char *id, enum calls_party to,
                            bool hold);
/* The count of bytes of events sent to party `to` (CALLS_MAX_EVENT_BYTES). */
void calls_record_bytes_key(char out[CALLS_KEY_MAX], const char *id, enum calls_party to);
void calls_record_tomb_key(const struct calls *c, const char *id, char out[CALLS_KEY_MAX]);
/* When the call's hash expires (created + call-ttl), as EXPIREAT wants it. */
void calls_record_expiry(const struct calls *c, const struct calls_record *call,
                         char out[CALLS_TIME_LEN]);
void calls_record_random_id(char out[CALLS_ID_LEN]);
/* The key and value that record fingerprint fp as issued to or sent by
 * party p of call id (umbra:fp:<H(fp)> -> H(id):party). */
void calls_record_fp_key(const struct calls *c, const char *fp, const char *id, enum calls_party p,
                         char key[CALLS_KEY_MAX], char owner[CALLS_FP_OWNER_LEN]);
/* Loads a call; EGONE when only its tombstone remains. */
int calls_record_load(struct calls *c, const char *id, struct calls_record *call, char *err,
                      size_t errlen);
int calls_record_authorize(struct calls *c, const struct calls_record *call, const char *bearer,
                           enum calls_party *party, char *err, size_t errlen);
/* Wakes the long polls of call id. */
void calls_notify(struct calls *c, const char *id);
/* The compact JSON text of ev (malloc'd, NULL when out of memory); takes
 * the reference to ev. */
char *calls_event_text(json_t *ev);

/* calls_material.c */
struct calls_material {
    char secret[CALLS_SECRET_LEN];
    char sec_hash[KEYS_HASH_HEX];
    char fp_key[CALLS_KEY_MAX]; /* empty unless native */
    char fp_owner[CALLS_FP_OWNER_LEN];
    struct creds creds;
    struct dtls_id dtls;
    bool native;
    bool from_fleet; /* relay holds the party's relay; else the static URIs */
    struct fleet_relay relay;
};

/* The party's relay comes from the live fleet: with split, of an operator
 * other than avoid_op (the caller's, for the callee), and for the caller
 * only when the fleet has two operators at least (ENORELAY otherwise). */
int calls_material_make(struct calls *c, const char *id, enum calls_party p, bool native,
                        bool split, const char *avoid_op, struct calls_material *pm, char *err,
                        size_t errlen);
/* What the party is shown: a new object, or NULL when out of memory. */
json_t *calls_material_json(const struct calls *c, const struct calls_material *pm,
                            const char *cname, bool relay_only, enum calls_party p);
void calls_material_clear(struct calls_material *pm);

/* calls_candidate.c */
/* Checks one entry of a candidates array (a string, or {"candidate",
 * "sdpMid", "sdpMLineIndex", "usernameFragment"}) and sets *ev to the
 * event to queue, a new object, or NULL when the sanitizer drops the
 * candidate. EINVALID for a malformed entry, EUNPROCESSABLE for a
 * candidate the sanitizer refuses, EINTERNAL when out of memory. */
int calls_candidate_event(const json_t *entry, json_t **ev, char *err, size_t errlen);

/* calls_signal.c */
/* Adds to b what moves the held events of both parties to their queues
 * (the accept ends the ICE hold), which then expire at expiry. */
void calls_signal_release(struct store_batch *b, const struct calls_keys *k, const char *expiry);

#endif
