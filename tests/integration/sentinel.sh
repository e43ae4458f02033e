#!/bin/bash
# Redis Sentinel failover under umbra-broker and umbra-relay: loss window,
# acknowledged writes, the relay's subscriber following the new master.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v redis-server >/dev/null || { echo "FAIL: redis-server missing (contrib/deps.sh installs it)"; exit 1; }
exec python3 "$top_srcdir/tests/integration/sentinel.py"
