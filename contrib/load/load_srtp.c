/* load_srtp: see load_srtp.h. */
#include "load_srtp.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <srtp2/srtp.h>

#define LOAD_SRTP_REPLAY_WINDOW 1024 /* tolerate reordering at high rates */

struct load_srtp {
    srtp_t session;
};

int load_srtp_global_init(void)
{
    return srtp_init() == srtp_err_status_ok ? 0 : -1;
}

void load_srtp_global_free(void)
{
    srtp_shutdown();
}

static void set_suite(srtp_policy_t *p, enum load_suite suite)
{
    if (suite == LOAD_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
    } else if (suite == LOAD_NULL_NULL) {
        srtp_crypto_policy_set_null_cipher_hmac_null(&p->rtp);
        srtp_crypto_policy_set_null_cipher_hmac_null(&p->rtcp);
    } else {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    }
}

static size_t key_len(enum load_suite suite)
{
    /* master key + salt: 16 + 14 for AES-CM (and the null profile, whose
     * sessions libsrtp still keys), 16 + 12 for GCM */
    return suite == LOAD_AEAD_AES_128_GCM ? SRTP_AES_GCM_128_KEY_LEN_WSALT
                                          : SRTP_AES_ICM_128_KEY_LEN_WSALT;
}

/* One session: outbound with our key and SSRC, inbound with the peer's key
 * for the peer's SSRC (a specific one, or any inbound when not yet known). */
static int make_session(enum load_suite suite, uint32_t own_ssrc, uint8_t *own_key,
                        srtp_ssrc_t peer_ssrc, uint8_t *peer_key, struct load_srtp **out)
{
    srtp_policy_t pol[2];
    struct load_srtp *s;

    memset(pol, 0, sizeof(pol));
    for (int i = 0; i < 2; i++) {
        set_suite(&pol[i], suite);
        pol[i].window_size = LOAD_SRTP_REPLAY_WINDOW;
        pol[i].allow_repeat_tx = 0;
    }
    pol[0].ssrc.type = ssrc_specific;
    pol[0].ssrc.value = own_ssrc;
    pol[0].key = own_key;
    pol[0].next = &pol[1];
    pol[1].ssrc = peer_ssrc;
    pol[1].key = peer_key;
    pol[1].next = NULL;

    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    if (srtp_create(&s->session, pol) != srtp_err_status_ok) {
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

static srtp_ssrc_t specific_ssrc(uint32_t ssrc)
{
    srtp_ssrc_t v = {.type = ssrc_specific, .value = ssrc};
    return v;
}

int load_srtp_pair(enum load_suite suite, uint32_t ssrc_a, uint32_t ssrc_b, struct load_srtp **a,
                   struct load_srtp **b)
{
    uint8_t key_a[SRTP_MAX_KEY_LEN], key_b[SRTP_MAX_KEY_LEN];
    size_t klen = key_len(suite);
    int rc = -1;

    *a = *b = NULL;
    randombytes_buf(key_a, klen);
    randombytes_buf(key_b, klen);
    if (make_session(suite, ssrc_a, key_a, specific_ssrc(ssrc_b), key_b, a) == 0) {
        if (make_session(suite, ssrc_b, key_b, specific_ssrc(ssrc_a), key_a, b) == 0)
            rc = 0;
        else {
            load_srtp_free(*a);
            *a = NULL;
        }
    }
    sodium_memzero(key_a, sizeof(key_a));
    sodium_memzero(key_b, sizeof(key_b));
    return rc;
}

int load_srtp_from_keys(enum load_suite suite, uint32_t own_ssrc, uint8_t *own_key,
                        uint8_t *peer_key, struct load_srtp **out)
{
    srtp_ssrc_t any_inbound = {.type = ssrc_any_inbound, .value = 0};
    return make_session(suite, own_ssrc, own_key, any_inbound, peer_key, out);
}

void load_srtp_free(struct load_srtp *s)
{
    if (s == NULL)
        return;
    srtp_dealloc(s->session);
    free(s);
}

int load_srtp_protect(struct load_srtp *s, uint8_t *buf, size_t *len)
{
    int n = (int)*len;
    if (srtp_protect(s->session, buf, &n) != srtp_err_status_ok)
        return -1;
    *len = (size_t)n;
    return 0;
}

enum load_srtp_verdict load_srtp_unprotect(struct load_srtp *s, uint8_t *buf, size_t *len)
{
    int n = (int)*len;
    srtp_err_status_t st = srtp_unprotect(s->session, buf, &n);

    switch (st) {
    case srtp_err_status_ok:
        *len = (size_t)n;
        return LOAD_SRTP_OK;
    case srtp_err_status_auth_fail:
        return LOAD_SRTP_AUTH_FAIL;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        return LOAD_SRTP_REPLAY;
    default:
        return LOAD_SRTP_BAD;
    }
}
