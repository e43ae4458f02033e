#!/bin/bash
# umbra-broker against a real redis-server: API, storage, faults (broker_api.py).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/broker_api.py"
