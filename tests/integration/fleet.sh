#!/bin/bash
# A relay fleet (three relays, two operators) and two brokers sharing one
# Redis: announcements, relay-to-relay calls, relay choice, revocation and
# drop-out (ports 34000-34299).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/fleet.py"
