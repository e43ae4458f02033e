/* Unit tests for broker/config: keys, validation, errors naming FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "broker_config.h"

static int set(struct broker_config *c, const char *k, const char *v)
{
    char err[256];
    return broker_config_set(c, k, v, err, sizeof(err));
}

static void test_defaults_need_required_keys(void **state)
{
    struct broker_config c;
    char err[256];
    broker_config_defaults(&c);
    assert_int_equal(c.credential_ttl, 300);
    assert_int_equal(c.listen_port, 8080);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "relay"));
    assert_int_equal(set(&c, "relay", "turn:relay.example:3478?transport=udp"), 0);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "auth-secret-file"));
    assert_int_equal(set(&c, "auth-secret-file", "/etc/umbra/secrets"), 0);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "broker-key-file"));
    assert_int_equal(set(&c, "broker-key-file", "/etc/umbra/broker.key"), 0);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "policy"));
    assert_int_equal(set(&c, "policy", "/etc/umbra/policy.json"), 0);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), 0);
    assert_int_equal(set(&c, "tls-cert", "/etc/umbra/cert.pem"), 0);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), -1); /* key missing */
    assert_int_equal(set(&c, "tls-key", "/etc/umbra/key.pem"), 0);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), 0);
}

static void test_values(void **state)
{
    struct broker_config c;
    broker_config_defaults(&c);
    assert_int_equal(set(&c, "listen", "[::1]:8443"), 0);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(c.listen_port, 8443);
    assert_int_equal(set(&c, "listen", "0.0.0.0:443"), 0);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(set(&c, "listen", "nohost"), -1);
    assert_int_equal(set(&c, "listen", "h:70000"), -1);
    assert_int_equal(set(&c, "redis", "/run/redis.sock"), 0);
    assert_int_equal(c.redis_port, 0);
    assert_int_equal(set(&c, "redis", "10.0.0.2:6380"), 0);
    assert_int_equal(c.redis_port, 6380);
    assert_int_equal(set(&c, "relay", "stun:x:3478"), -1);
    assert_int_equal(set(&c, "relay", "turn:x:3478 y"), -1);
    assert_int_equal(set(&c, "relay", "turns:x:5349?transport=tcp"), 0);
    assert_int_equal(c.n_relays, 1);
    assert_int_equal(set(&c, "credential-ttl", "10"), -1); /* below 30 s */
    assert_int_equal(set(&c, "credential-ttl", "600"), 0);
    assert_int_equal(c.credential_ttl, 600);
    assert_int_equal(set(&c, "max-body", "1k"), -1);
    assert_int_equal(set(&c, "max-body", "8192"), 0);
    assert_int_equal(c.max_body, 8192);
    assert_int_equal(set(&c, "log-level", "loud"), -1);
    assert_int_equal(set(&c, "log-level", "debug"), 0);
    assert_int_equal(set(&c, "colour", "blue"), -1);
    for (int i = 0; i < CONFIG_MAX_RELAYS - 1; i++)
        assert_int_equal(set(&c, "relay", "turn:r:3478"), 0);
    assert_int_equal(set(&c, "relay", "turn:r:3478"), -1); /* list full */
    assert_int_equal(c.fleet_cache_ms, 1000);
    assert_int_equal(set(&c, "fleet-cache-ms", "0"), 0); /* static relays only */
    assert_int_equal(c.fleet_cache_ms, 0);
    assert_int_equal(set(&c, "fleet-cache-ms", "250"), 0);
    assert_int_equal(c.fleet_cache_ms, 250);
    assert_int_equal(set(&c, "fleet-cache-ms", "60001"), -1);
}

/* A string of n copies of c (n < cap). */
static const char *repeat(char *buf, size_t cap, const char *prefix, size_t n)
{
    size_t p = strlen(prefix);
    assert_true(p <= n && n < cap);
    memcpy(buf, prefix, p);
    memset(buf + p, 'a', n - p);
    buf[n] = '\0';
    return buf;
}

/* Every list and string key at its limit N, N+1 and the longest value a
 * line can carry: refused with a reason, never written past its array. */
static void test_limits(void **state)
{
    static char big[1 << 16];
    struct broker_config c;
    char ip[32];
    (void)state;
    broker_config_defaults(&c);
    assert_int_equal(set(&c, "tls-cert", repeat(big, sizeof(big), "/", CONFIG_PATH_MAX - 1)), 0);
    assert_int_equal(strlen(c.tls_cert), CONFIG_PATH_MAX - 1);
    assert_int_equal(set(&c, "tls-cert", repeat(big, sizeof(big), "/", CONFIG_PATH_MAX)), -1);
    assert_int_equal(set(&c, "tls-cert", repeat(big, sizeof(big), "/", sizeof(big) - 1)), -1);
    assert_int_equal(strlen(c.tls_cert), CONFIG_PATH_MAX - 1);
    assert_int_equal(set(&c, "relay", repeat(big, sizeof(big), "turn:", CONFIG_URI_MAX - 1)), 0);
    assert_int_equal(set(&c, "relay", repeat(big, sizeof(big), "turn:", CONFIG_URI_MAX)), -1);
    assert_int_equal(set(&c, "relay", repeat(big, sizeof(big), "turn:", sizeof(big) - 1)), -1);
    assert_int_equal(c.n_relays, 1);
    for (int i = 0; i < CONFIG_MAX_POLICIES; i++)
        assert_int_equal(set(&c, "policy", "/etc/umbra/p.json"), 0);
    assert_int_equal(set(&c, "policy", "/etc/umbra/p.json"), -1);
    assert_int_equal(c.n_policies, CONFIG_MAX_POLICIES);
    for (int i = 0; i < CONFIG_MAX_PROXIES; i++) {
        snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
        assert_int_equal(set(&c, "trusted-proxy", ip), 0);
    }
    assert_int_equal(set(&c, "trusted-proxy", "10.0.1.1"), -1);
    assert_int_equal(set(&c, "proc-user", repeat(big, sizeof(big), "", sizeof(c.proc_user) - 1)),
                     0);
    assert_int_equal(set(&c, "proc-user", repeat(big, sizeof(big), "", sizeof(c.proc_user))), -1);
    assert_int_equal(set(&c, "redis", repeat(big, sizeof(big), "", sizeof(big) - 1)), -1);
    assert_int_equal(set(&c, "listen", repeat(big, sizeof(big), "", sizeof(big) - 1)), -1);
}

static void test_file_errors_name_the_line(void **state)
{
    char path[] = "/tmp/umbra-bconf-XXXXXX", err[512];
    const char *text = "# broker\nlisten = 127.0.0.1:9000\nrelay = turn:r:3478\n"
                       "credential-ttl = forever\n";
    struct broker_config c;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    broker_config_defaults(&c);
    assert_int_equal(conf_load_file(path, broker_config_set, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":4: credential-ttl"));
    assert_int_equal(c.listen_port, 9000); /* earlier lines applied */
    unlink(path);
}

/* The example shipped in contrib/ must load as it is. */
static void test_contrib_example(void **state)
{
    const char *src = getenv("top_srcdir");
    char path[1024], err[512];
    struct broker_config c;
    snprintf(path, sizeof(path), "%s/contrib/umbra-broker.conf", src != NULL ? src : "..");
    broker_config_defaults(&c);
    assert_int_equal(conf_load_file(path, broker_config_set, &c, err, sizeof(err)), 0);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), 0);
    assert_int_equal(c.n_relays, 3);
    assert_int_equal(c.listen_port, 8443);
    assert_true(c.tls_cert[0] != '\0');
    /* The example shows the operator's counters on loopback. */
    assert_string_equal(c.metrics_host, "127.0.0.1");
    assert_int_equal(c.metrics_port, 9642);
}

/* metrics-listen: off by default; HOST:PORT like listen; never the listen
 * address itself. */
static void test_metrics_listen(void **state)
{
    struct broker_config c;
    char err[256];
    broker_config_defaults(&c);
    assert_int_equal(c.metrics_port, 0);
    assert_int_equal(set(&c, "relay", "turn:relay.example:3478?transport=udp"), 0);
    assert_int_equal(set(&c, "auth-secret-file", "/etc/umbra/secrets"), 0);
    assert_int_equal(set(&c, "broker-key-file", "/etc/umbra/broker.key"), 0);
    assert_int_equal(set(&c, "policy", "/etc/umbra/policy.json"), 0);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), 0);
    assert_int_equal(set(&c, "metrics-listen", "nowhere"), -1);
    assert_int_equal(set(&c, "metrics-listen", "127.0.0.1:0"), -1);
    assert_int_equal(set(&c, "metrics-listen", "127.0.0.1:65536"), -1);
    assert_int_equal(set(&c, "metrics-listen", ":9642"), -1);
    assert_int_equal(c.metrics_port, 0); /* refused values change nothing */
    assert_int_equal(set(&c, "metrics-listen", "[::1]:9642"), 0);
    assert_string_equal(c.metrics_host, "::1");
    assert_int_equal(c.metrics_port, 9642);
    assert_int_equal(set(&c, "metrics-listen", "127.0.0.1:65535"), 0);
    assert_int_equal(c.metrics_port, 65535);
    assert_int_equal(set(&c, "metrics-listen", "127.0.0.1:8080"), 0);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), -1); /* = listen */
    assert_non_null(strstr(err, "metrics-listen"));
    assert_int_equal(set(&c, "metrics-listen", "127.0.0.1:8081"), 0);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), 0);
}

/* redis-sentinel and redis-master-name go together. */
static void test_sentinel_keys(void **state)
{
    struct broker_config c;
    char err[256];
    broker_config_defaults(&c);
    assert_int_equal(set(&c, "relay", "turn:relay.example:3478?transport=udp"), 0);
    assert_int_equal(set(&c, "auth-secret-file", "/etc/umbra/secrets"), 0);
    assert_int_equal(set(&c, "broker-key-file", "/etc/umbra/broker.key"), 0);
    assert_int_equal(set(&c, "policy", "/etc/umbra/policy.json"), 0);
    assert_int_equal(set(&c, "redis-sentinel", "s1:26379,s2:26379"), 0);
    assert_int_equal(set(&c, "redis-sentinel", "s3:26379"), 0);
    assert_int_equal(set(&c, "redis-sentinel", "s4"), -1);
    assert_int_equal(c.redis_sentinels.n, 3);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "redis-master-name"));
    assert_int_equal(set(&c, "redis-master-name", "um bra"), -1);
    assert_int_equal(set(&c, "redis-master-name", "umbra"), 0);
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), 0);
    c.redis_sentinels.n = 0;
    assert_int_equal(broker_config_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "redis-sentinel"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_need_required_keys),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_file_errors_name_the_line),
        cmocka_unit_test(test_contrib_example),
        cmocka_unit_test(test_metrics_listen),
        cmocka_unit_test(test_sentinel_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
