# tests/integration/: umbra-relay end to end on loopback, driven by Python
# (standard library) through the shared harness in tests/lib/. Ports
# 21000-21499 and 21600-21999 (the browser test has 21500-21599); logs and
# configs stay in $(top_builddir)/tests/out/NAME/.
RELAY_IT_TESTS = \
	tests/integration/relay_uclient.sh \
	tests/integration/relay_auth.sh \
	tests/integration/relay_privacy.sh \
	tests/integration/relay_malformed.sh \
	tests/integration/relay_revocation.sh \
	tests/integration/relay_ipv6.sh \
	tests/integration/relay_turn_rules.sh \
	tests/integration/relay_cli.sh
TESTS += $(RELAY_IT_TESTS) tests/integration/relay_logs.sh
# The log scan reads the logs the other relay tests leave behind.
tests/integration/relay_logs.log: $(RELAY_IT_TESTS:.sh=.log)
EXTRA_DIST += $(RELAY_IT_TESTS) tests/integration/relay_logs.sh \
	tests/integration/relay_uclient.py tests/integration/relay_auth.py \
	tests/integration/relay_privacy.py tests/integration/relay_malformed.py \
	tests/integration/relay_revocation.py tests/integration/relay_ipv6.py \
	tests/integration/relay_turn_rules.py tests/integration/relay_cli.py \
	tests/integration/relay_logs.py \
	tests/lib/umbra_harness.py tests/lib/umbra_stun.py tests/lib/README.md

# The media-only rule, RFC 7983 demultiplexing (ports 39200-39299).
TESTS += tests/integration/relay_media_only.sh
EXTRA_DIST += tests/integration/relay_media_only.sh tests/integration/relay_media_only.py

# A relay fleet and two brokers on one Redis (ports 34000-34299).
TESTS += tests/integration/fleet.sh
EXTRA_DIST += tests/integration/fleet.sh tests/integration/fleet.py

# Redis Sentinel failover under a broker and a relay, and two brokers on one
# Redis sharing a call (ports 35000-35299).
TESTS += tests/integration/sentinel.sh tests/integration/two_brokers.sh
EXTRA_DIST += tests/integration/sentinel.sh tests/integration/sentinel.py \
	tests/integration/two_brokers.sh tests/integration/two_brokers.py

# The log audit: every test hands what umbra's programs wrote (and a ledger
# of the secrets it saw) to UMBRA_LOG_AUDIT_DIR; log_audit.sh reads all of
# it, so it depends on every other test's log and runs last, also with -j.
AM_TESTS_ENVIRONMENT += UMBRA_LOG_AUDIT_DIR=$${UMBRA_LOG_AUDIT_DIR:-'$(abs_top_builddir)/tests/out/log-audit'}; export UMBRA_LOG_AUDIT_DIR;
TESTS += tests/integration/log_audit.sh
tests/integration/log_audit.log: $(TEST_LOGS:tests/integration/log_audit.log=)
EXTRA_DIST += tests/integration/log_audit.sh tests/lib/log_audit.py tests/lib/audit.sh \
	tests/lib/harness_selftest.py tests/valgrind/run.sh tests/valgrind/summary.py
