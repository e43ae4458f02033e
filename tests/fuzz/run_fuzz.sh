#!/bin/bash
# Runs the fuzz targets, built with the standalone driver (fuzz_main.c) and
# the configured sanitizers, over the seed corpus, the inputs that once
# failed (regress/<target>/) and FUZZ_COUNT generated inputs each (default
# 20000; 5000 for the handlers, which run several parsers and the policy
# per input). FUZZ_SEED replays a run. Each driver splices in the tokens
# of its dictionary (dict/). The libFuzzer builds are run by
# run_libfuzzer.sh (make fuzz-check).
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
count=${FUZZ_COUNT:-20000}
seed=${FUZZ_SEED:-$(date +%s)}
corpus=$top_srcdir/tests/fuzz/corpus
regress=$top_srcdir/tests/fuzz/regress
dict=$top_srcdir/tests/fuzz/dict

# The regression inputs of target $1, if any, as driver arguments.
regressions() {
    if [ -d "$regress/$1" ] && [ -n "$(ls -A "$regress/$1")" ]; then
        echo "$regress/$1"
    fi
}

# shellcheck disable=SC2046
"$top_builddir/tests/fuzz/fuzz_stun_msg" -n "$count" -s "$seed" -d "$dict/stun.dict" "$corpus/stun" \
    $(regressions fuzz_stun_msg)
# shellcheck disable=SC2046
"$top_builddir/tests/fuzz/fuzz_channel_data" -n "$count" -s "$seed" -d "$dict/stun.dict" \
    "$corpus/channel" \
    "$corpus/stun" $(regressions fuzz_channel_data)
# shellcheck disable=SC2046
"$top_builddir/tests/fuzz/fuzz_broker_req" -n "$count" -s "$seed" -d "$dict/broker.dict" \
    "$corpus/broker" $(regressions fuzz_broker_req)
# shellcheck disable=SC2046
"$top_builddir/tests/fuzz/fuzz_broker_calls" -n "$((count / 4))" -s "$seed" \
    -d "$dict/broker.dict" "$corpus/calls" $(regressions fuzz_broker_calls)
# fuzz_sdp and fuzz_policy run with their own corpora in their own tests;
# here only their regression inputs, once each.
if [ -n "$(regressions fuzz_sdp)" ]; then
    FUZZ_SDP_ITERATIONS=0 "$top_builddir/tests/fuzz/fuzz_sdp" "$regress/fuzz_sdp"
fi
if [ -n "$(regressions fuzz_policy)" ]; then
    "$top_builddir/tests/policy/fuzz_policy" -n 0 "$regress/fuzz_policy"
fi
