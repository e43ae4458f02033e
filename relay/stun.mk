# relay/stun.mk: the STUN/TURN codec and TURN authentication, as a library
# the relay and the tools link, with its unit tests and fuzz targets.
noinst_LIBRARIES += relay/libumbra_stun.a
relay_libumbra_stun_a_SOURCES = \
	relay/stun_msg.c relay/stun_msg.h \
	relay/stun_auth.c relay/stun_auth.h \
	relay/stream_frame.c relay/stream_frame.h
relay_libumbra_stun_a_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(ZLIB_CFLAGS) $(SODIUM_CFLAGS)
STUN_LIBS = relay/libumbra_stun.a $(COMMON_LIBS) $(ZLIB_LIBS) $(OPENSSL_LIBS)

check_PROGRAMS += tests/unit/test_stun_msg tests/unit/test_stun_auth
TESTS += tests/unit/test_stun_msg tests/unit/test_stun_auth
tests_unit_test_stun_msg_SOURCES = tests/unit/test_stun_msg.c
tests_unit_test_stun_msg_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) -I$(top_srcdir)/relay
tests_unit_test_stun_msg_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_stun_msg_LDADD = $(STUN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_stun_auth_SOURCES = tests/unit/test_stun_auth.c
tests_unit_test_stun_auth_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(SODIUM_CFLAGS) -I$(top_srcdir)/relay
tests_unit_test_stun_auth_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_stun_auth_LDADD = $(STUN_LIBS) $(CMOCKA_LIBS)

# Fuzz targets (libFuzzer entry points) with a standalone driver, so they
# build with gcc and run under the sanitizers in make check. See
# tests/fuzz/README.md for a real libFuzzer build.
check_PROGRAMS += tests/fuzz/fuzz_stun_msg tests/fuzz/fuzz_channel_data
TESTS += tests/fuzz/run_fuzz.sh
tests_fuzz_fuzz_stun_msg_SOURCES = tests/fuzz/fuzz_stun_msg.c tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_stun_msg_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/relay
tests_fuzz_fuzz_stun_msg_LDADD = $(STUN_LIBS)
tests_fuzz_fuzz_channel_data_SOURCES = tests/fuzz/fuzz_channel_data.c tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_channel_data_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/relay
tests_fuzz_fuzz_channel_data_LDADD = $(STUN_LIBS)
EXTRA_DIST += tests/fuzz/run_fuzz.sh tests/fuzz/README.md tests/fuzz/make_corpus.py tests/fuzz/corpus
