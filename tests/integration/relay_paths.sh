#!/bin/bash
# umbra-relay's packet paths with two workers, driven by umbra-load on
# loopback: data between allocations of one worker, data handed from one
# worker to another (relay/handoff), send batches and UDP GSO runs
# (relay/send_batch). Every SRTP packet must arrive intact, and the
# relay's counters must show that each path carried data. Ports
# 26100-26199 (developer range).
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
LOAD=$top_builddir/contrib/load/umbra-load
RELAY=$top_builddir/relay/umbra-relay
work=$(mktemp -d /tmp/relay-paths.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    [ -f "$work/relay.log" ] && sed 's/^/  relay: /' "$work/relay.log" | tail -20
    exit 1
}
val() { grep "^$2=" "$1" | cut -d= -f2; }
metric() { # name-with-labels
    grep -F "$1 " "$work/metrics" | grep -v '^#' | awk '{print $2}'
}

[ -x "$RELAY" ] || fail "umbra-relay not built"
[ -x "$LOAD" ] || fail "umbra-load not built"
# shellcheck source=../lib/audit.sh
. "$top_srcdir/tests/lib/audit.sh"
umbra_audit_init relay_paths
secret="paths-secret-$$-$RANDOM$RANDOM"
(umask 077 && echo "$secret" > "$work/secret") # secret files must be 0600
umbra_audit_secret "$secret"

# run GSO CALLS PROFILE: relay with two workers, one load run, metrics kept.
run() {
    umbra_spawn "$RELAY" --listen=127.0.0.1:26101 --relay-address=127.0.0.1 --relay-ports=26110-26199 \
        --realm=umbra --auth-secret-file="$work/secret" --threads=2 --log-level="$(umbra_log_level warn)" \
        --metrics-listen=127.0.0.1:26102 --udp-gso="$1" > "$work/relay.log" 2>&1
    pid=$!
    for _ in $(seq $((50 * ${UMBRA_TIMEOUT_SCALE:-1}))); do ss -Hlun "sport = :26101" | grep -q . && break; sleep 0.1; done
    ss -Hlun "sport = :26101" | grep -q . || fail "relay did not start"
    [ "$(ss -Hlun "sport = :26101" | wc -l)" = 2 ] || fail "not one UDP socket per worker"
    umbra_run "$LOAD" --server=127.0.0.1:26101 --secret-file="$work/secret" --calls="$2" \
        --profile="$3" --bitrate=1M --offered-pps=4000 --duration=2 --threads=2 --quiet \
        --summary="$work/summary" > "$work/load.out" 2>&1 || fail "umbra-load: $(cat "$work/load.out")"
    umbra_check_log load load "$work/load.out" || exit 1
    curl -sf http://127.0.0.1:26102/metrics > "$work/metrics" || fail "no metrics"
    kill "$pid"
    wait "$pid"
    rc=$?
    pid=""
    umbra_check_log relay relay "$work/relay.log" debug || exit 1
    [ "$rc" = 0 ] || fail "umbra-relay exited $rc on SIGTERM"
    [ "$(val "$work/summary" calls_ready)" = "$2" ] || fail "calls_ready $(val "$work/summary" calls_ready)"
    [ "$(val "$work/summary" lost)" = 0 ] || fail "lost $(val "$work/summary" lost)"
    [ "$(val "$work/summary" corrupt)" = 0 ] || fail "corrupt $(val "$work/summary" corrupt)"
    sent=$(val "$work/summary" sent)
    [ "$sent" -gt 0 ] && [ "$sent" = "$(val "$work/summary" delivered)" ] || fail "sent $sent"
    # Each call's two allocations land on either worker by the kernel's
    # hash of the client address: with 24 calls, both kinds occur (a miss
    # has a chance of 2 in 2^24).
    same=$(metric 'umbra_relay_peer_path_total{path="same_worker"}')
    handoff=$(metric 'umbra_relay_peer_path_total{path="handoff"}')
    socket=$(metric 'umbra_relay_peer_path_total{path="socket"}')
    to_client=$(metric 'umbra_relay_packets_relayed_total{direction="to_client"}')
    to_peer=$(metric 'umbra_relay_packets_relayed_total{direction="to_peer"}')
    calls=$(metric umbra_relay_udp_send_calls_total)
    gso=$(metric umbra_relay_udp_gso_messages_total)
    dropped=$(grep '^umbra_relay_dropped_total' "$work/metrics" | awk '{s += $2} END {print s + 0}')
    echo "  udp-gso=$1 $3: $sent packets; to peers: same worker $same, handoff $handoff," \
        "socket $socket; to clients $to_client in $calls send calls, $gso GSO messages"
    [ "${same:-0}" -gt 0 ] || fail "no data between allocations of one worker"
    [ "${handoff:-0}" -gt 0 ] || fail "no data handed between workers"
    [ "${socket:-0}" = 0 ] || fail "data to a relayed address of this relay went through a socket"
    [ "$dropped" = 0 ] || fail "$dropped packets dropped"
    # Every packet to a peer reached that peer's client (umbra-load's
    # figures cover its measured window only, the relay's the whole run).
    [ "$to_client" = "$to_peer" ] || fail "to_client $to_client != to_peer $to_peer"
    [ "$to_client" -ge "$sent" ] || fail "to_client $to_client < sent $sent"
}

run yes 24 audio
run no 24 video
[ "$gso" = 0 ] || fail "udp-gso = no sent $gso GSO messages"
run yes 24 video
# Video frames are bursts of equal-size packets: with GSO (Linux 4.18 and
# later) some leave as one message, and there are fewer send calls than
# packets.
if [ "$(printf '%s\n' "4.18" "$(uname -r | cut -d- -f1)" | sort -V | head -1)" = 4.18 ]; then
    [ "${gso:-0}" -gt 0 ] || fail "no GSO message for video bursts"
    [ "$calls" -lt "$to_client" ] || fail "$calls send calls for $to_client packets"
fi
echo "PASS"
