# broker/: the SDP sanitizer and per-call DTLS identities, pure modules the
# broker links through SDP_LIBS.
noinst_LIBRARIES += broker/libumbra_sdp.a
broker_libumbra_sdp_a_SOURCES = \
	broker/sdp_sanitize.c broker/sdp_sanitize.h \
	broker/dtls_id.c broker/dtls_id.h
broker_libumbra_sdp_a_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(OPENSSL_CFLAGS)
SDP_LIBS = broker/libumbra_sdp.a $(OPENSSL_LIBS) $(SODIUM_LIBS)

# Unit tests. The fixtures are SDP in the exact forms browsers write.
SDP_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/broker \
	-DSDP_FIXTURE_DIR='"$(abs_top_srcdir)/tests/fixtures/sdp"'
check_PROGRAMS += tests/unit/test_sdp_sanitize tests/unit/test_dtls_id tests/fuzz/fuzz_sdp
TESTS += tests/unit/test_sdp_sanitize tests/unit/test_dtls_id tests/fuzz/fuzz_sdp
tests_unit_test_sdp_sanitize_SOURCES = tests/unit/test_sdp_sanitize.c
tests_unit_test_sdp_sanitize_CPPFLAGS = $(SDP_TEST_CPPFLAGS)
tests_unit_test_sdp_sanitize_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_sdp_sanitize_LDADD = $(SDP_LIBS) $(CMOCKA_LIBS)
tests_unit_test_dtls_id_SOURCES = tests/unit/test_dtls_id.c
tests_unit_test_dtls_id_CPPFLAGS = $(SDP_TEST_CPPFLAGS)
tests_unit_test_dtls_id_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(SODIUM_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_dtls_id_LDADD = $(SDP_LIBS) $(CMOCKA_LIBS)

# The fuzz target: with libFuzzer (clang -fsanitize=fuzzer -DFUZZ_SDP_LIBFUZZER) it
# is only LLVMFuzzerTestOneInput; in make check its own driver runs the
# fixtures and seeded random mutations of them.
tests_fuzz_fuzz_sdp_SOURCES = tests/fuzz/fuzz_sdp.c
tests_fuzz_fuzz_sdp_CPPFLAGS = $(SDP_TEST_CPPFLAGS)
tests_fuzz_fuzz_sdp_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
tests_fuzz_fuzz_sdp_LDADD = $(SDP_LIBS)

# Real Chromium parses what the sanitizer writes (SKIP without chromium).
check_PROGRAMS += tests/unit/sdp_sanitize_cli
TESTS += tests/unit/test_sdp_chromium.sh
tests_unit_sdp_sanitize_cli_SOURCES = tests/unit/sdp_sanitize_cli.c
tests_unit_sdp_sanitize_cli_CPPFLAGS = $(SDP_TEST_CPPFLAGS)
tests_unit_sdp_sanitize_cli_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_sdp_sanitize_cli_LDADD = $(SDP_LIBS)

EXTRA_DIST += tests/fixtures/sdp tests/unit/test_sdp_chromium.sh tests/unit/sdp_chromium.py
