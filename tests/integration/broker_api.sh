#!/bin/bash
# umbra-broker: command line, then the API against a real redis-server
# (broker_api.py).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
broker="$top_builddir/broker/umbra-broker"
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck source=../lib/audit.sh
. "$top_srcdir/tests/lib/audit.sh"
umbra_audit_init broker_cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# run NAME ARGS...: umbra-broker (behind UMBRA_WRAP), output in $work/NAME
run() {
    local name=$1 rc
    shift
    umbra_run "$broker" "$@" > "$work/$name" 2>&1
    rc=$?
    umbra_check_sanitizers "$work/$name" || exit 1
    return $rc
}
run version --version || fail "--version exits non-zero"
grep -qx "umbra-broker [0-9.]*" "$work/version" || fail "--version"
run help --help || fail "--help exits non-zero"
grep -q "broker-key-file" "$work/help" || fail "--help lists the keys"
grep -q "metrics-listen" "$work/help" || fail "--help lists metrics-listen"
run badvalue --listen=127.0.0.1:22099 --credential-ttl=forever && fail "a bad value starts"
[ $? -eq 2 ] || fail "a bad value exits 2"
grep -q "credential-ttl" "$work/badvalue" || fail "the error names the key: $(cat "$work/badvalue")"
run norelay --listen=127.0.0.1:22099 && fail "starts without relays"
grep -q "relay" "$work/norelay" || fail "missing relay named: $(cat "$work/norelay")"
# The errors go to the log audit; --help is usage text, not a log (its
# examples hold addresses).
umbra_check_log broker-cli broker "$work/badvalue" &&
    umbra_check_log broker-cli broker "$work/norelay" || exit 1
echo "ok   command line: --version, --help, errors name the key, exit 2"
rm -rf "$work"
exec python3 "$top_srcdir/tests/integration/broker_api.py"
