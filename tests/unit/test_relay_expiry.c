/* Unit tests for the relay's expiring state: permissions (relay/permission),
 * channel bindings (relay/channel) and allocations in a worker's table
 * (relay/alloc_table), with a real worker, sockets and relayed ports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <sodium.h>

#include "alloc_table.h"
#include "allocation.h"
#include "channel.h"
#include "datapath.h"
#include "permission.h"
#include "relay_shared.h"
#include "worker.h"

static unsigned char key[ADDR_HASH_KEY_BYTES];

static struct umbra_addr A(const char *text) {
    struct umbra_addr a;
    assert_int_equal(addr_parse(&a, text, 0), 0);
    return a;
}

static void
test_permission_lifetime(void **state)
{
    struct perm_table t;
    struct umbra_addr p = A("203.0.113.5:4000"), same_ip = A("203.0.113.5:9"),
                      other = A("203.0.113.6:4000");
    assert_int_equal(perm_table_init(&t, key), 0);
    assert_false(perm_allows(&t, &p, 100));
    assert_int_equal(perm_install(&t, &p, 100), 1);
    assert_true(perm_allows(&t, &p, 100));
    assert_true(perm_allows(&t, &same_ip, 100)); /* permissions ignore ports */
    assert_false(perm_allows(&t, &other, 100));
    assert_true(perm_allows(&t, &p, 100 + PERM_LIFETIME - 1));
    assert_false(perm_allows(&t, &p, 100 + PERM_LIFETIME));
    /* A refresh extends from the time of the refresh. */
    assert_int_equal(perm_install(&t, &same_ip, 200), 0);
    assert_true(perm_allows(&t, &p, 200 + PERM_LIFETIME - 1));
    assert_int_equal(perm_expire(&t, 200 + PERM_LIFETIME - 1), 0);
    assert_int_equal(perm_count(&t), 1);
    assert_int_equal(perm_expire(&t, 200 + PERM_LIFETIME), 1);
    assert_int_equal(perm_count(&t), 0);
    assert_false(perm_allows(&t, &p, 200));
    perm_table_free(&t);
}

static void test_permission_many(void **state)
{
    struct perm_table t;
    char text[64];
    assert_int_equal(perm_table_init(&t, key), 0);
    for (int i = 0; i < 500; i++) {
        struct umbra_addr a;
        snprintf(text, sizeof(text), "198.51.%d.%d:1", i / 250, i % 250 + 1);
        a = A(text);
        assert_int_equal(perm_install(&t, &a, i), 1);
    }
    assert_int_equal(perm_count(&t), 500);
    /* Installed at 0..499: those installed before 100 have expired at 100 + lifetime. */
    assert_int_equal(perm_expire(&t, 100 + PERM_LIFETIME), 101);
    assert_int_equal(perm_count(&t), 399);
    perm_table_free(&t);
}

static void test_channel_binding(void **state)
{
    struct chan_table t;
    struct umbra_addr p1 = A("203.0.113.5:4000"), p2 = A("203.0.113.5:4001");
    assert_int_equal(chan_table_init(&t, key), 0);
    assert_int_equal(chan_bind(&t, 0x4000, &p1, 0), CHAN_BOUND_NEW);
    assert_int_equal(chan_bind(&t, 0x7FFF, &p2, 0), CHAN_BOUND_NEW);
    assert_non_null(chan_peer(&t, 0x4000, 10));
    assert_true(addr_equal(chan_peer(&t, 0x4000, 10), &p1));
    assert_int_equal(chan_number(&t, &p2, 10), 0x7FFF);
    /* A number or a peer bound elsewhere is a conflict. */
    assert_int_equal(chan_bind(&t, 0x4000, &p2, 10), CHAN_CONFLICT);
    assert_int_equal(chan_bind(&t, 0x4001, &p1, 10), CHAN_CONFLICT);
    assert_int_equal(chan_bind(&t, 0x4000, &p1, 500), CHAN_REFRESHED);
    assert_int_equal(chan_live_count(&t, 500), 2);
    /* p2's binding (made at 0) expires at CHAN_LIFETIME; p1's lives on. */
    assert_int_equal(chan_expire(&t, CHAN_LIFETIME), 1);
    assert_null(chan_peer(&t, 0x7FFF, CHAN_LIFETIME));
    assert_int_equal(chan_number(&t, &p2, CHAN_LIFETIME), 0);
    assert_non_null(chan_peer(&t, 0x4000, CHAN_LIFETIME));
    /* During the cooldown the pair stays locked: re-binding the same pair
     * revives it, other pairings are refused. */
    assert_int_equal(chan_bind(&t, 0x7FFF, &p1, CHAN_LIFETIME + 1), CHAN_CONFLICT);
    assert_int_equal(chan_expire(&t, CHAN_LIFETIME + CHAN_COOLDOWN), 0);
    assert_int_equal(chan_bind(&t, 0x7FFE, &p2, CHAN_LIFETIME + CHAN_COOLDOWN), CHAN_BOUND_NEW);
    assert_int_equal(chan_live_count(&t, CHAN_LIFETIME + CHAN_COOLDOWN), 2);
    assert_int_equal(chan_bind(&t, 0x7FFE, &p2, CHAN_LIFETIME + CHAN_COOLDOWN + 1), CHAN_REFRESHED);
    chan_table_free(&t);
}

/* A worker on loopback with a pool of 8 relayed ports, to put allocations
 * in its table. */
struct rig {
    struct relay_config cfg;
    struct log_ctx log;
    struct relay_shared sh;
    struct worker *w;
};

static int rig_setup(void **state)
{
    struct rig *r = calloc(1, sizeof(*r));
    char err[256];
    assert_non_null(r);
    relay_config_init(&r->cfg);
    assert_int_equal(relay_config_set(&r->cfg, "listen", "127.0.0.1:20950", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(&r->cfg, "user", "u:p", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(&r->cfg, "relay-ports", "20960-20967", err, sizeof(err)), 0);
    /* No quotas, as the allocations below share users and calls. */
    assert_int_equal(relay_config_set(&r->cfg, "max-allocations", "0", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(&r->cfg, "user-quota", "0", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(&r->cfg, "call-quota", "0", err, sizeof(err)), 0);
    assert_int_equal(relay_config_finish(&r->cfg, err, sizeof(err)), 0);
    log_init(&r->log, "test", LOG_LEVEL_ERROR, stderr);
    assert_int_equal(relay_shared_init(&r->sh, &r->cfg, &r->log, NULL, err, sizeof(err)), 0);
    r->w = calloc(1, sizeof(*r->w));
    assert_int_equal(worker_init(r->w, 0, &r->sh, NULL), 0);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    worker_free(r->w);
    free(r->w);
    relay_shared_free(&r->sh);
    log_free(&r->log);
    relay_config_free(&r->cfg);
    free(r);
    return 0;
}

/* An allocation for user; call is the call id its sealed username would
 * carry, or NULL for a plain name. */
static struct allocation *add(struct rig *r, const char *client, const char *user, const char *call,
                              int64_t expires)
{
    struct client_path p = {.transport = &r->w->listener.udp[0].transport};
    struct relay_addr_lease lease;
    struct turn_rest_claims claims = {0};
    uint8_t k[16] = {0};
    struct allocation *a;
    p.client = A(client);
    if (call != NULL) {
        claims.call_id_len = (uint8_t)strlen(call);
        memcpy(claims.call_id, call, claims.call_id_len);
    }
    assert_int_equal(relay_addr_open(r->sh.pool, AF_INET, RELAY_ADDR_ANY_PORT, NULL, 0, &lease),
                     RELAY_ADDR_OK);
    a = allocation_new(&r->w->dp.io, &p, &lease, user, strlen(user), &claims, k, sizeof(k));
    assert_non_null(a);
    a->expires = expires;
    datapath_insert(&r->w->dp, a);
    return a;
}

static void test_alloc_table_sweep(void **state)
{
    struct rig *r = *state;
    struct alloc_table *t = &r->w->dp.allocs;
    struct umbra_addr c1 = A("198.51.100.1:5000"), c2 = A("198.51.100.2:5000"), relayed1;
    struct allocation *a1 = add(r, "198.51.100.1:5000", "1900000000:x", "call-a", 100);
    struct allocation *a2 = add(r, "198.51.100.2:5000", "1900000000:y", "call-b", 200);
    const struct client_transport *via = &r->w->listener.udp[0].transport;
    struct client_transport other = {.udp_fd = -1};

    relayed1 = a1->relayed;
    assert_ptr_equal(alloc_table_find_relayed(t, &relayed1), a1);
    assert_ptr_equal(alloc_table_find_relayed(t, &a2->relayed), a2);
    assert_null(alloc_table_find_relayed(t, &c1));
    assert_ptr_equal(alloc_table_find(t, &c1, via), a1);
    assert_ptr_equal(alloc_table_find(t, &c2, via), a2);
    assert_null(alloc_table_find(t, &c1, &other)); /* other socket */
    assert_int_equal(relay_addr_in_use(r->sh.pool), 2);
    assert_int_equal(relay_addr_contains(r->sh.pool, &relayed1), 1);

    assert_int_equal(perm_install(&a2->perms, &c1, 150), 1);
    metrics_gauge(&r->w->metrics, G_PERMISSIONS, 1); /* as turn_handlers counts it */
    assert_int_equal(datapath_sweep(&r->w->dp, 99), 0);
    assert_int_equal(datapath_sweep(&r->w->dp, 100), 1);
    assert_null(alloc_table_find(t, &c1, via));
    assert_null(alloc_table_find_relayed(t, &relayed1));
    assert_ptr_equal(alloc_table_find(t, &c2, via), a2);
    /* The relayed port went back to the pool and is no longer a valid peer. */
    assert_int_equal(relay_addr_in_use(r->sh.pool), 1);
    assert_int_equal(relay_addr_contains(r->sh.pool, &relayed1), 0);
    /* A live allocation keeps it, but its permission made at 150 is dropped
     * by the sweep at the permission's expiry, and the gauge follows. */
    a2->expires = 10000;
    assert_int_equal(r->w->metrics.g[G_PERMISSIONS], 1);
    assert_int_equal(datapath_sweep(&r->w->dp, 150 + PERM_LIFETIME - 1), 0);
    assert_int_equal(perm_count(&a2->perms), 1);
    assert_int_equal(datapath_sweep(&r->w->dp, 150 + PERM_LIFETIME), 0);
    assert_int_equal(perm_count(&a2->perms), 0);
    assert_int_equal(r->w->metrics.g[G_PERMISSIONS], 0);
    assert_int_equal(datapath_sweep(&r->w->dp, 10000), 1);
    assert_null(alloc_table_find(t, &c2, via));
    assert_int_equal(relay_addr_in_use(r->sh.pool), 0);
    assert_int_equal(r->w->metrics.g[G_ALLOCATIONS], 0);
}

static void test_alloc_table_revoke(void **state)
{
    struct rig *r = *state;
    add(r, "198.51.100.1:5000", "1900000000:x", "call-a", 1000);
    add(r, "198.51.100.2:5000", "1900000000:y", "call-a", 1000);
    add(r, "198.51.100.3:5000", "1900000000:z", "call-ab", 1000);
    add(r, "198.51.100.4:5000", "1900000000:w", "call-b", 1000);
    /* a plain REST name has no call, whatever its text says */
    add(r, "198.51.100.5:5000", "1900000000:call-a:v", NULL, 1000);
    assert_int_equal(datapath_revoke(&r->w->dp, "call-a", 6), 2);
    assert_int_equal(relay_addr_in_use(r->sh.pool), 3);
    assert_int_equal(datapath_revoke(&r->w->dp, "call-a", 6), 0);
    assert_int_equal(datapath_revoke(&r->w->dp, "call", 4), 0);
    assert_int_equal(datapath_revoke(&r->w->dp, "call-b", 6), 1);
    assert_int_equal(datapath_sweep(&r->w->dp, 1000), 2);
    assert_int_equal(relay_addr_in_use(r->sh.pool), 0);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_permission_lifetime),
        cmocka_unit_test(test_permission_many),
        cmocka_unit_test(test_channel_binding),
    };
    const struct CMUnitTest table[] = {
        cmocka_unit_test_setup_teardown(test_alloc_table_sweep, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_alloc_table_revoke, rig_setup, rig_teardown),
    };
    int rc;
    if (sodium_init() < 0)
        return 1;
    evthread_use_pthreads();
    randombytes_buf(key, sizeof(key));
    rc = cmocka_run_group_tests(pure, NULL, NULL);
    rc |= cmocka_run_group_tests(table, NULL, NULL);
    libevent_global_shutdown();
    return rc;
}
