/* Unit tests for common/conf: files and flags, and errors that name the line. */
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

struct seen {
    char keys[8][32];
    char values[8][64];
    int n;
};

static int record(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
    struct seen *s = ctx;
    if (strcmp(key, "bad") == 0) {
        snprintf(err, errlen, "not allowed");
        return -1;
    }
    if (s->n == 8)
        return -1;
    snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
    snprintf(s->values[s->n], sizeof(s->values[0]), "%s", value);
    s->n++;
    return 0;
}

static char *write_temp(const char *text)
{
    static char path[64];
    int fd;
    snprintf(path, sizeof(path), "/tmp/umbra-conf-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_file(void **state)
{
    struct seen s = {0};
    char err[256];
    char *path =
        write_temp("# comment\n\nlisten = 127.0.0.1:3478  # trailing\nlisten=[::1]:3478\n");
    assert_int_equal(conf_load_file(path, record, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.keys[0], "listen");
    assert_string_equal(s.values[0], "127.0.0.1:3478");
    assert_string_equal(s.values[1], "[::1]:3478");
    unlink(path);
}

static void test_file_errors_name_line(void **state)
{
    struct seen s = {0};
    char err[256];
    char *path = write_temp("a = 1\nno equals here\n");
    assert_int_equal(conf_load_file(path, record, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2: "));
    unlink(path);
    path = write_temp("a = 1\n\n\nbad = 3\n");
    assert_int_equal(conf_load_file(path, record, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":4: bad: not allowed"));
    unlink(path);
}

static void test_args(void **state)
{
    struct seen s = {0};
    char err[256];
    char *argv[] = {"prog", "-c", "file.conf", "--threads=2", "--strict-expiry", NULL};
    assert_string_equal(conf_config_path(5, argv), "file.conf");
    assert_int_equal(conf_load_args(5, argv, record, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.values[0], "2");
    assert_string_equal(s.values[1], "yes");
    char *bad[] = {"prog", "stray", NULL};
    assert_int_equal(conf_load_args(2, bad, record, &s, err, sizeof(err)), -1);
}

static void test_values(void **state)
{
    char err[128];
    bool b;
    uint64_t u;
    uint16_t lo, hi;
    assert_int_equal(conf_parse_bool("on", &b, err, sizeof(err)), 0);
    assert_true(b);
    assert_int_equal(conf_parse_bool("maybe", &b, err, sizeof(err)), -1);
    assert_int_equal(conf_parse_uint("42", 1, 100, &u, err, sizeof(err)), 0);
    assert_int_equal(u, 42);
    assert_int_equal(conf_parse_uint("420", 1, 100, &u, err, sizeof(err)), -1);
    assert_int_equal(conf_parse_uint("-1", 0, 100, &u, err, sizeof(err)), -1);
    assert_int_equal(conf_parse_port_range("49152-65535", &lo, &hi, err, sizeof(err)), 0);
    assert_int_equal(lo, 49152);
    assert_int_equal(conf_parse_port_range("5-4", &lo, &hi, err, sizeof(err)), -1);
}

/* "# c\nkey = vvv...EOL": a line 2 of exactly len bytes, EOL not counted. */
static char *long_line_file(size_t len, const char *eol)
{
    size_t cap = len + 16;
    char *text = malloc(cap);
    char *path;
    assert_non_null(text);
    snprintf(text, cap, "# c\nkey = ");
    memset(text + 10, 'v', len - 6);
    snprintf(text + 4 + len, cap - 4 - len, "%s", eol);
    path = write_temp(text);
    free(text);
    return path;
}

/* CONF_LINE_MAX bytes with LF, CRLF or no line end are read; one more byte,
 * and a line of a mebibyte, are refused naming the line. */
static void test_line_limit(void **state)
{
    const char *eols[] = {"\n", "\r\n", ""};
    char err[256];
    for (size_t i = 0; i < 3; i++) {
        struct seen s = {0};
        char *path = long_line_file(CONF_LINE_MAX, eols[i]);
        assert_int_equal(conf_load_file(path, record, &s, err, sizeof(err)), 0);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.keys[0], "key");
        unlink(path);
        path = long_line_file(CONF_LINE_MAX + 1, eols[i]);
        assert_int_equal(conf_load_file(path, record, &s, err, sizeof(err)), -1);
        assert_non_null(strstr(err, ":2: line longer than 4096 bytes"));
        unlink(path);
    }
    {
        struct seen s = {0};
        char *path = long_line_file(1 << 20, "\n");
        assert_int_equal(conf_load_file(path, record, &s, err, sizeof(err)), -1);
        assert_non_null(strstr(err, ":2: line longer than 4096 bytes"));
        assert_int_equal(s.n, 0);
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file),       cmocka_unit_test(test_file_errors_name_line),
        cmocka_unit_test(test_args),       cmocka_unit_test(test_values),
        cmocka_unit_test(test_line_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
