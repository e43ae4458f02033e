#!/bin/bash
# umbra-broker against a real redis-server (see broker_api.py).
command -v redis-server >/dev/null || { echo "redis-server not installed"; exit 1; }
exec python3 "$top_srcdir/tests/integration/broker_api.py"
