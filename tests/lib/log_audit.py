"""log_audit: what umbra's daemons and tools wrote must hold no address and
no secret. Python standard library only.

The test harnesses (umbra_harness.py, tests/lib/audit.sh) fill an audit
directory when UMBRA_LOG_AUDIT_DIR is set (`make check` sets it):

    $UMBRA_LOG_AUDIT_DIR/TEST/            one directory per test, emptied
                                          when the test starts
        NAME.log                          a copy of everything umbra-relay,
                                          umbra-broker, umbra-load or
                                          umbra-policy wrote (stdout+stderr)
        manifest.tsv                      NAME.log <TAB> kind <TAB> flags
        ledger.txt                        every secret value the test made
                                          or was handed, one per line

kind is relay, broker, load or policy; flags holds "debug" for a daemon
that was started at log-level debug and became ready: its log must then
hold debug lines, so an audit cannot pass on logs that say nothing.

audit(dir) reads every line of every log and reports
  * an IPv4 or IPv6 address in any textual form (dotted quad, also with
    leading zeros or a port; IPv6 compressed or full, bracketed, with a
    zone or a port, IPv4-mapped or -compatible);
  * a PEM private key block;
  * a sanitizer report (AddressSanitizer, LeakSanitizer, UBSan);
  * any value of the test's ledger, and its other encodings: a hex value
    also as base64 (standard and URL-safe, with and without padding) and
    upper-case hex; a base64 value also as hex; a PEM key also by each
    line of its body and by its EC private scalar in hex and base64.
    Values shorter than MIN_SECRET characters are too common to search for
    and are counted as skipped.

    python3 log_audit.py DIR        audit DIR; exit 1 on any finding
    python3 log_audit.py --self-test
"""

import base64
import binascii
import ipaddress
import os
import re
import sys
import tempfile

MIN_SECRET = 8
DAEMON_KINDS = ("relay", "broker")
TOOL_KINDS = ("relay", "broker", "load", "policy")

SANITIZER = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|LeakSanitizer|"
                       r"runtime error:|ThreadSanitizer|==\d+==ERROR")
PEM_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
DEBUG_LINE = re.compile(r"\[debug\]")

# Candidates are cut out loosely and judged exactly: an IPv4 candidate is
# four decimal parts of at most 3 digits (leading zeros allowed: inet_aton
# reads them), each <= 255; an IPv6 candidate is a maximal run of hex
# digits, colons and dots with at least two colons that the ipaddress
# module accepts (after dropping a trailing ":port" or "."). A run is
# judged whole, so a colon-separated fingerprint (32 groups) is no address,
# and a time of day ("15:48:58") does not parse.
_V4 = re.compile(r"(?<![0-9.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)")
_V6_RUN = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")


def _v6_ok(cand):
    try:
        ipaddress.IPv6Address(cand)
        return True
    except ValueError:
        return False


def _v6_in_run(run):
    run = run.rstrip(".")
    if run.count(":") < 2:
        return None
    if _v6_ok(run):
        return run
    # "::1:3478" parses already; "fe80::1:2:3:4:5:6:3478" (eight groups
    # plus a port) only without the last group.
    head, _, tail = run.rpartition(":")
    if tail.isdigit() and head.count(":") >= 2 and _v6_ok(head):
        return head
    return None


def find_addresses(text):
    """Every IPv4 or IPv6 address in text, as (line number, match)."""
    hits = []
    for no, line in enumerate(text.splitlines(), 1):
        for m in _V4.finditer(line):
            if all(int(g) <= 255 for g in m.groups()):
                hits.append((no, m.group(0)))
        for m in _V6_RUN.finditer(line):
            found = _v6_in_run(m.group(0))
            if found:
                hits.append((no, found))
    return hits


def _b64decode(value):
    """bytes of a standard or URL-safe base64 text (padding optional), or None."""
    if not re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", value):
        return None
    text = value.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _b64_forms(raw):
    std = base64.b64encode(raw).decode()
    url = base64.urlsafe_b64encode(raw).decode()
    return {std, std.rstrip("="), url, url.rstrip("=")}


def _pem_forms(pem):
    """Each body line of a PEM block, and the EC private scalar (the 32
    bytes after INTEGER 1, OCTET STRING 32 in SEC1 and PKCS#8) in hex and
    base64."""
    forms = set()
    body = [ln.strip() for ln in pem.splitlines() if ln.strip() and not ln.startswith("-----")]
    forms.update(ln for ln in body if len(ln) >= 16)
    der = _b64decode("".join(body))
    if der:
        at = der.find(b"\x02\x01\x01\x04\x20")
        if at >= 0 and len(der) >= at + 37:
            scalar = der[at + 5:at + 37]
            forms.update({scalar.hex(), scalar.hex().upper()} | _b64_forms(scalar))
    return forms


def expand(value):
    """value and the other encodings of the same secret (see module doc)."""
    value = value.strip()
    if "-----BEGIN" in value:
        return _pem_forms(value)
    forms = {value}
    if re.fullmatch(r"(?:[0-9a-fA-F]{2}){8,}", value):
        raw = bytes.fromhex(value)
        forms |= {value.lower(), value.upper()} | _b64_forms(raw)
    elif len(value) >= 16:
        raw = _b64decode(value)
        if raw is not None and len(raw) >= 12:
            forms |= {raw.hex(), raw.hex().upper()} | _b64_forms(raw)
    return {f for f in forms if len(f) >= MIN_SECRET}


def read_ledger(path):
    """The ledger's values (PEM blocks rejoined) and the count of values too
    short to search for."""
    values, skipped, pem = set(), 0, None
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return values, skipped
    for line in lines:
        if pem is not None:
            pem.append(line)
            if line.startswith("-----END"):
                values |= expand("\n".join(pem))
                pem = None
            continue
        if line.startswith("-----BEGIN"):
            pem = [line]
            continue
        if not line.strip():
            continue
        forms = expand(line)
        if forms:
            values |= forms
        else:
            skipped += 1
    return values, skipped


def read_manifest(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 2:
                    rows.append((parts[0], parts[1], parts[2].split(",") if len(parts) > 2 else []))
    except OSError:
        pass
    return rows


class Result:
    def __init__(self):
        self.problems = []
        self.tests = 0
        self.logs = 0
        self.lines = 0
        self.debug_logs = 0
        self.values = 0
        self.skipped = 0
        self.sanitizer_reports = 0
        self.leak_reports = 0
        self.kinds = {}


def audit_log(path, values, res, label):
    with open(path, errors="replace") as f:
        text = f.read()
    lines = text.splitlines()
    res.logs += 1
    res.lines += len(lines)
    for no, addr in find_addresses(text):
        res.problems.append("%s:%d: address %s in: %s" % (label, no, addr, lines[no - 1][:200]))
    for no, line in enumerate(lines, 1):
        if PEM_KEY.search(line):
            res.problems.append("%s:%d: a PEM private key block" % (label, no))
        if SANITIZER.search(line):
            res.sanitizer_reports += 1
            if "LeakSanitizer" in line:
                res.leak_reports += 1
            res.problems.append("%s:%d: sanitizer report: %s" % (label, no, line[:200]))
    for v in values:
        at = text.find(v)
        if at >= 0:
            no = text.count("\n", 0, at) + 1
            res.problems.append("%s:%d: holds a secret of the test's ledger (%s...)" % (label, no, v[:6]))
    return text


def audit(root):
    res = Result()
    if not os.path.isdir(root):
        res.problems.append("%s: no audit directory (did the tests run with UMBRA_LOG_AUDIT_DIR?)" % root)
        return res
    for test in sorted(os.listdir(root)):
        d = os.path.join(root, test)
        if not os.path.isdir(d):
            continue
        manifest = read_manifest(os.path.join(d, "manifest.tsv"))
        if not manifest:
            continue
        res.tests += 1
        values, skipped = read_ledger(os.path.join(d, "ledger.txt"))
        res.values += len(values)
        res.skipped += skipped
        for name, kind, flags in manifest:
            path = os.path.join(d, name)
            label = "%s/%s" % (test, name)
            res.kinds[kind] = res.kinds.get(kind, 0) + 1
            if not os.path.exists(path):
                res.problems.append("%s: listed in the manifest but missing" % label)
                continue
            text = audit_log(path, values, res, label)
            if "debug" in flags:
                if DEBUG_LINE.search(text):
                    res.debug_logs += 1
                else:
                    res.problems.append("%s: a %s started at log-level debug wrote no debug line"
                                        % (label, kind))
    if res.tests == 0:
        res.problems.append("%s: no test left logs to audit" % root)
    elif res.debug_logs == 0:
        res.problems.append("%s: no daemon log at log-level debug among %d logs" % (root, res.logs))
    return res


def summary(res):
    kinds = ", ".join("%s %d" % kv for kv in sorted(res.kinds.items()))
    return ("%d tests, %d logs (%s), %d lines, %d debug logs; %d ledger values searched "
            "(%d too short to search); %d sanitizer report lines (%d leak)"
            % (res.tests, res.logs, kinds, res.lines, res.debug_logs, res.values, res.skipped,
               res.sanitizer_reports, res.leak_reports))


# -- self-test -----------------------------------------------------------------

CLEAN_LINE = ("2026-11-25T15:48:58Z umbra-relay[debug] allocation a:3f9c2e1b7a0d from "
              "a:0c1d2e3f4a5b: 200 (version 2.1.12, sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:"
              "23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89, at 15:48:58)\n")
SECRET_HEX = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
FAKE_PEM = ("-----BEGIN PRIVATE KEY-----\n"
            "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgq0Mz3n4mHpV6Ocf5\n"
            "tk2VfU4Hdm0kqx1w5FqKbh1qkZShRANCAAQ5v5qH2d3mG4rZkUeV3kq0Wn1mWm9L\n"
            "-----END PRIVATE KEY-----")
BAD_LINES = [
    ("IPv4", "client 192.0.2.7 allocated"),
    ("IPv4 with port", "peer=198.51.100.20:3478"),
    ("IPv4 with leading zeros", "from 010.000.000.001"),
    ("IPv6", "client 2001:db8::7 allocated"),
    ("IPv6 bracketed with port", "peer [2001:db8:0:0:1::2]:5349"),
    ("IPv6 loopback", "listening on ::1"),
    ("IPv4-mapped", "from ::ffff:192.0.2.9"),
    ("IPv4-mapped, hex", "from ::ffff:c000:209 now"),
    ("IPv6 with zone", "link fe80::1%eth0 up"),
    ("IPv6 upper case, full", "FE80:0000:0000:0000:0202:B3FF:FE1E:8329"),
    ("secret as is", "key " + SECRET_HEX),
    ("secret as base64", "key " + base64.b64encode(bytes.fromhex(SECRET_HEX)).decode()),
    ("secret as URL-safe base64", "k=" + base64.urlsafe_b64encode(bytes.fromhex(SECRET_HEX)).decode().rstrip("=")),
    ("secret in upper-case hex", "key " + SECRET_HEX.upper()),
    ("password", "pw rest-password-Zq81xk"),
    ("PEM block", "-----BEGIN EC PRIVATE KEY-----"),
    ("PEM body line", "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgq0Mz3n4mHpV6Ocf5"),
    ("EC scalar in hex", "d=" + base64.b64decode("MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgq0Mz3n4mHpV6Ocf5"
                                                  "tk2VfU4Hdm0kqx1w5FqKbh1qkZShRANCAAQ5v5qH2d3mG4rZkUeV3kq0Wn1mWm9L")
     [36:68].hex()),
    ("ASan report", "==123==ERROR: AddressSanitizer: heap-use-after-free on address"),
    ("LSan report", "==123==ERROR: LeakSanitizer: detected memory leaks"),
    ("UBSan report", "relay/x.c:10:5: runtime error: signed integer overflow"),
]


def _fake_dir(base, name, extra_line="", flags="debug", with_debug=True):
    d = os.path.join(base, name, "t")
    os.makedirs(d)
    with open(os.path.join(d, "relay.log"), "w") as f:
        f.write(CLEAN_LINE if with_debug else CLEAN_LINE.replace("[debug]", "[info]"))
        if extra_line:
            f.write("2026-11-25T15:48:59Z umbra-relay[info] %s\n" % extra_line)
        f.write(CLEAN_LINE.replace("[debug]", "[info]"))
    with open(os.path.join(d, "manifest.tsv"), "w") as f:
        f.write("relay.log\trelay\t%s\n" % flags)
    with open(os.path.join(d, "ledger.txt"), "w") as f:
        f.write("%s\nrest-password-Zq81xk\nshort\n%s\n" % (SECRET_HEX, FAKE_PEM))
    return os.path.dirname(d)


def self_test():
    """The audit passes a clean fake log and fails each one-line offence,
    and a daemon log without debug lines."""
    errors = []
    with tempfile.TemporaryDirectory(prefix="umbra-audit-selftest.") as base:
        res = audit(_fake_dir(base, "clean"))
        if res.problems:
            errors.append("a clean log was refused: %s" % res.problems)
        if res.skipped != 1:
            errors.append("the 5-character ledger value was not counted as skipped")
        for i, (what, line) in enumerate(BAD_LINES):
            res = audit(_fake_dir(base, "bad%d" % i, line))
            if not res.problems:
                errors.append("not caught: %s (%r)" % (what, line))
        res = audit(_fake_dir(base, "nodebug", with_debug=False))
        if not res.problems:
            errors.append("not caught: a debug daemon log without debug lines")
        res = audit(os.path.join(base, "missing"))
        if not res.problems:
            errors.append("not caught: no audit directory")
    return errors


def main(argv):
    if argv[1:] == ["--self-test"]:
        errors = self_test()
        for e in errors:
            print("FAIL self-test: %s" % e)
        if errors:
            return 1
        print("ok   self-test: a clean log passes; %d one-line offences and a silent debug "
              "log each fail the audit" % len(BAD_LINES))
        return 0
    if len(argv) != 2:
        sys.stderr.write("usage: log_audit.py DIR | --self-test\n")
        return 2
    res = audit(argv[1])
    for p in res.problems[:60]:
        print("FAIL %s" % p)
    if len(res.problems) > 60:
        print("FAIL ... and %d more" % (len(res.problems) - 60))
    print("%s: %s" % ("FAIL" if res.problems else "PASS", summary(res)))
    return 1 if res.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
