"""Real WebRTC calls through umbra in headless Chromium (issue #5).

Starts redis-server, umbra-relay (relay-only peers, revocation through
Redis, metrics) and umbra-broker (serving contrib/web at /demo/) through
the shared harness, installs playwright-core from npm when it is missing
(no browser download: Debian's /usr/bin/chromium is used), and runs
call_demo.js, which drives the demo page and checks the calls. Afterwards
every daemon must exit cleanly with no sanitizer report, and neither the
relay's nor the broker's log may hold an IP address.

Ports: 24000-24199. Output: $top_builddir/tests/out/call_demo/
(call_demo.png, call_demo_stats.json, call_demo_results.json, logs).
"""
import fcntl
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))

from broker_harness import Broker  # noqa: E402
from umbra_harness import Harness, fail, find_addresses, note, skip, top_builddir, top_srcdir  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def playwright_dir():
    """A node_modules directory holding playwright-core: the source tree's
    (contrib/test.sh runs `npm ci` there) or the build tree's, where it is
    installed from tests/browser/package-lock.json when missing. A lock
    keeps two tests of a parallel `make check` from installing at once."""
    src = os.path.join(top_srcdir(), "tests", "browser")
    build = os.path.join(top_builddir(), "tests", "browser")
    have = lambda base: os.path.isfile(os.path.join(base, "node_modules", "playwright-core",
                                                    "package.json"))
    for base in (src, build):
        if have(base):
            return os.path.join(base, "node_modules")
    if shutil.which("npm") is None:
        fail("npm is missing (contrib/deps.sh installs it); playwright-core is needed")
    os.makedirs(build, exist_ok=True)
    with open(os.path.join(build, ".npm-install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not have(build):
            if os.path.realpath(src) != os.path.realpath(build):
                for name in ("package.json", "package-lock.json"):
                    shutil.copy(os.path.join(src, name), os.path.join(build, name))
            note("installing playwright-core into %s (npm ci)" % build)
            r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                               cwd=build, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=300)
            if r.returncode != 0:
                fail("npm ci in %s failed (playwright-core is needed):\n%s"
                     % (build, r.stdout.decode(errors="replace")[-2000:]))
    return os.path.join(build, "node_modules")


def check_static(b):
    """The broker's /demo/ files: GET only, plain names, known types."""
    bad = 0

    def expect(method, path, code, ctype=None, what=""):
        nonlocal bad
        r = b.request(method, path)
        ok = r.status == code and (ctype is None or r.headers.get("Content-Type", "").startswith(ctype))
        print("%s /demo: %s %s gives %d%s%s (got %d %s)" % (
            "ok  " if ok else "FAIL", method, path, code, " " + ctype if ctype else "",
            " (" + what + ")" if what else "", r.status, r.headers.get("Content-Type")))
        if not ok:
            bad += 1
        return r

    r = expect("GET", "/demo", 301, what="redirect")
    if r.headers.get("Location") != "/demo/":
        print("FAIL /demo: Location is %r" % r.headers.get("Location"))
        bad += 1
    r = expect("GET", "/demo/", 200, "text/html")
    with open(os.path.join(top_srcdir(), "contrib", "web", "index.html")) as f:
        if r.raw != f.read():
            print("FAIL /demo/: not the bytes of contrib/web/index.html")
            bad += 1
    expect("GET", "/demo/demo.js", 200, "text/javascript")
    expect("GET", "/demo/demo.css", 200, "text/css")
    for path, what in (("/demo/../broker.conf", "dot-dot"), ("/demo/%2e%2e/broker.conf", "encoded dot-dot"),
                       ("/demo//etc/passwd", "double slash"), ("/demo/..", "bare dot-dot"),
                       ("/demo/.hidden.js", "hidden file"), ("/demo/index.html%00.js", "encoded NUL"),
                       ("/demo/missing.html", "missing file"), ("/demo/index", "no extension"),
                       ("/demo/a/index.html", "subdirectory"), ("/demo/x.conf", "unknown type")):
        expect("GET", path, 404, "application/json", what)
    expect("GET", "/demo/..%2fbroker.conf", 404, "application/json", "dot-dot with an encoded slash")
    expect("POST", "/demo/", 405, what="POST")
    expect("DELETE", "/demo/index.html", 405, what="DELETE")
    return bad


def check_static_traps(h, redis_port, relays):
    """A web root holding a symlink to a file outside, a directory, a FIFO
    and an oversize file: none is served. A broker without web-root serves
    nothing under /demo/."""
    bad = 0
    root = h.path("web-traps")
    os.makedirs(os.path.join(root, "dir.html"))
    outside = h.write_file("outside-secret.txt", "not for the web\n")
    os.symlink(outside, os.path.join(root, "link.txt"))
    os.mkfifo(os.path.join(root, "fifo.js"))
    with open(os.path.join(root, "big.js"), "wb") as f:
        f.truncate(4 * 1024 * 1024 + 1)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<!doctype html><title>trap root</title>\n")
    open(os.path.join(root, "empty.txt"), "w").close()
    b = Broker(h, redis_port, relays, name="broker-static", web_root=root).start()
    cases = (("/demo/", 200, "the index"), ("/demo/empty.txt", 200, "an empty file"),
             ("/demo/link.txt", 404, "a symlink to a file outside"), ("/demo/dir.html", 404, "a directory"),
             ("/demo/fifo.js", 404, "a FIFO"), ("/demo/big.js", 404, "a file over 4 MiB"))
    for path, code, what in cases:
        r = b.request("GET", path, timeout=5)
        ok = r.status == code and "not for the web" not in r.raw
        print("%s /demo traps: %s (%s) gives %d (got %d)" % ("ok  " if ok else "FAIL", path, what, code, r.status))
        bad += 0 if ok else 1
    b.stop()
    b = Broker(h, redis_port, relays, name="broker-noweb").start()
    for path in ("/demo", "/demo/", "/demo/index.html"):
        r = b.request("GET", path)
        ok = r.status == 404
        print("%s /demo without web-root: %s gives 404 (got %d)" % ("ok  " if ok else "FAIL", path, r.status))
        bad += 0 if ok else 1
    b.stop()
    return bad


def main():
    if not os.access(CHROMIUM, os.X_OK):
        skip("%s is not installed" % CHROMIUM)
    if shutil.which("node") is None:
        skip("node is not installed")
    modules = playwright_dir()
    with Harness("call_demo", port_base=24000, port_count=200) as h:
        redis = h.start_redis()
        relay_port = h.port()
        metrics_port = h.port()
        sinks = [h.port(), h.port()]
        b = Broker(h, redis.port, ["turn:127.0.0.1:%d?transport=udp" % relay_port,
                                   "turn:127.0.0.1:%d?transport=tcp" % relay_port],
                   web_root=os.path.join(top_srcdir(), "contrib", "web"),
                   long_poll_timeout=10, credential_ttl=600)
        relay = h.start_relay(port=relay_port, tls=False, auth_secret_file=b.secret_path,
                              redis="127.0.0.1:%d" % redis.port,
                              metrics_listen="127.0.0.1:%d" % metrics_port,
                              relay_only_peers=True)
        b.start()
        static_failures = check_static(b) + check_static_traps(h, redis.port, b.relays)
        env = dict(os.environ)
        env.update({
            "NODE_PATH": modules,
            "UMBRA_DEMO_URL": "http://127.0.0.1:%d/demo/" % b.port,
            "UMBRA_BROKER_URL": "http://127.0.0.1:%d" % b.port,
            "UMBRA_RELAY_METRICS": "http://127.0.0.1:%d/metrics" % metrics_port,
            "UMBRA_SINK_PORTS": ",".join(str(p) for p in sinks),
            "UMBRA_OUT": h.dir,
            "CHROMIUM": CHROMIUM,
        })
        script = os.path.join(top_srcdir(), "tests", "browser", "call_demo.js")
        r = subprocess.run(["node", script], env=env, timeout=420)
        h.stop(b.proc)
        b.proc = None
        h.stop(relay)
        h.stop(redis)
        status = r.returncode or (1 if static_failures else 0)
        for name in ("relay", "broker"):
            with open(h.path(name + ".log"), errors="replace") as f:
                hits = find_addresses(f.read())
            if hits:
                print("FAIL %s log holds addresses: %s" % (name, hits[:5]))
                status = status or 1
            else:
                print("ok   %s log holds no IP address" % name)
        with open(h.path("relay.log"), errors="replace") as f:
            refused = sum(1 for line in f if "refused (not_relayed)" in line)
        if refused == 0:
            print("FAIL relay log counts no peer refused as not relayed")
            status = status or 1
        else:
            print("ok   relay log: %d peer(s) refused as not relayed (as keyed-hash tokens)" % refused)
        if status != 0:
            fail("call_demo: %d (see %s)" % (status, h.dir))
    print("call_demo: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
