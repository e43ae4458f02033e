#!/bin/bash
# After the integration tests: umbra-relay's debug logs hold no IP address
# and no credential (runs after relay_uclient/auth/privacy/malformed).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/relay_logs.py"
