#!/bin/bash
# umbra-relay --help/--version, configuration errors that name their place,
# and SIGHUP with a broken secrets file.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/relay_cli.py"
