/* fleet: see fleet.h. */
#include "fleet.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fleet_keys.h"

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void fleet_init(struct fleet *f, struct store *st, const struct fleet_mac_keys *keys,
                unsigned cache_ms, struct log_ctx *log)
{
    memset(f, 0, sizeof(*f));
    f->store = st;
    f->keys = keys;
    f->cache_ms = cache_ms;
    f->log = log;
}

/* The same alphabet umbra-relay accepts for relay-id and operator. */
static bool label_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    return n > 0 && n < FLEET_LABEL_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == n;
}

/* What the broker would accept as a relay = URI (broker_config.c). */
static bool uri_ok(const char *s)
{
    return s != NULL && (strncmp(s, "turn:", 5) == 0 || strncmp(s, "turns:", 6) == 0) &&
           strlen(s) < CONFIG_URI_MAX && strpbrk(s, " \t\"\\") == NULL;
}

int fleet_parse(const char *json, size_t len, struct fleet_relay *out)
{
    json_t *root = json_loadb(json, len, 0, NULL), *uris, *load, *u;
    const char *id = json_string_value(json_object_get(root, "id"));
    const char *op = json_string_value(json_object_get(root, "operator"));
    size_t i;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    uris = json_object_get(root, "uris");
    load = json_object_get(root, "load");
    if (!label_ok(id) || !label_ok(op) || !json_is_array(uris))
        goto done;
    snprintf(out->id, sizeof(out->id), "%s", id);
    snprintf(out->operator_label, sizeof(out->operator_label), "%s", op);
    json_array_foreach(uris, i, u)
    {
        const char *s = json_string_value(u);
        if (out->n_uris < FLEET_MAX_URIS && uri_ok(s))
            snprintf(out->uris[out->n_uris++], CONFIG_URI_MAX, "%s", s);
    }
    out->allocations = json_integer_value(json_object_get(load, "allocations"));
    out->pps = json_integer_value(json_object_get(load, "pps"));
    if (out->allocations < 0)
        out->allocations = 0;
    if (out->pps < 0)
        out->pps = 0;
    rc = out->n_uris > 0 ? 0 : -1;
done:
    json_decref(root);
    return rc;
}

int fleet_open(const struct fleet_mac_keys *keys, const char *id, const char *text, size_t len,
               int64_t now, struct fleet_relay *out)
{
    const char *json;
    size_t jlen;
    json_t *root, *exp;
    bool live;
    if (fleet_mac_open(keys, id, text, len, &json, &jlen) != 0)
        return -1;
    root = json_loadb(json, jlen, 0, NULL);
    exp = json_object_get(root, "expires");
    live = json_is_integer(exp) && json_integer_value(exp) + FLEET_CLOCK_SKEW_S >= now;
    json_decref(root);
    if (!live || fleet_parse(json, jlen, out) != 0 || strcmp(out->id, id) != 0)
        return -1;
    return 0;
}

/* A refused entry of relay id: folded into *sig (a keyed hash, so the
 * log can say "changed" without naming anyone). */
static void note_rejected(const struct fleet *f, const char *id, uint64_t *sig, size_t *n)
{
    static const unsigned char key[crypto_shorthash_KEYBYTES] = "umbra-fleet-sig";
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t x;
    (void)f;
    crypto_shorthash(h, (const unsigned char *)id, strlen(id), key);
    memcpy(&x, h, sizeof(x));
    *sig ^= x;
    (*n)++;
}

/* GETs of the entries of ids[from, to) in one round trip, parsed into
 * f->relays; refused ones folded into *sig and counted in *n_bad. */
static int read_entries(struct fleet *f, const struct redis_val *ids, size_t from, size_t to,
                        uint64_t *sig, size_t *n_bad)
{
    int64_t now = (int64_t)time(NULL);
    char keys[STORE_BATCH_MAX][FLEET_KEY_MAX];
    struct redis_val v[STORE_BATCH_MAX];
    struct store_batch b = {0};
    int rc;

    for (size_t i = from; i < to; i++) {
        snprintf(keys[i - from], FLEET_KEY_MAX, "%s%s", FLEET_KEY_PREFIX,
                 ids[i].str != NULL && label_ok(ids[i].str) ? ids[i].str : "-");
        store_batch_add(&b, "GET", keys[i - from], NULL);
    }
    rc = store_batch_run(f->store, &b, v);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < b.n; i++) {
        const char *id = keys[i] + strlen(FLEET_KEY_PREFIX);
        if (v[i].type == REDIS_VAL_STR && f->n < FLEET_MAX_RELAYS) {
            if (fleet_open(f->keys, id, v[i].str, v[i].len, now, &f->relays[f->n]) == 0)
                f->n++;
            else
                note_rejected(f, id, sig, n_bad);
        }
        redis_val_free(&v[i]);
    }
    return 0;
}

int fleet_refresh(struct fleet *f)
{
    struct redis_val ids;
    long long now = now_ns();
    uint64_t sig = 0;
    size_t n_bad = 0;
    int rc;

    if (f->cache_ms == 0)
        return 0;
    if (f->read_ns != 0 && now - f->read_ns < (long long)f->cache_ms * 1000000LL)
        return 0;
    rc = store_cmd(f->store, &ids, "SMEMBERS", FLEET_SET_KEY, NULL);
    if (rc != 0)
        return STORE_EDOWN;
    f->n = 0;
    for (size_t i = 0; ids.type == REDIS_VAL_ARRAY && i < ids.n && f->n < FLEET_MAX_RELAYS;
         i += STORE_BATCH_MAX) {
        size_t to = i + STORE_BATCH_MAX < ids.n ? i + STORE_BATCH_MAX : ids.n;
        rc = read_entries(f, ids.elem, i, to, &sig, &n_bad);
        if (rc != 0) {
            redis_val_free(&ids);
            f->n = 0;
            f->read_ns = 0;
            return STORE_EDOWN;
        }
    }
    redis_val_free(&ids);
    f->read_ns = now;
    if (sig != f->rejected_sig) {
        /* Said and counted when the refused set changes, not every read. */
        if (n_bad > 0) {
            f->rejected += n_bad;
            log_warn(f->log, "fleet: %zu relay entries refused (unsealed, expired or unusable)",
                     n_bad);
        }
        f->rejected_sig = sig;
    }
    return 0;
}

size_t fleet_operators(const struct fleet *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++) {
        size_t j = 0;
        while (j < i && strcmp(f->relays[j].operator_label, f->relays[i].operator_label) != 0)
            j++;
        if (j == i)
            n++;
    }
    return n;
}

int fleet_pick(struct fleet *f, const char *avoid, struct fleet_relay *out)
{
    struct fleet_relay *best = NULL;
    uint32_t ties = 0;
    for (size_t i = 0; i < f->n; i++) {
        struct fleet_relay *r = &f->relays[i];
        if (avoid != NULL && strcmp(r->operator_label, avoid) == 0)
            continue;
        if (best == NULL || r->allocations < best->allocations ||
            (r->allocations == best->allocations && r->pps < best->pps)) {
            best = r;
            ties = 1;
        } else if (r->allocations == best->allocations && r->pps == best->pps) {
            /* Reservoir sampling: each of the equal relays equally likely. */
            if (randombytes_uniform(++ties) == 0)
                best = r;
        }
    }
    if (best == NULL)
        return -1;
    best->allocations++;
    *out = *best;
    return 0;
}
