#!/bin/bash
# Runs after every other test (tests/integration/local.mk): reads every line
# umbra-relay, umbra-broker, umbra-load and umbra-policy wrote during the
# run (copied to $UMBRA_LOG_AUDIT_DIR by the harnesses) and fails on any IP
# address, recorded secret, PEM private key or sanitizer report, and on a
# debug-level daemon log without debug lines. Self-tests first prove that
# one offending line in a fake log fails the audit, and that a sanitizer
# report fails each way a test starts umbra's programs (fake programs).
# See tests/lib/log_audit.py and tests/lib/harness_selftest.py.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
dir=${UMBRA_LOG_AUDIT_DIR:-$top_builddir/tests/out/log-audit}
python3 "$top_srcdir/tests/lib/log_audit.py" --self-test || exit 1
python3 "$top_srcdir/tests/lib/harness_selftest.py" || exit 1
exec python3 "$top_srcdir/tests/lib/log_audit.py" "$dir"
