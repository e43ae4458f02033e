"""umbra-relay privileges and secrets, all real processes on loopback:

* secret files: an auth-secret-file, tls-key or configuration file holding
  a user password with mode 0644 or 0640 stops the relay with the message
  naming the file, its mode and the chmod, a non-zero exit and no port
  bound; 0400 (and 0600, below) start.
* proc-user/proc-group (needs root): the relay on privileged ports (UDP,
  TCP and TLS below 1024) runs as nobody/nogroup in every thread, and
  Allocate still works over UDP and TLS, with REST and static credentials.
* SIGHUP as nobody: once the secrets file is nobody's (0600), rotation
  works, and the rotated-out secret is gone from memory.
* not dumpable: /proc/PID/mem and environ stay root's although the process
  is nobody's; every copy of the REST secret, of the static password and of
  the TLS private key's number in its memory lies in a dont-dump (dd)
  region; a core from gcore holds none of them, but holds the realm (a value the relay keeps in ordinary memory,
  so the search is shown to work).

Ports: 33000-33099, and two free ports in 930-979.
"""
import grp
import os
import pwd
import secrets as rnd
import signal
import subprocess
import time
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))

from umbra_harness import Harness, fail, note, port_free, run, expect  # noqa: E402
import privs_check  # noqa: E402
import umbra_stun as stun  # noqa: E402

SECRET = "privs-rest-secret-" + rnd.token_hex(8)
NEW_SECRET = "privs-rest-secret-rotated-" + rnd.token_hex(8)
STATIC_USER, STATIC_PASS = "privs-static", "privs-static-pass-" + rnd.token_hex(8)
MARKER = "privs-realm-marker-" + rnd.token_hex(8)


def refused(h, what, args, key, path, mode, port):
    """The relay must refuse to start and name path, mode and the fix."""
    r = h.run_tool("relay-refused", [h.relay_binary()] + args, timeout=20)
    text = r.stdout + r.stderr
    want = "%s %s: mode %04o lets group/others read it; chmod 600 %s" % (key, path, mode, path)
    if r.returncode == 0 or want not in text or not port_free(port):
        fail("%s %04o: expected a refusal with %r; got exit %d: %r"
             % (what, mode, want, r.returncode, text[-300:]))
    note("ok   %s %04o: refused, exit %d, port %d not bound: %s" % (what, mode, r.returncode,
                                                                   port, want))


def test_modes(h):
    port = h.port()
    base = ["--listen=127.0.0.1:%d" % port, "--relay-address=127.0.0.1", "--relay-ports=33090-33099"]
    cert, key = h.make_cert("modes")
    for mode in (0o644, 0o640):
        sec = h.write_secrets([SECRET], name="secrets-%o" % mode)
        os.chmod(sec, mode)
        refused(h, "auth-secret-file", base + ["--auth-secret-file=" + sec], "auth-secret-file",
                sec, mode, port)
        os.chmod(key, mode)
        refused(h, "tls-key", base + ["--user=u:p", "--tls-cert=" + cert, "--tls-key=" + key],
                "tls-key", key, mode, port)
        conf = h.write_file("users-%o.conf" % mode, "user = %s:%s\n" % (STATIC_USER, STATIC_PASS),
                            mode=mode)
        refused(h, "configuration file with a password", ["-c", conf] + base,
                "configuration file (it holds user passwords)", conf, mode, port)
    os.chmod(key, 0o400)
    sec = h.write_secrets([SECRET], name="secrets-400")
    os.chmod(sec, 0o400)
    relay = h.start_relay(name="relay-0400", tls_cert=cert, tls_key=key, auth_secret_file=sec,
                          user=["%s:%s" % (STATIC_USER, STATIC_PASS)])
    with stun.TurnClient(relay.host, relay.tls_port, "tls", STATIC_USER, STATIC_PASS) as c:
        r = c.allocate()
    expect(r.cls == stun.SUCCESS, "auth-secret-file, tls-key and configuration file 0400: "
           "started, TLS Allocate works")
    h.stop(relay)


def privileged_ports(h):
    for p in range(930, 979):
        if port_free(p) and port_free(p + 1):
            return p, p + 1
    fail("no two free ports in 930-979")


def private_scalar(key_path):
    """The private number of a PEM EC key, as `openssl pkey -text` shows it."""
    text = subprocess.run(["openssl", "pkey", "-in", key_path, "-noout", "-text"],
                          stdout=subprocess.PIPE, check=True).stdout.decode()
    hexes, on = "", False
    for line in text.splitlines():
        if line.startswith("priv:"):
            on = True
        elif on and line.startswith(" "):
            hexes += line.strip().replace(":", "")
        elif on:
            break
    return bytes.fromhex(hexes)[-32:]


def allocate(relay, transport, user, password):
    port = relay.tls_port if transport == "tls" else relay.port
    with stun.TurnClient(relay.host, port, transport, user, password) as c:
        r = c.allocate()
        if r.cls == stun.SUCCESS:
            c.refresh(0)
        return r


def test_privileged(h):
    nobody, nogroup = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    port, tls_port = privileged_ports(h)
    sec = h.write_secrets([SECRET], name="secrets-600")
    relay = h.start_relay(port=port, tls_port=tls_port, auth_secret_file=sec, realm=MARKER,
                          user=["%s:%s" % (STATIC_USER, STATIC_PASS)], threads=2,
                          proc_user="nobody", proc_group="nogroup", relay_port_count=20)
    pid = relay.pid
    ids = privs_check.proc_ids(pid)
    bad = {t: v for t, v in ids.items() if v != ([nobody] * 4, [nogroup] * 4, [nogroup])}
    expect(len(ids) >= 3 and not bad,
           "ports %d/%d: all %d threads have Uid %d x4, Gid %d x4, Groups [%d] (wrong: %s)"
           % (port, tls_port, len(ids), nobody, nogroup, nogroup, bad or "none"))
    log = relay.log_text()
    expect("running as nobody" in log and "SIGHUP cannot re-read it" in log,
           "log: says it runs as nobody and that the root-only secrets file cannot be re-read")
    user, password = h.rest_credentials(SECRET, call="privs-call", pseudonym="p")
    for transport in ("udp", "tls"):
        r = allocate(relay, transport, user, password)
        expect(r.cls == stun.SUCCESS, "as nobody: %s Allocate with REST credentials (%s)"
               % (transport.upper(), stun.describe_response(r)))
    r = allocate(relay, "udp", STATIC_USER, STATIC_PASS)
    expect(r.cls == stun.SUCCESS, "as nobody: UDP Allocate with the static user")

    # SIGHUP re-reads the file as nobody: once it is nobody's (mode 600),
    # rotation works; the old secret is then wiped from memory.
    os.chown(sec, nobody, nogroup)
    with open(sec, "w") as f:
        f.write(NEW_SECRET + "\n")
    h.record_sensitive(NEW_SECRET)
    relay.proc.send_signal(signal.SIGHUP)
    user, password = h.rest_credentials(NEW_SECRET, call="privs-call-2", pseudonym="p")
    deadline = time.monotonic() + 10
    while allocate(relay, "udp", user, password).cls != stun.SUCCESS:
        if time.monotonic() > deadline:
            fail("after chown to nobody and SIGHUP, the new secret is not accepted; log:\n%s"
                 % relay.log_tail())
        time.sleep(0.2)
    note("ok   as nobody: SIGHUP re-read the nobody-owned 0600 secrets file; new secret works")

    owners = {n: os.stat("/proc/%d/%s" % (pid, n)).st_uid for n in ("mem", "environ")}
    expect(owners == {"mem": 0, "environ": 0},
           "not dumpable: /proc/PID/mem and environ owned by uid 0, not %d (%s)" % (nobody, owners))

    # The key's number as DER holds it (big-endian) and as a BIGNUM holds it
    # (64-bit limbs, least significant first: on x86-64 the bytes reversed).
    tls_priv = private_scalar(relay.config["tls_key"])
    tls_bn = tls_priv[::-1]
    needles = [NEW_SECRET.encode(), STATIC_PASS.encode(), MARKER.encode(), SECRET.encode(),
               tls_priv, tls_bn]
    where = privs_check.find_in_memory(pid, needles)
    expect(where[SECRET.encode()] == [], "memory: the rotated-out REST secret is wiped")
    for name, n in (("REST secret", NEW_SECRET.encode()), ("static password",
                                                           STATIC_PASS.encode()),
                    ("TLS private key, as a BIGNUM (OpenSSL secure heap)", tls_bn)):
        spots = where[n]
        loose = [s for s in spots if "dd" not in s[2]]
        if not spots or loose:
            fail("memory: the %s is in %d region(s); outside dd: %s"
                 % (name, len(spots), [(hex(a), hex(b)) for a, b, _ in loose]))
        note("ok   memory: the %s is in %d region(s), all dont-dump (dd)" % (name, len(spots)))
    loose = [s for s in where[tls_priv] if "dd" not in s[2]]
    expect(not loose, "memory: no big-endian copy of the TLS key's number outside dd regions "
           "(%d found)" % len(loose))
    expect(any("dd" not in s[2] for s in where[MARKER.encode()]),
           "memory: the realm (control) is in an ordinary region")
    small_dd = [r for r in privs_check.regions(pid) if "dd" in r[4] and r[1] - r[0] < (1 << 20)]
    expect(len(small_dd) >= 3, "smaps: %d small regions with VmFlags dd (guarded secrets)"
           % len(small_dd))

    found, size = privs_check.gcore_finds(h, pid, needles, "relay")
    expect(MARKER.encode() in found, "gcore: the core (%d MB) holds the realm (control)"
           % (size >> 20))
    expect(NEW_SECRET.encode() not in found and STATIC_PASS.encode() not in found and
           tls_priv not in found and tls_bn not in found,
           "gcore: the core holds neither the REST secret, the static password nor the TLS key")
    h.stop(relay)


def main():
    with Harness("relay_privs", port_base=33000, port_count=100) as h:
        test_modes(h)
        if os.geteuid() != 0:
            note("SKIP: switching user and reading a non-dumpable process need root")
            sys.exit(77)
        test_privileged(h)
    print("PASS: relay_privs")


if __name__ == "__main__":
    run(main)
