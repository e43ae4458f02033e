# contrib/load/: umbra-load, the load generator (see umbra-load.1).
bin_PROGRAMS += contrib/load/umbra-load
dist_man_MANS += contrib/load/umbra-load.1
contrib_load_umbra_load_SOURCES = \
	contrib/load/load_main.c \
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
	contrib/load/load_clock.h contrib/load/load_raw.h
contrib_load_umbra_load_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/relay -I$(top_srcdir)/contrib/load
contrib_load_umbra_load_CFLAGS = $(AM_CFLAGS) $(SRTP_CFLAGS) $(OPENSSL_CFLAGS) $(SODIUM_CFLAGS)
contrib_load_umbra_load_LDADD = $(STUN_LIBS) $(COMMON_LIBS) $(SRTP_LIBS) -lm

# Runs against a real umbra-relay, coturn's turnserver and bench/forwarder.
TESTS += tests/load/test_umbra_load.sh
EXTRA_DIST += tests/load/test_umbra_load.sh
