/* load_turn: the client side of TURN (RFC 8656) for one allocation, built
 * on umbra's STUN codec (stun/stun_msg.h). Pure: builds requests into a
 * caller's buffer and reads responses; the caller does the I/O.
 *
 * A load_turn_auth owns one allocation's credentials: the username and
 * password (TURN REST from a shared secret, or a static user), and once the
 * server's 401 named them, its REALM, NONCE and the long-term key.
 * load_turn_auth_clear() wipes them. */
#ifndef UMBRA_LOAD_TURN_H
#define UMBRA_LOAD_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "load_config.h"
#include "stun_msg.h"

#define LOAD_TURN_LIFETIME_S 600
#define LOAD_TURN_MSG_MAX 512

struct load_turn_auth {
    char username[160];
    char password[130];
    char realm[128];
    char nonce[128];
    uint8_t key[16]; /* MD5(username:realm:password) */
    bool have_key;
};

/* REST: username "<now + 1 day>:load-<call>-<leg>:p<leg>", password from
 * the secret; otherwise the static user. */
void load_turn_auth_init(struct load_turn_auth *a, const struct load_config *cfg, unsigned call,
                         unsigned leg, int64_t now_unix);
/* Credentials handed out by someone else (the broker). */
void load_turn_auth_set(struct load_turn_auth *a, const char *username, const char *password);
void load_turn_auth_clear(struct load_turn_auth *a);

/* Builds a request with a fresh transaction id (written to txid):
 *  ALLOCATE (UDP relay), CREATE_PERMISSION (peer), CHANNEL_BIND (peer,
 *  channel), REFRESH (lifetime). Signed when auth has a key.
 * Returns the length or -1. */
ssize_t load_turn_request(struct load_turn_auth *a, uint16_t method, const struct umbra_addr *peer,
                          uint16_t channel, uint32_t lifetime, uint8_t txid[STUN_TXID_LEN],
                          uint8_t *buf, size_t cap);

enum load_turn_verdict {
    LOAD_TURN_OK = 0,   /* success response, integrity checked */
    LOAD_TURN_RETRY,    /* 401 with REALM/NONCE or 438: send again */
    LOAD_TURN_NOT_MINE, /* not a response to txid: ignore */
    LOAD_TURN_FAILED,   /* error response, or a malformed/forged one */
};

/* Reads a response to the transaction txid. On LOAD_TURN_OK for ALLOCATE,
 * relayed holds XOR-RELAYED-ADDRESS. On LOAD_TURN_RETRY the auth state has
 * the new realm and nonce. *code receives the error code (0 on success). */
enum load_turn_verdict load_turn_response(struct load_turn_auth *a, const uint8_t *buf, size_t len,
                                          const uint8_t txid[STUN_TXID_LEN], uint16_t method,
                                          struct umbra_addr *relayed, int *code);

#endif
