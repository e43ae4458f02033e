#!/bin/bash
# No include cycle among the modules of relay/, common/ and stun/.
set -u
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
exec python3 "$top_srcdir/tests/style/include_cycles.py" "$top_srcdir"
