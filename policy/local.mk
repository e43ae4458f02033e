# policy/: libumbra-policy (rules, reconciliation, explanation), the
# umbra-policy command, its tests and benchmark.
lib_LTLIBRARIES += policy/libumbra-policy.la
policy_libumbra_policy_la_SOURCES = \
	policy/policy.h policy/rules.h \
	policy/names.c \
	policy/jpos.c policy/jpos.h \
	policy/rules.c \
	policy/set.c \
	policy/decide.c \
	policy/explain.c
policy_libumbra_policy_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
policy_libumbra_policy_la_LIBADD = $(JANSSON_LIBS)
policyincludedir = $(includedir)/umbra
policyinclude_HEADERS = policy/policy.h
# Who links the library: LDADD += $(POLICY_LIBS), CPPFLAGS += -I$(top_srcdir)/policy
POLICY_LIBS = policy/libumbra-policy.la $(JANSSON_LIBS)

bin_PROGRAMS += policy/umbra-policy
policy_umbra_policy_SOURCES = policy/umbra-policy.c
policy_umbra_policy_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
policy_umbra_policy_LDADD = $(POLICY_LIBS)

# Tests: use cases of draft §7, precedence, malformed files, threads, CLI.
POLICY_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) -I$(top_srcdir)/policy
POLICY_TEST_LIBS = $(POLICY_LIBS) $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_policy_usecases
TESTS += tests/unit/test_policy_usecases
tests_unit_test_policy_usecases_SOURCES = tests/unit/test_policy_usecases.c
tests_unit_test_policy_usecases_CFLAGS = $(POLICY_TEST_CFLAGS)
tests_unit_test_policy_usecases_LDADD = $(POLICY_TEST_LIBS)
EXTRA_DIST += contrib/policies/7.1-anonymous-caller-call-centre.json \
	contrib/policies/7.2-call-centre-worker.json \
	contrib/policies/7.3-gaming-pseudonyms.json \
	contrib/policies/7.4-hosted-enterprise-conferencing.json \
	contrib/policies/7.5-variable-trust-by-destination.json \
	contrib/policies/7.6-employee-untrusted-service.json \
	contrib/policies/7.7-interworking-sip.json
check_PROGRAMS += tests/unit/test_policy_malformed
TESTS += tests/unit/test_policy_malformed
tests_unit_test_policy_malformed_SOURCES = tests/unit/test_policy_malformed.c
tests_unit_test_policy_malformed_CFLAGS = $(POLICY_TEST_CFLAGS)
tests_unit_test_policy_malformed_LDADD = $(POLICY_TEST_LIBS)
EXTRA_DIST += tests/policy/bad-syntax.json tests/policy/bad-duplicate-key.json \
	tests/policy/bad-unknown-key.json tests/policy/bad-unknown-rule-key.json \
	tests/policy/bad-unknown-top-key.json tests/policy/bad-wrong-type.json \
	tests/policy/bad-wrong-type-retention.json tests/policy/bad-unknown-enum.json \
	tests/policy/bad-unknown-match-enum.json tests/policy/bad-conflict.json \
	tests/policy/conflict-a.json tests/policy/conflict-b.json \
	tests/policy/bad-self-contradiction.json tests/policy/bad-mandatory-caller.json \
	tests/policy/bad-no-source.json tests/policy/ok-disjoint-mandatory.json
check_PROGRAMS += tests/unit/test_policy_precedence
TESTS += tests/unit/test_policy_precedence
tests_unit_test_policy_precedence_SOURCES = tests/unit/test_policy_precedence.c
tests_unit_test_policy_precedence_CFLAGS = $(POLICY_TEST_CFLAGS)
tests_unit_test_policy_precedence_LDADD = $(POLICY_TEST_LIBS)
check_PROGRAMS += tests/unit/test_policy_threads
TESTS += tests/unit/test_policy_threads
tests_unit_test_policy_threads_SOURCES = tests/unit/test_policy_threads.c
tests_unit_test_policy_threads_CFLAGS = $(POLICY_TEST_CFLAGS)
tests_unit_test_policy_threads_LDADD = $(POLICY_TEST_LIBS)

# bench/bench_policy: one decision against 3 x 50 rules; prints ns per decision.
noinst_PROGRAMS += bench/bench_policy
bench_bench_policy_SOURCES = bench/bench_policy.c
bench_bench_policy_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) -I$(top_srcdir)/policy
bench_bench_policy_LDADD = $(POLICY_LIBS)
dist_man_MANS += policy/umbra-policy.1
TESTS += tests/policy/cli.sh
EXTRA_DIST += tests/policy/cli.sh policy/README.md

# Fuzz target for the loader and request preferences (driver: tests/fuzz/fuzz_main.c).
check_PROGRAMS += tests/policy/fuzz_policy
TESTS += tests/policy/run_fuzz_policy.sh
tests_policy_fuzz_policy_SOURCES = tests/policy/fuzz_policy.c tests/fuzz/fuzz_main.c
tests_policy_fuzz_policy_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) -I$(top_srcdir)/policy
tests_policy_fuzz_policy_LDADD = $(POLICY_LIBS)
EXTRA_DIST += tests/policy/run_fuzz_policy.sh
