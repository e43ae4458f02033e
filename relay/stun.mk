# relay/stun.mk: the STUN/TURN codec and TURN authentication, as a library
# the relay and the tools link, with its unit tests and fuzz targets.
noinst_LIBRARIES += relay/libumbra_stun.a
relay_libumbra_stun_a_SOURCES = \
	relay/stun_msg.c relay/stun_msg.h \
	relay/stun_auth.c relay/stun_auth.h
relay_libumbra_stun_a_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(ZLIB_CFLAGS) $(SODIUM_CFLAGS)
STUN_LIBS = relay/libumbra_stun.a $(COMMON_LIBS) $(ZLIB_LIBS) $(OPENSSL_LIBS)

check_PROGRAMS += tests/unit/test_stun_msg tests/unit/test_stun_auth
TESTS += tests/unit/test_stun_msg tests/unit/test_stun_auth
tests_unit_test_stun_msg_SOURCES = tests/unit/test_stun_msg.c
tests_unit_test_stun_msg_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) -I$(top_srcdir)/relay
tests_unit_test_stun_msg_LDADD = $(STUN_LIBS) $(CMOCKA_LIBS)
tests_unit_test_stun_auth_SOURCES = tests/unit/test_stun_auth.c
tests_unit_test_stun_auth_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(SODIUM_CFLAGS) -I$(top_srcdir)/relay
tests_unit_test_stun_auth_LDADD = $(STUN_LIBS) $(CMOCKA_LIBS)
