#!/bin/sh
# Installs what is missing, builds umbra, and starts Redis, umbra-relay and
# umbra-broker on loopback, then prints how to make a call.
# State (secrets, logs, pid files) lives in ./run/ unless UMBRA_RUN is set.
# Stop everything with: contrib/quickstart.sh stop
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
run=${UMBRA_RUN:-$top/run}
build=$top/build-quick
redis_port=${UMBRA_REDIS_PORT:-6390}
relay_port=${UMBRA_RELAY_PORT:-3478}
tls_port=${UMBRA_RELAY_TLS_PORT:-5349}
broker_port=${UMBRA_BROKER_PORT:-8480}
broker_metrics_port=${UMBRA_BROKER_METRICS_PORT:-9642}

stop_all() {
    for p in broker relay redis; do
        if [ -f "$run/$p.pid" ]; then
            kill "$(cat "$run/$p.pid")" 2>/dev/null || true
            rm -f "$run/$p.pid"
        fi
    done
}
if [ "${1:-}" = stop ]; then
    stop_all
    echo "stopped"
    exit 0
fi

"$top/contrib/deps.sh" run
[ -x "$top/configure" ] || "$top/autogen.sh"
mkdir -p "$build" "$run"
(cd "$build" && { [ -f Makefile ] || "$top/configure" >/dev/null; } && make -j"$(nproc)" >/dev/null)
stop_all

umask 077
[ -s "$run/auth-secret" ] || head -c 32 /dev/urandom | base64 > "$run/auth-secret"
[ -s "$run/broker-key" ] || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$run/broker-key"
if [ ! -s "$run/tls.key" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
        -keyout "$run/tls.key" -out "$run/tls.crt" 2>/dev/null
fi

# The Redis configuration umbra ships (AOF on): state survives a restart.
mkdir -p "$run/redis"
redis-server "$top/contrib/redis/umbra-redis.conf" --port "$redis_port" --bind 127.0.0.1 \
    --dir "$run/redis" --daemonize yes --pidfile "$run/redis.pid" --logfile "$run/redis.log"

"$build/relay/umbra-relay" --listen=127.0.0.1:"$relay_port" --tls-listen=127.0.0.1:"$tls_port" \
    --tls-cert="$run/tls.crt" --tls-key="$run/tls.key" \
    --relay-address=127.0.0.1 --auth-secret-file="$run/auth-secret" \
    --public-uri="turn:127.0.0.1:$relay_port?transport=udp" \
    --public-uri="turn:127.0.0.1:$relay_port?transport=tcp" \
    --public-uri="turns:localhost:$tls_port?transport=tcp" \
    --redis=127.0.0.1:"$redis_port" >"$run/relay.log" 2>&1 &
echo $! > "$run/relay.pid"

"$build/broker/umbra-broker" --listen=127.0.0.1:"$broker_port" --redis=127.0.0.1:"$redis_port" \
    --metrics-listen=127.0.0.1:"$broker_metrics_port" \
    --auth-secret-file="$run/auth-secret" --broker-key-file="$run/broker-key" \
    --relay="turn:127.0.0.1:$relay_port?transport=udp" --relay="turns:localhost:$tls_port?transport=tcp" \
    --policy="$top/contrib/policies/7.1-anonymous-caller-call-centre.json" \
    --web-root="$top/contrib/web" >"$run/broker.log" 2>&1 &
echo $! > "$run/broker.pid"

i=0
until curl -fsS "http://127.0.0.1:$broker_port/healthz" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 50 ]; then
        echo "umbra-broker did not start; see $run/broker.log" >&2
        exit 1
    fi
    sleep 0.1
done

cat <<EOM
umbra is running on loopback:
  Redis         127.0.0.1:$redis_port
  umbra-relay   turn:127.0.0.1:$relay_port (UDP+TCP), turns:localhost:$tls_port
  umbra-broker  http://127.0.0.1:$broker_port   (logs in $run/)
                metrics: http://127.0.0.1:$broker_metrics_port/metrics (loopback only)

Make a call in a browser: open http://127.0.0.1:$broker_port/demo/ (one page plays
both parties and shows the decision, the pseudonyms and live relay figures).

Or with curl (python3 only picks fields out of the JSON):
  B=http://127.0.0.1:$broker_port
  field() { python3 -c "import json,sys; print(json.load(sys.stdin)['\$1'])"; }
  TOKEN=\$(curl -s -X POST \$B/v1/identities | field token)        # the callee's identity
  AUTH="Authorization: Bearer \$TOKEN"                             # never in a URL
  CALLEE=\$(curl -s -X POST -H "\$AUTH" \$B/v1/pseudonyms -d '{"context":"clinic"}' | field pseudonym)
  curl -s -X POST \$B/v1/calls -d '{"callee":"'\$CALLEE'","service":"click-to-link",
    "call_model":"single-cs","destination":"untrusted","caller_state":"undetectable"}'
  The answer holds the call id, the privacy decision and why, TURN credentials
  bound to the call and the caller's CNAME; docs/api.md shows every call.

Stop everything: contrib/quickstart.sh stop
EOM
