#!/bin/bash
# umbra-broker's per-client limits: connections per client address (closed
# unread), requests per second (429 + Retry-After), the defaults.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/broker_limits.py"
