#!/bin/sh
# umbra-broker at its documented limits: N, N+1 and the largest body
# max-body lets through (broker_edges.py).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/broker_edges.py"
