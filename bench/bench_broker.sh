#!/bin/bash
# Call set-ups per second of umbra-broker against a real Redis.
#   bench/bench_broker.sh [N] [CONNS]      (APPENDFSYNC=always|everysec|no)
# Starts redis-server on $REDIS_PORT (22201) and umbra-broker on $BROKER_PORT
# (22200; its metrics-listen on $METRICS_PORT, 22202) (loopback), runs
# bench_broker in-process (where the time goes) and over HTTP (the figure
# a client sees), then stops both. Use a build without sanitizers for
# figures: BUILDDIR=build-bench bench/bench_broker.sh
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
BUILDDIR=${BUILDDIR:-${top_builddir:-$top_srcdir/build}}
N=${1:-2000}
CONNS=${2:-4}
REDIS_PORT=${REDIS_PORT:-22201}
BROKER_PORT=${BROKER_PORT:-22200}
METRICS_PORT=${METRICS_PORT:-22202}
work=$(mktemp -d /tmp/umbra-bench-broker.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# The Redis configuration umbra ships (AOF on, its appendfsync policy);
# APPENDFSYNC=always|everysec|no overrides the policy to compare them. The
# AOF goes to $work (TMPDIR): put it on the disk you mean to measure.
redis-server "$top_srcdir/contrib/redis/umbra-redis.conf" --port $REDIS_PORT --bind 127.0.0.1 \
    --dir "$work" ${APPENDFSYNC:+--appendfsync "$APPENDFSYNC"} >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -p $REDIS_PORT ping >/dev/null 2>&1 && break; sleep 0.1; done

if nm "$BUILDDIR/bench/bench_broker" 2>/dev/null | grep -q __asan_init; then
    echo "note: this build has sanitizers; figures are several times slower than a release build"
fi
echo "== Redis appendfsync $(redis-cli -p $REDIS_PORT config get appendfsync | tail -1)"
echo "== in process (one thread; redis-server on another process)"
"$BUILDDIR/bench/bench_broker" inproc $REDIS_PORT "$N"

# umbra-broker refuses secret files that group or others can read.
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/broker.key")
(umask 077 && echo "bench-secret" >"$work/secrets")
printf '{"version": 1, "source": "service", "rules": []}\n' >"$work/policy.json"
"$BUILDDIR/broker/umbra-broker" --listen=127.0.0.1:$BROKER_PORT --redis=127.0.0.1:$REDIS_PORT \
    --relay=turn:127.0.0.1:3478 --auth-secret-file="$work/secrets" --policy="$work/policy.json" \
    --broker-key-file="$work/broker.key" --dtls-pool=256 --log-level=warn \
    --client-rate=0 --client-connections=0 \
    --metrics-listen=127.0.0.1:$METRICS_PORT 2>"$work/broker.log" &
pids+=($!)
for _ in $(seq 50); do curl -sf http://127.0.0.1:$BROKER_PORT/healthz >/dev/null && break; sleep 0.1; done
token=$(curl -sf -XPOST http://127.0.0.1:$BROKER_PORT/v1/identities |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
pn=$(curl -sf -XPOST -H "Authorization: Bearer $token" -d '{"context":"bench"}' \
    http://127.0.0.1:$BROKER_PORT/v1/pseudonyms |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["pseudonym"])')
sleep 1 # let the DTLS pool fill
echo "== over HTTP (umbra-broker process, client threads on the same 2 cores)"
start_cpu=$(awk '{print $14+$15}' /proc/${pids[1]}/stat)
"$BUILDDIR/bench/bench_broker" http $BROKER_PORT "$pn" $((N / CONNS)) "$CONNS"
end_cpu=$(awk '{print $14+$15}' /proc/${pids[1]}/stat)
ticks=$(getconf CLK_TCK)
awk -v c=$((end_cpu - start_cpu)) -v t="$ticks" -v n=$(( (N / CONNS) * CONNS )) \
    'BEGIN { printf "  broker CPU (all its threads, incl. the DTLS pool): %.0f us per call set-up\n", c / t * 1e6 / n }'
curl -sf http://127.0.0.1:$METRICS_PORT/metrics | grep -E "dtls_pool|calls_created" | grep -v '^#'
