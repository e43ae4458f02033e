# stun/: the STUN/TURN codec (stun_msg), TURN long-term credentials
# (stun_auth) and TCP/TLS stream framing (stream_frame), as a library of its
# own. umbra-relay, umbra-load and the flood tool link it; it uses only
# common/ (addr, turn_rest) and never includes a header of relay/ or
# contrib/. See stun/README.md.
noinst_LIBRARIES += stun/libumbra_stun.a
stun_libumbra_stun_a_SOURCES = \
	stun/stun_msg.c stun/stun_msg.h \
	stun/stun_auth.c stun/stun_auth.h \
	stun/stream_frame.c stun/stream_frame.h
stun_libumbra_stun_a_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(ZLIB_CFLAGS) $(SODIUM_CFLAGS)
# What a user of the library adds to its CPPFLAGS or CFLAGS, and links.
STUN_CPPFLAGS = -I$(top_srcdir)/stun
STUN_LIBS = stun/libumbra_stun.a $(COMMON_LIBS) $(ZLIB_LIBS) $(OPENSSL_LIBS)
EXTRA_DIST += stun/README.md

# Unit tests (tests/unit/test_stun_*.c, test_stream_frame.c).
STUN_TESTS = tests/unit/test_stun_msg tests/unit/test_stun_auth tests/unit/test_stream_frame
check_PROGRAMS += $(STUN_TESTS)
TESTS += $(STUN_TESTS)
tests_unit_test_stun_msg_SOURCES = tests/unit/test_stun_msg.c
tests_unit_test_stun_msg_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) $(STUN_CPPFLAGS)
tests_unit_test_stun_msg_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_stun_msg_LDADD = $(STUN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_stun_auth_SOURCES = tests/unit/test_stun_auth.c
tests_unit_test_stun_auth_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(SODIUM_CFLAGS) $(STUN_CPPFLAGS)
tests_unit_test_stun_auth_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_stun_auth_LDADD = $(STUN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_stream_frame_SOURCES = tests/unit/test_stream_frame.c
tests_unit_test_stream_frame_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(STUN_CPPFLAGS)
tests_unit_test_stream_frame_LDADD = $(STUN_LIBS) $(CMOCKA_LIBS)

# Fuzz targets (libFuzzer entry points in tests/fuzz/) with a standalone
# driver, so they build with gcc and run under the sanitizers in make
# check (tests/fuzz/run_fuzz.sh, listed in tests/fuzz/local.mk, runs
# every target). Their libFuzzer builds (make fuzz, make fuzz-check) are in
# tests/fuzz/local.mk, from FUZZ_STUN_SRC; see tests/fuzz/README.md.
check_PROGRAMS += tests/fuzz/fuzz_stun_msg tests/fuzz/fuzz_channel_data
tests_fuzz_fuzz_stun_msg_SOURCES = tests/fuzz/fuzz_stun_msg.c tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_stun_msg_CFLAGS = $(AM_CFLAGS) $(STUN_CPPFLAGS)
tests_fuzz_fuzz_stun_msg_LDADD = $(STUN_LIBS)
tests_fuzz_fuzz_channel_data_SOURCES = tests/fuzz/fuzz_channel_data.c tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_channel_data_CFLAGS = $(AM_CFLAGS) $(STUN_CPPFLAGS)
tests_fuzz_fuzz_channel_data_LDADD = $(STUN_LIBS)
