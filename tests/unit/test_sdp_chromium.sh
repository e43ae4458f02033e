#!/bin/bash
# Headless Chromium accepts sanitized browser offers and trickled candidates.
exec python3 "$top_srcdir/tests/unit/sdp_chromium.py" \
    "$top_builddir/tests/unit/sdp_sanitize_cli" "$top_srcdir/tests/fixtures/sdp"
