# contrib/load/: umbra-load, the load generator (see umbra-load.1). Its
# modules form a library so the unit tests link the very same code.
noinst_LIBRARIES += contrib/load/libumbra_load.a
contrib_load_libumbra_load_a_SOURCES = \
	contrib/load/load_config.c contrib/load/load_config.h \
	contrib/load/load_turn.c contrib/load/load_turn.h \
	contrib/load/load_conn.c contrib/load/load_conn.h \
	contrib/load/load_call.c contrib/load/load_call.h \
	contrib/load/load_worker.c contrib/load/load_worker.h \
	contrib/load/load_srtp.c contrib/load/load_srtp.h \
	contrib/load/load_stats.c contrib/load/load_stats.h \
	contrib/load/load_report.c contrib/load/load_report.h \
	contrib/load/load_plot.c contrib/load/load_plot.h \
	contrib/load/load_proc.c contrib/load/load_proc.h \
	contrib/load/load_http.c contrib/load/load_http.h \
	contrib/load/load_sdp.c contrib/load/load_sdp.h \
	contrib/load/load_dtls.c contrib/load/load_dtls.h \
	contrib/load/load_broker.c contrib/load/load_broker.h \
	contrib/load/load_clock.h contrib/load/load_raw.h
LOAD_CPPFLAGS = $(AM_CPPFLAGS) $(STUN_CPPFLAGS) -I$(top_srcdir)/contrib/load
contrib_load_libumbra_load_a_CPPFLAGS = $(LOAD_CPPFLAGS)
contrib_load_libumbra_load_a_CFLAGS = $(AM_CFLAGS) $(SRTP_CFLAGS) $(OPENSSL_CFLAGS) $(SODIUM_CFLAGS) \
	$(JANSSON_CFLAGS)
LOAD_LIBS = contrib/load/libumbra_load.a $(STUN_LIBS) $(COMMON_LIBS) $(SRTP_LIBS) $(JANSSON_LIBS) -lm

bin_PROGRAMS += contrib/load/umbra-load
dist_man_MANS += contrib/load/umbra-load.1
contrib_load_umbra_load_SOURCES = contrib/load/load_main.c
contrib_load_umbra_load_CPPFLAGS = $(LOAD_CPPFLAGS)
contrib_load_umbra_load_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
contrib_load_umbra_load_LDADD = $(LOAD_LIBS)

check_PROGRAMS += tests/unit/test_load_stats tests/unit/test_load_turn tests/unit/test_load_dtls \
	tests/unit/test_load_sdp
TESTS += tests/unit/test_load_stats tests/unit/test_load_turn tests/unit/test_load_dtls \
	tests/unit/test_load_sdp
tests_unit_test_load_stats_SOURCES = tests/unit/test_load_stats.c
tests_unit_test_load_stats_CPPFLAGS = $(LOAD_CPPFLAGS)
tests_unit_test_load_stats_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_load_stats_LDADD = $(LOAD_LIBS) $(CMOCKA_LIBS)
tests_unit_test_load_turn_SOURCES = tests/unit/test_load_turn.c
tests_unit_test_load_turn_CPPFLAGS = $(LOAD_CPPFLAGS)
tests_unit_test_load_turn_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_load_turn_LDADD = $(LOAD_LIBS) $(CMOCKA_LIBS)

tests_unit_test_load_dtls_SOURCES = tests/unit/test_load_dtls.c
tests_unit_test_load_dtls_CPPFLAGS = $(LOAD_CPPFLAGS)
tests_unit_test_load_dtls_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_load_dtls_LDADD = $(LOAD_LIBS) $(CMOCKA_LIBS)
tests_unit_test_load_sdp_SOURCES = tests/unit/test_load_sdp.c
tests_unit_test_load_sdp_CPPFLAGS = $(LOAD_CPPFLAGS)
tests_unit_test_load_sdp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_load_sdp_LDADD = $(LOAD_LIBS) $(CMOCKA_LIBS)

# Runs against a real umbra-relay, coturn's turnserver and bench/forwarder;
# and --broker through a real umbra-broker, redis-server and umbra-relay.
TESTS += tests/load/test_umbra_load.sh tests/load/test_umbra_load_broker.sh
EXTRA_DIST += tests/load/test_umbra_load.sh tests/load/test_umbra_load_broker.sh \
	tests/load/test_umbra_load_broker.py
