#!/bin/bash
# Two umbra-brokers on one Redis share one call: every endpoint, requests
# spread over both, long polls woken across brokers.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v redis-server >/dev/null || { echo "FAIL: redis-server missing (contrib/deps.sh installs it)"; exit 1; }
exec python3 "$top_srcdir/tests/integration/two_brokers.py"
