/* stun_msg: see stun_msg.h. */
#include "stun_msg.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define STUN_MI_LEN 20
#define STUN_MI_SHA256_MAX 32
#define STUN_MI_SHA256_MIN 16
#define STUN_FP_LEN 4
#define STUN_USERNAME_MAX 512
#define STUN_TEXT_MAX 763
#define STUN_BODY_MAX 65535

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* RFC 8489 §5: the method's 12 bits are split around the two class bits. */
static uint16_t stun_type_encode(uint16_t method, enum stun_class cls)
{
    unsigned c = (unsigned)cls;
    return (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                      ((c & 1) << 4) | ((c & 2) << 7));
}

static void stun_type_decode(uint16_t type, uint16_t *method, enum stun_class *cls)
{
    *method = (uint16_t)((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
    *cls = (enum stun_class)(((type >> 4) & 1) | ((type >> 7) & 2));
}

enum stun_kind stun_classify(const uint8_t *buf, size_t len)
{
    if (len == 0)
        return STUN_KIND_OTHER;
    if (buf[0] <= 3)
        return STUN_KIND_STUN;
    if (buf[0] >= 64 && buf[0] <= 127)
        return STUN_KIND_CHANNEL_DATA;
    return STUN_KIND_OTHER;
}

ssize_t stun_frame_length(const uint8_t *buf, size_t len)
{
    uint16_t n;
    switch (stun_classify(buf, len)) {
    case STUN_KIND_STUN:
        if (len < 8)
            return 0;
        n = get16(buf + 2);
        /* Garbage on a stream cannot be resynchronised: refuse it early. */
        if ((buf[0] & 0xC0) != 0 || get32(buf + 4) != STUN_MAGIC_COOKIE || (n & 3) != 0)
            return -1;
        return (ssize_t)STUN_HEADER_LEN + n;
    case STUN_KIND_CHANNEL_DATA:
        if (len < 4)
            return 0;
        return (ssize_t)(4 + pad4(get16(buf + 2)));
    case STUN_KIND_OTHER:
        break;
    }
    return len == 0 ? 0 : -1;
}

/* Which attributes count (RFC 8489 §14.5, §14.6): after MESSAGE-INTEGRITY
 * only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, after
 * MESSAGE-INTEGRITY-SHA256 only FINGERPRINT. */
struct stun_scan {
    bool seen_mi;
    bool seen_sha256;
};

static bool stun_scan_counts(struct stun_scan *s, uint16_t type)
{
    bool counts;
    if (type == STUN_ATTR_FINGERPRINT)
        return true;
    if (s->seen_sha256)
        return false;
    if (s->seen_mi)
        counts = type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256;
    else
        counts = true;
    if (counts && type == STUN_ATTR_MESSAGE_INTEGRITY)
        s->seen_mi = true;
    if (counts && type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
        s->seen_sha256 = true;
    return counts;
}

static int stun_check_fixed_len(uint16_t type, uint16_t len)
{
    switch (type) {
    case STUN_ATTR_MESSAGE_INTEGRITY:
        return len == STUN_MI_LEN ? 0 : -1;
    case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
        return (len >= STUN_MI_SHA256_MIN && len <= STUN_MI_SHA256_MAX && len % 4 == 0) ? 0 : -1;
    case STUN_ATTR_FINGERPRINT:
        return len == STUN_FP_LEN ? 0 : -1;
    default:
        return 0;
    }
}

static void stun_msg_reset(struct stun_msg *msg)
{
    msg->buf = NULL;
    msg->len = 0;
    msg->n_attrs = 0;
    msg->integrity = -1;
    msg->integrity_sha256 = -1;
    msg->fingerprint = -1;
}

static int stun_parse_attrs(struct stun_msg *msg, const uint8_t *buf, size_t len)
{
    struct stun_scan scan = {false, false};
    size_t off = STUN_HEADER_LEN;

    while (off < len) {
        struct stun_attr *a;
        uint16_t type, alen;
        if (len - off < 4 || msg->fingerprint >= 0 || msg->n_attrs == STUN_MAX_ATTRS)
            return -1;
        type = get16(buf + off);
        alen = get16(buf + off + 2);
        if (pad4(alen) > len - off - 4 || stun_check_fixed_len(type, alen) < 0)
            return -1;
        a = &msg->attrs[msg->n_attrs];
        a->type = type;
        a->len = alen;
        a->value = buf + off + 4;
        a->offset = off;
        if (stun_scan_counts(&scan, type)) {
            if (type == STUN_ATTR_MESSAGE_INTEGRITY && msg->integrity < 0)
                msg->integrity = (int)msg->n_attrs;
            else if (type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256 && msg->integrity_sha256 < 0)
                msg->integrity_sha256 = (int)msg->n_attrs;
        }
        if (type == STUN_ATTR_FINGERPRINT)
            msg->fingerprint = (int)msg->n_attrs;
        msg->n_attrs++;
        off += 4 + pad4(alen);
    }
    return 0;
}

static bool stun_header_sound(const uint8_t *buf, size_t len)
{
    return buf != NULL && len >= STUN_HEADER_LEN && (buf[0] & 0xC0) == 0 &&
           get32(buf + 4) == STUN_MAGIC_COOKIE;
}

static void stun_fill_header(struct stun_msg *msg, const uint8_t *buf, size_t len)
{
    msg->buf = buf;
    msg->len = len;
    stun_type_decode(get16(buf), &msg->method, &msg->cls);
    memcpy(msg->txid, buf + 8, STUN_TXID_LEN);
}

int stun_parse_header(struct stun_msg *msg, const uint8_t *buf, size_t len)
{
    stun_msg_reset(msg);
    if (!stun_header_sound(buf, len))
        return -1;
    stun_fill_header(msg, buf, STUN_HEADER_LEN);
    return 0;
}

int stun_parse(struct stun_msg *msg, const uint8_t *buf, size_t len)
{
    uint16_t body;

    stun_msg_reset(msg);
    if (!stun_header_sound(buf, len) || len > STUN_MAX_MSG)
        return -1;
    body = get16(buf + 2);
    if ((body & 3) != 0 || (size_t)body + STUN_HEADER_LEN != len)
        return -1;
    if (stun_parse_attrs(msg, buf, len) < 0) {
        stun_msg_reset(msg);
        return -1;
    }
    stun_fill_header(msg, buf, len);
    return 0;
}

const struct stun_attr *stun_find(const struct stun_msg *msg, uint16_t type)
{
    struct stun_scan scan = {false, false};
    for (size_t i = 0; i < msg->n_attrs; i++) {
        const struct stun_attr *a = &msg->attrs[i];
        if (stun_scan_counts(&scan, a->type) && a->type == type)
            return a;
    }
    return NULL;
}

static bool stun_attr_known(uint16_t type)
{
    switch (type) {
    case STUN_ATTR_MAPPED_ADDRESS:
    case STUN_ATTR_USERNAME:
    case STUN_ATTR_MESSAGE_INTEGRITY:
    case STUN_ATTR_ERROR_CODE:
    case STUN_ATTR_UNKNOWN_ATTRIBUTES:
    case STUN_ATTR_CHANNEL_NUMBER:
    case STUN_ATTR_LIFETIME:
    case STUN_ATTR_XOR_PEER_ADDRESS:
    case STUN_ATTR_DATA:
    case STUN_ATTR_REALM:
    case STUN_ATTR_NONCE:
    case STUN_ATTR_XOR_RELAYED_ADDRESS:
    case STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
    case STUN_ATTR_EVEN_PORT:
    case STUN_ATTR_REQUESTED_TRANSPORT:
    case STUN_ATTR_DONT_FRAGMENT:
    case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
    case STUN_ATTR_PASSWORD_ALGORITHM:
    case STUN_ATTR_USERHASH:
    case STUN_ATTR_XOR_MAPPED_ADDRESS:
    case STUN_ATTR_RESERVATION_TOKEN:
    case STUN_ATTR_PRIORITY:
    case STUN_ATTR_USE_CANDIDATE:
        return true;
    default:
        return false;
    }
}

size_t stun_unknown_required(const struct stun_msg *msg, uint16_t *types, size_t max)
{
    struct stun_scan scan = {false, false};
    size_t n = 0;
    for (size_t i = 0; i < msg->n_attrs && n < max; i++) {
        uint16_t t = msg->attrs[i].type;
        bool dup = false;
        if (!stun_scan_counts(&scan, t) || t >= 0x8000 || stun_attr_known(t))
            continue;
        for (size_t j = 0; j < n; j++)
            dup = dup || types[j] == t;
        if (!dup)
            types[n++] = t;
    }
    return n;
}

/* MAPPED-ADDRESS layout: 0, family, port, address (RFC 8489 §14.1). */
static int stun_read_address(const struct stun_attr *attr, const uint8_t mask[16],
                             uint16_t port_mask, struct umbra_addr *out)
{
    uint8_t ip[16];
    size_t iplen;
    int family;

    if (attr->len < 4)
        return -1;
    switch (attr->value[1]) {
    case 0x01:
        family = AF_INET;
        iplen = 4;
        break;
    case 0x02:
        family = AF_INET6;
        iplen = 16;
        break;
    default:
        return -1;
    }
    if (attr->len != 4 + iplen)
        return -1;
    for (size_t i = 0; i < iplen; i++)
        ip[i] = attr->value[4 + i] ^ mask[i];
    return addr_from_bytes(out, family, ip, (uint16_t)(get16(attr->value + 2) ^ port_mask)) < 0 ? -1
                                                                                                : 0;
}

static void stun_xor_mask(const uint8_t txid[STUN_TXID_LEN], uint8_t mask[16])
{
    put32(mask, STUN_MAGIC_COOKIE);
    memcpy(mask + 4, txid, STUN_TXID_LEN);
}

int stun_attr_xor_address(const struct stun_msg *msg, const struct stun_attr *attr,
                          struct umbra_addr *out)
{
    uint8_t mask[16];
    stun_xor_mask(msg->txid, mask);
    return stun_read_address(attr, mask, (uint16_t)(STUN_MAGIC_COOKIE >> 16), out);
}

int stun_attr_address(const struct stun_attr *attr, struct umbra_addr *out)
{
    static const uint8_t zero[16];
    return stun_read_address(attr, zero, 0, out);
}

int stun_attr_u32(const struct stun_attr *attr, uint32_t *out)
{
    if (attr->len != 4)
        return -1;
    *out = get32(attr->value);
    return 0;
}

int stun_attr_error(const struct stun_attr *attr, int *code, const char **reason,
                    size_t *reason_len)
{
    int cls, number;
    if (attr->len < 4 || attr->len - 4 > STUN_TEXT_MAX)
        return -1;
    cls = attr->value[2] & 0x07;
    number = attr->value[3];
    if (cls < 3 || cls > 6 || number > 99)
        return -1;
    *code = cls * 100 + number;
    *reason = (const char *)attr->value + 4;
    *reason_len = attr->len - 4u;
    return 0;
}

int stun_attr_requested_transport(const struct stun_attr *attr, uint8_t *protocol)
{
    if (attr->len != 4)
        return -1;
    *protocol = attr->value[0];
    return 0;
}

int stun_attr_requested_family(const struct stun_attr *attr, int *family)
{
    if (attr->len != 4)
        return -1;
    switch (attr->value[0]) {
    case 0x01:
        *family = AF_INET;
        return 0;
    case 0x02:
        *family = AF_INET6;
        return 0;
    default:
        return -1;
    }
}

int stun_attr_channel_number(const struct stun_attr *attr, uint16_t *channel)
{
    uint16_t ch;
    if (attr->len != 4)
        return -1;
    ch = get16(attr->value);
    if (ch < STUN_CHANNEL_MIN || ch > STUN_CHANNEL_MAX)
        return -1;
    *channel = ch;
    return 0;
}

int stun_attr_even_port(const struct stun_attr *attr, bool *reserve_next)
{
    if (attr->len != 1)
        return -1;
    *reserve_next = (attr->value[0] & 0x80) != 0;
    return 0;
}

int stun_attr_text(const struct stun_attr *attr, const char **text, size_t *len)
{
    size_t max = attr->type == STUN_ATTR_USERNAME ? STUN_USERNAME_MAX : STUN_TEXT_MAX;
    if (attr->len > max)
        return -1;
    *text = (const char *)attr->value;
    *len = attr->len;
    return 0;
}

/* 0, or -1 (key wiped) when OpenSSL cannot compute the digest: out of
 * memory, or the digest not available (e.g. MD5 under a FIPS-only
 * configuration). Nothing a message holds can make it fail, but it runs for
 * every authenticated request, so a failure is an answer, not an abort. */
static int stun_digest_key(const EVP_MD *md, const char *username, size_t ulen, const char *realm,
                           size_t rlen, const char *password, size_t plen, uint8_t *key,
                           size_t keylen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int rc = 0;
    if (ctx == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
        EVP_DigestUpdate(ctx, username, ulen) != 1 || EVP_DigestUpdate(ctx, ":", 1) != 1 ||
        EVP_DigestUpdate(ctx, realm, rlen) != 1 || EVP_DigestUpdate(ctx, ":", 1) != 1 ||
        EVP_DigestUpdate(ctx, password, plen) != 1 || EVP_DigestFinal_ex(ctx, key, &n) != 1 ||
        n != keylen) {
        OPENSSL_cleanse(key, keylen);
        rc = -1;
    }
    EVP_MD_CTX_free(ctx);
    return rc;
}

int stun_long_term_key_md5(const char *username, size_t ulen, const char *realm, size_t rlen,
                           const char *password, size_t plen, uint8_t key[16])
{
    return stun_digest_key(EVP_md5(), username, ulen, realm, rlen, password, plen, key, 16);
}

int stun_long_term_key_sha256(const char *username, size_t ulen, const char *realm, size_t rlen,
                              const char *password, size_t plen, uint8_t key[32])
{
    return stun_digest_key(EVP_sha256(), username, ulen, realm, rlen, password, plen, key, 32);
}

/* OpenSSL 3 looks the HMAC implementation and the digest up by name on
 * every EVP_MAC_fetch() and EVP_MAC_init() with a digest parameter, which
 * costs more than the HMAC of a STUN message. So the implementation is
 * fetched once per process and each thread keeps one context per digest,
 * set up with its digest once; later calls only re-key it. The contexts
 * are freed when their thread exits. */
enum stun_mac_kind { STUN_MAC_SHA1, STUN_MAC_SHA256, STUN_MAC_KINDS };

static pthread_once_t stun_mac_once = PTHREAD_ONCE_INIT;
static pthread_key_t stun_mac_key;
static EVP_MAC *stun_mac_impl;
static const uint8_t stun_mac_blank[16];

static void stun_mac_free_thread(void *arg)
{
    EVP_MAC_CTX **ctx = arg;
    for (int i = 0; i < STUN_MAC_KINDS; i++)
        EVP_MAC_CTX_free(ctx[i]);
    free(ctx);
}

/* When OpenSSL has no HMAC (or the thread key cannot be made),
 * stun_mac_impl stays NULL and every MAC fails: requests are refused, the
 * relay stays up. */
static void stun_mac_init_once(void)
{
    EVP_MAC *impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (impl != NULL && pthread_key_create(&stun_mac_key, stun_mac_free_thread) != 0) {
        EVP_MAC_free(impl);
        impl = NULL;
    }
    stun_mac_impl = impl;
}

/* This thread's context for the digest, with the digest already set, or
 * NULL when OpenSSL cannot make one now (a later call tries again). */
static EVP_MAC_CTX *stun_mac_ctx(enum stun_mac_kind kind)
{
    static const char *const names[STUN_MAC_KINDS] = {"SHA1", "SHA256"};
    EVP_MAC_CTX **ctx;
    OSSL_PARAM params[2];

    pthread_once(&stun_mac_once, stun_mac_init_once);
    if (stun_mac_impl == NULL)
        return NULL;
    ctx = pthread_getspecific(stun_mac_key);
    if (ctx == NULL) {
        ctx = calloc(STUN_MAC_KINDS, sizeof(*ctx));
        if (ctx == NULL)
            return NULL;
        if (pthread_setspecific(stun_mac_key, ctx) != 0) {
            free(ctx);
            return NULL;
        }
    }
    if (ctx[kind] == NULL) {
        EVP_MAC_CTX *c = EVP_MAC_CTX_new(stun_mac_impl);
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)names[kind], 0);
        params[1] = OSSL_PARAM_construct_end();
        if (c == NULL || EVP_MAC_CTX_set_params(c, params) != 1) {
            EVP_MAC_CTX_free(c);
            return NULL;
        }
        ctx[kind] = c;
    }
    return ctx[kind];
}

void stun_thread_init(void)
{
    for (int k = 0; k < STUN_MAC_KINDS; k++)
        (void)stun_mac_ctx((enum stun_mac_kind)k);
}

/* The largest MAC: HMAC-SHA256. The parser lets MESSAGE-INTEGRITY be
 * STUN_MI_LEN bytes and MESSAGE-INTEGRITY-SHA256 at most
 * STUN_MI_SHA256_MAX (stun_check_fixed_len), so comparing a->len bytes of
 * a STUN_MAC_BUF buffer and copying maclen bytes out of one stay inside. */
#define STUN_MAC_BUF 32
_Static_assert(STUN_MI_LEN <= STUN_MAC_BUF && STUN_MI_SHA256_MAX <= STUN_MAC_BUF,
               "a MAC buffer holds every integrity length the parser accepts");

/* HMAC over the message's first `upto` bytes with the header's length field
 * replaced by `length` (RFC 8489 §14.5: as if the integrity attribute
 * ended the message). 0, or -1 (out wiped) when OpenSSL fails. */
static int stun_hmac(enum stun_mac_kind kind, const uint8_t *key, size_t keylen, const uint8_t *buf,
                     size_t upto, uint16_t length, uint8_t out[STUN_MAC_BUF])
{
    uint8_t head[STUN_HEADER_LEN];
    EVP_MAC_CTX *ctx = stun_mac_ctx(kind);
    size_t n = 0;
    int rc = 0;
    static const uint8_t empty_key[1];

    if (ctx == NULL) {
        OPENSSL_cleanse(out, STUN_MAC_BUF);
        return -1;
    }
    memcpy(head, buf, STUN_HEADER_LEN);
    put16(head + 2, length);
    /* OpenSSL refuses a NULL key; an empty key is still a valid HMAC key. */
    if (keylen == 0)
        key = empty_key;
    if (EVP_MAC_init(ctx, key, keylen, NULL) != 1 || EVP_MAC_update(ctx, head, sizeof(head)) != 1 ||
        EVP_MAC_update(ctx, buf + STUN_HEADER_LEN, upto - STUN_HEADER_LEN) != 1 ||
        EVP_MAC_final(ctx, out, &n, STUN_MAC_BUF) != 1) {
        OPENSSL_cleanse(out, STUN_MAC_BUF);
        rc = -1;
    }
    /* Re-keyed with a constant, the kept context holds nothing derived from
     * this key. If even that fails, the context is dropped. */
    if (EVP_MAC_init(ctx, stun_mac_blank, sizeof(stun_mac_blank), NULL) != 1) {
        EVP_MAC_CTX **all = pthread_getspecific(stun_mac_key);
        EVP_MAC_CTX_free(ctx);
        all[kind] = NULL;
    }
    return rc;
}

int stun_check_integrity(const struct stun_msg *msg, const uint8_t *key, size_t keylen)
{
    uint8_t mac[STUN_MAC_BUF];
    const struct stun_attr *a;
    enum stun_mac_kind kind;
    int ok;

    if (msg->integrity_sha256 >= 0) {
        a = &msg->attrs[msg->integrity_sha256];
        kind = STUN_MAC_SHA256;
    } else if (msg->integrity >= 0) {
        a = &msg->attrs[msg->integrity];
        kind = STUN_MAC_SHA1;
    } else {
        return -1;
    }
    if (stun_hmac(kind, key, keylen, msg->buf, a->offset,
                  (uint16_t)(a->offset + 4 + a->len - STUN_HEADER_LEN), mac) != 0)
        return -3;
    ok = CRYPTO_memcmp(mac, a->value, a->len) == 0;
    OPENSSL_cleanse(mac, sizeof(mac));
    return ok ? 0 : -2;
}

static uint32_t stun_crc(const uint8_t *buf, size_t upto, uint16_t length)
{
    uint8_t head[STUN_HEADER_LEN];
    uLong crc = crc32(0L, Z_NULL, 0);
    memcpy(head, buf, STUN_HEADER_LEN);
    put16(head + 2, length);
    crc = crc32(crc, head, sizeof(head));
    crc = crc32(crc, buf + STUN_HEADER_LEN, (uInt)(upto - STUN_HEADER_LEN));
    return (uint32_t)crc ^ STUN_FINGERPRINT_XOR;
}

int stun_check_fingerprint(const struct stun_msg *msg)
{
    const struct stun_attr *a;
    if (msg->fingerprint < 0)
        return 1;
    a = &msg->attrs[msg->fingerprint];
    return stun_crc(msg->buf, a->offset,
                    (uint16_t)(a->offset + 4 + STUN_FP_LEN - STUN_HEADER_LEN)) == get32(a->value)
               ? 0
               : -1;
}

/* Building. */

void stun_build_start(struct stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
                      enum stun_class cls, const uint8_t txid[STUN_TXID_LEN])
{
    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    b->overflow = cap < STUN_HEADER_LEN || (method & 0xF000) != 0;
    if (b->overflow)
        return;
    put16(buf, stun_type_encode(method, cls));
    put16(buf + 2, 0);
    put32(buf + 4, STUN_MAGIC_COOKIE);
    memcpy(buf + 8, txid, STUN_TXID_LEN);
    b->len = STUN_HEADER_LEN;
}

/* Reserves room for one attribute of vlen bytes and writes its header;
 * returns where the value goes, or NULL (and marks overflow). */
static uint8_t *stun_put_header(struct stun_builder *b, uint16_t type, size_t vlen)
{
    size_t need = 4 + pad4(vlen);
    uint8_t *p;
    if (b->overflow || vlen > 0xFFFF || need > b->cap - b->len ||
        b->len + need - STUN_HEADER_LEN > STUN_BODY_MAX) {
        b->overflow = true;
        return NULL;
    }
    p = b->buf + b->len;
    put16(p, type);
    put16(p + 2, (uint16_t)vlen);
    b->len += need;
    put16(b->buf + 2, (uint16_t)(b->len - STUN_HEADER_LEN));
    return p + 4;
}

void stun_put_bytes_pad(struct stun_builder *b, uint16_t type, const void *value, size_t len,
                        uint8_t pad)
{
    uint8_t *p = stun_put_header(b, type, len);
    if (p == NULL)
        return;
    if (len > 0)
        memcpy(p, value, len);
    memset(p + len, pad, pad4(len) - len);
}

void stun_put_bytes(struct stun_builder *b, uint16_t type, const void *value, size_t len)
{
    stun_put_bytes_pad(b, type, value, len, 0);
}

void stun_put_u32(struct stun_builder *b, uint16_t type, uint32_t value)
{
    uint8_t v[4];
    put32(v, value);
    stun_put_bytes(b, type, v, sizeof(v));
}

static void stun_put_address_masked(struct stun_builder *b, uint16_t type,
                                    const struct umbra_addr *addr, const uint8_t mask[16],
                                    uint16_t port_mask)
{
    uint8_t v[20];
    size_t iplen = 0;
    const uint8_t *ip;
    int family = addr_family(addr);
    if (b->overflow)
        return;
    if (family != AF_INET && family != AF_INET6) {
        b->overflow = true;
        return;
    }
    ip = addr_ip_bytes(addr, &iplen);
    v[0] = 0;
    v[1] = iplen == 4 ? 0x01 : 0x02;
    put16(v + 2, (uint16_t)(addr_port(addr) ^ port_mask));
    for (size_t i = 0; i < iplen; i++)
        v[4 + i] = ip[i] ^ mask[i];
    stun_put_bytes(b, type, v, 4 + iplen);
}

void stun_put_xor_address(struct stun_builder *b, uint16_t type, const struct umbra_addr *addr)
{
    uint8_t mask[16];
    if (b->overflow)
        return;
    stun_xor_mask(b->buf + 8, mask);
    stun_put_address_masked(b, type, addr, mask, (uint16_t)(STUN_MAGIC_COOKIE >> 16));
}

void stun_put_address(struct stun_builder *b, uint16_t type, const struct umbra_addr *addr)
{
    static const uint8_t zero[16];
    stun_put_address_masked(b, type, addr, zero, 0);
}

void stun_put_error(struct stun_builder *b, int code, const char *reason)
{
    uint8_t v[4 + STUN_TEXT_MAX];
    size_t rlen;
    if (code < 300 || code > 699) {
        b->overflow = true;
        return;
    }
    if (reason == NULL)
        reason = stun_error_reason(code);
    rlen = strlen(reason);
    if (rlen > STUN_TEXT_MAX) {
        b->overflow = true;
        return;
    }
    v[0] = 0;
    v[1] = 0;
    v[2] = (uint8_t)(code / 100);
    v[3] = (uint8_t)(code % 100);
    memcpy(v + 4, reason, rlen);
    stun_put_bytes(b, STUN_ATTR_ERROR_CODE, v, 4 + rlen);
}

void stun_put_unknown(struct stun_builder *b, const uint16_t *types, size_t n)
{
    uint8_t *p = stun_put_header(b, STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n);
    if (p == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        put16(p + 2 * i, types[i]);
    memset(p + 2 * n, 0, pad4(2 * n) - 2 * n);
}

static void stun_put_hmac(struct stun_builder *b, uint16_t type, enum stun_mac_kind kind,
                          size_t maclen, const uint8_t *key, size_t keylen)
{
    uint8_t mac[STUN_MAC_BUF];
    size_t upto = b->len;
    uint8_t *p = stun_put_header(b, type, maclen);
    if (p == NULL)
        return;
    /* The header already counts this attribute, as §14.5 requires. */
    if (stun_hmac(kind, key, keylen, b->buf, upto, get16(b->buf + 2), mac) != 0) {
        b->overflow = true;
        return;
    }
    memcpy(p, mac, maclen);
    OPENSSL_cleanse(mac, sizeof(mac));
}

void stun_put_integrity(struct stun_builder *b, const uint8_t *key, size_t keylen)
{
    stun_put_hmac(b, STUN_ATTR_MESSAGE_INTEGRITY, STUN_MAC_SHA1, STUN_MI_LEN, key, keylen);
}

void stun_put_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t keylen)
{
    stun_put_hmac(b, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, STUN_MAC_SHA256, STUN_MI_SHA256_MAX, key,
                  keylen);
}

void stun_put_fingerprint(struct stun_builder *b)
{
    size_t upto = b->len;
    uint8_t *p = stun_put_header(b, STUN_ATTR_FINGERPRINT, STUN_FP_LEN);
    if (p == NULL)
        return;
    put32(p, stun_crc(b->buf, upto, get16(b->buf + 2)));
}

ssize_t stun_build_finish(struct stun_builder *b)
{
    return b->overflow ? -1 : (ssize_t)b->len;
}

/* ChannelData. */

int stun_channel_data_parse(const uint8_t *buf, size_t len, uint16_t *channel, const uint8_t **data,
                            size_t *data_len)
{
    uint16_t ch, n;
    if (buf == NULL || len < 4)
        return -1;
    ch = get16(buf);
    n = get16(buf + 2);
    if (ch < STUN_CHANNEL_MIN || ch > STUN_CHANNEL_MAX || (size_t)n > len - 4)
        return -1;
    *channel = ch;
    *data = buf + 4;
    *data_len = n;
    return 0;
}

void stun_channel_data_header(uint8_t out[4], uint16_t channel, uint16_t data_len)
{
    put16(out, channel);
    put16(out + 2, data_len);
}

const char *stun_error_reason(int code)
{
    switch (code) {
    case 300:
        return "Try Alternate";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 405:
        return "Mobility Forbidden";
    case 420:
        return "Unknown Attribute";
    case 437:
        return "Allocation Mismatch";
    case 438:
        return "Stale Nonce";
    case 440:
        return "Address Family not Supported";
    case 441:
        return "Wrong Credentials";
    case 442:
        return "Unsupported Transport Protocol";
    case 443:
        return "Peer Address Family Mismatch";
    case 446:
        return "Connection Already Exists";
    case 447:
        return "Connection Timeout or Failure";
    case 486:
        return "Allocation Quota Reached";
    case 487:
        return "Role Conflict";
    case 500:
        return "Server Error";
    case 508:
        return "Insufficient Capacity";
    default:
        return code >= 500 ? "Server Error" : "Error";
    }
}
