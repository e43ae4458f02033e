#!/bin/bash
# /metrics only on metrics-listen, never on the public listener.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/broker_metrics.py"
