#!/bin/sh
# Installs what is missing, builds umbra with ASan+UBSan, and runs every test:
# unit tests, integration tests against real Redis and turnutils_uclient, and
# headless Chromium calls; then a short libFuzzer run of every fuzz target
# (make fuzz-check, clang). Usage: contrib/test.sh [build-dir]
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-test}
"$top/contrib/deps.sh" test
if [ -f "$top/tests/browser/package.json" ] && [ ! -d "$top/tests/browser/node_modules" ]; then
    (cd "$top/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi
[ -x "$top/configure" ] || "$top/autogen.sh"
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" --enable-sanitizers
make -j"$(nproc)"
make -j"$(nproc)" check || { cat tests/*/*.log tests/*.log 2>/dev/null | tail -200; exit 1; }
make -j"$(nproc)" fuzz-check || { echo "fuzz-check failed: see tests/fuzz/lf/*.log"; exit 1; }
