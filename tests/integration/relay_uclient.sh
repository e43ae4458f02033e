#!/bin/bash
# turnutils_uclient (coturn's client) against umbra-relay: 20 clients in
# client-to-client mode over UDP, TCP and TLS; loopback peers refused.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v turnutils_uclient >/dev/null || { echo "FAIL: turnutils_uclient missing (Debian package coturn; contrib/deps.sh test)"; exit 1; }
exec python3 "$top_srcdir/tests/integration/relay_uclient.py"
