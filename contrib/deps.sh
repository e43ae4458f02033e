#!/bin/sh
# Installs the Debian packages umbra needs to build, run and test, if missing.
# Usage: contrib/deps.sh [run|test]   (test adds the test-only packages)
set -e
need="autoconf automake libtool pkg-config make gcc libevent-dev libssl-dev libsrtp2-dev
libhiredis-dev libsodium-dev libjansson-dev zlib1g-dev libcmocka-dev redis-server curl
openssl ca-certificates"
if [ "${1:-run}" = test ]; then
    need="$need clang-format coturn chromium gnuplot-nox python3 procps iproute2 valgrind gdb"
    # tests/build/hardening.sh reads the daemons with readelf.
    need="$need binutils"
    # make fuzz-check: clang with libFuzzer and the sanitizer runtimes.
    need="$need clang libclang-rt-14-dev"
    # Node.js may come from elsewhere (with npm built in); use Debian's only when absent.
    command -v npm >/dev/null 2>&1 || need="$need nodejs npm"
fi
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
