#!/bin/bash
# umbra-broker: secret file modes, proc-user/proc-group on a privileged
# port, not dumpable, keys and secrets out of core dumps.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/broker_privs.py"
