/* api_identities: POST /v1/identities, POST /v1/pseudonyms and
 * GET /v1/pending?context=C. The identity token of the last two travels in
 * "Authorization: Bearer", never in the URL (proxies and access logs keep
 * URLs). */
#include <sodium.h>
#include <string.h>

#include "api.h"
#include "api_req.h"
#include "status.h"

void api_identities_create(void *ctx, struct http_req *req)
{
    struct api *a = ctx;
    struct api_create limit = {a, req, CREATE_LIMIT_IDENTITY, 0, 0};
    char token[IDENTITIES_TOKEN_LEN], err[256];
    int rc;

    if (api_req_empty(req->body, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    if (api_create_admit(&limit) != 0) {
        api_create_refuse(&limit);
        return;
    }
    rc = identities_create(a->ids, token);
    if (rc != 0) {
        http_reply_status(req->ev, rc, "cannot create the identity");
        return;
    }
    a->identities_created++;
    http_reply_json(req->ev, 201, json_pack("{s:s}", "token", token));
    sodium_memzero(token, sizeof(token));
}

/* 0 when the request carries a bearer of an identity token's form; else
 * answers 401 (the token is never quoted) and returns -1. */
static int identity_bearer(const struct http_req *req)
{
    if (req->bearer == NULL || req->bearer[0] == '\0') {
        http_reply_error(req->ev, 401, "unauthorized",
                         "missing identity token (Authorization: Bearer)");
        return -1;
    }
    if (!identities_token_valid(req->bearer)) {
        http_reply_error(req->ev, 401, "unauthorized", "the bearer is not an identity token");
        return -1;
    }
    return 0;
}

void api_identities_pseudonym(void *ctx, struct http_req *req)
{
    struct api *a = ctx;
    struct api_create limit = {a, req, CREATE_LIMIT_PSEUDONYM, 0, 0};
    struct identities_admit admit = {api_create_admit, &limit};
    struct api_req_pseudonym q;
    char pn[IDENTITIES_PSEUDONYM_LEN], err[256];
    int rc;

    if (api_req_pseudonym(req->body, &q, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    if (identity_bearer(req) != 0)
        return;
    rc = identities_pseudonym_for(a->ids, req->bearer, q.context, q.rotate, &admit, pn);
    if (rc == BROKER_ELIMITED) {
        api_create_refuse(&limit);
        return;
    }
    if (rc != 0) {
        http_reply_status(req->ev, rc, "unknown identity token");
        return;
    }
    a->pseudonyms_issued++;
    http_reply_json(req->ev, 200, json_pack("{s:s, s:s}", "pseudonym", pn, "context", q.context));
}

void api_identities_pending(void *ctx, struct http_req *req)
{
    static const char *const names[] = {"context"};
    struct api *a = ctx;
    const char *context = evhttp_find_header(&req->query, "context");
    char err[256];
    json_t *out = NULL;
    int rc;

    if (http_check_query(&req->query, names, 1, err, sizeof(err)) != 0 ||
        api_req_empty(req->body, err, sizeof(err)) != 0 ||
        api_req_context(context, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    if (identity_bearer(req) != 0)
        return;
    rc = calls_pending(a->calls, req->bearer, context, &out, err, sizeof(err));
    http_reply_result(req->ev, rc, out, err);
}
