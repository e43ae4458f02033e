// Headless Debian chromium makes two relay-only RTCPeerConnections through
// a TURN server and reports what happened as JSON on stdout.
//
// usage: node relay_webrtc.mjs CONFIG.json
// CONFIG: { "playwright": DIR of playwright-core, "chromium": "/usr/bin/chromium",
//           "userDataDir": DIR, "runs": [ { "label", "url", "a": {username, credential},
//           "b": {username, credential} } ], "timeoutMs": N }
// Output: { "runs": [ { label, message, a: {pair}, b: {pair}, candidates } ] }
// Exit 0 when every run produced a result (the caller judges it), 1 with
// "FAIL: ..." on stderr when the browser or a run broke.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(cfg.playwright + '/');
const { chromium } = require('playwright-core');

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-quic',
  // The relay's TLS certificate is self-signed for 127.0.0.1 and localhost.
  '--ignore-certificate-errors',
];

// Runs inside the page: one relay-only call between two peer connections.
async function relayCall(run) {
  const withTimeout = (p, ms, what) => Promise.race([
    p, new Promise((_, rej) => setTimeout(() => rej(new Error('timeout: ' + what)), ms))]);
  const make = (cred) => new RTCPeerConnection({
    iceServers: [{ urls: run.url, username: cred.username, credential: cred.credential }],
    iceTransportPolicy: 'relay',
  });
  const pa = make(run.a);
  const pb = make(run.b);
  const candidates = { a: [], b: [] };
  const errors = [];
  pa.onicecandidateerror = (e) => errors.push('a: ' + e.errorCode + ' ' + e.errorText);
  pb.onicecandidateerror = (e) => errors.push('b: ' + e.errorCode + ' ' + e.errorText);
  pa.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate) {
      candidates.a.push(e.candidate.candidate);
      pb.addIceCandidate(e.candidate);
    }
  };
  pb.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate) {
      candidates.b.push(e.candidate.candidate);
      pa.addIceCandidate(e.candidate);
    }
  };
  const channel = pa.createDataChannel('umbra');
  const opened = new Promise((res) => { channel.onopen = res; });
  const received = new Promise((res) => {
    pb.ondatachannel = (e) => { e.channel.onmessage = (m) => res(m.data); };
  });
  const offer = await pa.createOffer();
  await pa.setLocalDescription(offer);
  await pb.setRemoteDescription(offer);
  const answer = await pb.createAnswer();
  await pb.setLocalDescription(answer);
  await pa.setRemoteDescription(answer);
  const sent = 'hello through umbra ' + run.label;
  try {
    await withTimeout(opened, run.timeoutMs, 'data channel open');
    channel.send(sent);
  } catch (e) {
    return { label: run.label, error: String(e), candidates, errors,
             ice: [pa.iceConnectionState, pb.iceConnectionState] };
  }
  let message = null;
  try {
    message = await withTimeout(received, run.timeoutMs, 'data channel message');
  } catch (e) {
    return { label: run.label, error: String(e), candidates, errors };
  }
  const pair = async (pc) => {
    const stats = await pc.getStats();
    let pairId = null;
    stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
    if (!pairId) return null;
    const p = stats.get(pairId);
    const cand = (id) => {
      const c = stats.get(id);
      return c && { type: c.candidateType, address: c.address, port: c.port, protocol: c.protocol,
                    relayProtocol: c.relayProtocol, url: c.url };
    };
    return { state: p.state, nominated: p.nominated, bytesSent: p.bytesSent,
             local: cand(p.localCandidateId), remote: cand(p.remoteCandidateId) };
  };
  const result = { label: run.label, sent, message, a: await pair(pa), b: await pair(pb), candidates, errors };
  pa.close();
  pb.close();
  return result;
}

let context;
try {
  context = await chromium.launchPersistentContext(cfg.userDataDir, {
    executablePath: cfg.chromium, headless: true, args: FLAGS, timeout: 30000,
  });
} catch (e) {
  console.error('FAIL: chromium did not start: ' + e.message);
  process.exit(1);
}
const out = { runs: [] };
try {
  const page = context.pages()[0] || await context.newPage();
  await page.setContent('<!doctype html><title>umbra relay test</title>');
  for (const run of cfg.runs) {
    out.runs.push(await page.evaluate(relayCall, { ...run, timeoutMs: cfg.timeoutMs || 15000 }));
  }
} catch (e) {
  console.error('FAIL: ' + e.message);
  await context.close();
  process.exit(1);
}
await context.close();
console.log(JSON.stringify(out));
