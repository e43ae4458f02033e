# tests/unit/: tests that span programs. The configuration tables of
# umbra-relay, umbra-broker and umbra-load against their man pages,
# example configurations and --help.
check_PROGRAMS += tests/unit/test_conf_docs
TESTS += tests/unit/test_conf_docs
tests_unit_test_conf_docs_SOURCES = tests/unit/test_conf_docs.c
tests_unit_test_conf_docs_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/relay $(STUN_CPPFLAGS) \
	-I$(top_srcdir)/broker \
	-I$(top_srcdir)/policy -I$(top_srcdir)/contrib/load -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_conf_docs_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_conf_docs_LDADD = $(RELAY_LIBS) $(BROKER_LIBS) $(LOAD_LIBS) $(CMOCKA_LIBS) \
	$(COMMON_LIBS) $(HIREDIS_LIBS) $(SODIUM_LIBS) $(OPENSSL_LIBS)
