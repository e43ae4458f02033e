/* stun_msg: the STUN (RFC 8489) and TURN (RFC 8656) wire codec.
 *
 * Pure: no I/O, no allocation, no global state. A parsed stun_msg points
 * into the caller's buffer, which must outlive it. Builders write into a
 * caller-owned buffer; an overflow is remembered and reported by
 * stun_build_finish(), so callers check once. Every read is bounds-checked;
 * malformed input makes stun_parse() fail, never crash.
 *
 * Layer: stun/, a leaf library (umbra-relay, umbra-load and the tests link
 * it); uses common/addr only. */
#ifndef UMBRA_STUN_MSG_H
#define UMBRA_STUN_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"

#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_HEADER_LEN 20
#define STUN_TXID_LEN 12
#define STUN_MAX_ATTRS 40
#define STUN_MAX_MSG (65535 + STUN_HEADER_LEN)
#define STUN_CHANNEL_MIN 0x4000
#define STUN_CHANNEL_MAX 0x7FFF /* RFC 5766 range; see turn_handlers */
#define STUN_FINGERPRINT_XOR 0x5354554eu

enum stun_class {
    STUN_CLASS_REQUEST = 0,
    STUN_CLASS_INDICATION = 1,
    STUN_CLASS_SUCCESS = 2,
    STUN_CLASS_ERROR = 3,
};

enum stun_method {
    STUN_METHOD_BINDING = 0x001,
    STUN_METHOD_ALLOCATE = 0x003,
    STUN_METHOD_REFRESH = 0x004,
    STUN_METHOD_SEND = 0x006,
    STUN_METHOD_DATA = 0x007,
    STUN_METHOD_CREATE_PERMISSION = 0x008,
    STUN_METHOD_CHANNEL_BIND = 0x009,
};

enum stun_attr_type {
    STUN_ATTR_MAPPED_ADDRESS = 0x0001,
    STUN_ATTR_USERNAME = 0x0006,
    STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
    STUN_ATTR_ERROR_CODE = 0x0009,
    STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
    STUN_ATTR_CHANNEL_NUMBER = 0x000C,
    STUN_ATTR_LIFETIME = 0x000D,
    STUN_ATTR_XOR_PEER_ADDRESS = 0x0012,
    STUN_ATTR_DATA = 0x0013,
    STUN_ATTR_REALM = 0x0014,
    STUN_ATTR_NONCE = 0x0015,
    STUN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
    STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017,
    STUN_ATTR_EVEN_PORT = 0x0018,
    STUN_ATTR_REQUESTED_TRANSPORT = 0x0019,
    STUN_ATTR_DONT_FRAGMENT = 0x001A,
    STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
    STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
    STUN_ATTR_USERHASH = 0x001E,
    STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
    STUN_ATTR_RESERVATION_TOKEN = 0x0022,
    STUN_ATTR_PRIORITY = 0x0024,
    STUN_ATTR_USE_CANDIDATE = 0x0025,
    STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY = 0x8000,
    STUN_ATTR_ADDRESS_ERROR_CODE = 0x8001,
    STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
    STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
    STUN_ATTR_ICMP = 0x8004,
    STUN_ATTR_SOFTWARE = 0x8022,
    STUN_ATTR_ALTERNATE_SERVER = 0x8023,
    STUN_ATTR_FINGERPRINT = 0x8028,
    STUN_ATTR_ICE_CONTROLLED = 0x8029,
    STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* One attribute as found on the wire. value points into the message. */
struct stun_attr {
    uint16_t type;
    uint16_t len;
    const uint8_t *value;
    size_t offset; /* of the attribute header, from the start of the message */
};

struct stun_msg {
    const uint8_t *buf;
    size_t len; /* header + body */
    uint16_t method;
    enum stun_class cls;
    uint8_t txid[STUN_TXID_LEN];
    size_t n_attrs;
    struct stun_attr attrs[STUN_MAX_ATTRS];
    /* Indexes into attrs, or -1. Attributes after MESSAGE-INTEGRITY(-SHA256)
     * other than FINGERPRINT are parsed but ignored by stun_find (RFC 8489
     * §14.5). */
    int integrity;
    int integrity_sha256;
    int fingerprint;
};

/* What a datagram or stream frame is, by its first byte alone (RFC 7983
 * ranges: 0-3 STUN, 64-127 ChannelData / TURN channel); empty is OTHER. */
enum stun_kind { STUN_KIND_STUN, STUN_KIND_CHANNEL_DATA, STUN_KIND_OTHER };
enum stun_kind stun_classify(const uint8_t *buf, size_t len);

/* Stream framing (TCP/TLS, RFC 8656 §11.5): the length of the next frame at
 * buf, counting ChannelData padding to 4 bytes. Returns 0 when more bytes
 * are needed to tell (ChannelData needs 4, STUN 8: its cookie is checked),
 * -1 when the bytes are neither STUN nor ChannelData (a stream that cannot
 * be resynchronised). */
ssize_t stun_frame_length(const uint8_t *buf, size_t len);

/* Parses one message of exactly len bytes (a datagram, or a frame from
 * stun_frame_length). Checks the header, cookie, length, attribute
 * lengths and padding, and that FINGERPRINT, if present, is last. Returns 0
 * or -1 for anything malformed. Does not check integrity or fingerprint. */
int stun_parse(struct stun_msg *msg, const uint8_t *buf, size_t len);

/* Reads only the 20-byte header of buf (len >= 20): 0 when the top two
 * bits are zero and the magic cookie is right, filling method, cls and txid
 * and leaving msg with no attributes (len 20, indexes -1); -1 otherwise.
 * For answering a request whose attributes do not parse with 400 (RFC 8489
 * §6.3) without decoding the type field again. */
int stun_parse_header(struct stun_msg *msg, const uint8_t *buf, size_t len);

/* First attribute of that type that counts (see integrity above), or NULL. */
const struct stun_attr *stun_find(const struct stun_msg *msg, uint16_t type);

/* Comprehension-required (type < 0x8000) attributes this codec does not
 * know, for a 420 answer. Returns how many were found (at most max). */
size_t stun_unknown_required(const struct stun_msg *msg, uint16_t *types, size_t max);

/* Attribute readers: 0 or -1 when the value is malformed. */
int stun_attr_xor_address(const struct stun_msg *msg, const struct stun_attr *attr,
                          struct umbra_addr *out);
int stun_attr_address(const struct stun_attr *attr, struct umbra_addr *out); /* MAPPED-ADDRESS */
int stun_attr_u32(const struct stun_attr *attr, uint32_t *out); /* LIFETIME, FINGERPRINT... */
int stun_attr_error(const struct stun_attr *attr, int *code, const char **reason,
                    size_t *reason_len);
int stun_attr_requested_transport(const struct stun_attr *attr, uint8_t *protocol);
int stun_attr_requested_family(const struct stun_attr *attr, int *family); /* AF_INET/AF_INET6 */
/* -1 also for a channel outside STUN_CHANNEL_MIN..STUN_CHANNEL_MAX. */
int stun_attr_channel_number(const struct stun_attr *attr, uint16_t *channel);
int stun_attr_even_port(const struct stun_attr *attr, bool *reserve_next);
/* USERNAME (< 513 bytes), REALM and NONCE (< 128 characters, < 763 bytes). */
int stun_attr_text(const struct stun_attr *attr, const char **text, size_t *len);

/* Long-term credential key (RFC 8489 §9.2.2): MD5(username ":" realm ":"
 * password) into 16 bytes, or SHA-256 into 32 bytes. 0, or -1 with the key
 * zeroed when OpenSSL cannot compute it (out of memory, digest disabled). */
int stun_long_term_key_md5(const char *username, size_t ulen, const char *realm, size_t rlen,
                           const char *password, size_t plen, uint8_t key[16]);
int stun_long_term_key_sha256(const char *username, size_t ulen, const char *realm, size_t rlen,
                              const char *password, size_t plen, uint8_t key[32]);

/* Checks MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY.
 * Returns 0 when it matches, -1 when there is none, -2 when it is wrong,
 * -3 when OpenSSL cannot compute the HMAC (out of memory, HMAC or digest
 * disabled): never an abort. */
int stun_check_integrity(const struct stun_msg *msg, const uint8_t *key, size_t keylen);
/* Sets up the calling thread's HMAC contexts now (they are otherwise made
 * on first use, which also loads OpenSSL's provider). Optional; when
 * OpenSSL fails here, the next use tries again. */
void stun_thread_init(void);
/* Returns 0 when FINGERPRINT matches, 1 when absent, -1 when wrong. */
int stun_check_fingerprint(const struct stun_msg *msg);

/* Building. Attributes go in the order put; integrity and fingerprint last. */
struct stun_builder {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
};
void stun_build_start(struct stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
                      enum stun_class cls, const uint8_t txid[STUN_TXID_LEN]);
void stun_put_bytes(struct stun_builder *b, uint16_t type, const void *value, size_t len);
/* Like stun_put_bytes with padding bytes of value pad instead of zero
 * (receivers ignore padding; RFC 5769's vectors pad with spaces). */
void stun_put_bytes_pad(struct stun_builder *b, uint16_t type, const void *value, size_t len,
                        uint8_t pad);
void stun_put_u32(struct stun_builder *b, uint16_t type, uint32_t value);
void stun_put_xor_address(struct stun_builder *b, uint16_t type, const struct umbra_addr *addr);
void stun_put_address(struct stun_builder *b, uint16_t type, const struct umbra_addr *addr);
/* code must be 300-699 (else the build fails); reason NULL means
 * stun_error_reason(code). */
void stun_put_error(struct stun_builder *b, int code, const char *reason);
void stun_put_unknown(struct stun_builder *b, const uint16_t *types, size_t n);
void stun_put_integrity(struct stun_builder *b, const uint8_t *key, size_t keylen);
void stun_put_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t keylen);
void stun_put_fingerprint(struct stun_builder *b);
/* Returns the message length, or -1 if the buffer was too small or a put
 * was invalid (value over 65535 bytes, body over 65535 bytes, error code
 * outside 300-699, address neither IPv4 nor IPv6) or an integrity HMAC
 * could not be computed. */
ssize_t stun_build_finish(struct stun_builder *b);

/* ChannelData (RFC 8656 §12.4). parse checks 0x4000-0x7FFF and that len
 * covers the header's length (extra padding is allowed). */
int stun_channel_data_parse(const uint8_t *buf, size_t len, uint16_t *channel, const uint8_t **data,
                            size_t *data_len);
void stun_channel_data_header(uint8_t out[4], uint16_t channel, uint16_t data_len);

/* The reason phrase this server uses for an error code (e.g. 438 "Stale Nonce"). */
const char *stun_error_reason(int code);

#endif
