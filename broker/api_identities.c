/* api_identities: POST /v1/identities, POST /v1/identities/{token}/pseudonyms,
 * GET /v1/identities/{token}/calls?context=C. */
#include <sodium.h>
#include <string.h>

#include "api.h"
#include "status.h"

void api_identities_create(void *ctx, struct http_req *req)
{
    struct api *a = ctx;
    char token[IDENTITIES_TOKEN_LEN], err[256];
    int rc;

    if (http_check_fields(req->body, NULL, 0, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
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

static int context_ok(const char *context, char *err, size_t errlen)
{
    size_t n = strlen(context);
    if (n == 0 || n > IDENTITIES_CONTEXT_MAX) {
        snprintf(err, errlen, "context: 1 to %d bytes", IDENTITIES_CONTEXT_MAX);
        return -1;
    }
    return 0;
}

void api_identities_pseudonym(void *ctx, struct http_req *req)
{
    static const struct http_field fields[] = {{"context", "s!"}, {"rotate", "b"}};
    struct api *a = ctx;
    char pn[IDENTITIES_PSEUDONYM_LEN], err[256];
    const char *context;
    int rc;

    if (http_check_fields(req->body, fields, 2, err, sizeof(err)) != 0 ||
        context_ok(json_string_value(json_object_get(req->body, "context")), err, sizeof(err)) !=
            0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    if (!identities_token_valid(req->arg[0])) {
        http_reply_error(req->ev, 404, "not_found", "unknown identity token");
        return;
    }
    context = json_string_value(json_object_get(req->body, "context"));
    rc = identities_pseudonym_for(a->ids, req->arg[0], context,
                                  json_is_true(json_object_get(req->body, "rotate")), pn);
    if (rc != 0) {
        http_reply_status(req->ev, rc, "unknown identity token");
        return;
    }
    a->pseudonyms_issued++;
    http_reply_json(req->ev, 200, json_pack("{s:s, s:s}", "pseudonym", pn, "context", context));
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
        http_check_fields(req->body, NULL, 0, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request", err);
        return;
    }
    if (context == NULL || context_ok(context, err, sizeof(err)) != 0) {
        http_reply_error(req->ev, 400, "invalid_request",
                         context == NULL ? "context: required query parameter" : err);
        return;
    }
    if (!identities_token_valid(req->arg[0])) {
        http_reply_error(req->ev, 404, "not_found", "unknown identity token");
        return;
    }
    rc = calls_pending(a->calls, req->arg[0], context, &out, err, sizeof(err));
    http_reply_result(req->ev, rc, out, err);
}
