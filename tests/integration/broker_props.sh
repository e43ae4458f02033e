#!/bin/bash
# umbra-broker under generated hostile HTTP requests (see broker_props.py).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/broker_props.py"
