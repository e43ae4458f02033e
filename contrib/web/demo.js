/* umbra demo: two parties (caller Alice, callee Bob) make an anonymous call
 * through umbra-broker (signaling, same origin) and umbra-relay (media).
 *
 * Each party keeps its own secrets (identity token, party secret) and talks
 * to the other only through the broker. Each uses the TURN credentials the
 * broker issued to it for this call, iceTransportPolicy from the broker's
 * decision ("relay"), and a DTLS certificate generated for this call only.
 * The page shows the decision with its explanation, the pseudonym each side
 * sees of the other, and getStats figures. Ending the call at the broker
 * does not close the peer connections: the figures show the relay cutting
 * the media when the broker revokes the call.
 *
 * window.umbraDemo is a small API for scripts (the browser test uses it):
 * start(options), endAtBroker(), hangUp(), state(), figures(). No secret
 * ever appears in state() or on the page. */
'use strict';

(function () {
  const CONTEXT = 'umbra-demo';
  const DATA_BYTES = 1 << 20;
  const CHUNK = 16384;
  const $ = (id) => document.getElementById(id);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function hex(buf) {
    return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  async function sha256(bytes) {
    return hex(await crypto.subtle.digest('SHA-256', bytes));
  }

  function randomBytes(n) {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 65536)
      crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
    return out;
  }

  async function api(method, path, body, bearer) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    // Tokens and secrets travel only here, never in a path or query.
    if (bearer) headers.Authorization = 'Bearer ' + bearer;
    const r = await fetch(path, {
      method, headers, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (!r.ok) {
      const why = json ? `${json.error}: ${json.detail}` : text.slice(0, 120);
      const err = new Error(`${method} ${path}: ${r.status} ${why}`);
      err.status = r.status;
      err.body = json;
      throw err;
    }
    return json;
  }

  const logEl = () => $('log');
  const t0 = performance.now();
  const logLines = [];
  function log(who, text) {
    const secs = ((performance.now() - t0) / 1000).toFixed(2);
    logLines.push(`${secs} ${who}: ${text}`);
    const li = document.createElement('li');
    const t = document.createElement('span');
    t.className = 't';
    t.textContent = secs + 's';
    li.append(t, `${who}: ${text}`);
    logEl().append(li);
    logEl().scrollTop = logEl().scrollHeight;
  }

  function setStatus(text, cls) {
    const s = $('status');
    s.textContent = text;
    s.className = 'status ' + cls;
  }

  function fmtBytes(n) {
    if (n === undefined || n === null) return '-';
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(2) + ' MiB';
    if (n >= 1024) return (n / 1024).toFixed(1) + ' KiB';
    return n + ' B';
  }

  function waitGathering(pc, ms) {
    return new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const done = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      pc.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, ms);
    });
  }

  /* Figures from one getStats report (plain numbers, no addresses). */
  function figuresOf(report) {
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    const f = { pair: null, transport: null, audioIn: null, audioOut: null, dataChannel: null,
                pairs: [] };
    report.forEach((s) => {
      if (s.type === 'transport' && !f.transport) {
        f.transport = { bytesSent: s.bytesSent, bytesReceived: s.bytesReceived,
                        packetsSent: s.packetsSent, packetsReceived: s.packetsReceived,
                        dtlsState: s.dtlsState, iceState: s.iceState,
                        selectedCandidatePairId: s.selectedCandidatePairId };
      } else if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        f.audioIn = { packetsReceived: s.packetsReceived, bytesReceived: s.bytesReceived,
                      packetsLost: s.packetsLost, jitter: s.jitter };
      } else if (s.type === 'outbound-rtp' && s.kind === 'audio') {
        f.audioOut = { packetsSent: s.packetsSent, bytesSent: s.bytesSent };
      } else if (s.type === 'data-channel') {
        f.dataChannel = { state: s.state, bytesSent: s.bytesSent, bytesReceived: s.bytesReceived,
                          messagesSent: s.messagesSent, messagesReceived: s.messagesReceived };
      } else if (s.type === 'candidate-pair') {
        const l = byId.get(s.localCandidateId) || {};
        const r = byId.get(s.remoteCandidateId) || {};
        f.pairs.push({ id: s.id, state: s.state, nominated: !!s.nominated,
                       localType: l.candidateType, remoteType: r.candidateType,
                       localRelayProtocol: l.relayProtocol, remoteProtocol: r.protocol,
                       requestsSent: s.requestsSent, responsesReceived: s.responsesReceived,
                       bytesSent: s.bytesSent, bytesReceived: s.bytesReceived,
                       packetsSent: s.packetsSent, packetsReceived: s.packetsReceived });
      }
    });
    const selId = f.transport && f.transport.selectedCandidatePairId;
    const sel = selId ? byId.get(selId) : null;
    if (sel) {
      const l = byId.get(sel.localCandidateId) || {};
      const r = byId.get(sel.remoteCandidateId) || {};
      f.pair = { state: sel.state, localType: l.candidateType, remoteType: r.candidateType,
                 protocol: l.protocol, relayProtocol: l.relayProtocol,
                 bytesSent: sel.bytesSent, bytesReceived: sel.bytesReceived,
                 packetsSent: sel.packetsSent, packetsReceived: sel.packetsReceived,
                 currentRoundTripTime: sel.currentRoundTripTime,
                 totalRoundTripTime: sel.totalRoundTripTime,
                 responsesReceived: sel.responsesReceived };
    }
    return f;
  }

  const f0 = (f) => (f.transport && f.transport.packetsReceived) || 0;

  class Party {
    constructor(role, name) {
      this.role = role;         // "caller" or "callee"
      this.name = name;
      this.el = $('party-' + role);
      this.reset();
    }

    reset() {
      if (this.pc) this.pc.close();
      this.gen = (this.gen || 0) + 1;  // loops of an earlier call see the change and stop
      this.stopped = false;
      this.token = null;        // identity bearer token: this party's only
      this.secret = null;       // party secret for this call
      this.callId = null;
      this.pc = null;
      this.dc = null;
      this.stream = null;
      this.pending = [];        // remote candidates before the remote description
      this.own = null;
      this.peer = null;
      this.policy = null;
      this.cname = null;
      this.fingerprint = null;
      this.sentSdp = null;
      this.received = [];       // SDPs and candidates exactly as the broker delivered them
      this.ended = false;
      this.figures = null;
      this.lastRx = undefined;
      this.data = { sent: 0, received: 0, sentSha: null, receivedSha: null, peerSha: null,
                    peerBytes: null, match: null };
      this.rx = null;
      for (const dd of this.el.querySelectorAll('[data-f]')) dd.textContent = '-';
      this.show('sdp', '');
    }

    show(field, text, cls) {
      const el = this.el.querySelector(`[data-f="${field}"]`);
      el.textContent = text;
      if (cls !== undefined) el.className = el.className.replace(/\b(good|bad)\b/g, '') + ' ' + cls;
    }

    async newIdentity() {
      const r = await api('POST', '/v1/identities');
      this.token = r.token;
      const p = await api('POST', '/v1/pseudonyms', { context: CONTEXT }, this.token);
      this.own = p.pseudonym;
      this.show('own', this.own);
    }

    async preparePc(material) {
      this.secret = material.secret;
      this.policy = material.ice_transport_policy;
      this.cname = material.cname;
      this.show('policy', `iceTransportPolicy "${this.policy}"`, this.policy === 'relay' ? 'good' : 'bad');
      this.show('cname', this.cname);
      // A certificate made for this call alone: its fingerprint links nothing.
      const cert = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' });
      this.fingerprint = cert.getFingerprints()[0];
      this.show('fp', `${this.fingerprint.algorithm} ${this.fingerprint.value}`);
      this.pc = new RTCPeerConnection({
        iceServers: material.ice_servers,
        iceTransportPolicy: this.policy,
        certificates: [cert],
        bundlePolicy: 'max-bundle',
        rtcpMuxPolicy: 'require',
      });
      const pc = this.pc;
      pc.addEventListener('connectionstatechange', () => {
        this.show('conn', `${pc.connectionState} (ICE ${pc.iceConnectionState})`,
                  pc.connectionState === 'connected' ? 'good' : (pc.connectionState === 'failed' ? 'bad' : ''));
        log(this.name, 'connection ' + pc.connectionState);
        refreshStatus();
      });
      pc.addEventListener('track', (ev) => {
        const audio = new Audio();
        audio.srcObject = ev.streams[0] || new MediaStream([ev.track]);
        audio.muted = true;  // the figures matter here, not the beep
        audio.play().catch(() => {});
      });
      pc.addEventListener('datachannel', (ev) => this.useChannel(ev.channel));
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      for (const track of this.stream.getTracks()) pc.addTrack(track, this.stream);
    }

    useChannel(dc) {
      this.dc = dc;
      dc.binaryType = 'arraybuffer';
      this.rx = { buf: new Uint8Array(DATA_BYTES), len: 0 };
      dc.addEventListener('message', (ev) => this.onData(ev.data));
      dc.addEventListener('open', () => this.sendData());
      if (dc.readyState === 'open') this.sendData();
    }

    async sendData() {
      if (this.data.sentSha) return;
      const dc = this.dc;
      const bytes = randomBytes(DATA_BYTES);
      this.data.sentSha = await sha256(bytes);
      dc.bufferedAmountLowThreshold = 256 * 1024;
      for (let off = 0; off < bytes.length; off += CHUNK) {
        while (dc.bufferedAmount > 1024 * 1024)
          await new Promise((r) => dc.addEventListener('bufferedamountlow', r, { once: true }));
        if (dc.readyState !== 'open') return;
        dc.send(bytes.subarray(off, Math.min(bytes.length, off + CHUNK)));
        this.data.sent = Math.min(bytes.length, off + CHUNK);
      }
      dc.send(JSON.stringify({ done: true, bytes: bytes.length, sha256: this.data.sentSha }));
      log(this.name, `sent ${fmtBytes(bytes.length)} on the data channel`);
    }

    async onData(d) {
      if (typeof d === 'string') {
        const m = JSON.parse(d);
        this.data.peerSha = m.sha256;
        this.data.peerBytes = m.bytes;
        this.data.receivedSha = await sha256(this.rx.buf.subarray(0, this.rx.len));
        this.data.match = this.data.receivedSha === m.sha256 && this.rx.len === m.bytes;
        log(this.name, `received ${fmtBytes(this.rx.len)}, SHA-256 ${this.data.match ? 'matches' : 'DIFFERS'}`);
        return;
      }
      const chunk = new Uint8Array(d);
      if (this.rx.len + chunk.length <= this.rx.buf.length) this.rx.buf.set(chunk, this.rx.len);
      this.rx.len += chunk.length;
      this.data.received = this.rx.len;
    }

    async addRemoteCandidate(ev) {
      const init = { candidate: ev.candidate, sdpMid: ev.sdpMid, sdpMLineIndex: ev.sdpMLineIndex };
      if (init.sdpMid === undefined && init.sdpMLineIndex === undefined) init.sdpMLineIndex = 0;
      if (!this.pc || !this.pc.remoteDescription) {
        this.pending.push(init);
        return;
      }
      await this.pc.addIceCandidate(init).catch((e) => log(this.name, 'candidate refused: ' + e.message));
    }

    async flushCandidates() {
      const list = this.pending;
      this.pending = [];
      for (const c of list) await this.addRemoteCandidate(c);
    }

    /* Sends the local description with every gathered candidate in it. */
    async sendDescription(kind) {
      await this.pc.setLocalDescription();
      await waitGathering(this.pc, 6000);
      this.sentSdp = this.pc.localDescription.sdp;
      const r = await api('POST', `/v1/calls/${this.callId}/${kind}`,
                          { type: kind, sdp: this.sentSdp }, this.secret);
      log(this.name, `${kind} sent: ${r.candidates_kept} candidate(s) kept, ` +
          `${r.candidates_dropped} dropped${r.held ? ', held until the callee accepts' : ''}`);
    }

    /* Summarises the candidates received from the broker: types and raddr. */
    showReceived() {
      const lines = [];
      for (const r of this.received) {
        if (r.sdp) lines.push(...r.sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:')));
        else if (r.candidate) lines.push(r.candidate);
      }
      const types = {}, raddrs = new Set();
      for (const l of lines) {
        const t = (/ typ (\S+)/.exec(l) || [])[1] || '?';
        types[t] = (types[t] || 0) + 1;
        const ra = / raddr (\S+)/.exec(l);
        if (ra) raddrs.add(ra[1]);
      }
      const text = Object.entries(types).map(([t, n]) => `${n} ${t}`).join(', ') +
                   (raddrs.size ? `; raddr ${[...raddrs].join(', ')}` : '');
      const clean = lines.length > 0 && Object.keys(types).every((t) => t === 'relay') &&
                    [...raddrs].every((a) => a === '0.0.0.0');
      this.show('cands', text || 'none', clean ? 'good' : 'bad');
    }

    async receiveDescription(ev) {
      this.received.push({ type: ev.type, sdp: ev.sdp });
      this.showReceived();
      this.show('sdp', ev.sdp);
      await this.pc.setRemoteDescription({ type: ev.type, sdp: ev.sdp });
      await this.flushCandidates();
    }

    /* Long-polls this party's events until stopped. */
    async poll(bearerFn, onEvent) {
      let since = 0;
      const gen = this.gen;
      while (!this.stopped && gen === this.gen) {
        let r;
        try {
          r = await api('GET', `/v1/calls/${this.callId}/events?party=${this.role}&since=${since}&wait=10`,
                        undefined, bearerFn());
        } catch (e) {
          if (this.stopped || gen !== this.gen) return;
          log(this.name, 'events: ' + e.message);
          await sleep(500);
          continue;
        }
        since = r.next;
        for (const ev of r.events) {
          if (ev.type === 'ended') {
            this.ended = true;
            this.stopped = true;
            log(this.name, 'the broker says the call has ended');
            refreshStatus();
            return;
          }
          try {
            await onEvent(ev);
          } catch (e) {
            log(this.name, `${ev.type}: ${e.message}`);
            setStatus('error', 'error');
          }
        }
      }
    }

    async collect() {
      if (!this.pc) return null;
      this.figures = figuresOf(await this.pc.getStats());
      this.figures.connectionState = this.pc.connectionState;
      this.figures.iceConnectionState = this.pc.iceConnectionState;
      this.figures.at = Date.now();
      // The last moment a packet arrived, to show when the relay cut the call.
      const rx = f0(this.figures);
      if (this.lastRx === undefined || rx > this.lastRx.count) this.lastRx = { count: rx, at: this.figures.at };
      const f = this.figures, p = f.pair;
      if (p) {
        const relayed = p.localType === 'relay' && p.remoteType === 'relay';
        this.show('pair', `${p.localType} (${p.relayProtocol || p.protocol}) \u2194 ${p.remoteType}`,
                  relayed ? 'good' : 'bad');
        this.show('bytes', `${fmtBytes(p.bytesSent)} / ${fmtBytes(p.bytesReceived)}`);
        this.show('packets', `${p.packetsSent ?? '-'} / ${p.packetsReceived ?? '-'}`);
        this.show('rtt', p.currentRoundTripTime !== undefined
          ? (p.currentRoundTripTime * 1000).toFixed(1) + ' ms' : '-');
      }
      if (f.audioIn) this.show('audio', String(f.audioIn.packetsReceived));
      const d = this.data;
      this.show('data', `sent ${fmtBytes(d.sent)}, received ${fmtBytes(d.received)}` +
                (d.match === null ? '' : (d.match ? ', SHA-256 matches' : ', SHA-256 DIFFERS')),
                d.match === null ? '' : (d.match ? 'good' : 'bad'));
      return f;
    }

    snapshot() {
      return {
        role: this.role, ownPseudonym: this.own, peerPseudonym: this.peer, policy: this.policy,
        cname: this.cname, fingerprint: this.fingerprint, sentSdp: this.sentSdp,
        received: this.received, ended: this.ended, figures: this.figures,
        data: Object.assign({}, this.data),
        connectionState: this.pc ? this.pc.connectionState : null,
      };
    }
  }

  const alice = new Party('caller', 'Alice');
  const bob = new Party('callee', 'Bob');
  const call = { id: null, decision: null, live: false, endedAtBroker: false, error: null };

  function refreshStatus() {
    if (call.error) return setStatus('error', 'error');
    if (call.endedAtBroker || alice.ended) {
      const last = Math.max(...[alice, bob].map((p) => (p.lastRx ? p.lastRx.at : 0)));
      const quiet = call.endedAt && Date.now() - last > 1500 && last > 0;
      return setStatus(quiet ? `ended at the broker: umbra-relay cut the media ${Math.max(0, (last - call.endedAt) / 1000).toFixed(1)} s later`
                             : 'ended at the broker', 'ended');
    }
    const both = alice.pc && bob.pc && alice.pc.connectionState === 'connected' &&
                 bob.pc.connectionState === 'connected';
    if (both) return setStatus('in call: media relayed by umbra-relay', 'live');
    if (call.id) return setStatus('connecting', 'idle');
    return setStatus('idle', 'idle');
  }

  function showDecision(d) {
    const tbody = $('decision').tBodies[0];
    tbody.textContent = '';
    const head = tbody.insertRow();
    for (const h of ['rule', 'value', 'set by']) {
      const th = document.createElement('th');
      th.textContent = h;
      head.append(th);
    }
    const row = (k, v, src) => {
      const tr = tbody.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = typeof v === 'object' ? JSON.stringify(v) : String(v);
      const c = tr.insertCell();
      c.className = 'src';
      c.textContent = src;
    };
    row('admit', d.decision.admit, '');
    for (const [k, e] of Object.entries(d.explanation || {})) {
      const s = e.set_by || {};
      const where = s.file && !s.file.startsWith('<') ? `${s.source} (${s.file.split('/').pop()}:${s.line})`
                                                      : `${s.source} defaults`;
      const id = s.id && s.id !== 'defaults' ? ` [${s.id}]` : '';
      row(k, e.value, `${where || ''}${s.mandatory ? ', mandatory' : ''}${id}`);
    }
    const ul = $('refused');
    ul.textContent = '';
    if (!d.refused || d.refused.length === 0) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'none: every request was honoured';
      ul.append(li);
    }
    for (const r of d.refused || []) {
      const li = document.createElement('li');
      li.textContent = `${r.field} = ${JSON.stringify(r.requested)} asked by ${r.by.source}: ` +
                       `refused, ${r.reason} (won by ${r.winner.source})`;
      ul.append(li);
    }
  }

  /* Bob: finds the call among his pending calls, accepts it, answers. */
  async function calleeFlow() {
    let id = null;
    const gen = bob.gen;
    while (!id && !bob.stopped && gen === bob.gen) {
      const r = await api('GET', `/v1/pending?context=${encodeURIComponent(CONTEXT)}`, undefined,
                          bob.token);
      id = r.calls[0] || null;
      if (!id) await sleep(200);
    }
    if (!id || gen !== bob.gen) return;
    bob.callId = id;
    await bob.poll(() => bob.secret || bob.token, async (ev) => {
      if (ev.type === 'invited') {
        bob.peer = ev.caller || '(undetectable caller: no pseudonym)';
        bob.show('peer', bob.peer);
        log('Bob', 'invited by ' + bob.peer);
        const acc = await api('POST', `/v1/calls/${id}/accept`, {}, bob.token);
        await bob.preparePc({ secret: acc.callee_secret, ice_servers: acc.ice_servers,
                              ice_transport_policy: acc.ice_transport_policy, cname: acc.cname });
        log('Bob', 'accepted; got own TURN credentials, CNAME and secret');
      } else if (ev.type === 'offer') {
        await bob.receiveDescription(ev);
        log('Bob', 'offer received (sanitized by the broker)');
        await bob.sendDescription('answer');
      } else if (ev.type === 'candidate') {
        bob.received.push({ type: 'candidate', candidate: ev.candidate });
        bob.showReceived();
        await bob.addRemoteCandidate(ev);
      }
    });
  }

  async function callerFlow(opts) {
    const body = { caller: alice.token, callee: bob.own, service: opts.service,
                   call_model: opts.call_model, destination: opts.destination,
                   caller_state: 'pseudonymous' };
    let c;
    try {
      c = await api('POST', '/v1/calls', body);
    } catch (e) {
      // A refusal by policy still carries the decision and why.
      if (e.body && e.body.decision) {
        showDecision(e.body.decision);
        log('Alice', 'the call was refused by policy');
      }
      throw e;
    }
    call.id = c.call_id;
    call.decision = c.decision;
    alice.callId = c.call_id;
    alice.own = c.caller_pseudonym;
    alice.peer = bob.own;  // the pseudonym Alice dialled, from her contact list
    alice.show('own', alice.own);
    alice.show('peer', alice.peer);
    $('callid').textContent = 'call ' + c.call_id.slice(0, 8) + '\u2026';
    showDecision(c.decision);
    log('Alice', `call created (${opts.service}, ${opts.destination}); relay_only=${c.decision.decision.relay_only}`);
    await alice.preparePc({ secret: c.caller_secret, ice_servers: c.ice_servers,
                            ice_transport_policy: c.ice_transport_policy, cname: c.cname });
    alice.useChannel(alice.pc.createDataChannel('umbra-data', { ordered: true }));
    const polling = alice.poll(() => alice.secret, async (ev) => {
      if (ev.type === 'accepted') {
        log('Alice', 'Bob accepted');
      } else if (ev.type === 'answer') {
        await alice.receiveDescription(ev);
        log('Alice', 'answer received (sanitized by the broker)');
      } else if (ev.type === 'candidate') {
        alice.received.push({ type: 'candidate', candidate: ev.candidate });
        alice.showReceived();
        await alice.addRemoteCandidate(ev);
      }
    });
    await alice.sendDescription('offer');
    // Wrapped: returning the promise itself would make start() wait for the whole call.
    return { polling };
  }

  let statsTimer = null;

  async function start(options) {
    const opts = Object.assign({
      service: $('service').value, call_model: $('call_model').value,
      destination: $('destination').value }, options || {});
    hangUp();
    alice.reset();
    bob.reset();
    Object.assign(call, { id: null, decision: null, endedAtBroker: false, endedAt: null, error: null });
    $('start').disabled = true;
    try {
      await Promise.all([alice.newIdentity(), bob.newIdentity()]);
      log('page', 'two surrogate identities created; Bob shares his pseudonym for this context');
      const calleeDone = calleeFlow();
      await callerFlow(opts);
      calleeDone.catch((e) => { call.error = e.message; log('Bob', e.message); refreshStatus(); });
      $('end').disabled = false;
      $('hangup').disabled = false;
      if (!statsTimer) statsTimer = setInterval(() => figures().catch(() => {}), 1000);
      refreshStatus();
      return { callId: call.id };
    } catch (e) {
      call.error = e.message;
      log('page', e.message);
      refreshStatus();
      throw e;
    } finally {
      $('start').disabled = false;
    }
  }

  /* DELETE /v1/calls/{id}: the broker revokes the call; the relay drops it. */
  async function endAtBroker() {
    if (!call.id) return null;
    log('Alice', 'ends the call at the broker (DELETE); the relay revokes its allocations');
    const r = await api('DELETE', `/v1/calls/${call.id}`, undefined, alice.secret);
    call.endedAtBroker = true;
    call.endedAt = Date.now();
    $('end').disabled = true;
    refreshStatus();
    return r;
  }

  function hangUp() {
    for (const p of [alice, bob]) {
      p.stopped = true;
      if (p.stream) p.stream.getTracks().forEach((t) => t.stop());
      if (p.pc) p.pc.close();
    }
    $('hangup').disabled = true;
  }

  async function figures() {
    const [a, b] = await Promise.all([alice.collect(), bob.collect()]);
    refreshStatus();
    return { caller: a, callee: b };
  }

  function state() {
    return { callId: call.id, decision: call.decision, endedAtBroker: call.endedAtBroker,
             error: call.error, caller: alice.snapshot(), callee: bob.snapshot(),
             log: logLines.slice() };
  }

  window.umbraDemo = { start, endAtBroker, hangUp, state, figures, api };

  document.addEventListener('DOMContentLoaded', () => {
    $('start').addEventListener('click', () => start().catch(() => {}));
    $('end').addEventListener('click', () => endAtBroker().catch((e) => log('page', e.message)));
    $('hangup').addEventListener('click', hangUp);
  });
})();
