/* cname: per-call RTCP CNAMEs made as RFC 7022 §4.1 says: 96 random bits
 * (libsodium's CSPRNG), base64-encoded to 16 characters. Nothing is kept:
 * each call and party gets a fresh one, so CNAMEs cannot link calls. */
#ifndef UMBRA_BROKER_CNAME_H
#define UMBRA_BROKER_CNAME_H

#define CNAME_RANDOM_BYTES 12
#define CNAME_LEN 17 /* 16 base64 characters + NUL */

void cname_generate(char out[CNAME_LEN]);

#endif
