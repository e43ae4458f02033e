/* Drives the umbra demo page in headless Chromium (playwright-core, Debian's
 * /usr/bin/chromium) and checks real calls through umbra-broker and
 * umbra-relay. Started by call_demo.py, which runs the daemons; the
 * environment gives UMBRA_DEMO_URL, UMBRA_RELAY_METRICS, UMBRA_SINK_PORTS
 * and UMBRA_OUT. Exit status 0 when every check passed.
 *
 * Checks: 1 MiB each way over a data channel with matching SHA-256; fake
 * audio flowing both ways; selected pair relay/relay on both ends; the SDP
 * each side received carries only relay candidates with raddr 0.0.0.0, the
 * sender's per-call CNAME and the fingerprint of the sender's fresh
 * certificate; a second call differs in CNAMEs and fingerprints; after
 * DELETE /v1/calls/{id} the media stops within 2 s; a party that is not
 * relay-only cannot reach the other through the relay, and nothing reaches
 * its host addresses. Saves call_demo.png mid-call and the getStats figures
 * as call_demo_stats.json. */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const dgram = require('dgram');
const { chromium } = require('playwright-core');

const DEMO_URL = process.env.UMBRA_DEMO_URL;
const METRICS_URL = process.env.UMBRA_RELAY_METRICS;
const OUT = process.env.UMBRA_OUT;
const SINK_PORTS = (process.env.UMBRA_SINK_PORTS || '').split(',').filter(Boolean).map(Number);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const MIB = 1 << 20;

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-quic', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

const results = { checks: [] };
const stats = {};
let failures = 0;

function check(cond, what, detail) {
  const line = (cond ? 'ok   ' : 'FAIL ') + what + (detail !== undefined ? ` (${detail})` : '');
  console.log(line);
  results.checks.push({ ok: !!cond, what, detail: detail === undefined ? null : String(detail) });
  if (!cond) failures++;
  return !!cond;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function relayMetrics() {
  const r = await fetch(METRICS_URL);
  const m = {};
  for (const line of (await r.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return m;
}

const metric = (m, name) => m[name] || 0;

/* What an SDP delivered by the broker may hold, per the issue. */
function sdpChecks(who, received, sender) {
  const sdps = received.filter((e) => e.sdp).map((e) => e.sdp);
  const trickled = received.filter((e) => e.type === 'candidate' && e.candidate).map((e) => e.candidate);
  const text = sdps.join('\n');
  const cands = text.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'))
    .map((l) => l.slice(2)).concat(trickled);
  check(sdps.length > 0, `${who}: received an SDP through the broker`);
  const types = cands.map((c) => (/ typ (\S+)/.exec(c) || [])[1]);
  check(cands.length > 0 && types.every((t) => t === 'relay'),
        `${who}: received SDP has only relay candidates, no host/srflx/prflx`,
        `${cands.length} candidate(s): ${[...new Set(types)].join(',')}`);
  check(!/ typ (host|srflx|prflx)\b/.test(text + trickled.join('\n')),
        `${who}: no host, srflx or prflx anywhere in what it received`);
  const raddrs = cands.map((c) => (/ raddr (\S+) rport (\S+)/.exec(c) || []).slice(1).join(':'));
  check(raddrs.length > 0 && raddrs.every((r) => r === '0.0.0.0:0'),
        `${who}: every raddr is 0.0.0.0 (rport 0)`, [...new Set(raddrs)].join(','));
  const cnames = [...text.matchAll(/^a=ssrc:\d+ cname:(\S+)/gm)].map((m) => m[1]);
  check(cnames.length > 0 && cnames.every((c) => c === sender.cname),
        `${who}: every CNAME is the sender's per-call CNAME from the broker`,
        `${cnames.length} line(s), cname ${sender.cname}`);
  const fps = [...text.matchAll(/^a=fingerprint:(\S+) (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`.toLowerCase());
  const want = `${sender.fingerprint.algorithm} ${sender.fingerprint.value}`.toLowerCase();
  check(fps.length > 0 && fps.every((f) => f === want),
        `${who}: the fingerprint is the one of the sender's fresh certificate`, want.slice(0, 30) + '...');
  check(sdps.every((s) => /^v=0\r?\no=- /.test(s)), `${who}: o= line rewritten (username "-")`);
  // The sender's own description was rewritten on the way: its CNAME and
  // o= session id are not what the other side received.
  const own = sender.sentSdp || '';
  const ownCnames = [...own.matchAll(/^a=ssrc:\d+ cname:(\S+)/gm)].map((m) => m[1]);
  const sid = (s) => (/^o=\S+ (\d+)/m.exec(s) || [])[1];
  check(ownCnames.length > 0 && ownCnames.every((c) => c !== sender.cname) &&
        sdps.every((s) => sid(s) !== sid(own)),
        `${who}: the broker rewrote the sender's SDP (its own CNAME and o= session id are gone)`,
        `sender's own cname ${ownCnames[0]}`);
  return { candidates: cands.length, cnames: [...new Set(cnames)], fingerprints: [...new Set(fps)] };
}

async function waitState(page, predicate, arg, timeout) {
  try {
    await page.waitForFunction(predicate, arg, { timeout, polling: 250 });
    return true;
  } catch (e) {
    return false;
  }
}

const connected = () => {
  const s = window.umbraDemo.state();
  return s.caller.connectionState === 'connected' && s.callee.connectionState === 'connected';
};

async function firstCall(page) {
  await page.click('#start');
  const up = await waitState(page, connected, null, 30000);
  check(up, 'call 1: both parties connected through umbra-relay');
  const done = await waitState(page, () => {
    const s = window.umbraDemo.state();
    return s.caller.data.match !== null && s.callee.data.match !== null;
  }, null, 60000);
  const s = await page.evaluate(() => window.umbraDemo.state());
  if (!up || !done) {
    console.log(JSON.stringify(s.log, null, 1));
    check(false, 'call 1: data transfer finished', JSON.stringify({ a: s.caller.data, b: s.callee.data }));
    return s;
  }
  // Data channel: 1 MiB each way; checksums compared across the two parties.
  const a = s.caller.data, b = s.callee.data;
  check(a.received === MIB && b.received === MIB && a.sent === MIB && b.sent === MIB,
        'data channel: 1 MiB sent and received in both directions', `${a.received} / ${b.received} bytes`);
  check(a.match && b.match && a.receivedSha === b.sentSha && b.receivedSha === a.sentSha,
        'data channel: SHA-256 of what each side received equals what the other sent',
        `${a.sentSha.slice(0, 16)}... / ${b.sentSha.slice(0, 16)}...`);

  // Audio from the fake device: inbound-rtp packetsReceived grows on both sides.
  const f1 = await page.evaluate(() => window.umbraDemo.figures());
  await sleep(2000);
  const f2 = await page.evaluate(() => window.umbraDemo.figures());
  for (const side of ['caller', 'callee']) {
    const p1 = (f1[side].audioIn || {}).packetsReceived || 0;
    const p2 = (f2[side].audioIn || {}).packetsReceived || 0;
    check(p1 > 0 && p2 > p1, `audio: ${side} inbound-rtp packetsReceived grows`, `${p1} -> ${p2} in 2 s`);
    const pair = f2[side].pair || {};
    check(pair.localType === 'relay' && pair.remoteType === 'relay',
          `getStats: ${side}'s selected pair is relay on both ends`,
          `${pair.localType}/${pair.relayProtocol} <-> ${pair.remoteType}`);
    check(pair.currentRoundTripTime !== undefined && pair.currentRoundTripTime < 1,
          `getStats: ${side} has a round-trip time`, `${(pair.currentRoundTripTime * 1000).toFixed(2)} ms`);
  }
  stats.call1 = { samples: [f1, f2] };

  // What each side received from the broker.
  const s2 = await page.evaluate(() => window.umbraDemo.state());
  stats.call1.sdp = {
    callee_received: sdpChecks('callee', s2.callee.received, s2.caller),
    caller_received: sdpChecks('caller', s2.caller.received, s2.callee),
  };
  check(s2.caller.fingerprint.value !== s2.callee.fingerprint.value && s2.caller.cname !== s2.callee.cname,
        'call 1: each party has its own certificate and CNAME');

  // The page shows the decision and the pseudonym each side sees of the other.
  check(s2.decision && s2.decision.decision.relay_only === true && s2.caller.policy === 'relay' &&
        s2.callee.policy === 'relay', 'decision: relay_only, both parties iceTransportPolicy "relay"');
  check(s2.callee.peerPseudonym === s2.caller.ownPseudonym && s2.caller.peerPseudonym === s2.callee.ownPseudonym &&
        s2.caller.ownPseudonym !== s2.callee.ownPseudonym,
        'pseudonyms: each side sees the other\'s pseudonym');
  const shown = await page.evaluate(() => ({
    peerA: document.querySelector('#party-caller [data-f="peer"]').textContent,
    peerB: document.querySelector('#party-callee [data-f="peer"]').textContent,
    rows: document.querySelectorAll('#decision tr').length,
    pairA: document.querySelector('#party-caller [data-f="pair"]').textContent,
    rttB: document.querySelector('#party-callee [data-f="rtt"]').textContent,
    status: document.getElementById('status').textContent,
  }));
  check(shown.peerA === s2.callee.ownPseudonym && shown.peerB === s2.caller.ownPseudonym &&
        shown.rows >= 10 && /^relay/.test(shown.pairA) && /ms$/.test(shown.rttB),
        'page: shows the pseudonyms, the decision with its explanation and live figures',
        `${shown.rows} decision rows, pair "${shown.pairA}", rtt "${shown.rttB}", status "${shown.status}"`);

  const m = await relayMetrics();
  stats.call1.relay = m;
  const toPeer = metric(m, 'umbra_relay_bytes_relayed_total{direction="to_peer"}');
  const toClient = metric(m, 'umbra_relay_bytes_relayed_total{direction="to_client"}');
  check(toPeer >= 2 * MIB && toClient >= 2 * MIB, 'relay metrics: the 2 MiB of data went through umbra-relay',
        `to_peer ${toPeer} B, to_client ${toClient} B`);

  // Screenshot mid-call, with figures fresh on the page.
  await page.evaluate(() => window.umbraDemo.figures());
  await page.screenshot({ path: path.join(OUT, 'call_demo.png'), fullPage: true });
  stats.call1.final = await page.evaluate(() => window.umbraDemo.figures());
  return s2;
}

function growth(samples, key) {
  let last = null;
  for (let i = 1; i < samples.length; i++)
    if (samples[i][key] > samples[i - 1][key]) last = samples[i].t;
  return last;
}

async function revocation(page) {
  const m0 = await relayMetrics();
  const pick = (f) => ({
    aAudio: (f.caller.audioIn || {}).packetsReceived || 0,
    bAudio: (f.callee.audioIn || {}).packetsReceived || 0,
    aRx: (f.caller.transport || {}).packetsReceived || 0,
    bRx: (f.callee.transport || {}).packetsReceived || 0,
  });
  const before = pick(await page.evaluate(() => window.umbraDemo.figures()));
  await sleep(500);
  const atEnd = pick(await page.evaluate(() => window.umbraDemo.figures()));
  check(atEnd.aAudio > before.aAudio && atEnd.bAudio > before.bAudio,
        'revocation: media was flowing right before DELETE');
  const t0 = Date.now();
  await page.evaluate(() => window.umbraDemo.endAtBroker());
  const samples = [Object.assign({ t: 0 }, atEnd)];
  while (Date.now() - t0 < 6000) {
    await sleep(200);
    const f = await page.evaluate(() => window.umbraDemo.figures());
    samples.push(Object.assign({ t: Date.now() - t0 }, pick(f)));
  }
  const lasts = ['aAudio', 'bAudio', 'aRx', 'bRx'].map((k) => growth(samples, k) || 0);
  const last = Math.max(...lasts);
  check(last <= 2000, 'revocation: after DELETE /v1/calls/{id} the relayed media stops within 2 s',
        `last packet counted ${last} ms after DELETE; counters then constant for ${6000 - last} ms`);
  const m1 = await relayMetrics();
  const revoked = metric(m1, 'umbra_relay_revoked_allocations_total') - metric(m0, 'umbra_relay_revoked_allocations_total');
  check(revoked >= 2, 'revocation: umbra-relay tore down the call\'s allocations (Redis)', `${revoked} revoked`);
  const s = await page.evaluate(() => window.umbraDemo.state());
  check(s.caller.ended && s.endedAtBroker, 'revocation: the caller is told the call ended');
  const status = await page.evaluate(() => document.getElementById('status').textContent);
  check(/cut the media/.test(status), 'page: tells that the relay cut the media after the broker ended the call',
        status);
  await page.screenshot({ path: path.join(OUT, 'call_demo_ended.png'), fullPage: true });
  stats.revocation = { samples, last_growth_ms: last, revoked_allocations: revoked,
                       allocations_after: metric(m1, 'umbra_relay_allocations') };
  await page.evaluate(() => window.umbraDemo.hangUp());
}

async function secondCall(page, first) {
  await page.click('#start');
  const up = await waitState(page, connected, null, 30000);
  check(up, 'call 2: both parties connected');
  await waitState(page, () => window.umbraDemo.state().caller.received.length > 0, null, 10000);
  const s = await page.evaluate(() => window.umbraDemo.state());
  check(s.callId !== first.callId, 'call 2: a new call id');
  check(s.caller.cname !== first.caller.cname && s.callee.cname !== first.callee.cname &&
        s.caller.cname !== first.callee.cname,
        'call 2: different CNAMEs from call 1', `${first.caller.cname} -> ${s.caller.cname}`);
  check(s.caller.fingerprint.value !== first.caller.fingerprint.value &&
        s.callee.fingerprint.value !== first.callee.fingerprint.value,
        'call 2: different certificate fingerprints from call 1');
  const sdp = {
    callee_received: sdpChecks('call 2 callee', s.callee.received, s.caller),
    caller_received: sdpChecks('call 2 caller', s.caller.received, s.callee),
  };
  const old = stats.call1.sdp;
  check(sdp.callee_received.cnames.every((c) => !old.callee_received.cnames.includes(c)) &&
        sdp.callee_received.fingerprints.every((f) => !old.callee_received.fingerprints.includes(f)) &&
        sdp.caller_received.fingerprints.every((f) => !old.caller_received.fingerprints.includes(f)),
        'call 2: the SDPs received share no CNAME and no fingerprint with call 1');
  stats.call2 = { sdp, figures: await page.evaluate(() => window.umbraDemo.figures()) };
  await page.evaluate(() => window.umbraDemo.endAtBroker());
  await page.evaluate(() => window.umbraDemo.hangUp());
}

/* A party that is not relay-only: iceTransportPolicy "all", no TURN server,
 * its own SDP handed straight to the other side (not sanitized), plus extra
 * host candidates pointing at UDP sinks the test listens on. The other side
 * is relay-only with the broker's credentials, so anything it sends goes
 * through umbra-relay, which must refuse every non-relayed peer. */
async function leakyParty(page) {
  const sinks = [];
  for (const port of SINK_PORTS.slice(0, 1)) {
    const sock = dgram.createSocket('udp4');
    const sink = { host: '127.0.0.1', port, packets: 0, probes: 0, sock };
    sock.on('message', (msg) => { if (msg.toString() === 'probe') sink.probes++; else sink.packets++; });
    await new Promise((r) => sock.bind(port, '127.0.0.1', r));
    sinks.push(sink);
  }
  // The sinks work: a datagram sent to each is counted.
  const prober = dgram.createSocket('udp4');
  for (const s of sinks) await new Promise((r) => prober.send('probe', s.port, s.host, r));
  prober.close();
  await sleep(200);
  check(sinks.every((s) => s.probes === 1), 'leak test: the UDP sinks receive what is sent to them');

  const m0 = await relayMetrics();
  const r = await page.evaluate(async (sinkList) => {
    const api = window.umbraDemo.api;
    const gather = (pc) => new Promise((res) => {
      if (pc.iceGatheringState === 'complete') return res();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && res());
      setTimeout(res, 6000);
    });
    const tokL = (await api('POST', '/v1/identities')).token;
    const tokG = (await api('POST', '/v1/identities')).token;
    const pnG = (await api('POST', '/v1/pseudonyms', { context: 'leak' }, tokG)).pseudonym;
    const c = await api('POST', '/v1/calls', { caller: tokL, callee: pnG, service: 'contact-list',
      call_model: 'single-cs', destination: 'trusted', caller_state: 'pseudonymous' });
    const accepted = await api('POST', `/v1/calls/${c.call_id}/accept`, {}, tokG);
    const history = { G: [], L: [] };
    const G = new RTCPeerConnection({ iceServers: accepted.ice_servers, iceTransportPolicy: 'relay',
      certificates: [await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' })] });
    const L = new RTCPeerConnection({ iceServers: [], iceTransportPolicy: 'all' });
    G.addEventListener('iceconnectionstatechange', () => history.G.push(G.iceConnectionState));
    L.addEventListener('iceconnectionstatechange', () => history.L.push(L.iceConnectionState));
    // With capture permission Chromium puts real host addresses, not mDNS names, in the SDP.
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    L.addTrack(stream.getTracks()[0], stream);
    const dcL = L.createDataChannel('leak');
    let opened = false;
    dcL.onopen = () => { opened = true; };
    G.ondatachannel = () => { opened = true; };
    await L.setLocalDescription();
    await gather(L);
    const offer = L.localDescription.sdp;
    // The same raw offer sent through the broker instead: the sanitizer
    // must strip every host candidate before the callee sees it.
    const posted = await api('POST', `/v1/calls/${c.call_id}/offer`, { type: 'offer', sdp: offer }, c.caller_secret);
    const evs = await api('GET', `/v1/calls/${c.call_id}/events?party=callee&since=0&wait=0`, undefined,
                          accepted.callee_secret);
    const delivered = evs.events.filter((e) => e.type === 'offer').map((e) => e.sdp).join('\n');
    await G.setRemoteDescription({ type: 'offer', sdp: offer });
    for (const [i, s] of sinkList.entries())
      await G.addIceCandidate({ candidate: `candidate:90${i} 1 udp 2122260223 ${s.host} ${s.port} typ host generation 0`,
                                sdpMLineIndex: 0 });
    await G.setLocalDescription();
    await gather(G);
    await L.setRemoteDescription(G.localDescription);
    const pairs = async (pc, acc) => {
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'candidate-pair') {
          acc.pairIds.add(s.id);
          for (const k of ['requestsSent', 'requestsReceived', 'responsesReceived', 'bytesReceived', 'packetsReceived'])
            acc[k] = Math.max(acc[k] || 0, s[k] || 0);
        }
        if (s.type === 'transport') acc.transportPacketsReceived = Math.max(acc.transportPacketsReceived || 0, s.packetsReceived || 0);
        if (s.type === 'local-candidate') acc.local.add(s.candidateType);
        if (s.type === 'remote-candidate') acc.remote.add(s.candidateType);
      });
    };
    const acc = { G: { pairIds: new Set(), local: new Set(), remote: new Set() },
                  L: { pairIds: new Set(), local: new Set(), remote: new Set() } };
    G.addEventListener('connectionstatechange', () => history.G.push('pc:' + G.connectionState));
    L.addEventListener('connectionstatechange', () => history.L.push('pc:' + L.connectionState));
    const t0 = Date.now();
    while (Date.now() - t0 < 20000 && !(G.connectionState === 'failed' && L.connectionState === 'failed')) {
      await pairs(G, acc.G);
      await pairs(L, acc.L);
      await new Promise((res) => setTimeout(res, 500));
    }
    const plain = (a) => Object.assign({}, a, { pairs: a.pairIds.size, pairIds: undefined,
                                               local: [...a.local], remote: [...a.remote] });
    const result = {
      offerTypes: offer.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:')).map((l) => / typ (\S+)/.exec(l)[1]),
      G: { ice: G.iceConnectionState, connection: G.connectionState, history: history.G, stats: plain(acc.G) },
      L: { ice: L.iceConnectionState, connection: L.connectionState, history: history.L, stats: plain(acc.L) },
      opened, waited: Date.now() - t0,
      viaBroker: { kept: posted.candidates_kept, dropped: posted.candidates_dropped,
                   deliveredOffer: delivered.length > 0,
                   deliveredCandidates: delivered.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:')).length,
                   hostAddressesLeft: [...offer.matchAll(/ (\S+) \d+ typ host/g)].map((m) => m[1])
                     .filter((a) => delivered.includes(a)).length },
    };
    await api('DELETE', `/v1/calls/${c.call_id}`, undefined, accepted.callee_secret);
    G.close();
    L.close();
    stream.getTracks().forEach((t) => t.stop());
    return result;
  }, sinks.map((s) => ({ host: s.host, port: s.port })));
  await sleep(500);
  const m1 = await relayMetrics();
  const d = (name) => metric(m1, name) - metric(m0, name);
  const hostCount = r.offerTypes.filter((t) => t === 'host').length;
  check(hostCount > 0, 'leak test: the non-relay-only party offered host candidates',
        `${hostCount} host of ${r.offerTypes.length}`);
  const vb = r.viaBroker;
  check(vb.deliveredOffer && vb.kept === 0 && vb.dropped === hostCount && vb.deliveredCandidates === 0 &&
        vb.hostAddressesLeft === 0,
        'leak test: the same raw offer sent through the broker reaches the callee with no host candidate or address',
        `${vb.dropped} dropped, ${vb.kept} kept, ${vb.deliveredCandidates} delivered`);
  const everConnected = (h) => h.some((x) => /connected|completed/.test(x) && !/disconnected/.test(x));
  check(!everConnected(r.G.history) && !everConnected(r.L.history) && !r.opened,
        'leak test: the call fails closed (never connected, no data channel)',
        `relay-only side ${r.G.history.join('>')}; other side ${r.L.history.join('>')}`);
  check(r.G.connection === 'failed' && r.L.connection === 'failed', 'leak test: both peer connections fail',
        `${r.G.connection} / ${r.L.connection} after ${r.waited} ms`);
  const denied = d('umbra_relay_policy_denials_total{reason="not_relayed"}') +
                 d('umbra_relay_policy_denials_total{reason="scope"}');
  check(denied > 0, 'leak test: umbra-relay refused permissions toward non-relayed addresses',
        `not_relayed +${d('umbra_relay_policy_denials_total{reason="not_relayed"}')}, scope +${d('umbra_relay_policy_denials_total{reason="scope"}')}`);
  check(d('umbra_relay_packets_relayed_total{direction="to_peer"}') === 0,
        'leak test: umbra-relay relayed no packet toward any peer',
        `to_peer +${d('umbra_relay_packets_relayed_total{direction="to_peer"}')}`);
  check(sinks.every((s) => s.packets === 0), 'leak test: nothing reached the host-candidate sinks',
        sinks.map((s) => `${s.port}: ${s.packets}`).join(', '));
  const L = r.L.stats;
  const lrx = (L.requestsReceived || 0) + (L.responsesReceived || 0) + (L.packetsReceived || 0) +
              (L.transportPacketsReceived || 0);
  check(L.pairs > 0 && (L.requestsSent || 0) > 0 && lrx === 0,
        'leak test: the non-relay-only party sent checks from its host addresses and got nothing back',
        `${L.pairs} pair(s), ${L.requestsSent} checks sent, ${lrx} packets/requests/responses received`);
  // A host address is no relayed address: relay-only drops what it sends
  // before the permission check (peer_not_relayed); without a permission
  // for its IP it would be peer_no_permission.
  const notRelayed = d('umbra_relay_dropped_total{reason="peer_not_relayed"}');
  const noPermission = d('umbra_relay_dropped_total{reason="peer_no_permission"}');
  const dropped = notRelayed + noPermission;
  check(dropped > 0,
        'leak test: umbra-relay dropped what the host addresses sent to a relayed address',
        `${notRelayed} dropped (not a relayed address), ${noPermission} dropped (no permission)`);
  stats.leak = Object.assign({}, r, { relay: {
    denied_not_relayed: d('umbra_relay_policy_denials_total{reason="not_relayed"}'),
    denied_scope: d('umbra_relay_policy_denials_total{reason="scope"}'),
    dropped_peer_not_relayed: notRelayed,
    dropped_peer_no_permission: noPermission,
    relayed_to_peer: d('umbra_relay_packets_relayed_total{direction="to_peer"}') },
    sinks: sinks.map((s) => ({ port: s.port, packets: s.packets, probes: s.probes })) });
  for (const s of sinks) s.sock.close();
}

async function main() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'umbra-chromium-'));
  let ctx = null;
  try {
    ctx = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM, headless: true, args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('pageerror', (e) => console.log('[page error] ' + e.message));
    const resp = await page.goto(DEMO_URL);
    check(resp.status() === 200 && /text\/html/.test(resp.headers()['content-type']),
          'demo page served by umbra-broker at /demo/', resp.url());
    check(await page.evaluate(() => typeof window.umbraDemo === 'object' &&
                                     typeof RTCPeerConnection.generateCertificate === 'function'),
          'demo page loaded its script (same-origin, CSP allows it)');
    const first = await firstCall(page);
    if (first.caller.connectionState === 'connected') await revocation(page);
    await secondCall(page, first);
    await leakyParty(page);
  } catch (e) {
    check(false, 'test ran to the end', e.stack);
  } finally {
    if (ctx) await ctx.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
    fs.writeFileSync(path.join(OUT, 'call_demo_stats.json'), JSON.stringify(stats, null, 1));
    fs.writeFileSync(path.join(OUT, 'call_demo_results.json'), JSON.stringify(results, null, 1));
  }
  console.log(`${results.checks.length - failures} of ${results.checks.length} checks passed`);
  process.exit(failures === 0 ? 0 : 1);
}

main();
