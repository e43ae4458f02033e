"""Real Chromium accepts what sdp_sanitize writes.

For each browser offer fixture, headless Chromium (iceTransportPolicy
"relay") runs setRemoteDescription, createAnswer and setLocalDescription on
the original and on the sanitized SDP, then addIceCandidate with every
trickled candidate that sdp_sanitize_candidate keeps. Usage:
  sdp_chromium.py SDP_SANITIZE_CLI FIXTURE_DIR
Exit 0 pass, 1 fail, 77 when no chromium is installed."""
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

OFFERS = ["chromium_offer_av_data.sdp", "chromium_offer_mdns.sdp", "firefox_offer_av_data.sdp"]

PAGE = """<!doctype html><html><body><script>
const cases = %s;
const trickled = %s;
(async () => {
  const out = [];
  for (const c of cases) {
    const pc = new RTCPeerConnection({iceTransportPolicy: "relay"});
    const r = {name: c.name};
    try {
      await pc.setRemoteDescription({type: "offer", sdp: c.sdp});
      await pc.setLocalDescription(await pc.createAnswer());
      r.ok = true;
      r.candidates = (pc.remoteDescription.sdp.match(/^a=candidate:/mg) || []).length;
      r.host = /typ (host|srflx|prflx)/.test(pc.remoteDescription.sdp);
      if (c.trickle) {
        r.trickled = 0;
        for (const t of trickled) {
          await pc.addIceCandidate({candidate: t.replace(/^a=/, ""), sdpMid: "0"});
          r.trickled++;
        }
      }
    } catch (e) {
      r.ok = false;
      r.error = String(e.message);
    }
    pc.close();
    out.push(r);
  }
  console.log("UMBRA-SDP-RESULT " + btoa(JSON.stringify(out)));
})();
</script></body></html>
"""


def run_chromium(browser, page_path, profile):
    """Starts Chromium in its own session, reads its console log until the
    result line, then ends that session."""
    cmd = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
           "file://" + page_path]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, text=True, errors="replace")
    deadline = time.time() + 90
    result = None
    try:
        for line in proc.stderr:
            m = re.search(r"UMBRA-SDP-RESULT ([A-Za-z0-9+/=]+)", line)
            if m:
                result = json.loads(base64.b64decode(m.group(1)))
                break
            if time.time() > deadline:
                break
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return result


def main():
    cli, fixtures = sys.argv[1], sys.argv[2]
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("SKIP: no chromium")
        return 77
    cases, expect = [], {}
    for name in OFFERS:
        path = os.path.join(fixtures, name)
        with open(path, "rb") as f:
            original = f.read().decode()
        sanitized = subprocess.run([cli, path], check=True, capture_output=True).stdout.decode()
        kept = len(re.findall(r"^a=candidate:", sanitized, re.M))
        cases.append({"name": name + " original", "sdp": original})
        cases.append({"name": name + " sanitized", "sdp": sanitized,
                      "trickle": name == "chromium_offer_mdns.sdp"})
        expect[name + " sanitized"] = kept
    with tempfile.TemporaryDirectory(prefix="umbra-sdp-chromium-") as tmp:
        kept_file = os.path.join(tmp, "kept.txt")
        with open(os.path.join(fixtures, "trickle_candidates.txt")) as f, open(kept_file, "w") as k:
            for line in f:
                if line.startswith("kept "):
                    k.write(line[5:])
        trickled = subprocess.run([cli, "--candidates", kept_file], check=True,
                                  capture_output=True).stdout.decode().splitlines()
        page = os.path.join(tmp, "page.html")
        with open(page, "w") as f:
            f.write(PAGE % (json.dumps(cases), json.dumps(trickled)))
        result = run_chromium(browser, page, os.path.join(tmp, "profile"))
    if result is None:
        print("FAIL: no result from chromium")
        return 1
    failed = 0
    for r in result:
        line = "%-45s %s" % (r["name"], "ok" if r.get("ok") else "FAIL " + r.get("error", ""))
        if r.get("ok"):
            line += " candidates=%d" % r["candidates"]
            if "trickled" in r:
                line += " trickled=%d/%d" % (r["trickled"], len(trickled))
        print(line)
        if not r.get("ok"):
            failed += 1
        elif r["name"] in expect:
            if r["candidates"] != expect[r["name"]] or r["candidates"] == 0 or r["host"]:
                print("  FAIL: chromium sees %d candidates, sanitizer kept %d"
                      % (r["candidates"], expect[r["name"]]))
                failed += 1
            if "trickled" in r and r["trickled"] != len(trickled):
                failed += 1
    if len(result) != len(cases):
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
