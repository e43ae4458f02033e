# broker/: the SDP sanitizer and per-call DTLS identities, pure modules the
# broker links through SDP_LIBS.
noinst_LIBRARIES += broker/libumbra_sdp.a
broker_libumbra_sdp_a_SOURCES = \
	broker/sdp_sanitize.c broker/sdp_sanitize.h \
	broker/dtls_id.c broker/dtls_id.h
broker_libumbra_sdp_a_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) $(OPENSSL_CFLAGS)
SDP_LIBS = broker/libumbra_sdp.a $(OPENSSL_LIBS) $(SODIUM_LIBS)
