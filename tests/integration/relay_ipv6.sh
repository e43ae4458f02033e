#!/bin/bash
# IPv6: a client over [::1], IPv6 relayed addresses, peer policy on IPv6.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/relay_ipv6.py"
