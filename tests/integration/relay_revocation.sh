#!/bin/bash
# Call revocation through a real redis-server (and its restart), user quota,
# and the relay's Prometheus metrics holding counts only.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v redis-server >/dev/null || { echo "FAIL: redis-server missing (contrib/deps.sh installs it)"; exit 1; }
exec python3 "$top_srcdir/tests/integration/relay_revocation.py"
