# relay/stun.mk: the STUN/TURN codec and TURN authentication, as a library
# the relay and the tools link, with its unit tests and fuzz targets.
noinst_LIBRARIES += relay/libumbra_stun.a
relay_libumbra_stun_a_SOURCES = \
	relay/stun_msg.c relay/stun_msg.h
relay_libumbra_stun_a_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(ZLIB_CFLAGS) $(SODIUM_CFLAGS)
STUN_LIBS = relay/libumbra_stun.a $(COMMON_LIBS) $(ZLIB_LIBS) $(OPENSSL_LIBS)
