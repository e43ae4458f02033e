#!/bin/bash
# kill -9 of redis-server under live calls (the relays keep relaying, the
# broker answers 503, Redis comes back from its AOF with everything the
# broker acknowledged, revocation works again), then kill -9 of umbra-relay
# (what clients see; it comes back with the same credentials).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/broker_redis_kill.py"
