#!/bin/bash
# Two-party call through umbra-broker and umbra-relay, then revocation.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/broker_call.py"
