#!/bin/bash
# Headless Debian chromium (playwright-core, never a downloaded browser)
# makes relay-only WebRTC calls through umbra-relay over turn: and turns:.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
for tool in node /usr/bin/chromium; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (contrib/deps.sh test installs it)"; exit 1; }
done
# playwright-core from tests/browser/package-lock.json: contrib/test.sh runs
# `npm ci` in the source tree; otherwise install it once into the build tree.
pw=$top_srcdir/tests/browser/node_modules/playwright-core
if [ ! -f "$pw/package.json" ]; then
    pw=$top_builddir/tests/browser/node_modules/playwright-core
    if [ ! -f "$pw/package.json" ]; then
        mkdir -p "$top_builddir/tests/browser"
        cp "$top_srcdir/tests/browser/package.json" "$top_srcdir/tests/browser/package-lock.json" \
            "$top_builddir/tests/browser/" 2>/dev/null
        (cd "$top_builddir/tests/browser" && npm ci --no-audit --no-fund --loglevel=error) ||
            { echo "FAIL: npm ci in $top_builddir/tests/browser failed (playwright-core needed)"; exit 1; }
    fi
fi
exec python3 "$top_srcdir/tests/browser/relay_webrtc.py" "$pw"
