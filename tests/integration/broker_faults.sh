#!/bin/bash
# umbra-broker faults: a stopped Redis must not stall the event loop,
# oversize bodies get a JSON 413, no secret outlives its request in the
# broker's memory, users see the policy file's base name only, queued SDP
# leaves Redis at delivery and at DELETE (broker_faults.py).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/broker_faults.py"
