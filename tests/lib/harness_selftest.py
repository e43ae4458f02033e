"""Self-test of the harnesses' sanitizer checks and audit hand-over, run by
tests/integration/log_audit.sh before the audit. Fake programs named like
umbra's (shell scripts called umbra-relay and umbra-load in a temporary
directory) print a sanitizer report, and each way a test can start them
must then fail:

  * Harness.spawn of a daemon that reports and exits 0 on its own: the
    harness's exit fails the test (stop() is never called);
  * Harness.run_tool of a program that reports and exits 0;
  * tests/lib/audit.sh's umbra_check_log on such output.

It also checks that UMBRA_WRAP prefixes umbra's programs (and nothing
else), and that a clean run hands its log and ledger to the audit
directory. Port block 37000-37009 (taken by the lock only).
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def fake(dirname, name, text, status=0):
    path = os.path.join(dirname, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\nprintf '%%s\\n' '%s'\nexit %d\n" % (text, status))
    os.chmod(path, 0o755)
    return path


def child(code, env):
    """Runs code in a fresh python (a failing Harness ends its process)."""
    return subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, %r)\n%s" % (HERE, code)],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)


def main():
    errors = []
    with tempfile.TemporaryDirectory(prefix="umbra-harness-selftest.") as tmp:
        env = dict(os.environ, top_builddir=tmp, UMBRA_LOG_AUDIT_DIR=os.path.join(tmp, "audit"))
        env.pop("UMBRA_WRAP", None)
        report = "==42==ERROR: LeakSanitizer: detected memory leaks"
        bad = fake(tmp, "umbra-relay", "2026-01-01T00:00:00Z umbra-relay[info] " + report)
        os.makedirs(os.path.join(tmp, "tools"))
        tool = fake(os.path.join(tmp, "tools"), "umbra-load", "runtime error: load overflow")
        ok = fake(os.path.join(tmp, "tools"), "umbra-policy", "fine, secret-value-0123456789")

        r = child("""
import time
from umbra_harness import Harness
with Harness("selftest_spawn", port_base=37000, port_count=10) as h:
    p = h.spawn("relay", [%r])
    while p.alive():
        time.sleep(0.05)
print("not failed")
""" % bad, env)
        out = r.stdout.decode(errors="replace")
        if r.returncode == 0 or "LeakSanitizer" not in out:
            errors.append("a daemon's sanitizer report did not fail at the harness's exit: %d %s"
                          % (r.returncode, out[-500:]))

        r = child("""
from umbra_harness import Harness
with Harness("selftest_tool", port_base=37000, port_count=10) as h:
    h.run_tool("load", [%r])
print("not failed")
""" % tool, env)
        out = r.stdout.decode(errors="replace")
        if r.returncode == 0 or "runtime error" not in out:
            errors.append("run_tool's sanitizer report did not fail the test: %d %s"
                          % (r.returncode, out[-500:]))

        r = child("""
from umbra_harness import Harness
with Harness("selftest_clean", port_base=37000, port_count=10) as h:
    h.record_sensitive("secret-value-0123456789")
    r = h.run_tool("policy", [%r])
    assert r.returncode == 0, r
""" % ok, env)
        audit = os.path.join(tmp, "audit", "selftest_clean")
        try:
            manifest = open(os.path.join(audit, "manifest.tsv")).read()
            ledger = open(os.path.join(audit, "ledger.txt")).read()
            copied = open(os.path.join(audit, "policy.log")).read()
        except OSError as e:
            manifest = ledger = copied = ""
            errors.append("a clean run left no audit files: %s (%s)"
                          % (e, r.stdout.decode(errors="replace")[-300:]))
        if r.returncode != 0:
            errors.append("a clean run failed: %s" % r.stdout.decode(errors="replace")[-500:])
        elif ("policy.log\tpolicy" not in manifest or "secret-value-0123456789" not in ledger
              or "fine" not in copied):
            errors.append("the audit hand-over is incomplete: %r %r %r" % (manifest, ledger, copied))

        r = child("""
import umbra_harness
print(umbra_harness.wrap(["/x/umbra-broker", "-c", "f"]), umbra_harness.wrap(["redis-server"]))
""", dict(env, UMBRA_WRAP="valgrind --error-exitcode=99"))
        want = "['valgrind', '--error-exitcode=99', '/x/umbra-broker', '-c', 'f'] ['redis-server']"
        if r.stdout.decode().strip() != want:
            errors.append("UMBRA_WRAP: got %r, want %r" % (r.stdout.decode().strip(), want))

        log = os.path.join(tmp, "fake.log")
        with open(log, "w") as f:
            f.write("umbra-relay[info] started\n%s\n" % report)
        r = subprocess.run(["bash", "-c", '. "$1"; umbra_check_log relay relay "$2" debug',
                            "-", os.path.join(HERE, "audit.sh"), log],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode == 0:
            errors.append("audit.sh's umbra_check_log passed a sanitizer report")
    for e in errors:
        print("FAIL harness self-test: %s" % e)
    if errors:
        return 1
    print("ok   harness self-test: sanitizer reports fail spawned daemons, run_tool runs and "
          "shell tests; UMBRA_WRAP wraps umbra's programs only; a clean run reaches the audit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
