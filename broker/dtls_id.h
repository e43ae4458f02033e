/* dtls_id: a fresh DTLS identity for each call (RFC 8827 §9.2), so that a
 * certificate fingerprint never links two calls.
 *
 * dtls_id_generate() makes an ECDSA P-256 key and a self-signed X.509 v3
 * certificate: subject and issuer CN of 16 random hex digits, a random
 * positive 128-bit serial, valid from one hour before now (clock skew) to
 * one day after now, signed ecdsa-with-SHA256. The caller owns the result
 * and releases it with dtls_id_free(), which wipes the private key. The
 * private key is meant to be handed to the caller once and not kept.
 *
 * OpenSSL 3 EVP API only, no deprecated calls; OpenSSL stays inside
 * dtls_id.c. About 160 us of CPU per identity (P-256 keygen and one ECDSA
 * signature are most of it). Thread-safe: no shared state. Functions return
 * 0, or -1 with a reason in err. */
#ifndef UMBRA_DTLS_ID_H
#define UMBRA_DTLS_ID_H

#include <stddef.h>

/* "sha-256 " + 32 hex pairs with colons + NUL = 104. */
#define DTLS_ID_FINGERPRINT_MAX 112
#define DTLS_ID_VALID_BEFORE_SECONDS 3600
#define DTLS_ID_VALID_AFTER_SECONDS (24 * 3600)

struct dtls_id {
    char *key_pem;  /* PKCS#8 PEM ("BEGIN PRIVATE KEY") in sodium_malloc memory (out of
                       core dumps); wiped and freed by dtls_id_free */
    char *cert_pem; /* "BEGIN CERTIFICATE" */
    char fingerprint[DTLS_ID_FINGERPRINT_MAX]; /* "sha-256 AB:CD:..." of the DER cert,
                                                  as in SDP a=fingerprint */
};

int dtls_id_generate(struct dtls_id *out, char *err, size_t errlen);
/* Wipes and frees key_pem (sodium_free), frees cert_pem, zeroes *id. NULL
 * is fine. */
void dtls_id_free(struct dtls_id *id);
/* Zeroes a NUL-terminated string in place (sodium_memzero over strlen
 * bytes), for copies of key_pem. */
void dtls_id_wipe(char *s);
/* The SHA-256 fingerprint of a PEM certificate, in the format above. */
int dtls_id_fingerprint_of_pem(const char *cert_pem, char out[DTLS_ID_FINGERPRINT_MAX], char *err,
                               size_t errlen);

#endif
