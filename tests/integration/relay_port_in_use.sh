#!/bin/bash
# A second umbra-relay on a port already in use must refuse to start, not
# silently share the port through SO_REUSEPORT (which would split one
# client's packets between two processes).
set -u
relay="$top_builddir/relay/umbra-relay"
port=27990
dir=$(mktemp -d)
trap 'kill $first 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
"$relay" --listen=127.0.0.1:$port --relay-address=127.0.0.1 --relay-ports=27991-27999 \
    --user=u:p >"$dir/first.log" 2>&1 &
first=$!
for _ in $(seq 50); do
    grep -q "started" "$dir/first.log" && break
    sleep 0.1
done
grep -q "started" "$dir/first.log" || { echo "FAIL: first relay did not start"; cat "$dir/first.log"; exit 1; }
timeout 10 "$relay" --listen=127.0.0.1:$port --relay-address=127.0.0.1 --relay-ports=27991-27999 \
    --user=u:p >"$dir/second.log" 2>&1
rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then
    echo "FAIL: second relay on a busy port exited $rc; it must refuse to start"
    cat "$dir/second.log"
    exit 1
fi
grep -q "Address already in use" "$dir/second.log" || { echo "FAIL: no reason given"; cat "$dir/second.log"; exit 1; }
kill -0 $first || { echo "FAIL: first relay died"; exit 1; }
echo "ok: second relay refused the busy port (exit $rc): $(tail -1 "$dir/second.log" | cut -d' ' -f3-)"
