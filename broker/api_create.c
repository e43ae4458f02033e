/* api_create: the creation limits as the handlers use them (see api.h). */
#include <stdio.h>
#include <time.h>

#include "api.h"
#include "status.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int api_create_admit(void *arg)
{
    struct api_create *c = arg;
    const struct umbra_addr *client = c->req->has_client ? &c->req->client : NULL;

    if (c->a->create == NULL)
        return 0;
    c->refused = create_limit_take(c->a->create, c->kind, client, now_ms(), &c->retry_after_s);
    return c->refused == 0 ? 0 : BROKER_ELIMITED;
}

void api_create_refuse(const struct api_create *c)
{
    static const char *const what[CREATE_LIMIT_KINDS] = {"identities", "new pseudonym contexts",
                                                         "calls"};
    static const char *const key[CREATE_LIMIT_KINDS] = {"identity", "pseudonym", "call"};
    const struct create_limit_conf *conf = create_limit_conf(c->a->create);
    bool global = c->refused == CREATE_LIMIT_EGLOBAL;
    char value[16], detail[200];

    snprintf(value, sizeof(value), "%u", c->retry_after_s);
    snprintf(detail, sizeof(detail), "more than %u %s a minute %s (%s-%srate); retry in %u s",
             global ? conf->global_per_min[c->kind] : conf->client_per_min[c->kind], what[c->kind],
             global ? "from all clients" : "from this client", key[c->kind],
             global ? "global-" : "", c->retry_after_s);
    evhttp_add_header(evhttp_request_get_output_headers(c->req->ev), "Retry-After", value);
    http_reply_error(c->req->ev, 429, "rate_limited", detail);
}
