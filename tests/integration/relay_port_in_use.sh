#!/bin/bash
# A second umbra-relay on a port already in use must refuse to start, not
# silently share the port through SO_REUSEPORT (which would split one
# client's packets between two processes).
set -u
relay="$top_builddir/relay/umbra-relay"
port=27990
dir=$(mktemp -d)
first=""
trap '[ -n "$first" ] && kill $first 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
# shellcheck source=../lib/audit.sh
. "$top_srcdir/tests/lib/audit.sh"
umbra_audit_init relay_port_in_use
umbra_spawn "$relay" --listen=127.0.0.1:$port --relay-address=127.0.0.1 --relay-ports=27991-27999 \
    --user=u:p --log-level="$(umbra_log_level info)" >"$dir/first.log" 2>&1
first=$!
for _ in $(seq $((50 * ${UMBRA_TIMEOUT_SCALE:-1}))); do
    grep -q "started" "$dir/first.log" && break
    sleep 0.1
done
grep -q "started" "$dir/first.log" || { echo "FAIL: first relay did not start"; cat "$dir/first.log"; exit 1; }
# shellcheck disable=SC2086  # UMBRA_WRAP is a word list on purpose
timeout $((10 * ${UMBRA_TIMEOUT_SCALE:-1})) ${UMBRA_WRAP:-} "$relay" --listen=127.0.0.1:$port --relay-address=127.0.0.1 --relay-ports=27991-27999 \
    --user=u:p >"$dir/second.log" 2>&1
rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then
    echo "FAIL: second relay on a busy port exited $rc; it must refuse to start"
    cat "$dir/second.log"
    exit 1
fi
grep -q "Address already in use" "$dir/second.log" || { echo "FAIL: no reason given"; cat "$dir/second.log"; exit 1; }
kill -0 $first || { echo "FAIL: first relay died"; exit 1; }
umbra_check_log relay-second relay "$dir/second.log" || exit 1
kill $first
wait $first
rc_first=$?
first=""
umbra_check_log relay-first relay "$dir/first.log" debug || exit 1
[ $rc_first -eq 0 ] || { echo "FAIL: first relay exited $rc_first on SIGTERM"; cat "$dir/first.log"; exit 1; }
echo "ok: second relay refused the busy port (exit $rc): $(tail -1 "$dir/second.log" | cut -d' ' -f3-)"
