#!/bin/bash
# Runs each libFuzzer target of tests/fuzz/lf (make fuzz) for a short,
# bounded time over its seed corpus and its regression inputs; new inputs
# go to a scratch directory, never to the committed corpus. A finding
# stops the run with the fuzzer's report and the input under
# tests/fuzz/lf/crash-<target>/.
# usage: run_libfuzzer.sh SRCDIR BUILDDIR SECONDS RUNS
set -eu
src=$1 build=$2 seconds=$3 runs=$4
corpus=$src/tests/fuzz/corpus
regress=$src/tests/fuzz/regress
lf=$build/tests/fuzz/lf

dict=$src/tests/fuzz/dict

# target, dictionary, max_len, seed directories. max_len lets the seeds at
# the size limits through whole: the largest STUN message (65552), a
# ChannelData of 65535 bytes, an SDP of SDP_MAX_INPUT + 1, a body of
# max-body + 1 with its head bytes.
targets=(
    "fuzz_stun_msg stun 65556 $corpus/stun"
    "fuzz_channel_data stun 70000 $corpus/channel $corpus/stun"
    "fuzz_sdp sdp 65537 $src/tests/fixtures/sdp $corpus/sdp"
    "fuzz_policy policy 4096 $src/contrib/policies $src/tests/policy"
    "fuzz_broker_req broker 65541 $corpus/broker"
    "fuzz_broker_calls broker 65541 $corpus/calls"
)
for t in "${targets[@]}"; do
    read -r name dict_name max_len seeds <<<"$t"
    work=$lf/work-$name
    rm -rf "$work" "$lf/crash-$name"
    mkdir -p "$work" "$lf/crash-$name"
    dirs=$seeds
    [ -d "$regress/$name" ] && dirs="$dirs $regress/$name"
    echo "$name: ${seconds}s or $runs runs"
    # shellcheck disable=SC2086
    if ! "$lf/$name" -max_total_time="$seconds" -runs="$runs" -rss_limit_mb=2048 \
        -max_len="$max_len" -dict="$dict/$dict_name.dict" -print_final_stats=1 \
        -artifact_prefix="$lf/crash-$name/" \
        "$work" $dirs >"$lf/$name.log" 2>&1; then
        tail -60 "$lf/$name.log"
        echo "$name: FAILED; input in $lf/crash-$name/" >&2
        exit 1
    fi
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units)' "$lf/$name.log" || true
    rm -rf "$work" "$lf/crash-$name"
done
