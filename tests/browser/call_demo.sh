#!/bin/bash
# Real WebRTC calls in headless Chromium through umbra-broker and
# umbra-relay, driven by playwright-core (see call_demo.py, call_demo.js).
# Ports: 24000-24199.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
export top_srcdir top_builddir
exec python3 "$top_srcdir/tests/browser/call_demo.py"
