#!/bin/bash
# Identity tokens only in Authorization: Bearer, never in a URL or a log.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/broker_bearer.py"
