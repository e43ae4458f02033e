/* Unit tests for relay/relay_config: keys, defaults, and errors that name
 * the file and line (or the flag) and change nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "relay_config.h"

static char path[64];

static const char *write_conf(const char *text)
{
    int fd;
    snprintf(path, sizeof(path), "/tmp/umbra-relay-conf-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static int load(struct relay_config *c, const char *text, int argc, char **extra, char *err,
                size_t errlen)
{
    char *argv[16] = {"umbra-relay", "-c", (char *)write_conf(text)};
    int rc;
    for (int i = 0; i < argc; i++)
        argv[3 + i] = extra[i];
    relay_config_init(c);
    rc = relay_config_load(c, 3 + argc, argv, err, errlen);
    unlink(path);
    return rc;
}

static void test_full_file(void **state)
{
    struct relay_config c;
    char err[512] = "";
    char buf[64];
    const char *text = "# a full configuration\n"
                       "listen = 127.0.0.1:20478\n"
                       "listen = [::1]:20478\n"
                       "tls-listen = 127.0.0.1\n"
                       "tls-cert = /etc/cert.pem\n"
                       "tls-key = /etc/key.pem\n"
                       "relay-address = 127.0.0.1\n"
                       "relay-address = ::1\n"
                       "relay-ports = 20500-20599\n"
                       "realm = example.org\n"
                       "auth-secret-file = /etc/secrets\n"
                       "user = alice:pass:with:colons\n"
                       "threads = 3\n"
                       "metrics-listen = 127.0.0.1:20479\n"
                       "log-level = debug\n"
                       "relay-only-peers = no\n"
                       "stun-binding = yes\n"
                       "mapped-address = omit\n"
                       "strict-expiry = yes\n"
                       "redis = localhost:20379\n"
                       "user-quota = 4\n"
                       "revoke-hold = 3600\n"
                       "nonce-lifetime = 30\n";
    assert_int_equal(load(&c, text, 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(c.n_listen, 2);
    assert_int_equal(addr_format(&c.listen[1], buf, sizeof(buf)), 0);
    assert_string_equal(buf, "[::1]:20478");
    assert_int_equal(c.n_tls_listen, 1);
    assert_int_equal(addr_port(&c.tls_listen[0]), 5349);
    assert_int_equal(c.n_relay, 2);
    assert_int_equal(c.relay_port_low, 20500);
    assert_int_equal(c.relay_port_high, 20599);
    assert_string_equal(c.realm, "example.org");
    assert_int_equal(c.n_users, 1);
    assert_string_equal(c.users[0].name, "alice");
    assert_string_equal(c.users[0].password, "pass:with:colons");
    assert_int_equal(c.threads, 3);
    assert_true(c.has_metrics);
    assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
    assert_false(c.relay_only_peers);
    assert_true(c.stun_binding);
    assert_int_equal(c.mapped_address, RELAY_MAPPED_OMIT);
    assert_true(c.strict_expiry);
    assert_string_equal(c.redis_host, "localhost");
    assert_int_equal(c.redis_port, 20379);
    assert_int_equal(c.user_quota, 4);
    assert_int_equal(c.revoke_hold_s, 3600);
    assert_int_equal(c.nonce_lifetime_s, 30);
    relay_config_free(&c);
}

static void test_defaults(void **state)
{
    struct relay_config c;
    char err[512] = "";
    assert_int_equal(load(&c, "relay-address = 192.0.2.1\nuser = a:b\n", 0, NULL, err, sizeof(err)),
                     0);
    assert_int_equal(c.n_listen, 1);
    assert_int_equal(addr_port(&c.listen[0]), 3478);
    assert_int_equal(c.n_tls_listen, 0);
    assert_true(c.relay_only_peers);
    assert_false(c.stun_binding);
    assert_false(c.strict_expiry);
    assert_int_equal(c.mapped_address, RELAY_MAPPED_REAL);
    assert_string_equal(c.realm, "umbra");
    assert_null(c.redis_host);
    assert_int_equal(c.relay_port_low, 49152);
    assert_int_equal(c.relay_port_high, 65535);
    relay_config_free(&c);
}

/* Flags override the file; a flag without a value means yes. */
static void test_flags(void **state)
{
    struct relay_config c;
    char err[512] = "";
    char *extra[] = {"--realm=flag.example", "--stun-binding", "--relay-ports=20000-20010"};
    assert_int_equal(load(&c, "realm = file.example\nrelay-address = 192.0.2.1\nuser = a:b\n", 3,
                          extra, err, sizeof(err)),
                     0);
    assert_string_equal(c.realm, "flag.example");
    assert_true(c.stun_binding);
    assert_int_equal(c.relay_port_low, 20000);
    relay_config_free(&c);
}

/* A repeatable key given as a flag replaces the file's list; repeated
 * flags add to each other. */
static void test_flags_replace_lists(void **state)
{
    struct relay_config c;
    char err[512] = "";
    char buf[64];
    char *extra[] = {"--listen=127.0.0.1:20001", "--listen=127.0.0.1:20002", "--user=bob:b",
                     "--relay-address=127.0.0.2"};
    assert_int_equal(load(&c,
                          "listen = 127.0.0.1:3478\nlisten = 127.0.0.1:3479\n"
                          "relay-address = 192.0.2.1\nuser = a:b\nuser = c:d\n",
                          4, extra, err, sizeof(err)),
                     0);
    assert_int_equal(c.n_listen, 2);
    assert_int_equal(addr_port(&c.listen[0]), 20001);
    assert_int_equal(addr_port(&c.listen[1]), 20002);
    assert_int_equal(c.n_users, 1);
    assert_string_equal(c.users[0].name, "bob");
    assert_int_equal(c.n_relay, 1);
    assert_int_equal(addr_format_ip(&c.relay[0], buf, sizeof(buf)), 0);
    assert_string_equal(buf, "127.0.0.2");
    relay_config_free(&c);
}

struct bad {
    const char *text;
    const char *where; /* expected at the start of the error after the path */
    const char *what;  /* expected somewhere in the error */
};

static const struct bad bads[] = {
    {"user = a:b\nrelay-address = 192.0.2.1\nlisten = nowhere\n", ":3: listen", "IP address"},
    {"user = a:b\n\n# comment\nrelay-ports = 30000-20000\n", ":4: relay-ports", "LOW-HIGH"},
    {"user = a:b\nrelay-only-peers = maybe\n", ":2: relay-only-peers", "yes or no"},
    {"user = a:b\nmapped-address = fake\n", ":2: mapped-address", "real or omit"},
    {"user = a:b\nno-such-key = 1\n", ":2: no-such-key", "unknown key"},
    {"user = nopassword\n", ":1: user", "NAME:PASSWORD"},
    {"user = a:b\nthreads = many\n", ":2: threads", "number"},
    {"user = a:b\nredis = 127.0.0.1\n", ":2: redis", "HOST:PORT"},
    {"user = a:b\nrelay-address = 0.0.0.0\n", ":2: relay-address", "wildcard"},
    {"user = a:b\nlog-level = loud\n", ":2: log-level", "debug"},
    {"user = a:b\njust words\n", ":2:", "key = value"},
    {"user = a:b\nlisten = 127.0.0.1\n", ":2: listen", "PORT"},
};

static void test_bad_lines(void **state)
{
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        struct relay_config c;
        char err[512] = "";
        char want[128];
        assert_int_equal(load(&c, bads[i].text, 0, NULL, err, sizeof(err)), -1);
        snprintf(want, sizeof(want), "%s%s", path, bads[i].where);
        if (strncmp(err, want, strlen(want)) != 0 || strstr(err, bads[i].what) == NULL)
            fail_msg("case %zu: error \"%s\", want \"%s...%s\"", i, err, want, bads[i].what);
        relay_config_free(&c);
    }
}

static void test_bad_flag(void **state)
{
    struct relay_config c;
    char err[512] = "";
    char *extra[] = {"--relay-ports=70000-80000"};
    assert_int_equal(
        load(&c, "user = a:b\nrelay-address = 192.0.2.1\n", 1, extra, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "relay-ports"));
    assert_non_null(strstr(err, "command line"));
    relay_config_free(&c);
}

/* Whole-configuration checks name the keys involved. */
static void test_inconsistent(void **state)
{
    struct relay_config c;
    char err[512] = "";
    assert_int_equal(load(&c, "user = a:b\n", 0, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "relay-address"));
    relay_config_free(&c);
    assert_int_equal(load(&c, "relay-address = 192.0.2.1\n", 0, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "auth-secret-file"));
    relay_config_free(&c);
    assert_int_equal(load(&c, "user = a:b\nrelay-address = 192.0.2.1\ntls-cert = /x\n", 0, NULL,
                          err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "tls-key"));
    relay_config_free(&c);
}

/* The fleet keys: given, derived when redis is set, and refused when bad. */
static void test_fleet_keys(void **state)
{
    struct relay_config c;
    char err[512] = "";
    char host[128], want[160];
    char *flags[] = {"--public-uri=turns:relay.example.org:5349?transport=tcp"};

    assert_int_equal(load(&c,
                          "listen = 127.0.0.2:3478\nuser = a:b\nredis = 127.0.0.1:6379\n"
                          "relay-id = r-1.example:a\noperator = op_b\n"
                          "public-uri = turn:relay.example.org:3478?transport=udp\n"
                          "public-uri = turn:relay.example.org:3478?transport=tcp\n"
                          "fleet-refresh = 1\nfleet-ttl = 3\n",
                          1, flags, err, sizeof(err)),
                     0);
    assert_string_equal(c.relay_id, "r-1.example:a");
    assert_string_equal(c.operator_label, "op_b");
    /* a flag replaces the file's list */
    assert_int_equal(c.n_public_uris, 1);
    assert_string_equal(c.public_uris[0], "turns:relay.example.org:5349?transport=tcp");
    assert_int_equal(c.fleet_refresh_s, 1);
    assert_int_equal(c.fleet_ttl_s, 3);
    relay_config_free(&c);

    /* Derived: hostname-first relayed IP, operator "default", URIs from the
     * listen address; the defaults are 2 s and 6 s. */
    assert_int_equal(load(&c, "listen = 127.0.0.2:3478\nuser = a:b\nredis = 127.0.0.1:6379\n", 0,
                          NULL, err, sizeof(err)),
                     0);
    assert_int_equal(gethostname(host, sizeof(host)), 0);
    host[sizeof(host) - 1] = '\0';
    snprintf(want, sizeof(want), "%.20s-127.0.0.2", host);
    assert_string_equal(c.relay_id, want);
    assert_string_equal(c.operator_label, "default");
    assert_int_equal(c.n_public_uris, 2);
    assert_string_equal(c.public_uris[0], "turn:127.0.0.2:3478?transport=udp");
    assert_string_equal(c.public_uris[1], "turn:127.0.0.2:3478?transport=tcp");
    assert_int_equal(c.fleet_refresh_s, 2);
    assert_int_equal(c.fleet_ttl_s, 6);
    relay_config_free(&c);

    /* Without redis nothing is derived. */
    assert_int_equal(load(&c, "listen = 127.0.0.2:3478\nuser = a:b\n", 0, NULL, err, sizeof(err)),
                     0);
    assert_null(c.relay_id);
    assert_int_equal(c.n_public_uris, 0);
    relay_config_free(&c);

    /* Bad values name the line. */
    assert_int_equal(load(&c, "user = a:b\nrelay-id = has space\n", 0, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2:"));
    relay_config_free(&c);
    assert_int_equal(load(&c, "user = a:b\noperator = \n", 0, NULL, err, sizeof(err)), -1);
    relay_config_free(&c);
    assert_int_equal(load(&c, "user = a:b\npublic-uri = http://x\n", 0, NULL, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "turn:"));
    relay_config_free(&c);
    assert_int_equal(load(&c, "user = a:b\nfleet-ttl = 1\n", 0, NULL, err, sizeof(err)), -1);
    relay_config_free(&c);
    assert_int_equal(load(&c,
                          "listen = 127.0.0.2:3478\nuser = a:b\nredis = 127.0.0.1:6379\n"
                          "fleet-refresh = 5\nfleet-ttl = 5\n",
                          0, NULL, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "fleet-ttl must be longer than fleet-refresh"));
    relay_config_free(&c);
}

/* redis-sentinel: repeatable and comma lists; flags replace the file's
 * list; the master's name is required with it and only with it. */
static void test_sentinel(void **state)
{
    struct relay_config c;
    char err[512] = "";
    char *extra[] = {"--redis-sentinel=10.0.0.9:26379"};
    const char *base = "user = a:b\nrelay-address = 192.0.2.1\n";
    char text[512];

    snprintf(text, sizeof(text),
             "%sredis-sentinel = 10.0.0.1:26379, 10.0.0.2:26379\n"
             "redis-sentinel = [2001:db8::3]:26380\nredis-master-name = umbra\n",
             base);
    assert_int_equal(load(&c, text, 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(c.redis_sentinels.n, 3);
    assert_string_equal(c.redis_sentinels.node[1].host, "10.0.0.2");
    assert_string_equal(c.redis_sentinels.node[2].host, "2001:db8::3");
    assert_int_equal(c.redis_sentinels.node[2].port, 26380);
    assert_string_equal(c.redis_sentinels.master_name, "umbra");
    assert_true(relay_config_uses_redis(&c));
    assert_null(c.redis_host);
    relay_config_free(&c);
    assert_int_equal(load(&c, text, 1, extra, err, sizeof(err)), 0);
    assert_int_equal(c.redis_sentinels.n, 1);
    assert_string_equal(c.redis_sentinels.node[0].host, "10.0.0.9");
    relay_config_free(&c);

    snprintf(text, sizeof(text), "%sredis-sentinel = 10.0.0.1:26379\n", base);
    assert_int_equal(load(&c, text, 0, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "redis-master-name"));
    relay_config_free(&c);
    snprintf(text, sizeof(text), "%sredis-master-name = umbra\n", base);
    assert_int_equal(load(&c, text, 0, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "redis-sentinel"));
    relay_config_free(&c);
    snprintf(text, sizeof(text), "%sredis-sentinel = 10.0.0.1:26379,nope\n", base);
    assert_int_equal(load(&c, text, 0, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":3:"));
    assert_int_equal(c.redis_sentinels.n, 0);
    relay_config_free(&c);
}

/* Repeatable keys hold their documented count (N) and refuse N+1. */
static void test_list_limits(void **state)
{
    static const struct {
        const char *key, *fmt;
        int max;
    } lists[] = {
        {"listen", "127.0.0.%d:3478", RELAY_CONFIG_MAX_LISTEN},
        {"tls-listen", "127.0.0.%d:5349", RELAY_CONFIG_MAX_LISTEN},
        {"relay-address", "192.0.2.%d", RELAY_CONFIG_MAX_LISTEN},
        {"user", "user%d:password", RELAY_CONFIG_MAX_USERS},
        {"public-uri", "turn:192.0.2.%d:3478", RELAY_CONFIG_MAX_URIS},
        {"fleet-networks", "10.%d.0.0/16", FLEET_NET_MAX},
    };
    for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
        struct relay_config c;
        char value[64], err[256] = "";
        relay_config_init(&c);
        for (int i = 1; i <= lists[k].max; i++) {
            snprintf(value, sizeof(value), lists[k].fmt, i);
            if (relay_config_set(&c, lists[k].key, value, err, sizeof(err)) != 0)
                fail_msg("%s #%d refused: %s", lists[k].key, i, err);
        }
        snprintf(value, sizeof(value), lists[k].fmt, lists[k].max + 1);
        assert_int_equal(relay_config_set(&c, lists[k].key, value, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "at most"));
        relay_config_free(&c);
    }
}

/* fleet-networks: IP/BITS with the host bits zero, bits up to the
 * family's width; none by default; flags replace the file's list. */
static void test_fleet_networks(void **state)
{
    static const char *good[] = {"127.0.0.0/8",   "0.0.0.0/0", "192.0.2.1/32",    "10.0.0.0/8",
                                 "2001:db8::/32", "::/0",      "2001:db8::1/128", "192.0.2.128/25"};
    static const char *bad[] = {
        "127.0.0.1/8",    "192.0.2.0/33",   "2001:db8::/129", "127.0.0.0", "127.0.0.0/",
        "127.0.0.0/x",    "127.0.0.0/-1",   "[::1]/128",      "host/8",    "192.0.2.0/24/1",
        "192.0.2.0:5/24", "192.0.2.129/25", "2001:db9::/31"};
    struct relay_config c;
    char err[256];
    struct umbra_addr a;
    relay_config_init(&c);
    assert_int_equal(c.n_fleet_nets, 0);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (relay_config_set(&c, "fleet-networks", good[i], err, sizeof(err)) != 0)
            fail_msg("%s refused: %s", good[i], err);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (relay_config_set(&c, "fleet-networks", bad[i], err, sizeof(err)) != -1)
            fail_msg("%s accepted", bad[i]);
    assert_int_equal(c.n_fleet_nets, sizeof(good) / sizeof(good[0]));
    /* 192.0.2.128/25 covers .128-.255 only. */
    assert_int_equal(addr_parse(&a, "192.0.2.200", 0), 0);
    assert_true(fleet_net_covers(&c.fleet_nets[7], &a));
    assert_int_equal(addr_parse(&a, "192.0.2.127", 0), 0);
    assert_false(fleet_net_covers(&c.fleet_nets[7], &a));
    /* 0.0.0.0/0 and ::/0 admit public space, not loopback or private. */
    assert_int_equal(addr_parse(&a, "198.51.100.1", 0), 0); /* TEST-NET-2: reserved */
    assert_false(fleet_net_admits(&c.fleet_nets[1], 1, &a));
    assert_int_equal(addr_parse(&a, "8.8.8.8", 0), 0);
    assert_true(fleet_net_admits(&c.fleet_nets[1], 1, &a));
    assert_int_equal(addr_parse(&a, "127.0.0.2", 0), 0);
    assert_false(fleet_net_admits(&c.fleet_nets[1], 1, &a));
    assert_true(fleet_net_admits(&c.fleet_nets[0], 1, &a));
    assert_int_equal(addr_parse(&a, "10.1.2.3", 0), 0);
    assert_false(fleet_net_admits(&c.fleet_nets[1], 1, &a));
    assert_true(fleet_net_admits(&c.fleet_nets[3], 1, &a));
    assert_int_equal(addr_parse(&a, "0.0.0.1", 0), 0);
    assert_false(fleet_net_admits(c.fleet_nets, c.n_fleet_nets, &a));
    relay_config_free(&c);
}

/* head, then fill n times, then tail: a heap string. */
static char *repeat(const char *head, const char *fill, size_t n, const char *tail)
{
    size_t hl = strlen(head), fl = strlen(fill), tl = strlen(tail);
    char *s = malloc(hl + n * fl + tl + 1), *p;
    assert_non_null(s);
    memcpy(s, head, hl);
    p = s + hl;
    for (size_t i = 0; i < n; i++, p += fl)
        memcpy(p, fill, fl);
    memcpy(p, tail, tl + 1);
    return s;
}

/* Lengths: N accepted, N+1 and a line of a quarter of CONF_LINE_MAX
 * refused naming line 3. realm counts characters (RFC 8489: fewer than
 * 128). */
static void test_length_limits(void **state)
{
    static const struct {
        const char *key, *head, *fill, *tail;
        size_t max;
    } lens[] = {
        {"realm", "", "r", "", 127},
        {"realm", "", "\xc3\xa9", "", 127},     /* U+00E9, two bytes each */
        {"realm", "", "\xe2\x82\xac", "", 127}, /* U+20AC, three */
        {"relay-id", "", "i", "", RELAY_CONFIG_LABEL_MAX},
        {"operator", "", "o", "", RELAY_CONFIG_LABEL_MAX},
        {"public-uri", "turn:", "u", "", RELAY_CONFIG_URI_MAX - 1 - 5},
        {"user", "", "n", ":password", 127}, /* NAME of NAME:PASSWORD */
        {"user", "name:", "p", "", 127},     /* PASSWORD */
    };
    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        size_t sizes[] = {lens[k].max, lens[k].max + 1, CONF_LINE_MAX / 4};
        for (size_t j = 0; j < 3; j++) {
            struct relay_config c;
            char err[512] = "", head[64];
            char *text;
            int rc;
            snprintf(head, sizeof(head), "relay-address = 192.0.2.1\nuser = a:b\n%s = %s",
                     lens[k].key, lens[k].head);
            text = repeat(head, lens[k].fill, sizes[j], lens[k].tail);
            rc = load(&c, text, 0, NULL, err, sizeof(err));
            free(text);
            if (j == 0 && rc != 0)
                fail_msg("%s of %zu refused: %s", lens[k].key, sizes[j], err);
            if (j > 0 && (rc != -1 || strstr(err, ":3: ") == NULL))
                fail_msg("%s of %zu: rc %d, error \"%s\"", lens[k].key, sizes[j], rc, err);
            relay_config_free(&c);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),     cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_flags),         cmocka_unit_test(test_flags_replace_lists),
        cmocka_unit_test(test_bad_lines),     cmocka_unit_test(test_bad_flag),
        cmocka_unit_test(test_inconsistent),  cmocka_unit_test(test_fleet_keys),
        cmocka_unit_test(test_sentinel),      cmocka_unit_test(test_list_limits),
        cmocka_unit_test(test_length_limits), cmocka_unit_test(test_fleet_networks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
