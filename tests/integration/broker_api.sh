#!/bin/bash
# umbra-broker: command line, then the API against a real redis-server
# (broker_api.py).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
broker="$top_builddir/broker/umbra-broker"
fail() { echo "FAIL: $*"; exit 1; }
"$broker" --version | grep -qx "umbra-broker [0-9.]*" || fail "--version"
"$broker" --help | grep -q "broker-key-file" || fail "--help lists the keys"
out=$("$broker" --listen=127.0.0.1:22099 --credential-ttl=forever 2>&1) && fail "a bad value starts"
[ $? -eq 2 ] || fail "a bad value exits 2"
echo "$out" | grep -q "credential-ttl" || fail "the error names the key: $out"
out=$("$broker" --listen=127.0.0.1:22099 2>&1) && fail "starts without relays"
echo "$out" | grep -q "relay" || fail "missing relay named: $out"
echo "ok   command line: --version, --help, errors name the key, exit 2"
exec python3 "$top_srcdir/tests/integration/broker_api.py"
