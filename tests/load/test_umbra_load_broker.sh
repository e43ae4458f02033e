#!/bin/bash
# umbra-load --broker against real umbra-broker, redis-server and umbra-relay.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/load/test_umbra_load_broker.py"
