# common/: helpers every daemon and tool links.
noinst_LIBRARIES += common/libumbra_common.a
common_libumbra_common_a_SOURCES = \
	common/addr.c common/addr.h \
	common/log.c common/log.h \
	common/conf.c common/conf.h \
	common/conf_table.c common/conf_table.h \
	common/turn_rest.c common/turn_rest.h \
	common/fleet_mac.c common/fleet_mac.h \
	common/tls_server.c common/tls_server.h \
	common/redis_target.c common/redis_target.h \
	common/privs.c common/privs.h \
	common/wipe_alloc.c common/wipe_alloc.h \
	common/rate_bucket.c common/rate_bucket.h \
	common/redis_val.c common/redis_val.h
common_libumbra_common_a_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(HIREDIS_CFLAGS)
COMMON_LIBS = common/libumbra_common.a $(SODIUM_LIBS) $(OPENSSL_LIBS)

check_PROGRAMS += tests/unit/test_addr tests/unit/test_conf tests/unit/test_turn_rest
TESTS += tests/unit/test_addr tests/unit/test_conf tests/unit/test_turn_rest
tests_unit_test_addr_SOURCES = tests/unit/test_addr.c
tests_unit_test_addr_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_addr_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c
tests_unit_test_conf_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_conf_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_turn_rest_SOURCES = tests/unit/test_turn_rest.c
tests_unit_test_turn_rest_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_turn_rest_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)

# Formatting of every C file.
TESTS += tests/style/clang_format.sh
EXTRA_DIST += tests/style/clang_format.sh .clang-format

# Redis master resolution (redis_target): parsers, and resolution against a
# real redis-server in sentinel mode (ports 35101-35104).
check_PROGRAMS += tests/unit/test_redis_target
TESTS += tests/unit/test_redis_target
tests_unit_test_redis_target_SOURCES = tests/unit/test_redis_target.c
tests_unit_test_redis_target_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(HIREDIS_CFLAGS)
tests_unit_test_redis_target_LDADD = $(COMMON_LIBS) $(HIREDIS_LIBS) $(CMOCKA_LIBS)

# Redis replies as plain trees (redis_val): hiredis's reader on protocol
# bytes, every bound at N, N+1 and the largest reply hiredis lets through.
check_PROGRAMS += tests/unit/test_redis_val
TESTS += tests/unit/test_redis_val
tests_unit_test_redis_val_SOURCES = tests/unit/test_redis_val.c
tests_unit_test_redis_val_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(HIREDIS_CFLAGS)
tests_unit_test_redis_val_LDADD = $(COMMON_LIBS) $(HIREDIS_LIBS) $(CMOCKA_LIBS)
