/* identities: see identities.h. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identities.h"
#include "status.h"

#define KEY_MAX 96

void identities_pseudonym(const uint8_t key[KEYS_BYTES], const uint8_t sk[IDENTITIES_SK_BYTES],
                          uint64_t rotations, const char *context, size_t clen,
                          char out[IDENTITIES_PSEUDONYM_LEN])
{
    crypto_generichash_state st;
    uint8_t rot[8], h[16];
    for (int i = 0; i < 8; i++)
        rot[i] = (uint8_t)(rotations >> (56 - 8 * i));
    /* sk and the count have fixed sizes, so the input is unambiguous. */
    crypto_generichash_init(&st, key, KEYS_BYTES, sizeof(h));
    crypto_generichash_update(&st, sk, IDENTITIES_SK_BYTES);
    crypto_generichash_update(&st, rot, sizeof(rot));
    crypto_generichash_update(&st, (const unsigned char *)context, clen);
    crypto_generichash_final(&st, h, sizeof(h));
    sodium_bin2base64(out, IDENTITIES_PSEUDONYM_LEN, h, sizeof(h),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(&st, sizeof(st));
}

void identities_one_call_pseudonym(char out[IDENTITIES_PSEUDONYM_LEN])
{
    uint8_t r[16];
    randombytes_buf(r, sizeof(r));
    sodium_bin2base64(out, IDENTITIES_PSEUDONYM_LEN, r, sizeof(r),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static bool b64url_of_len(const char *text, size_t want)
{
    size_t n = 0;
    for (; text[n] != '\0'; n++) {
        char c = text[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
        if (n > want)
            return false;
    }
    return n == want;
}

bool identities_token_valid(const char *text)
{
    return b64url_of_len(text, IDENTITIES_TOKEN_LEN - 1);
}

bool identities_pseudonym_valid(const char *text)
{
    return b64url_of_len(text, IDENTITIES_PSEUDONYM_LEN - 1);
}

static void id_key(const struct identities *ids, const char *token, char key[KEY_MAX],
                   char tokhash[KEYS_HASH_HEX])
{
    keys_hash(ids->keys->token, token, strlen(token), tokhash);
    snprintf(key, KEY_MAX, "umbra:id:%s", tokhash);
}

int identities_create(struct identities *ids, char token[IDENTITIES_TOKEN_LEN])
{
    uint8_t raw[32], sk[IDENTITIES_SK_BYTES];
    char skhex[2 * IDENTITIES_SK_BYTES + 1], key[KEY_MAX], tokhash[KEYS_HASH_HEX], ttl[16];
    struct store_batch b = {0};
    int rc;

    randombytes_buf(raw, sizeof(raw));
    randombytes_buf(sk, sizeof(sk));
    sodium_bin2base64(token, IDENTITIES_TOKEN_LEN, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_bin2hex(skhex, sizeof(skhex), sk, sizeof(sk));
    id_key(ids, token, key, tokhash);
    snprintf(ttl, sizeof(ttl), "%u", ids->ttl);
    store_batch_add(&b, "HSET", key, "sk", skhex, NULL);
    store_batch_add(&b, "EXPIRE", key, ttl, NULL);
    rc = store_batch_run(ids->store, &b, NULL);
    sodium_memzero(raw, sizeof(raw));
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(skhex, sizeof(skhex));
    if (rc != 0)
        sodium_memzero(token, IDENTITIES_TOKEN_LEN);
    return broker_status_of_store(rc);
}

/* Adds the reads of the identity's secret key and of the rotation count
 * of its pseudonym in context (field "g:<H(context)>", written to field). */
static void identities_lookup(const struct identities *ids, struct store_batch *b, const char *key,
                              const char *context, char field[KEYS_HASH_HEX + 2])
{
    keys_hash(ids->keys->pseudonym, context, strlen(context), field + 2);
    field[0] = 'g';
    field[1] = ':';
    store_batch_add(b, "HGET", key, "sk", NULL);
    store_batch_add(b, "HGET", key, field, NULL);
}

/* The secret key in the reply to the first read of identities_lookup:
 * ENOTFOUND without one, EINTERNAL when it is malformed. */
static int identities_sk_of(const struct redis_val *v, uint8_t sk[IDENTITIES_SK_BYTES])
{
    size_t bin_len = 0;
    if (v->type != REDIS_VAL_STR ||
        sodium_hex2bin(sk, IDENTITIES_SK_BYTES, v->str, v->len, NULL, &bin_len, NULL) != 0 ||
        bin_len != IDENTITIES_SK_BYTES)
        return v->type == REDIS_VAL_NIL ? BROKER_ENOTFOUND : BROKER_EINTERNAL;
    return 0;
}

/* Asks admit, when there is one, whether pnkey (the context's live
 * pseudonym) may be written for the first time: 0 when it is live or
 * admitted, else the refusal or a store error. */
static int admit_new(struct identities *ids, const char *pnkey,
                     const struct identities_admit *admit)
{
    struct redis_val v;
    bool live;
    int rc;

    if (admit == NULL)
        return 0;
    rc = store_cmd(ids->store, &v, "EXISTS", pnkey, NULL);
    if (rc != 0)
        return broker_status_of_store(rc);
    live = v.type == REDIS_VAL_INT && v.num == 1;
    redis_val_free(&v);
    return live ? 0 : admit->fn(admit->arg);
}

/* identities_pseudonym_for, and with peek identities_pseudonym_peek. */
static int pseudonym_get(struct identities *ids, const char *token, const char *context,
                         bool rotate, const struct identities_admit *admit, bool peek,
                         char out[IDENTITIES_PSEUDONYM_LEN])
{
    char key[KEY_MAX], tokhash[KEYS_HASH_HEX], field[KEYS_HASH_HEX + 2], pnkey[KEY_MAX];
    char oldpn[IDENTITIES_PSEUDONYM_LEN], oldkey[KEY_MAX], ttl[16];
    uint8_t sk[IDENTITIES_SK_BYTES];
    struct redis_val v[3];
    struct store_batch b = {0};
    uint64_t rot = 0;
    int rc;

    id_key(ids, token, key, tokhash);
    snprintf(ttl, sizeof(ttl), "%u", ids->ttl);
    identities_lookup(ids, &b, key, context, field);
    rc = store_batch_run(ids->store, &b, v);
    if (rc != 0)
        return broker_status_of_store(rc);
    rc = identities_sk_of(&v[0], sk);
    if (rc != 0)
        goto done;
    if (v[1].type == REDIS_VAL_STR)
        rot = strtoull(v[1].str, NULL, 10);
    if (rotate) {
        identities_pseudonym(ids->keys->pseudonym, sk, rot, context, strlen(context), oldpn);
        snprintf(oldkey, sizeof(oldkey), "umbra:pn:%s", oldpn);
        rot++;
    }
    identities_pseudonym(ids->keys->pseudonym, sk, rot, context, strlen(context), out);
    snprintf(pnkey, sizeof(pnkey), "umbra:pn:%s", out);
    /* A rotation replaces the live pseudonym: new only without one. */
    rc = admit_new(ids, rotate ? oldkey : pnkey, admit);
    if (rc != 0)
        goto done;
    b.n = 0;
    if (rotate) {
        store_batch_add(&b, "HINCRBY", key, field, "1", NULL);
        store_batch_add(&b, "DEL", oldkey, NULL);
    }
    /* One pipeline, so the record never lacks its TTL. A peek refreshes
     * a live record only (EXPIRE creates nothing, and works while Redis
     * is at maxmemory). */
    if (peek)
        store_batch_add(&b, "EXPIRE", pnkey, ttl, NULL);
    else
        store_batch_add(&b, "SET", pnkey, tokhash, "EX", ttl, NULL);
    store_batch_add(&b, "EXPIRE", key, ttl, NULL);
    rc = broker_status_of_store(store_batch_run(ids->store, &b, NULL));
done:
    redis_val_free(&v[0]);
    redis_val_free(&v[1]);
    sodium_memzero(sk, sizeof(sk));
    if (rc != 0)
        sodium_memzero(out, IDENTITIES_PSEUDONYM_LEN);
    return rc;
}

int identities_pseudonym_for(struct identities *ids, const char *token, const char *context,
                             bool rotate, const struct identities_admit *admit,
                             char out[IDENTITIES_PSEUDONYM_LEN])
{
    return pseudonym_get(ids, token, context, rotate, admit, false, out);
}

int identities_pseudonym_peek(struct identities *ids, const char *token, const char *context,
                              char out[IDENTITIES_PSEUDONYM_LEN])
{
    return pseudonym_get(ids, token, context, false, NULL, true, out);
}

int identities_resolve(struct identities *ids, const char *token, const char *context,
                       const char *also_exists, bool *exists, struct identities_resolved *r)
{
    char field[KEYS_HASH_HEX + 2];
    uint8_t sk[IDENTITIES_SK_BYTES];
    struct redis_val v[3];
    struct store_batch b = {0};
    uint64_t rot = 0;
    int rc;

    memset(r, 0, sizeof(*r));
    id_key(ids, token, r->id_key, r->tokhash);
    snprintf(r->ttl, sizeof(r->ttl), "%u", ids->ttl);
    identities_lookup(ids, &b, r->id_key, context, field);
    if (also_exists != NULL)
        store_batch_add(&b, "EXISTS", also_exists, NULL);
    rc = store_batch_run(ids->store, &b, v);
    if (rc != 0)
        return broker_status_of_store(rc);
    if (also_exists != NULL)
        *exists = v[2].type == REDIS_VAL_INT && v[2].num == 1;
    rc = identities_sk_of(&v[0], sk);
    if (rc == 0) {
        if (v[1].type == REDIS_VAL_STR)
            rot = strtoull(v[1].str, NULL, 10);
        identities_pseudonym(ids->keys->pseudonym, sk, rot, context, strlen(context), r->pseudonym);
        snprintf(r->pn_key, sizeof(r->pn_key), "umbra:pn:%s", r->pseudonym);
    }
    for (size_t i = 0; i < b.n; i++)
        redis_val_free(&v[i]);
    sodium_memzero(sk, sizeof(sk));
    return rc;
}

void identities_record(const struct identities_resolved *r, struct store_batch *b)
{
    store_batch_add(b, "SET", r->pn_key, r->tokhash, "EX", r->ttl, NULL);
    store_batch_add(b, "EXPIRE", r->id_key, r->ttl, NULL);
}

int identities_owns(struct identities *ids, const char *token, const char *pseudonym)
{
    char key[KEY_MAX], tokhash[KEYS_HASH_HEX], pnkey[KEY_MAX];
    struct redis_val v;
    int rc;

    id_key(ids, token, key, tokhash);
    snprintf(pnkey, sizeof(pnkey), "umbra:pn:%s", pseudonym);
    rc = store_cmd(ids->store, &v, "GET", pnkey, NULL);
    if (rc != 0)
        return broker_status_of_store(rc);
    rc = v.type == REDIS_VAL_STR && v.len == KEYS_HASH_HEX - 1 &&
                 sodium_memcmp(v.str, tokhash, KEYS_HASH_HEX - 1) == 0
             ? 0
             : BROKER_EAUTH;
    redis_val_free(&v);
    return rc;
}
