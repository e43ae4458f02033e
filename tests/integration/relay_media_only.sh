#!/bin/bash
# The media-only rule: RFC 7983 demultiplexing of relayed payloads.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top_srcdir/tests/integration/relay_media_only.py"
