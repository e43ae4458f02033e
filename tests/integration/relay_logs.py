"""The relay's logs at debug level hold no IPv4 or IPv6 address and none of
the secrets, usernames or passwords the tests used.

Scans the umbra-relay logs that relay_uclient, relay_auth, relay_privacy,
relay_malformed, relay_revocation, relay_turn_rules and relay_cli left in $top_builddir/tests/out/ (make
runs those first; see local.mk), and the IPv6 and browser tests' if they ran. Every test must have left a
non-empty log from a relay configured with log-level = debug, so this test
cannot pass on missing logs.

What counts as an address: any token that Python's ipaddress module accepts
as IPv4 (dotted quad) or IPv6 (with "::" or eight groups, including
IPv4-mapped forms); no exclusions. Timestamps ("13:19:29") and version
numbers with fewer than four parts do not parse and so do not count; a
four-part version number would, and would then have to go from the log.
"""

import glob
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from umbra_harness import fail, find_addresses, find_sensitive, note, out_root, run  # noqa: E402

REQUIRED = ["relay_uclient", "relay_auth", "relay_privacy", "relay_malformed", "relay_revocation",
            "relay_turn_rules", "relay_cli"]
OPTIONAL = ["relay_ipv6", "relay_webrtc"]  # the IPv6 test may SKIP


def main():
    root = out_root()
    problems, scanned, lines_total = [], 0, 0
    for name in REQUIRED + OPTIONAL:
        d = os.path.join(root, name)
        logs = sorted(p for p in glob.glob(os.path.join(d, "relay*.log")))
        if not logs:
            if name in REQUIRED:
                problems.append("%s: no relay log in %s (did the test run?)" % (name, d))
            continue
        sensitive = []
        if os.path.exists(os.path.join(d, "sensitive.txt")):
            with open(os.path.join(d, "sensitive.txt")) as f:
                sensitive = sorted(set(line.rstrip("\n") for line in f if line.strip()))
        for log in logs:
            conf = log[:-4] + ".conf"
            conf_text = open(conf).read() if os.path.exists(conf) else ""
            if "log-level = debug" not in conf_text:
                problems.append("%s: %s was not written at log-level = debug" % (name, log))
            with open(log, errors="replace") as f:
                text = f.read()
            lines = text.splitlines()
            if len(lines) < 2:
                problems.append("%s: %s has %d lines; too little to judge" % (name, log, len(lines)))
            for no, addr in find_addresses(text):
                problems.append("%s:%d: address %s in: %s" % (log, no, addr, lines[no - 1][:200]))
            for value in find_sensitive(text, sensitive):
                problems.append("%s: holds a secret/username/password the test used: %s..."
                                % (log, value[:6]))
            scanned += 1
            lines_total += len(lines)
            note("scanned %s: %d lines, %d recorded secrets checked" % (log, len(lines), len(sensitive)))
    if problems:
        fail("%d problem(s) in relay logs:\n  %s" % (len(problems), "\n  ".join(problems[:40])))
    note("PASS: %d logs, %d lines, no address and no credential" % (scanned, lines_total))


if __name__ == "__main__":
    run(main)
