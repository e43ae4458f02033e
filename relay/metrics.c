/* metrics: see metrics.h. */
#include "metrics.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metrics_server {
    struct evhttp *http;
    struct metrics_thread *const *threads;
    size_t n;
};

struct counter_desc {
    const char *name; /* with labels */
    const char *help; /* NULL for the second and later series of a family */
    const char *type;
};

static const struct counter_desc counters[M_COUNTERS] = {
    [M_ALLOCATIONS_TOTAL] = {"umbra_relay_allocations_created_total", "Allocations created.",
                             "counter"},
    [M_PKTS_TO_PEER] = {"umbra_relay_packets_relayed_total{direction=\"to_peer\"}",
                        "Packets relayed.", "counter"},
    [M_PKTS_TO_CLIENT] = {"umbra_relay_packets_relayed_total{direction=\"to_client\"}", NULL, NULL},
    [M_BYTES_TO_PEER] = {"umbra_relay_bytes_relayed_total{direction=\"to_peer\"}",
                         "Application bytes relayed.", "counter"},
    [M_BYTES_TO_CLIENT] = {"umbra_relay_bytes_relayed_total{direction=\"to_client\"}", NULL, NULL},
    [M_AUTH_NO_CREDENTIALS] = {"umbra_relay_auth_failures_total{kind=\"no_credentials\"}",
                               "Authentication failures by kind.", "counter"},
    [M_AUTH_BAD_REQUEST] = {"umbra_relay_auth_failures_total{kind=\"bad_request\"}", NULL, NULL},
    [M_AUTH_STALE_NONCE] = {"umbra_relay_auth_failures_total{kind=\"stale_nonce\"}", NULL, NULL},
    [M_AUTH_EXPIRED] = {"umbra_relay_auth_failures_total{kind=\"expired\"}", NULL, NULL},
    [M_AUTH_WRONG] = {"umbra_relay_auth_failures_total{kind=\"wrong\"}", NULL, NULL},
    [M_AUTH_REVOKED] = {"umbra_relay_auth_failures_total{kind=\"revoked\"}", NULL, NULL},
    [M_AUTH_MISMATCH] = {"umbra_relay_auth_failures_total{kind=\"wrong_user\"}", NULL, NULL},
    [M_DENY_NOT_RELAYED] = {"umbra_relay_policy_denials_total{reason=\"not_relayed\"}",
                            "Peers refused by the peer policy.", "counter"},
    [M_DENY_SCOPE] = {"umbra_relay_policy_denials_total{reason=\"scope\"}", NULL, NULL},
    [M_DENY_UNSPECIFIED] = {"umbra_relay_policy_denials_total{reason=\"unspecified\"}", NULL, NULL},
    [M_DENY_SEND_NO_PERMISSION] =
        {"umbra_relay_policy_denials_total{reason=\"send_no_permission\"}", NULL, NULL},
    [M_DROP_PEER_NO_PERMISSION] = {"umbra_relay_dropped_total{reason=\"peer_no_permission\"}",
                                   "Packets dropped.", "counter"},
    [M_DROP_PEER_NOT_RELAYED] = {"umbra_relay_dropped_total{reason=\"peer_not_relayed\"}", NULL,
                                 NULL},
    [M_DROP_NO_ALLOCATION] = {"umbra_relay_dropped_total{reason=\"no_allocation\"}", NULL, NULL},
    [M_DROP_MALFORMED] = {"umbra_relay_dropped_total{reason=\"malformed\"}", NULL, NULL},
    [M_DROP_CONGESTED] = {"umbra_relay_dropped_total{reason=\"congested\"}", NULL, NULL},
    [M_DROP_BANDWIDTH_TO_PEER] = {"umbra_relay_dropped_total{reason=\"bandwidth_to_peer\"}", NULL,
                                  NULL},
    [M_DROP_BANDWIDTH_TO_CLIENT] = {"umbra_relay_dropped_total{reason=\"bandwidth_to_client\"}",
                                    NULL, NULL},
    [M_BINDING_REFUSED] = {"umbra_relay_binding_refused_total",
                           "STUN Binding requests refused (stun-binding = no).", "counter"},
    [M_ALLOCATE_QUOTA] = {"umbra_relay_allocate_refused_total{reason=\"quota\"}",
                          "Allocate requests refused.", "counter"},
    [M_ALLOCATE_CAPACITY] = {"umbra_relay_allocate_refused_total{reason=\"capacity\"}", NULL, NULL},
    [M_ALLOCATE_CALL_QUOTA] = {"umbra_relay_allocate_refused_total{reason=\"call_quota\"}", NULL,
                               NULL},
    [M_ALLOCATE_MAX] = {"umbra_relay_allocate_refused_total{reason=\"max_allocations\"}", NULL,
                        NULL},
    [M_REVOKED_ALLOCATIONS] = {"umbra_relay_revoked_allocations_total",
                               "Allocations torn down by revocation.", "counter"},
    [M_PEER_PATH_LOCAL] = {"umbra_relay_peer_path_total{path=\"same_worker\"}",
                           "Packets to peers by the way they took.", "counter"},
    [M_PEER_PATH_HANDOFF] = {"umbra_relay_peer_path_total{path=\"handoff\"}", NULL, NULL},
    [M_PEER_PATH_KERNEL] = {"umbra_relay_peer_path_total{path=\"socket\"}", NULL, NULL},
    [M_SEND_CALLS] = {"umbra_relay_udp_send_calls_total",
                      "sendmmsg() and sendto() calls of the packet path's send batches.",
                      "counter"},
    [M_SEND_GSO] = {"umbra_relay_udp_gso_messages_total",
                    "Messages sent as one UDP GSO run of datagrams.", "counter"},
    [M_LIMIT_PERMISSIONS] = {"umbra_relay_limit_refused_total{limit=\"permissions\"}",
                             "Requests refused by a per-allocation limit (508).", "counter"},
    [M_LIMIT_CHANNELS] = {"umbra_relay_limit_refused_total{limit=\"channels\"}", NULL, NULL},
    [M_UNAUTH_LIMITED] = {"umbra_relay_unauth_rate_limited_total",
                          "Unauthenticated requests over unauth-rate, not answered.", "counter"},
    [M_UNAUTH_EVICTED] = {"umbra_relay_unauth_sources_evicted_total",
                          "Sources pushed out of a full unauth-rate table by newer ones.",
                          "counter"},
    [M_FLEET_REJECTED] = {"umbra_relay_fleet_records_rejected_total",
                          "Fleet records refused: unsealed, unparsable or outside fleet-networks.",
                          "counter"},
};

static const struct counter_desc gauges[M_GAUGES] = {
    [G_ALLOCATIONS] = {"umbra_relay_allocations", "Live allocations.", "gauge"},
    [G_PERMISSIONS] = {"umbra_relay_permissions", "Live permissions.", "gauge"},
    [G_CHANNELS] = {"umbra_relay_channels", "Live channel bindings.", "gauge"},
    [G_CONNECTIONS] = {"umbra_relay_stream_connections", "Open TCP and TLS connections.", "gauge"},
    [G_UNAUTH_SOURCES] = {"umbra_relay_unauth_sources",
                          "Sources held in the unauth-rate tables (bounded by unauth-sources).",
                          "gauge"},
};

static int family_of(const char *name, char *out, size_t cap)
{
    size_t n = strcspn(name, "{");
    if (n >= cap)
        return -1;
    memcpy(out, name, n);
    out[n] = '\0';
    return 0;
}

static int put(char *buf, size_t cap, size_t *len, const struct counter_desc *d, long long v,
               int is_unsigned, unsigned long long uv)
{
    char family[128];
    int n;
    if (d->help != NULL) {
        if (family_of(d->name, family, sizeof(family)) != 0)
            return -1;
        n = snprintf(buf + *len, cap - *len, "# HELP %s %s\n# TYPE %s %s\n", family, d->help,
                     family, d->type);
        if (n < 0 || (size_t)n >= cap - *len)
            return -1;
        *len += (size_t)n;
    }
    if (is_unsigned)
        n = snprintf(buf + *len, cap - *len, "%s %llu\n", d->name, uv);
    else
        n = snprintf(buf + *len, cap - *len, "%s %lld\n", d->name, v);
    if (n < 0 || (size_t)n >= cap - *len)
        return -1;
    *len += (size_t)n;
    return 0;
}

int metrics_render(struct metrics_thread *const *threads, size_t n, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return -1;
    buf[0] = '\0';
    for (int id = 0; id < M_COUNTERS; id++) {
        unsigned long long sum = 0;
        for (size_t t = 0; t < n; t++)
            sum += atomic_load_explicit(&threads[t]->c[id], memory_order_relaxed);
        if (put(buf, cap, &len, &counters[id], 0, 1, sum) != 0)
            return -1;
    }
    for (int id = 0; id < M_GAUGES; id++) {
        long long sum = 0;
        for (size_t t = 0; t < n; t++)
            sum += atomic_load_explicit(&threads[t]->g[id], memory_order_relaxed);
        if (put(buf, cap, &len, &gauges[id], sum, 0, 0) != 0)
            return -1;
    }
    return (int)len;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct metrics_server *s = arg;
    char text[16384];
    struct evbuffer *out;
    int len;

    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET ||
        strcmp(evhttp_request_get_uri(req), "/metrics") != 0) {
        evhttp_send_error(req, HTTP_NOTFOUND, NULL);
        return;
    }
    len = metrics_render(s->threads, s->n, text, sizeof(text));
    out = evbuffer_new();
    if (len < 0 || out == NULL) {
        evbuffer_free(out);
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    evbuffer_add(out, text, (size_t)len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4");
    evhttp_send_reply(req, HTTP_OK, "OK", out);
    evbuffer_free(out);
}

struct metrics_server *metrics_server_start(struct event_base *base, const struct umbra_addr *addr,
                                            struct metrics_thread *const *threads, size_t n)
{
    struct metrics_server *s = calloc(1, sizeof(*s));
    char ip[INET6_ADDRSTRLEN];
    if (s == NULL)
        return NULL;
    s->threads = threads;
    s->n = n;
    s->http = evhttp_new(base);
    if (s->http == NULL || addr_format_ip(addr, ip, sizeof(ip)) != 0 ||
        evhttp_bind_socket(s->http, ip, addr_port(addr)) != 0) {
        metrics_server_free(s);
        return NULL;
    }
    evhttp_set_gencb(s->http, on_request, s);
    return s;
}

void metrics_server_free(struct metrics_server *s)
{
    if (s == NULL)
        return;
    if (s->http != NULL)
        evhttp_free(s->http);
    free(s);
}
