#!/bin/bash
# The relay's limits: call-quota, max-allocations, max-permissions,
# max-channels, bandwidth-limit and unauth-rate, each with its metric.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/relay_limits.py"
