#!/bin/sh
# Installs what is missing, builds umbra with ASan+UBSan, and runs every test:
# unit tests, integration tests against real Redis and turnutils_uclient, and
# headless Chromium calls; then a short libFuzzer run of every fuzz target
# (make fuzz-check, clang); then a plain build (BUILD-valgrind, hardened as
# an operator's, with the FORTIFY the sanitizer build leaves off) and the
# hardening check on it; then the integration tests again with the daemons
# and tools under valgrind memcheck in that build (about 5 minutes;
# UMBRA_VALGRIND=no leaves it out). Both builds turn warnings into errors.
# Usage: contrib/test.sh [build-dir]
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
# Configured unless it was, with --enable-werror (a build directory from
# before that option existed is configured again).
# Objects built with the old flags are built again.
if ! ./config.status --config 2>/dev/null | grep -q -- --enable-werror; then
    "$top/configure" --enable-sanitizers --enable-werror
    [ ! -f Makefile ] || make clean >/dev/null
fi
make -j"$(nproc)"
make -j"$(nproc)" check || { cat tests/*/*.log tests/*.log 2>/dev/null | tail -200; exit 1; }
make -j"$(nproc)" fuzz-check || { echo "fuzz-check failed: see tests/fuzz/lf/*.log"; exit 1; }
"$top/tests/valgrind/run.sh" --build-only "$build-valgrind"
make -C "$build-valgrind" -j"$(nproc)" check TESTS=tests/build/hardening.sh ||
    { cat "$build-valgrind"/tests/build/hardening.log; exit 1; }
if [ "${UMBRA_VALGRIND:-yes}" != no ]; then
    "$top/tests/valgrind/run.sh" "$build-valgrind" ||
        { tail -100 "$build-valgrind"/tests/out/valgrind/check.out; exit 1; }
fi
