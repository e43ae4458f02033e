#!/bin/bash
# umbra-broker's limits on what strangers can make it store: identities and
# pseudonym contexts per client and overall (429), a full Redis (503).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/broker_flood.py"
