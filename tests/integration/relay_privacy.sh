#!/bin/bash
# Peer privacy: permissions only toward relayed addresses of live allocations.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/relay_privacy.py"
