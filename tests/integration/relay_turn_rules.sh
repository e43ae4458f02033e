#!/bin/bash
# RFC 8656 allocation rules and error codes (437 441 442 440 400 508, EVEN-PORT).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/relay_turn_rules.py"
