#!/bin/bash
# umbra-relay: secret file modes, proc-user/proc-group on privileged ports,
# not dumpable, secrets out of core dumps.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/relay_privs.py"
