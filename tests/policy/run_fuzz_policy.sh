#!/bin/bash
# Runs the policy fuzz target (tests/fuzz/fuzz_main.c driver) over the
# example policies and fixtures, then FUZZ_COUNT mutated inputs (default
# 3000; each input is decided for every kind of call). FUZZ_SEED replays.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
count=${FUZZ_COUNT:-3000}
seed=${FUZZ_SEED:-$(date +%s)}
"$top_builddir/tests/policy/fuzz_policy" -n "$count" -s "$seed" \
    -d "$top_srcdir/tests/fuzz/dict/policy.dict" \
    "$top_srcdir"/contrib/policies/*.json "$top_srcdir"/tests/policy/*.json
