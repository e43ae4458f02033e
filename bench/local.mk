# bench/: the bare forwarder and the side-by-side benchmark (see bench/README.md).
noinst_PROGRAMS += bench/forwarder
bench_forwarder_SOURCES = bench/forwarder.c
bench_forwarder_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/contrib/load
bench_forwarder_LDADD = $(COMMON_LIBS)
EXTRA_DIST += bench/relay-vs-coturn bench/README.md
