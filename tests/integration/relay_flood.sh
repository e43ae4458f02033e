#!/bin/bash
# A flood of 1,000,000 malformed packets and 10,000 bad-credential requests
# from other loopback addresses while 16 SRTP calls run through the relay.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/relay_flood.py"
