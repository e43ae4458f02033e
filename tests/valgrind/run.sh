#!/bin/bash
# Valgrind memcheck of the integration suite. Builds umbra without
# sanitizers (-O1 -g) in its own build directory, runs the tests that start
# umbra-relay, umbra-broker, umbra-load and umbra-policy with each of those
# wrapped in valgrind (UMBRA_WRAP, honoured by tests/lib/umbra_harness.py
# and tests/lib/audit.sh), and summarises every process's errors and
# definite/indirect leaks. A memcheck error or a definite leak makes that
# process exit 99, which fails its test.
#
# usage: tests/valgrind/run.sh [--build-only] [build-dir] [test ...]
#   build-dir defaults to build-valgrind in the source tree; tests default
#   to every integration, load, browser and CLI test (see TESTS below).
#   --build-only configures (with --enable-werror and the default
#   hardening) and builds, and runs nothing: contrib/test.sh runs the
#   hardening check in this build.
# Output: BUILD/tests/out/valgrind/vg.PID.log per process, summary.txt.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build_only=no
[ "${1:-}" = --build-only ] && { build_only=yes; shift; }
build=${1:-$top/build-valgrind}
[ $# -gt 0 ] && shift
[ $build_only = yes ] || command -v valgrind > /dev/null ||
    { echo "valgrind is not installed (contrib/deps.sh test)"; exit 1; }
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh) || exit 1
mkdir -p "$build"
cd "$build" || exit 1
if ! ./config.status --config 2>/dev/null | grep -q -- --enable-werror; then
    "$top/configure" --enable-werror CFLAGS="-O1 -g" > configure.out 2>&1 || { tail -20 configure.out; exit 1; }
fi
grep -q "^SANITIZER_CFLAGS = .*-fsanitize" Makefile && { echo "$build was configured with sanitizers; valgrind needs a plain build"; exit 1; }
make -j2 > make.out 2>&1 || { tail -30 make.out; exit 1; }
[ $build_only = yes ] && exit 0

# Left out, because they assert speed, which valgrind takes away (each
# program runs ~20 times slower, its threads one at a time):
#   tests/load/test_umbra_load.sh     packet rates within 1% of the codec's
#                                     and no loss at 50-4000 packets/s
#   tests/integration/relay_paths.sh  no loss at 4000 packets/s offered to
#                                     a two-worker relay, GSO batch counts
#   tests/integration/relay_malformed.sh  a good client completes 3 cycles
#                                     while 8 sockets flood the relay for
#                                     8 s; under valgrind it completes 2
#                                     even in 16 s (the relay parses the
#                                     30,000-60,000 malformed messages with
#                                     no memcheck error; only the count of
#                                     good cycles fails)
#   tests/integration/relay_flood.sh  16 calls keep <0.1% loss while
#                                     1,000,000 datagrams flood the relay
#   tests/integration/sentinel.sh     the broker answers within a bound
#                                     set by redis-timeout-ms while
#                                     sentinels are silent (passed in one
#                                     valgrind run of two: 1012 ms)
# umbra-load and the relay still run under valgrind in load_broker (three
# calls through broker and relay, DTLS-SRTP) and in every other relay test
# (two workers each, the harness's default on two cores).
EXCLUDE="tests/load/test_umbra_load.sh tests/integration/relay_paths.sh
tests/integration/relay_malformed.sh tests/integration/relay_flood.sh
tests/integration/sentinel.sh"
if [ $# -gt 0 ]; then
    tests="$*"
else
    # Every test script that starts one of the four programs.
    tests=$(make -s -f Makefile -f - print-tests <<'MK' | tr ' ' '\n' | grep -E '^tests/(integration|load|browser)/.*\.sh$|^tests/policy/cli\.sh$' | grep -vxF -f <(tr ' ' '\n' <<< "$EXCLUDE" | grep .) | tr '\n' ' '
print-tests: ; @echo $(TESTS)
MK
)
fi
echo "tests under valgrind: $tests"
out=$build/tests/out/valgrind
rm -rf "$out"
mkdir -p "$out"
export UMBRA_WRAP="valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --track-fds=no --num-callers=30 --log-file=$out/vg.%p.log"
# Programs under valgrind start ~20 times slower and run ~10 times slower.
export UMBRA_TIMEOUT_SCALE=${UMBRA_TIMEOUT_SCALE:-6}
start=$(date +%s)
make -j2 check TESTS="$tests" > "$out/check.out" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
python3 "$top/tests/valgrind/summary.py" "$out" > "$out/summary.txt"
vrc=$?
grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' "$out/check.out"
cat "$out/summary.txt"
echo "valgrind run: ${secs}s, make check exit $rc"
[ $rc -eq 0 ] && [ $vrc -eq 0 ]
