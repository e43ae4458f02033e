/* api: the route tables (see api.h). */
#include "api.h"

const struct http_route api_routes[] = {
    {EVHTTP_REQ_POST, "/v1/identities", api_identities_create},
    {EVHTTP_REQ_POST, "/v1/pseudonyms", api_identities_pseudonym},
    {EVHTTP_REQ_GET, "/v1/pending", api_identities_pending},
    {EVHTTP_REQ_POST, "/v1/calls", api_calls_create},
    {EVHTTP_REQ_GET, "/v1/calls/*/events", api_calls_events},
    {EVHTTP_REQ_POST, "/v1/calls/*/accept", api_calls_accept},
    {EVHTTP_REQ_POST, "/v1/calls/*/offer", api_calls_offer},
    {EVHTTP_REQ_POST, "/v1/calls/*/answer", api_calls_answer},
    {EVHTTP_REQ_POST, "/v1/calls/*/candidates", api_calls_candidates},
    {EVHTTP_REQ_DELETE, "/v1/calls/*", api_calls_end},
    {EVHTTP_REQ_GET, "/healthz", api_health_healthz},
    {EVHTTP_REQ_GET, "/demo", api_demo_redirect},
    {EVHTTP_REQ_GET, "/demo/", api_demo_index},
    {EVHTTP_REQ_GET, "/demo/*", api_demo_file},
};
const size_t api_n_routes = sizeof(api_routes) / sizeof(api_routes[0]);

/* metrics-listen: the operator's counters, never on the public listener. */
const struct http_route api_metrics_routes[] = {
    {EVHTTP_REQ_GET, "/metrics", api_health_metrics},
    {EVHTTP_REQ_GET, "/healthz", api_health_healthz},
};
const size_t api_n_metrics_routes = sizeof(api_metrics_routes) / sizeof(api_metrics_routes[0]);
