/* api_health: GET /healthz (200 when Redis answers, else 503; on both
 * listeners) and GET /metrics (Prometheus text; counts only, never an id
 * or address; on metrics-listen only). */
#include <stdio.h>

#include "api.h"
#include "client_limit.h"

void api_health_healthz(void *ctx, struct http_req *req)
{
    struct api *a = ctx;
    struct redis_val v;
    int rc = store_cmd(a->store, &v, "PING", NULL);
    redis_val_free(&v);
    if (rc != 0)
        http_reply_error(req->ev, 503, "store_unavailable", "the state store is unreachable");
    else
        http_reply_json(req->ev, 200, json_pack("{s:s}", "status", "ok"));
}

void api_health_metrics(void *ctx, struct http_req *req)
{
    struct api *a = ctx;
    const struct calls_metrics *m = &a->calls->m;
    const struct http_metrics *h = http_metrics(a->http);
    const struct client_limit_metrics *cl = http_client_metrics(a->http);
    const struct create_limit_metrics *cr = create_limit_metrics(a->create);
    char text[6144];
    int n = snprintf(
        text, sizeof(text),
        "# TYPE umbra_broker_http_requests_total counter\n"
        "umbra_broker_http_requests_total %llu\n"
        "# TYPE umbra_broker_http_responses_total counter\n"
        "umbra_broker_http_responses_total{class=\"2xx\"} %llu\n"
        "umbra_broker_http_responses_total{class=\"4xx\"} %llu\n"
        "umbra_broker_http_responses_total{class=\"5xx\"} %llu\n"
        "# TYPE umbra_broker_identities_created_total counter\n"
        "umbra_broker_identities_created_total %llu\n"
        "# TYPE umbra_broker_pseudonyms_issued_total counter\n"
        "umbra_broker_pseudonyms_issued_total %llu\n"
        "# TYPE umbra_broker_calls_created_total counter\n"
        "umbra_broker_calls_created_total %llu\n"
        "# TYPE umbra_broker_calls_refused_total counter\n"
        "umbra_broker_calls_refused_total %llu\n"
        "# TYPE umbra_broker_calls_accepted_total counter\n"
        "umbra_broker_calls_accepted_total %llu\n"
        "# TYPE umbra_broker_calls_ended_total counter\n"
        "umbra_broker_calls_ended_total %llu\n"
        "# TYPE umbra_broker_fingerprints_refused_total counter\n"
        "umbra_broker_fingerprints_refused_total %llu\n"
        "# TYPE umbra_broker_sdp_rejected_total counter\n"
        "umbra_broker_sdp_rejected_total %llu\n"
        "# TYPE umbra_broker_candidates_total counter\n"
        "umbra_broker_candidates_total{outcome=\"kept\"} %llu\n"
        "umbra_broker_candidates_total{outcome=\"dropped\"} %llu\n"
        "# TYPE umbra_broker_events_held_total counter\n"
        "umbra_broker_events_held_total %llu\n"
        "# TYPE umbra_broker_long_polls gauge\n"
        "umbra_broker_long_polls %zu\n"
        "# TYPE umbra_broker_dtls_pool_ready gauge\n"
        "umbra_broker_dtls_pool_ready %zu\n"
        "# TYPE umbra_broker_dtls_pool_misses_total counter\n"
        "umbra_broker_dtls_pool_misses_total %llu\n"
        "# TYPE umbra_broker_connections_refused_total counter\n"
        "umbra_broker_connections_refused_total %llu\n"
        "# TYPE umbra_broker_requests_rate_limited_total counter\n"
        "umbra_broker_requests_rate_limited_total %llu\n"
        "# TYPE umbra_broker_client_table_evictions_total counter\n"
        "umbra_broker_client_table_evictions_total %llu\n"
        "# TYPE umbra_broker_client_table_shared_total counter\n"
        "umbra_broker_client_table_shared_total %llu\n"
        "# TYPE umbra_broker_pseudonym_contexts_created_total counter\n"
        "umbra_broker_pseudonym_contexts_created_total %llu\n"
        "# TYPE umbra_broker_creations_refused_total counter\n"
        "umbra_broker_creations_refused_total{kind=\"identity\",limit=\"client\"} %llu\n"
        "umbra_broker_creations_refused_total{kind=\"identity\",limit=\"global\"} %llu\n"
        "umbra_broker_creations_refused_total{kind=\"pseudonym\",limit=\"client\"} %llu\n"
        "umbra_broker_creations_refused_total{kind=\"pseudonym\",limit=\"global\"} %llu\n"
        "umbra_broker_creations_refused_total{kind=\"call\",limit=\"client\"} %llu\n"
        "umbra_broker_creations_refused_total{kind=\"call\",limit=\"global\"} %llu\n",
        h->requests, h->status[2], h->status[4], h->status[5], a->identities_created,
        a->pseudonyms_issued, m->created, m->refused, m->accepted, m->ended, m->fingerprint_refused,
        m->sdp_rejected, m->candidates_kept, m->candidates_dropped, m->events_held,
        api_calls_waiting(a), dtls_pool_ready(a->pool), dtls_pool_misses(a->pool),
        cl->conns_refused, cl->requests_refused, cl->evictions, cl->shared,
        cr->created[CREATE_LIMIT_PSEUDONYM], cr->refused_client[CREATE_LIMIT_IDENTITY],
        cr->refused_global[CREATE_LIMIT_IDENTITY], cr->refused_client[CREATE_LIMIT_PSEUDONYM],
        cr->refused_global[CREATE_LIMIT_PSEUDONYM], cr->refused_client[CREATE_LIMIT_CALL],
        cr->refused_global[CREATE_LIMIT_CALL]);
    if (n < 0 || (size_t)n >= sizeof(text)) {
        http_reply_error(req->ev, 500, "internal", "metrics text too long");
        return;
    }
    http_reply_text(req->ev, 200, "text/plain; version=0.0.4", text);
}
