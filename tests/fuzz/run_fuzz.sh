#!/bin/bash
# Runs the fuzz targets, built with the standalone driver (fuzz_main.c) and
# the configured sanitizers, over the seed corpus and FUZZ_COUNT generated
# inputs each (default 20000). FUZZ_SEED replays a run.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
count=${FUZZ_COUNT:-20000}
seed=${FUZZ_SEED:-$(date +%s)}
corpus=$top_srcdir/tests/fuzz/corpus
"$top_builddir/tests/fuzz/fuzz_stun_msg" -n "$count" -s "$seed" "$corpus/stun"
"$top_builddir/tests/fuzz/fuzz_channel_data" -n "$count" -s "$seed" "$corpus/channel" "$corpus/stun"
