# broker/: umbra-broker, its unit and integration tests, and its benchmark.
# The sanitizer and DTLS identity live in broker/sdp.mk (SDP_LIBS).
noinst_LIBRARIES += broker/libumbra_broker.a
broker_libumbra_broker_a_SOURCES = \
	broker/config.c broker/config.h \
	broker/keys.c broker/keys.h \
	broker/store.c broker/store.h \
	broker/identities.c broker/identities.h \
	broker/creds.c broker/creds.h \
	broker/cname.c broker/cname.h \
	broker/dtls_pool.c broker/dtls_pool.h \
	broker/calls.c broker/calls.h \
	broker/http.c broker/http.h \
	broker/tls.c broker/tls.h \
	broker/api.c broker/api.h \
	broker/api_identities.c broker/api_calls.c broker/api_health.c broker/api_demo.c \
	broker/status.h
BROKER_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/policy -I$(top_srcdir)/broker $(LIBEVENT_CFLAGS) \
	$(OPENSSL_CFLAGS) $(HIREDIS_CFLAGS) $(SODIUM_CFLAGS) $(JANSSON_CFLAGS)
broker_libumbra_broker_a_CFLAGS = $(BROKER_CFLAGS)
BROKER_LIBS = broker/libumbra_broker.a $(SDP_LIBS) $(POLICY_LIBS) $(COMMON_LIBS) \
	$(LIBEVENT_LIBS) $(OPENSSL_LIBS) $(HIREDIS_LIBS) $(SODIUM_LIBS) $(JANSSON_LIBS)

bin_PROGRAMS += broker/umbra-broker
broker_umbra_broker_SOURCES = broker/main.c
broker_umbra_broker_CFLAGS = $(BROKER_CFLAGS) -DUMBRA_VERSION=\"$(PACKAGE_VERSION)\"
broker_umbra_broker_LDADD = $(BROKER_LIBS)
dist_man_MANS += broker/umbra-broker.8
EXTRA_DIST += contrib/umbra-broker.conf docs/api.md
