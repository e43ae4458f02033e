"""Redis Sentinel failover under umbra-broker and umbra-relay.

One master, one replica, three sentinels (redis-server --sentinel,
down-after-milliseconds 1000, quorum 2), one broker and one relay that know
only the sentinels (the broker's `redis` key points at a port where nothing
listens). Call set-ups run without pause (create, accept; every fourth call
also DELETE), then the master gets SIGKILL. Checked:
  * every answer during the failover is 2xx or 503 (never 500, never a
    hang past the client's timeout);
  * set-ups succeed again after the failover; the loss window (kill to
    the first set-up started after the kill that succeeded) is printed;
  * the relay's revocation subscriber moves to the new master, and a
    DELETE made after the failover ends the call's allocation on the relay;
  * what happened to the calls acknowledged (201 + 200) before the kill:
    each is read back from the new master and the count is printed (async
    replication: the test asserts only that the loss is confined to the
    last moments before the kill, not that nothing is lost);
  * a master short of replicas (min-replicas-to-write) gets 503, not 500;
  * sentinels that accept connections and never answer cost a broker's
    event loop at most redis-timeout-ms at a time: /healthz keeps
    answering 503 at once-ish (slowest answer under a second, where an
    unbounded wait would hang the test's client);
  * neither log holds an IP address.

Ports: 35000-35099.
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))

from broker_harness import Broker  # noqa: E402
from umbra_harness import (Harness, fail, find_addresses, note, redis_command,  # noqa: E402
                           redis_ping, run)
import umbra_stun as stun  # noqa: E402

MASTER_NAME = "umbra-test"
CHANNEL = "umbra:revoke"
HTTP_TIMEOUT = 5.0


def sentinel_conf(h, port, master_port):
    return h.write_file("sentinel-%d.conf" % port, "\n".join([
        "port %d" % port, "bind 127.0.0.1", "daemonize no", "dir %s" % h.dir,
        "sentinel monitor %s 127.0.0.1 %d 2" % (MASTER_NAME, master_port),
        "sentinel down-after-milliseconds %s 1000" % MASTER_NAME,
        "sentinel failover-timeout %s 4000" % MASTER_NAME,
        "sentinel parallel-syncs %s 1" % MASTER_NAME, ""]))


def info_field(host, port, section, field):
    text = redis_command(host, port, "INFO", section)
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


def wait_for(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # a server still starting
            pass
        time.sleep(0.1)
    fail("%s: not within %.0f s" % (what, timeout))


def master_of(sentinel_port):
    r = redis_command("127.0.0.1", sentinel_port, "SENTINEL", "get-master-addr-by-name",
                      MASTER_NAME, timeout=1.0)
    return int(r[1]) if r else None


def sentinel_state(port):
    r = redis_command("127.0.0.1", port, "SENTINEL", "master", MASTER_NAME)
    return dict(zip(r[0::2], r[1::2]))


class Load(threading.Thread):
    """Call set-ups without pause; every answer is recorded."""

    def __init__(self, b, callee_tok, callee_pn):
        super().__init__(daemon=True)
        self.b, self.tok, self.pn = b, callee_tok, callee_pn
        self.stop = threading.Event()
        self.answers = []   # (t_start, t_end, step, status)
        self.setups = []    # (t_start, t_end, ok, call_id, caller_secret, deleted)
        self.errors = []

    def req(self, step, method, path, body=None, bearer=None):
        t0 = time.monotonic()
        try:
            r = self.b.request(method, path, body, bearer=bearer, timeout=HTTP_TIMEOUT)
            status = r.status
        except OSError as e:  # a hang ends in a timeout here
            r, status = None, "no answer (%s)" % e.__class__.__name__
        self.answers.append((t0, time.monotonic(), step, status))
        if status not in (200, 201, 503):
            self.errors.append("%s %s -> %s %s" % (step, path[:40], status,
                                                   r.raw[:200] if r is not None else ""))
        return r if status in (200, 201) else None

    def run(self):
        i = 0
        while not self.stop.is_set():
            t0 = time.monotonic()
            ok, cid, sec, deleted = False, None, None, False
            r = self.req("create", "POST", "/v1/calls",
                         {"callee": self.pn, "service": "contact-list", "call_model": "single-cs",
                          "destination": "trusted", "caller_state": "undetectable"})
            if r is not None:
                cid, sec = r.json["call_id"], r.json["caller_secret"]
                if self.req("accept", "POST", "/v1/calls/%s/accept" % cid, {},
                            bearer=self.tok) is not None:
                    ok = True
                    if i % 4 == 3:
                        deleted = self.req("delete", "DELETE", "/v1/calls/" + cid,
                                           bearer=sec) is not None
            self.setups.append((t0, time.monotonic(), ok, cid, sec, deleted))
            if not ok:
                time.sleep(0.05)  # a client backing off after a 503
            i += 1


def silent_sentinels(h):
    """A broker whose sentinels accept and never answer still answers."""
    socks, ports = [], []
    for _ in range(6):  # a wait per sentinel instead of per round would be 1.2 s
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        port = h.port()
        s.bind(("127.0.0.1", port))
        s.listen(64)
        socks.append(s)
        ports.append(port)
    b = Broker(h, h.port(), ["turn:127.0.0.1:3478?transport=udp"], name="broker-silent",
               redis_sentinel=["127.0.0.1:%d" % p for p in ports], redis_master_name=MASTER_NAME,
               redis_timeout_ms=200)
    b.start()
    slowest, statuses = 0.0, set()
    t_end = time.monotonic() + 3.0
    while time.monotonic() < t_end:
        t0 = time.monotonic()
        r = b.request("GET", "/healthz", timeout=HTTP_TIMEOUT)
        slowest = max(slowest, time.monotonic() - t0)
        statuses.add(r.status)
        time.sleep(0.02)
    b.stop()
    for s in socks:
        s.close()
    if statuses != {503}:
        fail("broker with silent sentinels: /healthz answered %s, expected 503 only" % statuses)
    if slowest >= 1.0:
        fail("broker with silent sentinels: an answer took %.0f ms (redis-timeout-ms = 200)"
             % (slowest * 1000))
    note("ok   silent sentinels: /healthz 503 throughout, slowest answer %.0f ms "
         "(redis-timeout-ms = 200)" % (slowest * 1000))


def main():
    with Harness("sentinel", port_base=35000, port_count=100) as h:
        silent_sentinels(h)
        master = h.start_redis(name="redis-master")
        rport = h.port()
        replica = h.spawn("redis-replica", [
            "redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", h.dir, "--daemonize", "no",
            "--replicaof", "127.0.0.1", str(master.port)], port=rport)
        h.wait_ready(replica, lambda: redis_ping("127.0.0.1", rport), 10.0, "answering PING")
        wait_for("replica in sync", lambda: info_field(
            "127.0.0.1", rport, "replication", "master_link_status") == "up", 15)
        sports = []
        for k in range(3):
            port = h.port()
            conf = sentinel_conf(h, port, master.port)
            p = h.spawn("sentinel-%d" % (k + 1), ["redis-server", conf, "--sentinel"], port=port)
            h.wait_ready(p, lambda port=port: redis_ping("127.0.0.1", port), 10.0,
                         "answering PING")
            sports.append(port)
        for port in sports:
            wait_for("sentinel on %d knows the other two and the replica" % port,
                     lambda port=port: int(sentinel_state(port)["num-other-sentinels"]) == 2 and
                     int(sentinel_state(port)["num-slaves"]) == 1, 30)
        note("ok   master, replica and three sentinels up and acquainted")
        sentinel_list = ["127.0.0.1:%d" % p for p in sports]

        nowhere = h.port()  # nothing listens here: only the sentinels lead to Redis
        # client_rate 0: the set-up loop below is one client on purpose.
        b = Broker(h, nowhere, [], redis_sentinel=",".join(sentinel_list),
                   redis_master_name=MASTER_NAME, client_rate=0)
        relay = h.start_relay(auth_secret_file=b.secret_path, tls=False,
                              redis_sentinel=sentinel_list, redis_master_name=MASTER_NAME)
        b.config["relay"] = ["turn:127.0.0.1:%d?transport=udp" % relay.port]
        b.start()
        wait_for("broker answers through the sentinels",
                 lambda: b.request("GET", "/healthz").status == 200, 10)
        wait_for("relay subscribed on the master", lambda: redis_command(
            "127.0.0.1", master.port, "PUBSUB", "NUMSUB", CHANNEL)[1] >= 1, 10)
        note("ok   broker and relay found the master through the sentinels")

        callee = b.identity()
        pn = b.pseudonym(callee, "friends")
        load = Load(b, callee, pn)
        load.start()
        time.sleep(3.0)
        if load.errors:
            fail("before the kill: %s" % load.errors[:5])
        before_ok = sum(1 for s in load.setups if s[2])
        if before_ok < 5:
            fail("only %d set-ups in 3 s before the kill" % before_ok)

        subscribed = []

        def watch_subscriber():
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if redis_command("127.0.0.1", rport, "PUBSUB", "NUMSUB", CHANNEL,
                                     timeout=1.0)[1] >= 1:
                        subscribed.append(time.monotonic())
                        return
                except Exception:
                    pass
                time.sleep(0.02)
        watcher = threading.Thread(target=watch_subscriber, daemon=True)
        t_kill = time.monotonic()
        watcher.start()
        master.proc.kill()  # SIGKILL
        master.proc.wait()
        note("     master killed (SIGKILL) after %d set-ups" % before_ok)
        new_port = [None]

        def promoted():
            new_port[0] = master_of(sports[0])
            return new_port[0] == rport
        wait_for("sentinels promote the replica", promoted, 30)
        t_failover = time.monotonic()
        note("ok   sentinels named the replica master %.2f s after the kill"
             % (t_failover - t_kill))

        def recovered():
            return any(s[2] and s[0] > t_kill for s in load.setups)
        wait_for("a set-up succeeds after the failover", recovered, 20)
        time.sleep(2.0)  # more set-ups on the new master
        load.stop.set()
        load.join(HTTP_TIMEOUT * 4)
        first = min(s[1] for s in load.setups if s[2] and s[0] > t_kill)
        window = first - t_kill
        after = [s for s in load.setups if s[0] > t_kill]
        during = [a for a in load.answers if a[0] > t_kill and a[1] < first]
        n503 = sum(1 for a in during if a[3] == 503)
        slowest = max((a[1] - a[0] for a in load.answers), default=0)
        if load.errors:
            fail("answers other than 2xx/503 around the failover: %s" % load.errors[:5])
        note("ok   every answer was 2xx or 503 (%d answers, %d x 503 in the window, slowest %.0f ms)"
             % (len(load.answers), n503, slowest * 1000))
        note("ok   LOSS WINDOW: %.2f s from the kill to the first successful set-up "
             "(failover by the sentinels: %.2f s); %d set-ups after the kill, %d ok"
             % (window, t_failover - t_kill, len(after), sum(1 for s in after if s[2])))
        if sum(1 for s in after if s[2]) < 3:
            fail("fewer than 3 set-ups succeeded after the failover")

        # Acknowledged before the kill: still readable on the new master?
        acked = [s for s in load.setups if s[2] and s[1] < t_kill and not s[5]]
        lost = []
        for s in acked:
            r = b.request("GET", "/v1/calls/%s/events?party=caller&since=0&wait=0" % s[3],
                          bearer=s[4])
            if r.status == 404:
                lost.append(s)
            elif r.status != 200 or not any(e.get("type") == "accepted" for e in r.json["events"]):
                fail("call acknowledged before the kill reads back as %s" % r)
        last_ack = max(s[1] for s in acked)
        note("     ACKNOWLEDGED WRITES: %d of %d calls acknowledged before the kill survive; "
             "lost %d (acknowledged %s ms before the kill)"
             % (len(acked) - len(lost), len(acked), len(lost),
                [round((t_kill - s[1]) * 1000) for s in lost]))
        if any(t_kill - s[1] > 1.0 for s in lost):
            fail("a call acknowledged more than 1 s before the kill was lost")
        note("     (the last acknowledgement came %.0f ms before the kill)"
             % ((t_kill - last_ack) * 1000))

        # The relay follows the new master: a DELETE now ends an allocation.
        watcher.join(30)
        if not subscribed:
            fail("the relay did not subscribe on the new master within 30 s of the kill")
        note("ok   relay subscribed on the new master %.2f s after the kill "
             "(%.2f s after the sentinels named it)"
             % (subscribed[0] - t_kill, subscribed[0] - t_failover))
        wait_for("broker subscribed to umbra:notify on the new master", lambda: redis_command(
            "127.0.0.1", rport, "PUBSUB", "NUMSUB", "umbra:notify")[1] >= 1, 5)
        note("ok   broker's umbra:notify subscription moved to the new master too")
        r = b.create_call(pn)
        if r.status != 201:
            fail("create after the failover: %s" % r)
        ice = r.json["ice_servers"][0]
        b.remember(ice["credential"], r.json["caller_secret"])
        c = stun.TurnClient(relay.host, relay.port, "udp", username=ice["username"],
                            password=ice["credential"])
        a = c.allocate()
        if a.cls != stun.SUCCESS:
            fail("Allocate with the broker's credentials: %s" % a.describe())
        if c.refresh(600).cls != stun.SUCCESS:
            fail("Refresh before the DELETE failed")
        r = b.request("DELETE", "/v1/calls/" + r.json["call_id"], bearer=r.json["caller_secret"])
        if r.status != 200:
            fail("DELETE after the failover: %s" % r)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.0 and c.refresh(600).cls == stun.SUCCESS:
            time.sleep(0.1)
        if c.refresh(600).cls == stun.SUCCESS:
            fail("allocation still alive 3 s after a DELETE made after the failover")
        note("ok   DELETE after the failover ended the allocation on the relay (%.2f s)"
             % (time.monotonic() - t0))
        c.close()

        # min-replicas-to-write on the new master (its replica is dead): the
        # broker answers 503, nothing is written, and it recovers.
        redis_command("127.0.0.1", rport, "CONFIG", "SET", "min-replicas-to-write", "1")
        keys_before = redis_command("127.0.0.1", rport, "DBSIZE")
        r = b.create_call(pn)
        if r.status != 503 or r.headers.get("Retry-After") != "1":
            fail("create while the master lacks replicas: expected 503 with Retry-After, got %s" % r)
        if redis_command("127.0.0.1", rport, "DBSIZE") != keys_before:
            fail("a create refused for want of replicas left keys behind")
        redis_command("127.0.0.1", rport, "CONFIG", "SET", "min-replicas-to-write", "0")
        r = b.create_call(pn)
        if r.status != 201:
            fail("create once min-replicas-to-write is lifted: %s" % r)
        b.remember(r.json["caller_secret"])
        note("ok   master refusing writes (min-replicas-to-write, NOREPLICAS) -> 503, "
             "nothing written; 201 again once lifted")

        for p in (relay, b.proc):
            hits = find_addresses(p.log_text())
            if hits:
                fail("%s log holds addresses: %s" % (p.name, hits[:3]))
        if "sentinel 1 of 3" not in b.log() and "sentinel 2 of 3" not in b.log() \
                and "sentinel 3 of 3" not in b.log():
            fail("broker log does not show the sentinel resolution")
        h.stop(relay)
        b.stop()
        note("PASS")


if __name__ == "__main__":
    run(main)
