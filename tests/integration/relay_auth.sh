#!/bin/bash
# Authentication (401, 438, expired REST), Binding refusal, no SOFTWARE, mapped-address=omit.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/relay_auth.py"
