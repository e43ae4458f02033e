/* load_broker: sets calls up through umbra-broker as a real client would
 * (docs/api.md): per worker a caller and a callee identity; per call a
 * callee pseudonym, the call (caller) and its acceptance (callee), each
 * returning that party's TURN credentials, CNAME and DTLS identity; then
 * offer and answer through the sanitizer, read back as the other party
 * receives them. The only file that includes jansson.
 *
 * A load_broker_call owns copies of the secrets and the DTLS private keys;
 * load_broker_call_clear() wipes and frees them. Calls block (loopback
 * HTTP), so a worker sets its broker calls up one at a time. */
#ifndef UMBRA_LOAD_BROKER_H
#define UMBRA_LOAD_BROKER_H

#include <stddef.h>

#include "addr.h"
#include "load_sdp.h"

struct load_broker {
    struct umbra_addr addr;
    char caller_token[128];
    char callee_token[128];
};

struct load_broker_party {
    char secret[128];   /* bearer for this party's later requests */
    char username[192]; /* TURN REST credentials bound to the call */
    char password[64];
    char cname[64];
    char *key_pem; /* the DTLS identity issued for this call */
    char *cert_pem;
    char fingerprint[LOAD_SDP_FP_MAX]; /* "AB:CD:..." */
};

struct load_broker_call {
    char id[64];
    struct load_broker_party party[2]; /* 0 caller, 1 callee */
};

/* Creates the two identities. 0 or -1 with err. */
int load_broker_init(struct load_broker *b, const struct umbra_addr *addr, char *err,
                     size_t errlen);
void load_broker_clear(struct load_broker *b);
/* Pseudonym, create (caller), accept (callee). */
int load_broker_call_create(struct load_broker *b, unsigned index, struct load_broker_call *c,
                            char *err, size_t errlen);
/* Offer from the caller with relayed[0], answer from the callee with
 * relayed[1]; then what each party received: seen[0] and fp[0] are what
 * the caller learnt about the callee (from the answer), seen[1] and fp[1]
 * what the callee learnt about the caller (from the offer). */
int load_broker_call_exchange(struct load_broker *b, struct load_broker_call *c,
                              const struct umbra_addr relayed[2], struct umbra_addr seen[2],
                              char fp[2][LOAD_SDP_FP_MAX], char *err, size_t errlen);
/* Ends the call (DELETE): the broker revokes its credentials on the relays. */
int load_broker_call_end(struct load_broker *b, struct load_broker_call *c);
void load_broker_call_clear(struct load_broker_call *c);

#endif
