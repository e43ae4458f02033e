/* Unit tests for common/redis_target: the config parsers, and resolution
 * against a real redis-server in sentinel mode (port 35101) next to a
 * sentinel that accepts connections and never answers (port 35102), and a
 * plain Redis that does not know SENTINEL (port 35103). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "redis_target.h"

#define SENTINEL_PORT 35101
#define SILENT_PORT 35102
#define PLAIN_PORT 35103
#define MONITORED_PORT 35104 /* the master the sentinel was told about; never started */

static struct log_ctx test_log;
static pid_t sentinel_pid, plain_pid;
static int silent_fd = -1;
static char conf_path[64];

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pid_t spawn(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static int setup(void **state)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(SILENT_PORT)};
    char port[8];
    FILE *f;
    int one = 1;

    log_init(&test_log, "test", LOG_LEVEL_ERROR, stderr);
    snprintf(conf_path, sizeof(conf_path), "/tmp/umbra-test-sentinel-%d.conf", (int)getpid());
    f = fopen(conf_path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "port %d\nbind 127.0.0.1\ndir /tmp\nsentinel monitor m1 127.0.0.1 %d 1\n",
            SENTINEL_PORT, MONITORED_PORT);
    fclose(f);
    sentinel_pid = spawn((char *[]){"redis-server", conf_path, "--sentinel", NULL});
    snprintf(port, sizeof(port), "%d", PLAIN_PORT);
    plain_pid = spawn((char *[]){"redis-server", "--port", port, "--bind", "127.0.0.1", "--save",
                                 "", "--appendonly", "no", "--dir", "/tmp", NULL});
    /* Accepts (the kernel completes the handshake) and never says a word. */
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    silent_fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(silent_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (silent_fd < 0 || bind(silent_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(silent_fd, 16) != 0)
        return -1;
    sleep_ms(400);
    return sentinel_pid > 0 && plain_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    if (sentinel_pid > 0) {
        kill(sentinel_pid, SIGTERM);
        waitpid(sentinel_pid, NULL, 0);
    }
    if (plain_pid > 0) {
        kill(plain_pid, SIGTERM);
        waitpid(plain_pid, NULL, 0);
    }
    if (silent_fd >= 0)
        close(silent_fd);
    unlink(conf_path);
    log_free(&test_log);
    return 0;
}

static void test_parse_lists(void **state)
{
    struct redis_sentinels s = {0};
    char err[128];

    assert_int_equal(redis_target_add_sentinels(&s, "10.0.0.1:26379", err, sizeof(err)), 0);
    assert_int_equal(
        redis_target_add_sentinels(&s, " a.example:1 ,[::1]:26380,b:65535 ", err, sizeof(err)), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.node[0].host, "10.0.0.1");
    assert_int_equal(s.node[0].port, 26379);
    assert_string_equal(s.node[1].host, "a.example");
    assert_int_equal(s.node[1].port, 1);
    assert_string_equal(s.node[2].host, "::1");
    assert_int_equal(s.node[2].port, 26380);
    assert_string_equal(s.node[3].host, "b");
    assert_int_equal(s.node[3].port, 65535);
}

static void test_parse_errors_change_nothing(void **state)
{
    const char *bad[] = {"",         "host",    "host:",      ":26379", "host:0", "h:1,",
                         "h:1,,h:2", "h:70000", "[::1]26379", "[::1",   "h:1x",   "ok:1,broken"};
    struct redis_sentinels s = {0};
    char err[128];

    assert_int_equal(redis_target_add_sentinels(&s, "keep:1", err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_not_equal(redis_target_add_sentinels(&s, bad[i], err, sizeof(err)), 0);
        assert_true(err[0] != '\0');
        assert_int_equal(s.n, 1);
    }
    assert_int_equal(
        redis_target_add_sentinels(&s, "a:1,b:2,c:3,d:4,e:5,f:6,g:7", err, sizeof(err)), 0);
    assert_int_equal(s.n, REDIS_TARGET_MAX_SENTINELS);
    assert_int_not_equal(redis_target_add_sentinels(&s, "h:8", err, sizeof(err)), 0);
    assert_non_null(strstr(err, "more than"));
}

static void test_name_and_check(void **state)
{
    struct redis_sentinels s = {0};
    char err[128];

    assert_int_equal(redis_target_check(&s, err, sizeof(err)), 0);
    assert_int_not_equal(redis_target_set_name(&s, "my master", err, sizeof(err)), 0);
    assert_int_not_equal(redis_target_set_name(&s, "", err, sizeof(err)), 0);
    assert_string_equal(s.master_name, "");
    assert_int_equal(redis_target_set_name(&s, "umbra-1.main_x", err, sizeof(err)), 0);
    assert_int_not_equal(redis_target_check(&s, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "redis-sentinel"));
    assert_int_equal(redis_target_add_sentinels(&s, "h:1", err, sizeof(err)), 0);
    assert_int_equal(redis_target_check(&s, err, sizeof(err)), 0);
    s.master_name[0] = '\0';
    assert_int_not_equal(redis_target_check(&s, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "redis-master-name"));
}

static void test_fixed_needs_no_io(void **state)
{
    struct redis_target t;
    struct redis_node n;
    redis_target_init(&t, "/run/redis.sock", 0, NULL, true, &test_log);
    assert_false(redis_target_uses_sentinels(&t));
    assert_int_equal(redis_target_resolve(&t, 10, &n), 0);
    assert_string_equal(n.host, "/run/redis.sock");
    assert_int_equal(n.port, 0);
}

static struct redis_target sentinel_target(const char *list, bool verify)
{
    struct redis_sentinels s = {0};
    struct redis_target t;
    char err[128];
    assert_int_equal(redis_target_add_sentinels(&s, list, err, sizeof(err)), 0);
    assert_int_equal(redis_target_set_name(&s, "m1", err, sizeof(err)), 0);
    redis_target_init(&t, "127.0.0.1", 1, &s, verify, &test_log);
    return t;
}

/* A silent sentinel and one that is no sentinel come first: the real one
 * still answers within the budget, because each gets only its share. */
static void test_resolve_skips_silent_and_wrong(void **state)
{
    struct redis_target t =
        sentinel_target("127.0.0.1:35102,127.0.0.1:35103,127.0.0.1:35101", false);
    struct redis_node n;
    long long t0 = now_ms();

    assert_int_equal(redis_target_resolve(&t, 600, &n), 0);
    assert_true(now_ms() - t0 < 600 + 400);
    assert_string_equal(n.host, "127.0.0.1");
    assert_int_equal(n.port, MONITORED_PORT);
    /* The one that answered is asked first next time. */
    assert_int_equal(t.first, 2);
    assert_int_equal(redis_target_resolve(&t, 600, &n), 0);
    assert_int_equal(t.first, 2);
}

/* The named master is down: with verify_role nobody is taken. */
static void test_resolve_verifies_role(void **state)
{
    struct redis_target t = sentinel_target("127.0.0.1:35101", true);
    struct redis_node n = {{0}, 0};
    assert_int_equal(redis_target_resolve(&t, 300, &n), REDIS_TARGET_ENONE);
    assert_int_equal(n.port, 0);
}

/* Only silent sentinels: the budget bounds the whole round. */
static void test_resolve_bounded(void **state)
{
    struct redis_target t =
        sentinel_target("127.0.0.1:35102,127.0.0.1:35102,127.0.0.1:35102", false);
    struct redis_node n;
    long long t0 = now_ms();
    assert_int_equal(redis_target_resolve(&t, 300, &n), REDIS_TARGET_ENONE);
    assert_true(now_ms() - t0 < 300 + 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_lists),
        cmocka_unit_test(test_parse_errors_change_nothing),
        cmocka_unit_test(test_name_and_check),
        cmocka_unit_test(test_fixed_needs_no_io),
        cmocka_unit_test(test_resolve_skips_silent_and_wrong),
        cmocka_unit_test(test_resolve_verifies_role),
        cmocka_unit_test(test_resolve_bounded),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
