#!/bin/bash
# No include cycle among the modules of relay/, common/ and stun/. First
# checks that the checker itself finds a cycle in a small made-up tree.
set -u
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
check="$top_srcdir/tests/style/include_cycles.py"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/relay" "$tmp/common"
printf '#include "b.h"\n' >"$tmp/relay/a.c"
printf '#include "addr.h"\n' >"$tmp/relay/a.h"
printf '#include "a.h"\n' >"$tmp/relay/b.c"
: >"$tmp/relay/b.h"
: >"$tmp/common/addr.h"
if python3 "$check" "$tmp" >"$tmp/out"; then
    echo "FAIL: the checker missed the cycle a <-> b:"
    cat "$tmp/out"
    exit 1
fi
grep -q "CYCLE among: a b" "$tmp/out" || { echo "FAIL: cycle not named"; cat "$tmp/out"; exit 1; }
python3 "$check" "$top_srcdir"
