#!/bin/bash
# umbra-load against a real umbra-relay, coturn's turnserver and the bare
# forwarder, on loopback: short bounded runs that must lose nothing, must
# count every deliberately corrupted packet, and must fail clearly on bad
# credentials and non-loopback targets. Ports 23100-23399 (developer range).
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
LOAD=$top_builddir/contrib/load/umbra-load
RELAY=$top_builddir/relay/umbra-relay
FWD=$top_builddir/bench/forwarder
work=$(mktemp -d /tmp/umbra-load-test.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck source=../lib/audit.sh
. "$top_srcdir/tests/lib/audit.sh"
umbra_audit_init umbra_load
# umbra-load behind UMBRA_WRAP. Its stderr still goes where the caller
# sends it, and is also kept: every run's output is checked at the end.
load() {
    local rc
    umbra_run "$LOAD" "$@" 2> "$work/last.err"
    rc=$?
    cat "$work/last.err" >&2
    cat "$work/last.err" >> "$work/stderr.out"
    return $rc
}
val() { grep "^$2=" "$1" | cut -d= -f2; }

wait_port() { # proto port
    for _ in $(seq $((50 * ${UMBRA_TIMEOUT_SCALE:-1}))); do
        if [ "$1" = udp ]; then ss -Hlun "sport = :$2" | grep -q . && return 0
        else ss -Hltn "sport = :$2" | grep -q . && return 0; fi
        sleep 0.1
    done
    return 1
}

# A run that must be clean: every call up, nothing lost, nothing corrupt.
check_clean() { # summary calls
    [ "$(val "$1" calls_ready)" = "$2" ] || fail "$1: calls_ready $(val "$1" calls_ready) != $2"
    [ "$(val "$1" lost)" = 0 ] || fail "$1: lost $(val "$1" lost)"
    [ "$(val "$1" corrupt)" = 0 ] || fail "$1: corrupt $(val "$1" corrupt)"
    sent=$(val "$1" sent); got=$(val "$1" delivered)
    [ "$sent" -gt 0 ] && [ "$sent" = "$got" ] || fail "$1: sent $sent delivered $got"
}

secret="load-secret-$$-$RANDOM$RANDOM"
(umask 077 && echo "$secret" > "$work/secret") # umbra-relay wants secret files 0600
umbra_audit_secret "$secret"

# --- umbra-relay ----------------------------------------------------------
[ -x "$RELAY" ] || fail "umbra-relay not built"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -keyout "$work/key.pem" -out "$work/cert.pem" > /dev/null 2>&1 ||
    fail "openssl could not make a test certificate"
umbra_audit_secret "$(cat "$work/key.pem")"
umbra_spawn "$RELAY" --listen=127.0.0.1:23100 --tls-listen=127.0.0.1:23101 --tls-cert="$work/cert.pem" \
    --tls-key="$work/key.pem" --relay-address=127.0.0.1 --relay-ports=23110-23199 \
    --realm=umbra --auth-secret-file="$work/secret" --threads=2 \
    --log-level="$(umbra_log_level warn)" > "$work/relay.log" 2>&1
relay_pid=$!
pids+=($relay_pid)
wait_port udp 23100 || fail "umbra-relay did not start: $(cat "$work/relay.log")"

load --server=127.0.0.1:23100 --secret="$secret" --calls=4 --duration=2 --quiet \
    --summary="$work/udp.txt" --csv="$work/udp.csv" > "$work/udp.out" || fail "udp run: $(cat "$work/udp.out")"
check_clean "$work/udp.txt" 4
# 4 calls x 2 directions x 50 packets/s x 2 s, give or take a packet per stream
sent=$(val "$work/udp.txt" sent)
[ "$sent" -ge 790 ] && [ "$sent" -le 810 ] || fail "audio rate: $sent packets in 2 s, expected ~800"
[ "$(wc -l < "$work/udp.csv")" -ge 3 ] || fail "CSV has no intervals"
echo "ok: udp through umbra-relay, $sent packets, no loss"

# Corruption after SRTP protection must be caught by unprotect, one for one.
load --server=127.0.0.1:23100 --secret="$secret" --calls=4 --duration=2 --quiet \
    --corrupt-every=10 --summary="$work/corrupt.txt" > "$work/corrupt.out"
sent=$(val "$work/corrupt.txt" sent); bad=$(val "$work/corrupt.txt" corrupt)
got=$(val "$work/corrupt.txt" delivered)
[ "$bad" -gt 0 ] || fail "no corruption detected"
[ $((got + bad)) = "$sent" ] || fail "delivered $got + corrupt $bad != sent $sent"
exp=$((sent / 10))
[ $((bad - exp)) -le 3 ] && [ $((exp - bad)) -le 3 ] || fail "corrupt $bad, expected ~$exp"
echo "ok: --corrupt-every=10: $bad of $sent packets detected as corrupt"

# NULL_NULL: real SRTP framing without crypto; a short run delivers all, and
# with no auth tag the payload's check word still catches every flipped bit.
load --server=127.0.0.1:23100 --secret="$secret" --calls=4 --duration=1 --quiet \
    --srtp=NULL_NULL --summary="$work/null.txt" > "$work/null.out" || fail "null run: $(cat "$work/null.out")"
check_clean "$work/null.txt" 4
grep -q "NULL_NULL" "$work/null.out" || fail "null run does not name its profile"
load --server=127.0.0.1:23100 --secret="$secret" --calls=4 --duration=1 --quiet \
    --srtp=NULL_NULL --corrupt-every=10 --summary="$work/nullc.txt" > "$work/nullc.out"
sent=$(val "$work/nullc.txt" sent); bad=$(val "$work/nullc.txt" corrupt)
got=$(val "$work/nullc.txt" delivered)
[ "$bad" -gt 0 ] && [ $((got + bad)) = "$sent" ] || fail "NULL_NULL corruption: sent $sent delivered $got corrupt $bad"
exp=$((sent / 10))
[ $((bad - exp)) -le 3 ] && [ $((exp - bad)) -le 3 ] || fail "NULL_NULL corrupt $bad, expected ~$exp"
load --broker=http://127.0.0.1:1 --srtp=NULL_NULL > "$work/nullb.out" 2>&1
[ $? = 64 ] && grep -q "no NULL_NULL" "$work/nullb.out" || fail "--broker with NULL_NULL accepted"
echo "ok: NULL_NULL through umbra-relay; $bad of $sent corrupted packets caught without auth"

# --setup-only opens its sockets before the clock and keys no SRTP: every
# allocation must still be made, and a wrong secret must still fail them.
load --server=127.0.0.1:23100 --secret="$secret" --calls=20 --setup-only --setup-window=8 \
    --quiet --summary="$work/setup.txt" > "$work/setup.out" || fail "setup-only: $(cat "$work/setup.out")"
[ "$(val "$work/setup.txt" allocations_ok)" = 40 ] || fail "setup-only: $(val "$work/setup.txt" allocations_ok) of 40 allocations"
[ "$(val "$work/setup.txt" sent)" = 0 ] || fail "setup-only sent media"
load --server=127.0.0.1:23100 --secret=wrong --calls=2 --setup-only --setup-timeout=2 \
    --quiet > "$work/setupw.out" 2>&1
[ $? = 2 ] || fail "setup-only with a wrong secret did not fail: $(cat "$work/setupw.out")"
echo "ok: --setup-only, 40 allocations"

load --server=127.0.0.1:23100 --secret="$secret" --calls=3 --duration=1 --quiet \
    --transport=tcp --profile=video --bitrate=500k --srtp=AEAD_AES_128_GCM \
    --summary="$work/tcp.txt" > "$work/tcp.out" || fail "tcp run: $(cat "$work/tcp.out")"
check_clean "$work/tcp.txt" 3
echo "ok: tcp, video, AEAD_AES_128_GCM through umbra-relay"

wait_port tcp 23101 || fail "umbra-relay TLS listener missing"
load --server=127.0.0.1:23101 --transport=tls --secret="$secret" --calls=3 --duration=1 \
    --quiet --summary="$work/tls.txt" > "$work/tls.out" || fail "tls run: $(cat "$work/tls.out")"
check_clean "$work/tls.txt" 3
echo "ok: tls through umbra-relay"

load --server=127.0.0.1:23100 --secret=wrong --calls=2 --duration=1 --quiet \
    --setup-timeout=2 > "$work/wrong.out" 2>&1
rc=$?
[ $rc = 2 ] || fail "wrong secret: exit $rc, expected 2"
grep -q "0 ready, 2 failed" "$work/wrong.out" || fail "wrong secret: $(cat "$work/wrong.out")"
echo "ok: wrong secret fails every call"

# --- refusals ---------------------------------------------------------------
load --server=192.0.2.1:3478 --secret=x > "$work/ns.out" 2>&1
[ $? = 64 ] && grep -q "not loopback" "$work/ns.out" || fail "non-loopback target accepted"
load --server=127.0.0.1:23100 --secret=x --calls=20001 > "$work/cap.out" 2>&1
[ $? = 64 ] || fail "call cap not enforced"
load --server=127.0.0.1:23100 --secret=x --calls=20000 --max-pps=1000 > "$work/pps.out" 2>&1
[ $? = 64 ] && grep -q "exceeds --max-pps" "$work/pps.out" || fail "--max-pps not enforced"
echo "ok: non-loopback target, call cap and --max-pps refused"

kill "$relay_pid"
wait "$relay_pid"
rc=$?
umbra_check_log relay relay "$work/relay.log" debug || exit 1
[ $rc = 0 ] || fail "umbra-relay exited $rc on SIGTERM"

# --- the bare forwarder ---------------------------------------------------
"$FWD" --listen=127.0.0.1:23300 --threads=1 --max-seconds=60 2> "$work/fwd.log" &
pids+=($!)
wait_port udp 23300 || fail "forwarder did not start"
load --raw-forwarder=127.0.0.1:23300 --calls=4 --duration=1 --quiet \
    --summary="$work/raw.txt" > "$work/raw.out" || fail "raw run: $(cat "$work/raw.out")"
check_clean "$work/raw.txt" 4
echo "ok: bare forwarder"

# --- coturn, when installed -----------------------------------------------
if command -v turnserver > /dev/null; then
    turnserver -n --no-cli --listening-ip 127.0.0.1 -p 23200 --relay-ip 127.0.0.1 \
        --min-port 23210 --max-port 23299 --use-auth-secret --static-auth-secret "$secret" \
        --realm umbra --allow-loopback-peers --no-tls --no-dtls --pidfile "$work/t.pid" \
        --log-file "$work/coturn.log" > /dev/null 2>&1 &
    pids+=($!)
    wait_port udp 23200 || fail "turnserver did not start"
    load --server=127.0.0.1:23200 --secret="$secret" --calls=4 --duration=1 --quiet \
        --summary="$work/coturn.txt" > "$work/coturn.out" || fail "coturn run: $(cat "$work/coturn.out")"
    check_clean "$work/coturn.txt" 4
    echo "ok: coturn"
else
    echo "note: coturn not installed, interop run skipped"
fi
for out in "$work"/*.out; do
    umbra_check_log "load-$(basename "$out" .out)" load "$out" || exit 1
done
exit 0
