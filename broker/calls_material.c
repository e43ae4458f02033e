/* calls_material: what one party of a call is handed. See
 * calls_internal.h. */
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "calls_internal.h"
#include "status.h"

static void material_new_secret(const struct keys *k, char secret[CALLS_SECRET_LEN],
                                char hash[KEYS_HASH_HEX])
{
    uint8_t r[32];
    randombytes_buf(r, sizeof(r));
    sodium_bin2base64(secret, CALLS_SECRET_LEN, r, sizeof(r),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(r, sizeof(r));
    keys_hash(k->secret, secret, strlen(secret), hash);
}

void calls_material_clear(struct calls_material *pm)
{
    dtls_id_free(&pm->dtls);
    creds_clear(&pm->creds);
    sodium_memzero(pm, sizeof(*pm));
}

/* The party's relay, from the fleet if it announces any. */
static int material_relay(struct calls *c, bool split, const char *avoid, struct calls_material *pm,
                          char *err, size_t errlen)
{
    if (c->fleet != NULL && fleet_refresh(c->fleet) != 0)
        return calls_fail(err, errlen, BROKER_EDOWN, "the state store is unreachable");
    if (c->fleet == NULL || c->fleet->n == 0) {
        if (split)
            return calls_fail(err, errlen, BROKER_ENORELAY,
                              "split_relays: no live relay fleet with operator labels, so the "
                              "parties cannot be put on relays of different operators");
        return 0;
    }
    if (split && avoid == NULL && fleet_operators(c->fleet) < 2)
        return calls_fail(err, errlen, BROKER_ENORELAY,
                          "split_relays: the live relays all belong to one operator, so the "
                          "parties cannot be put on relays of different operators");
    if (fleet_pick(c->fleet, split ? avoid : NULL, &pm->relay) != 0)
        return calls_fail(err, errlen, BROKER_ENORELAY,
                          "split_relays: no live relay of an operator other than the caller's");
    pm->from_fleet = true;
    return 0;
}

/* The party's secret, TURN credentials and, for native clients, a DTLS
 * identity whose fingerprint hash is recorded so no other call or party
 * may present it. The TURN username seals the call id and party (no
 * pseudonym), different for each party and call whatever the policy, so
 * the path and the relays cannot link two parties or two calls by it. */
int calls_material_make(struct calls *c, const char *id, enum calls_party p, bool native,
                        bool split, const char *avoid_op, struct calls_material *pm, char *err,
                        size_t errlen)
{
    int rc;
    memset(pm, 0, sizeof(*pm));
    rc = material_relay(c, split, avoid_op, pm, err, errlen);
    if (rc != 0)
        return rc;
    material_new_secret(c->keys, pm->secret, pm->sec_hash);
    if (creds_make(c->secrets, c->cfg->credential_ttl, (int64_t)time(NULL), id,
                   p == CALLS_CALLER ? TURN_REST_CALLER : TURN_REST_CALLEE, &pm->creds) != 0)
        return calls_fail(err, errlen, BROKER_EINTERNAL, "cannot make TURN credentials");
    if (native) {
        if (dtls_pool_take(c->pool, &pm->dtls, err, errlen) != 0)
            return BROKER_EINTERNAL;
        pm->native = true;
        calls_record_fp_key(c, pm->dtls.fingerprint, id, p, pm->fp_key, pm->fp_owner);
    }
    return 0;
}

json_t *calls_material_json(const struct calls *c, const struct calls_material *pm,
                            const char *cname, bool relay_only, enum calls_party p)
{
    json_t *urls = json_array(), *o;
    if (pm->from_fleet)
        for (size_t i = 0; i < pm->relay.n_uris; i++)
            json_array_append_new(urls, json_string(pm->relay.uris[i]));
    else
        for (size_t i = 0; i < c->cfg->n_relays; i++)
            json_array_append_new(urls, json_string(c->cfg->relays[i]));
    o = json_pack("{s:s, s:[{s:o, s:s, s:s}], s:s, s:i, s:s}",
                  p == CALLS_CALLER ? "caller_secret" : "callee_secret", pm->secret, "ice_servers",
                  "urls", urls, "username", pm->creds.username, "credential", pm->creds.password,
                  "ice_transport_policy", relay_only ? "relay" : "all", "credential_ttl",
                  (json_int_t)pm->creds.ttl, "cname", cname);
    if (o != NULL && pm->native)
        json_object_set_new(o, "dtls",
                            json_pack("{s:s, s:s, s:s}", "private_key", pm->dtls.key_pem,
                                      "certificate", pm->dtls.cert_pem, "fingerprint",
                                      pm->dtls.fingerprint));
    return o;
}
