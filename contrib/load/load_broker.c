/* load_broker: see load_broker.h. */
#include "load_broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "load_http.h"

#define LOAD_BROKER_BODY 65536

/* One request; parses the JSON reply and checks the status. */
static json_t *call_api(struct load_broker *b, const char *method, const char *path,
                        const char *bearer, json_t *body, int want, char *err, size_t errlen)
{
    char *req = body ? json_dumps(body, JSON_COMPACT) : NULL;
    char *resp = malloc(LOAD_BROKER_BODY);
    json_t *j = NULL;
    int status = 0;

    if (resp == NULL || (body != NULL && req == NULL))
        snprintf(err, errlen, "broker: out of memory");
    else if (load_http_request(&b->addr, method, path, bearer, req, &status, resp, LOAD_BROKER_BODY,
                               err, errlen) == 0) {
        if (status != want)
            snprintf(err, errlen, "broker: %s %.40s... answered %d: %.200s", method, path, status,
                     resp);
        else if ((j = json_loads(resp, 0, NULL)) == NULL)
            snprintf(err, errlen, "broker: %s answered with malformed JSON", method);
    }
    if (req != NULL) {
        sodium_memzero(req, strlen(req));
        free(req);
    }
    if (resp != NULL) {
        sodium_memzero(resp, LOAD_BROKER_BODY);
        free(resp);
    }
    json_decref(body);
    return j;
}

static int copy_str(json_t *obj, const char *key, char *dst, size_t cap)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (s == NULL || strlen(s) >= cap)
        return -1;
    strcpy(dst, s);
    return 0;
}

int load_broker_init(struct load_broker *b, const struct umbra_addr *addr, char *err, size_t errlen)
{
    char *tok[2] = {b->caller_token, b->callee_token};
    memset(b, 0, sizeof(*b));
    b->addr = *addr;
    for (int i = 0; i < 2; i++) {
        json_t *j = call_api(b, "POST", "/v1/identities", NULL, NULL, 201, err, errlen);
        int rc = j ? copy_str(j, "token", tok[i], sizeof(b->caller_token)) : -1;
        json_decref(j);
        if (rc != 0) {
            if (j != NULL)
                snprintf(err, errlen, "broker: identity reply without a token");
            return -1;
        }
    }
    return 0;
}

void load_broker_clear(struct load_broker *b)
{
    sodium_memzero(b, sizeof(*b));
}

/* TURN credentials, CNAME and DTLS identity from a create or accept reply. */
static int take_party(json_t *j, struct load_broker_party *p)
{
    json_t *ice = json_array_get(json_object_get(j, "ice_servers"), 0);
    json_t *dtls = json_object_get(j, "dtls");
    const char *fp = json_string_value(json_object_get(dtls, "fingerprint"));
    const char *key = json_string_value(json_object_get(dtls, "private_key"));
    const char *cert = json_string_value(json_object_get(dtls, "certificate"));

    if (copy_str(ice, "username", p->username, sizeof(p->username)) != 0 ||
        copy_str(ice, "credential", p->password, sizeof(p->password)) != 0 ||
        copy_str(j, "cname", p->cname, sizeof(p->cname)) != 0 || fp == NULL || key == NULL ||
        cert == NULL || strncmp(fp, "sha-256 ", 8) != 0 || strlen(fp + 8) >= sizeof(p->fingerprint))
        return -1;
    strcpy(p->fingerprint, fp + 8);
    p->key_pem = strdup(key);
    p->cert_pem = strdup(cert);
    return p->key_pem && p->cert_pem ? 0 : -1;
}

int load_broker_call_create(struct load_broker *b, unsigned index, struct load_broker_call *c,
                            char *err, size_t errlen)
{
    char path[256], ctx[64], pn[128];
    json_t *j;
    int rc;

    memset(c, 0, sizeof(*c));
    snprintf(ctx, sizeof(ctx), "load-%u", index);
    j = call_api(b, "POST", "/v1/pseudonyms", b->callee_token, json_pack("{s:s}", "context", ctx),
                 200, err, errlen);
    rc = j ? copy_str(j, "pseudonym", pn, sizeof(pn)) : -1;
    json_decref(j);
    if (rc != 0)
        return -1;

    j = call_api(b, "POST", "/v1/calls", NULL,
                 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "caller", b->caller_token,
                           "callee", pn, "service", "contact-list", "call_model", "single-cs",
                           "destination", "trusted", "caller_state", "pseudonymous", "native", 1),
                 201, err, errlen);
    rc = j ? 0 : -1;
    if (j != NULL &&
        (copy_str(j, "call_id", c->id, sizeof(c->id)) != 0 ||
         copy_str(j, "caller_secret", c->party[0].secret, sizeof(c->party[0].secret)) != 0 ||
         take_party(j, &c->party[0]) != 0)) {
        snprintf(err, errlen, "broker: call reply lacks credentials or a DTLS identity");
        rc = -1;
    }
    json_decref(j);
    if (rc != 0)
        return -1;

    snprintf(path, sizeof(path), "/v1/calls/%s/accept", c->id);
    j = call_api(b, "POST", path, b->callee_token, json_pack("{s:b}", "native", 1), 200, err,
                 errlen);
    rc = j ? 0 : -1;
    if (j != NULL &&
        (copy_str(j, "callee_secret", c->party[1].secret, sizeof(c->party[1].secret)) != 0 ||
         take_party(j, &c->party[1]) != 0)) {
        snprintf(err, errlen, "broker: accept reply lacks credentials or a DTLS identity");
        rc = -1;
    }
    json_decref(j);
    return rc;
}

/* The SDP of the first event of that type waiting for party. */
static int read_event_sdp(struct load_broker *b, struct load_broker_call *c, int party,
                          const char *type, struct umbra_addr *seen, char *fp, char *err,
                          size_t errlen)
{
    char path[256];
    json_t *j, *ev;
    size_t i;
    int rc = -1;

    snprintf(path, sizeof(path), "/v1/calls/%s/events?party=%s&since=0&wait=2", c->id,
             party == 0 ? "caller" : "callee");
    j = call_api(b, "GET", path, c->party[party].secret, NULL, 200, err, errlen);
    if (j == NULL)
        return -1;
    json_array_foreach(json_object_get(j, "events"), i, ev)
    {
        const char *t = json_string_value(json_object_get(ev, "type"));
        const char *sdp = json_string_value(json_object_get(ev, "sdp"));
        if (t != NULL && sdp != NULL && strcmp(t, type) == 0) {
            rc = load_sdp_read(sdp, seen, fp, LOAD_SDP_FP_MAX);
            break;
        }
    }
    if (rc != 0)
        snprintf(err, errlen, "broker: no usable %s (relay candidate and fingerprint) for the %s",
                 type, party == 0 ? "caller" : "callee");
    json_decref(j);
    return rc;
}

int load_broker_call_exchange(struct load_broker *b, struct load_broker_call *c,
                              const struct umbra_addr relayed[2], struct umbra_addr seen[2],
                              char fp[2][LOAD_SDP_FP_MAX], char *err, size_t errlen)
{
    static const char *kind[2] = {"offer", "answer"};
    char sdp[LOAD_SDP_MAX], path[256];

    for (int p = 0; p < 2; p++) {
        json_t *j;
        if (load_sdp_build(sdp, sizeof(sdp), p == 0, c->party[p].fingerprint, c->party[p].cname,
                           &relayed[p]) != 0) {
            snprintf(err, errlen, "sdp: cannot build the %s", kind[p]);
            return -1;
        }
        snprintf(path, sizeof(path), "/v1/calls/%s/%s", c->id, kind[p]);
        j = call_api(b, "POST", path, c->party[p].secret, json_pack("{s:s}", "sdp", sdp), 200, err,
                     errlen);
        if (j == NULL)
            return -1;
        json_decref(j);
    }
    /* the caller reads the answer, the callee the offer */
    if (read_event_sdp(b, c, 0, "answer", &seen[0], fp[0], err, errlen) != 0 ||
        read_event_sdp(b, c, 1, "offer", &seen[1], fp[1], err, errlen) != 0)
        return -1;
    return 0;
}

int load_broker_call_end(struct load_broker *b, struct load_broker_call *c)
{
    char path[256], err[256];
    json_t *j;

    if (c->id[0] == '\0')
        return 0;
    snprintf(path, sizeof(path), "/v1/calls/%s", c->id);
    j = call_api(b, "DELETE", path, c->party[0].secret, NULL, 200, err, sizeof(err));
    json_decref(j);
    c->id[0] = '\0';
    return j ? 0 : -1;
}

void load_broker_call_clear(struct load_broker_call *c)
{
    for (int p = 0; p < 2; p++) {
        if (c->party[p].key_pem != NULL) {
            sodium_memzero(c->party[p].key_pem, strlen(c->party[p].key_pem));
            free(c->party[p].key_pem);
        }
        free(c->party[p].cert_pem);
    }
    sodium_memzero(c, sizeof(*c));
}
