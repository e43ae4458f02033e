#!/bin/bash
# A flood of malformed packets over UDP and TCP while a good client keeps working.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/relay_malformed.py"
