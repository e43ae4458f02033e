"""umbra-broker privileges and secrets, all real processes on loopback
(redis-server, umbra-broker):

* secret files: an auth-secret-file, broker-key-file or tls-key with mode
  0644 or 0640 stops the broker with the message naming the file, its mode
  and the chmod, a non-zero exit and its port not bound; all three 0400
  start and serve HTTPS.
* proc-user/proc-group (needs root): the broker on a privileged port runs
  as nobody/nogroup in every thread (the DTLS pool's too) and still creates
  a call.
* not dumpable: /proc/PID/mem and environ stay root's; the broker key's
  derived subkeys (BLAKE2b per libsodium's crypto_kdf, computed here) and
  the REST secret lie only in dont-dump (dd) regions; neither they, nor the
  key file's hex, nor the REST secret are in a core from gcore, which holds
  a relay URI from the configuration (control: the search works).

Ports: 33100-33199, and one free port in 980-999.
"""
import grp
import hashlib
import os
import pwd
import secrets as rnd
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))

from broker_harness import Broker  # noqa: E402
from umbra_harness import Harness, fail, note, port_free, run, timeout_scale, expect  # noqa: E402
import privs_check  # noqa: E402

SECRET = "privs-broker-rest-secret-" + rnd.token_hex(8)
MARKER = "turn:privs-marker-%s.invalid:3478?transport=udp" % rnd.token_hex(8)


def subkey(master, n):
    """libsodium crypto_kdf_derive_from_key(32, n, "umbrabrk", master)."""
    return hashlib.blake2b(b"", digest_size=32, key=master,
                           salt=struct.pack("<Q", n) + bytes(8),
                           person=b"umbrabrk" + bytes(8)).digest()


def refused(h, b, what, path, mode):
    conf = h.write_file("refused.conf", h.config_text(b.config))
    r = h.run_tool("broker-refused", [h.broker_binary(), "-c", conf], timeout=20)
    text = r.stdout + r.stderr
    want = "%s %s: mode %04o lets group/others read it; chmod 600 %s" % (what, path, mode, path)
    if r.returncode == 0 or want not in text or not port_free(b.port):
        fail("%s %04o: expected a refusal with %r; got exit %d: %r"
             % (what, mode, want, r.returncode, text[-300:]))
    note("ok   %s %04o: refused, exit %d, port %d not bound: %s" % (what, mode, r.returncode,
                                                                   b.port, want))


def test_modes(h, redis):
    b = Broker(h, redis.port, [MARKER], secret=SECRET, tls=True, name="modes")
    files = {"auth-secret-file": b.secret_path, "broker-key-file": b.key_path,
             "tls-key": b.config["tls_key"]}
    for mode in (0o644, 0o640):
        for what, path in files.items():
            os.chmod(path, mode)
            refused(h, b, what, path, mode)
            os.chmod(path, 0o600)
    for path in files.values():
        os.chmod(path, 0o400)
    b.start()
    t = b.identity()
    r = b.create_call(b.pseudonym(t, "peer"))
    expect(r.status == 201, "auth-secret-file, broker-key-file and tls-key 0400: started, "
           "HTTPS call created (%d)" % r.status)
    b.stop()


def privileged_port():
    for p in range(980, 1000):
        if port_free(p):
            return p
    fail("no free port in 980-999")


def test_privileged(h, redis):
    nobody, nogroup = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    b = Broker(h, redis.port, [MARKER], secret=SECRET, proc_user="nobody", proc_group="nogroup")
    b.port = privileged_port()
    b.config["listen"] = "127.0.0.1:%d" % b.port
    with open(b.key_path) as f:
        master_hex = f.read().strip()
    master = bytes.fromhex(master_hex)
    b.start()
    pid = b.proc.pid
    # The broker switches right after it starts listening: wait for the
    # line it logs then, or a slow run (valgrind) looks at it too early.
    deadline = time.monotonic() + 10 * timeout_scale()
    while "running as nobody" not in b.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    ids = privs_check.proc_ids(pid)
    bad = {t: v for t, v in ids.items() if v != ([nobody] * 4, [nogroup] * 4, [nogroup])}
    expect(len(ids) >= 2 and not bad,
           "port %d: all %d threads have Uid %d x4, Gid %d x4, Groups [%d] (wrong: %s)"
           % (b.port, len(ids), nobody, nogroup, nogroup, bad or "none"))
    expect("running as nobody" in b.log(), "log: says it runs as nobody")
    t1, t2 = b.identity(), b.identity()
    c = b.create_call(b.pseudonym(t2, "peer"), caller=t1)
    expect(c.status == 201 and c.json["ice_servers"][0]["credential"],
           "as nobody: a call created with TURN credentials (%d)" % c.status)
    owners = {n: os.stat("/proc/%d/%s" % (pid, n)).st_uid for n in ("mem", "environ")}
    expect(owners == {"mem": 0, "environ": 0},
           "not dumpable: /proc/PID/mem and environ owned by uid 0, not %d (%s)" % (nobody, owners))

    subkeys = {"pseudonym subkey": subkey(master, 1), "token subkey": subkey(master, 2),
               "call subkey": subkey(master, 5)}
    guarded = dict(subkeys, **{"REST secret": SECRET.encode()})
    gone = {"broker key (hex)": master_hex.encode(), "broker key (bytes)": master}
    needles = list(guarded.values()) + list(gone.values()) + [MARKER.encode()]
    where = privs_check.find_in_memory(pid, needles)
    for name, n in guarded.items():
        loose = [s for s in where[n] if "dd" not in s[2]]
        if not where[n] or loose:
            fail("memory: the %s is in %d region(s); outside dd: %s"
                 % (name, len(where[n]), [(hex(a), hex(z)) for a, z, _ in loose]))
        note("ok   memory: the %s is in %d region(s), all dont-dump (dd)" % (name, len(where[n])))
    left = [name for name, n in gone.items() if where[n]]
    expect(not left, "memory: the broker key itself (hex or bytes) is wiped after derivation "
           "(found: %s)" % (left or "none"))
    expect(any("dd" not in s[2] for s in where[MARKER.encode()]),
           "memory: the relay URI (control) is in an ordinary region")

    found, size = privs_check.gcore_finds(h, pid, needles, "broker")
    expect(MARKER.encode() in found, "gcore: the core (%d MB) holds the relay URI (control)"
           % (size >> 20))
    leaked = [name for name, n in list(guarded.items()) + list(gone.items()) if n in found]
    expect(not leaked, "gcore: the core holds no REST secret, broker key or subkey (found: %s)"
           % (leaked or "none"))
    b.stop()


def main():
    with Harness("broker_privs", port_base=33100, port_count=100) as h:
        redis = h.start_redis()
        test_modes(h, redis)
        if os.geteuid() != 0:
            note("SKIP: switching user and reading a non-dumpable process need root")
            sys.exit(77)
        test_privileged(h, redis)
    print("PASS: broker_privs")


if __name__ == "__main__":
    run(main)
