// SPDX-License-Identifier: GPL-3.0-or-later
// Peercall web client: signs in to peercall-signal over the wire protocol v1 (see net/PROTOCOL.md),
// shows the contact list and makes 1:1 WebRTC calls that interoperate with the desktop app.
// Dependency-free, no build step. With ?test=1 it exposes window.peercallTest for the browser tests.
'use strict';

(() => {
  const PROTOCOL_VERSION = 1;
  const RING_TIMEOUT_MS = 45000;
  const STATS_INTERVAL_MS = 1000;
  const USER_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

  const params = new URLSearchParams(location.search);
  const flag = (name) => ['1', 'true', 'yes'].includes((params.get(name) || '').toLowerCase());
  const TEST = flag('test');
  const options = {
    user: params.get('user') || '',
    name: params.get('name') || '',
    token: params.get('token') || undefined,
    call: params.get('call') || '',
    autoAnswer: TEST && flag('autoAnswer'),
    relayOnly: flag('relayOnly'),
    latencyStamp: TEST && flag('latencyStamp'),
    // screen sharing: 'replace' swaps the camera track on the video sender (no renegotiation),
    // 'add' sends the screen as a second video track (renegotiation)
    share: params.get('share') === 'add' ? 'add' : 'replace',
    // where a screen share comes from: 'display' (getDisplayMedia) or 'canvas' (test pattern)
    screenSource: params.get('screenSource') === 'canvas' ? 'canvas' : 'display',
    server: params.get('server') || '',
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    connection: $('connection'),
    signOut: $('sign-out'),
    signInPage: $('sign-in-page'),
    signInForm: $('sign-in-form'),
    user: $('user'),
    displayName: $('display-name'),
    signInError: $('sign-in-error'),
    signInButton: $('sign-in-button'),
    contactsPage: $('contacts-page'),
    meLine: $('me-line'),
    contacts: $('contacts'),
    noContacts: $('no-contacts'),
    callPage: $('call-page'),
    remoteVideo: $('remote-video'),
    remoteScreen: $('remote-screen'),
    remoteAudio: $('remote-audio'),
    localVideo: $('local-video'),
    callPeer: $('call-peer'),
    callStatus: $('call-status'),
    callCode: $('call-code'),
    mute: $('mute'),
    camera: $('camera'),
    share: $('share'),
    hangUp: $('hang-up'),
    incoming: $('incoming'),
    incomingText: $('incoming-text'),
    accept: $('accept'),
    decline: $('decline'),
    toast: $('toast'),
  };

  // ---------------------------------------------------------------------------------------------
  // Test hook: state the browser tests read (only with ?test=1)

  const test = {
    enabled: TEST,
    registered: false,
    user: null,
    iceServers: [],
    peers: {},
    call: null, // {id, peer, direction, state, reason?}
    calls: [], // every call, the current one last
    events: [], // like `peercall --events`: {event, t_ms, ...}
    errors: [],
    video: { frames: 0, presented: 0, firstFrameMs: null, width: 0, height: 0 },
    screen: { frames: 0, presented: 0, firstFrameMs: null, width: 0, height: 0 },
    remoteTracks: [], // {kind, id, mid}
    audio: { firstPacketMs: null, packetsReceived: 0, samplesReceived: 0 },
    latency: [], // glass-to-glass ms decoded from the remote latency stamp
    stats: null,
    timings: {}, // performance.now() marks: invite, accept, connected, firstFrame, ended
    wallTimings: {}, // the same marks as Date.now()
  };

  function now () {
    return Math.round(performance.now());
  }

  function emit (event, fields) {
    if (!TEST) {
      return;
    }
    test.events.push(Object.assign({ event, t_ms: now(), wall_ms: Date.now() }, fields));
  }

  function mark (name) {
    if (!(name in test.timings)) {
      test.timings[name] = performance.now();
      test.wallTimings[name] = Date.now();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // UI helpers

  let toastTimer = 0;
  function toast (text) {
    ui.toast.textContent = text;
    ui.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { ui.toast.hidden = true; }, 4000);
  }

  function showPage (page) {
    for (const p of [ui.signInPage, ui.contactsPage, ui.callPage]) {
      p.hidden = p !== page;
    }
  }

  function setConnection (text) {
    ui.connection.textContent = text;
    ui.connection.hidden = !text;
  }

  const ERROR_TEXT = {
    'bad-message': 'The server did not understand a message.',
    'unsupported-version': 'This server speaks another protocol version.',
    'not-registered': 'Not signed in.',
    'already-registered': 'Already signed in.',
    'user-taken': 'That user name is already signed in somewhere else.',
    'auth-failed': 'The server refused the sign-in token.',
    'unknown-peer': 'That person is not signed in.',
    'no-such-call': 'That call no longer exists.',
    'rate-limited': 'Too many messages: slow down.',
  };

  function randomId () {
    if (crypto.randomUUID) {
      return crypto.randomUUID();
    }
    // crypto.randomUUID needs a secure context; plain http on a LAN address is not one
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // ---------------------------------------------------------------------------------------------
  // Signaling

  function serverUrl () {
    if (options.server) {
      return options.server;
    }
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws`;
  }

  const session = {
    ws: null,
    user: '',
    name: '',
    iceServers: [],
    peers: new Map(), // user -> {user, name, status}
    signedIn: false,
    wantSignedIn: false,
    retryMs: 1000,
    retryTimer: 0,
  };

  function send (msg) {
    if (!session.ws || session.ws.readyState !== WebSocket.OPEN) {
      console.warn('peercall: not connected, dropping', msg.type);
      return false;
    }
    session.ws.send(JSON.stringify(msg));
    return true;
  }

  function signIn (user, name) {
    session.user = user;
    session.name = name;
    session.wantSignedIn = true;
    try {
      localStorage.setItem('peercall.user', user);
      localStorage.setItem('peercall.name', name);
    } catch (e) { /* storage may be disabled */ }
    connect();
  }

  function connect () {
    clearTimeout(session.retryTimer);
    ui.signInButton.disabled = true;
    setConnection('Connecting…');
    const ws = new WebSocket(serverUrl());
    session.ws = ws;
    ws.onopen = () => {
      const hello = { type: 'hello', version: PROTOCOL_VERSION, user: session.user, name: session.name };
      if (options.token) {
        hello.token = options.token;
      }
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (e) {
        console.warn('peercall: bad JSON from server', e);
        return;
      }
      if (!msg || typeof msg.type !== 'string') {
        return;
      }
      onMessage(msg).catch((e) => {
        console.error('peercall: handling', msg.type, e);
        test.errors.push(`${msg.type}: ${e}`);
      });
    };
    ws.onclose = (ev) => {
      if (session.ws !== ws) {
        return;
      }
      session.ws = null;
      const wasSignedIn = session.signedIn;
      session.signedIn = false;
      test.registered = false;
      ui.signInButton.disabled = false;
      if (call) {
        endCall('peer-gone', { notify: false, text: 'Connection to the server lost' });
      }
      // 4001 auth-failed, 4002 user-taken, 4003 unsupported-version: retrying cannot help
      if (ev.code >= 4001 && ev.code <= 4003) {
        session.wantSignedIn = false;
        setConnection('');
        showSignIn(ERROR_TEXT[{ 4001: 'auth-failed', 4002: 'user-taken', 4003: 'unsupported-version' }[ev.code]]);
        return;
      }
      if (!session.wantSignedIn) {
        setConnection('');
        return;
      }
      if (!wasSignedIn && session.retryMs === 1000 && !ui.signInPage.hidden) {
        // never got in: tell the user instead of retrying silently
        session.wantSignedIn = false;
        setConnection('');
        showSignIn('Could not reach the Peercall server.');
        return;
      }
      setConnection('Offline — reconnecting…');
      session.retryTimer = setTimeout(connect, session.retryMs);
      session.retryMs = Math.min(session.retryMs * 2, 15000);
    };
  }

  function signOut () {
    session.wantSignedIn = false;
    if (call) {
      hangUp();
    }
    if (session.ws) {
      const ws = session.ws;
      session.ws = null;
      ws.close(1000);
    }
    session.signedIn = false;
    test.registered = false;
    setConnection('');
    ui.signOut.hidden = true;
    showSignIn('');
  }

  function showSignIn (error) {
    ui.signInButton.disabled = false;
    ui.signInError.textContent = error || '';
    ui.signInError.hidden = !error;
    showPage(ui.signInPage);
  }

  async function onMessage (msg) {
    switch (msg.type) {
      case 'welcome':
        return onWelcome(msg);
      case 'presence':
        return onPresence(msg);
      case 'error':
        return onError(msg);
      case 'invite':
        return onInvite(msg);
      case 'ringing':
      case 'accept':
      case 'decline':
      case 'hangup':
      case 'sdp':
      case 'ice':
        if (!call || msg.call !== call.id || msg.from !== call.peer) {
          return; // a late message for a call that already ended
        }
        // ending a call never waits behind a negotiation in progress
        return msg.type === 'hangup' || msg.type === 'decline' ? call.onSignal(msg) : call.enqueue(msg);
      default:
        return; // unknown types are ignored (forward compatibility)
    }
  }

  function onWelcome (msg) {
    session.signedIn = true;
    session.retryMs = 1000;
    session.iceServers = Array.isArray(msg.ice_servers) ? msg.ice_servers : [];
    session.peers.clear();
    for (const p of msg.peers || []) {
      if (p.user !== session.user) {
        session.peers.set(p.user, p);
      }
    }
    test.registered = true;
    test.user = msg.user;
    test.iceServers = session.iceServers;
    emit('registered', { user: msg.user });
    setConnection('');
    ui.signOut.hidden = false;
    ui.meLine.textContent = `Signed in as ${session.name} (${session.user})`;
    document.title = `Peercall — ${session.name}`;
    renderContacts();
    if (!call) {
      showPage(ui.contactsPage);
    }
    if (options.call && !startupCallPlaced) {
      startupCallPlaced = true;
      placeCallWhenPresent(options.call);
    }
  }
  let startupCallPlaced = false;

  // ?call=peer: call as soon as the peer is signed in (it may sign in after us)
  function placeCallWhenPresent (peer) {
    const p = session.peers.get(peer);
    if (p && p.status === 'available') {
      placeCall(peer);
    } else {
      pendingAutoCall = peer;
    }
  }
  let pendingAutoCall = '';

  function onPresence (msg) {
    if (msg.user === session.user) {
      return;
    }
    if (msg.status === 'offline') {
      session.peers.delete(msg.user);
    } else {
      session.peers.set(msg.user, { user: msg.user, name: msg.name, status: msg.status });
    }
    emit('presence', { user: msg.user, status: msg.status });
    renderContacts();
    if (pendingAutoCall === msg.user && msg.status === 'available' && !call) {
      pendingAutoCall = '';
      placeCall(msg.user);
    }
  }

  function onError (msg) {
    const text = ERROR_TEXT[msg.code] || msg.message || msg.code;
    test.errors.push(`${msg.code}: ${msg.message || ''}`);
    emit('error', { code: msg.code, message: msg.message || '' });
    if (!session.signedIn) {
      showSignIn(text);
      return;
    }
    if (call && msg.call === call.id && ['unknown-peer', 'no-such-call'].includes(msg.code)) {
      endCall(msg.code === 'unknown-peer' ? 'unavailable' : 'failed', { notify: false, text });
      return;
    }
    toast(text);
  }

  function renderContacts () {
    const list = ui.contacts;
    list.replaceChildren();
    const peers = [...session.peers.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const p of peers) {
      const li = document.createElement('li');
      li.className = 'row';
      li.dataset.user = p.user;
      const avatar = document.createElement('span');
      avatar.className = 'avatar';
      avatar.textContent = (p.name || p.user).trim().charAt(0).toUpperCase();
      avatar.style.setProperty('--hue', String(hue(p.user)));
      avatar.setAttribute('aria-hidden', 'true');
      const text = document.createElement('span');
      text.className = 'row-text';
      const title = document.createElement('span');
      title.className = 'row-title';
      title.textContent = p.name;
      const sub = document.createElement('span');
      sub.className = 'row-subtitle';
      const dot = document.createElement('span');
      dot.className = `status-dot ${p.status}`;
      sub.append(dot, `${p.user} · ${p.status === 'busy' ? 'In a call' : 'Available'}`);
      text.append(title, sub);
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'suggested call-button';
      btn.textContent = 'Call';
      btn.setAttribute('aria-label', `Call ${p.name}`);
      btn.disabled = p.status !== 'available' || !!call;
      btn.addEventListener('click', () => placeCall(p.user));
      li.append(avatar, text, btn);
      list.append(li);
    }
    ui.noContacts.hidden = peers.length > 0;
    test.peers = Object.fromEntries(peers.map((p) => [p.user, p.status]));
  }

  function hue (s) {
    let h = 0;
    for (const c of s) {
      h = (h * 31 + c.codePointAt(0)) % 360;
    }
    return h;
  }

  // ---------------------------------------------------------------------------------------------
  // Local media

  let localStream = null; // MediaStream with the microphone and camera (or test pattern)
  let localMediaPromise = null;
  let stampSource = null;

  function getLocalMedia () {
    if (!localMediaPromise) {
      const promise = openLocalMedia().then((stream) => {
        if (localMediaPromise !== promise) {
          // the call ended while the devices were opening: do not leave the camera on
          stream.getTracks().forEach((t) => t.stop());
          return stream;
        }
        localStream = stream;
        ui.localVideo.srcObject = stream;
        updateControls();
        return stream;
      });
      localMediaPromise = promise;
    }
    return localMediaPromise;
  }

  async function openLocalMedia () {
    const stream = new MediaStream();
    if (!navigator.mediaDevices) {
      // browsers give camera and microphone only to https pages (and to localhost)
      toast('Camera and microphone need a secure page: open Peercall over https or on localhost.');
      return stream;
    }
    if (options.latencyStamp) {
      stampSource = stampSource || new StampSource(640, 480, 30);
      stream.addTrack(stampSource.track.clone());
      try {
        const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
        mic.getAudioTracks().forEach((t) => stream.addTrack(t));
      } catch (e) {
        stream.addTrack(toneTrack());
      }
      return stream;
    }
    try {
      const s = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true },
        video: { width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      s.getTracks().forEach((t) => stream.addTrack(t));
    } catch (e) {
      // no camera (or refused): try the microphone alone, then go on receive-only
      console.warn('peercall: camera+microphone', e);
      try {
        const s = await navigator.mediaDevices.getUserMedia({ audio: true });
        s.getTracks().forEach((t) => stream.addTrack(t));
        toast('No camera: the call goes on with audio only.');
      } catch (e2) {
        console.warn('peercall: microphone', e2);
        toast('No camera or microphone: you can see and hear, but not be seen or heard.');
      }
    }
    return stream;
  }

  function stopLocalMedia () {
    if (localStream) {
      localStream.getTracks().forEach((t) => t.stop());
    }
    localStream = null;
    localMediaPromise = null;
    ui.localVideo.srcObject = null;
  }

  // A steady tone, for tests on machines without a (fake) microphone
  function toneTrack () {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    osc.frequency.value = 440;
    const dest = ctx.createMediaStreamDestination();
    osc.connect(dest);
    osc.start();
    return dest.stream.getAudioTracks()[0];
  }

  // The latency stamp of DESIGN.md, painted on a canvas that is our camera in test mode:
  // rows [0, h/16) hold 34 equal columns, 0 white, 33 black, 1..32 bits 31..0 of
  // (Date.now() mod 2^32); the rest of the frame moves so that the encoder has work to do.
  class StampSource {
    constructor (width, height, fps) {
      this.canvas = document.createElement('canvas');
      this.canvas.width = width;
      this.canvas.height = height;
      this.ctx = this.canvas.getContext('2d');
      this.frame = 0;
      this.paint();
      this.stream = this.canvas.captureStream(fps);
      this.track = this.stream.getVideoTracks()[0];
      this.timer = setInterval(() => this.paint(), Math.round(1000 / fps));
    }

    paint () {
      const { ctx, canvas } = this;
      const w = canvas.width;
      const h = canvas.height;
      const t = this.frame++;
      ctx.fillStyle = `hsl(${(t * 2) % 360} 40% 30%)`;
      ctx.fillRect(0, 0, w, h);
      ctx.fillStyle = '#e0e0e0';
      const x = (t * 7) % w;
      ctx.fillRect(x, h / 4, w / 8, h / 3);
      ctx.beginPath();
      ctx.arc(w / 2 + (w / 4) * Math.cos(t / 15), h * 0.62 + (h / 5) * Math.sin(t / 15), h / 10, 0, 2 * Math.PI);
      ctx.fillStyle = '#3584e4';
      ctx.fill();
      ctx.fillStyle = '#ffffff';
      ctx.font = `${Math.round(h / 12)}px sans-serif`;
      ctx.fillText(`Peercall web ${t}`, w / 20, h - h / 12);
      paintStamp(ctx, w, h, Date.now());
    }
  }

  function paintStamp (ctx, w, h, wallMs) {
    const band = Math.floor(h / 16);
    const value = wallMs % 4294967296;
    for (let col = 0; col < 34; col++) {
      let white;
      if (col === 0) {
        white = true;
      } else if (col === 33) {
        white = false;
      } else {
        white = Math.floor(value / 2 ** (32 - col)) % 2 === 1; // bit 31 in column 1
      }
      const x0 = Math.round((col * w) / 34);
      const x1 = Math.round(((col + 1) * w) / 34);
      ctx.fillStyle = white ? '#ffffff' : '#000000';
      ctx.fillRect(x0, 0, x1 - x0, band);
    }
  }

  // Reads the stamp back from a video element: returns the stamped wall-clock value or null.
  const stampReader = { canvas: null, ctx: null };
  function readStamp (video) {
    const w = video.videoWidth;
    const h = video.videoHeight;
    const band = Math.floor(h / 16);
    if (!w || band < 1) {
      return null;
    }
    if (!stampReader.canvas) {
      stampReader.canvas = document.createElement('canvas');
      stampReader.ctx = stampReader.canvas.getContext('2d', { willReadFrequently: true });
    }
    const c = stampReader.canvas;
    if (c.width !== w) {
      c.width = w;
      c.height = 1;
    }
    const y = Math.floor(band / 2);
    stampReader.ctx.drawImage(video, 0, y, w, 1, 0, 0, w, 1);
    const px = stampReader.ctx.getImageData(0, 0, w, 1).data;
    const luma = (col) => {
      const x = Math.min(w - 1, Math.floor(((col + 0.5) * w) / 34));
      return 0.299 * px[x * 4] + 0.587 * px[x * 4 + 1] + 0.114 * px[x * 4 + 2];
    };
    const white = luma(0);
    const black = luma(33);
    if (white - black < 64) {
      return null; // no stamp on this video
    }
    const threshold = (white + black) / 2;
    let value = 0;
    for (let col = 1; col <= 32; col++) {
      value = value * 2 + (luma(col) > threshold ? 1 : 0);
    }
    return value;
  }

  // ---------------------------------------------------------------------------------------------
  // Remote video: frame counting (requestVideoFrameCallback) and latency stamp decoding

  // The sha-256 a=fingerprint of an SDP (media level first, as the browser checks it), in
  // upper-case hex with colons; null without one.
  function sdpFingerprint (sdp) {
    const m = /^a=fingerprint:sha-256 ([0-9A-Fa-f:]+)\s*$/mi.exec(sdp || '');
    return m ? m[1].toUpperCase() : null;
  }

  // The verification code Peercall shows (media/pc-dtls-verifier.c): SHA-256 over both
  // fingerprints, sorted and joined by "\n"; four groups of five digits from bytes 5k..5k+4.
  async function verificationCode (a, b) {
    if (!a || !b || !(window.crypto && crypto.subtle)) {
      return null;
    }
    const input = a <= b ? `${a}\n${b}` : `${b}\n${a}`;
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(input)));
    const groups = [];
    for (let k = 0; k < 4; k++) {
      let chunk = 0n;
      for (let i = 0; i < 5; i++) {
        chunk = (chunk << 8n) | BigInt(hash[5 * k + i]);
      }
      groups.push(String(chunk % 100000n).padStart(5, '0'));
    }
    return groups.join(' ');
  }

  function watchFrames (video, counterOf, isMain) {
    if (!('requestVideoFrameCallback' in HTMLVideoElement.prototype)) {
      return;
    }
    const onFrame = (nowTs, meta) => {
      const counter = counterOf();
      video.frameCallback = video.requestVideoFrameCallback(onFrame);
      if (!call) {
        return; // a frame still in flight after the call ended
      }
      // presentedFrames counts every frame composited, also those between two callbacks
      // (a busy renderer runs callbacks less often than frames arrive)
      if (counter.base === undefined || meta.presentedFrames <= counter.base) {
        counter.base = meta.presentedFrames - 1;
      }
      counter.callbacks = (counter.callbacks || 0) + 1;
      counter.frames = meta.presentedFrames - counter.base;
      counter.presented = meta.presentedFrames;
      counter.width = meta.width;
      counter.height = meta.height;
      if (counter.firstFrameMs === null) {
        counter.firstFrameMs = performance.now();
        if (isMain) {
          mark('firstFrame');
          emit('first-frame', { call: call.id, kind: 'video', width: meta.width, height: meta.height });
          if (call.state !== 'connected') {
            call.setState('connected');
          }
        } else {
          emit('first-frame', { call: call.id, kind: 'screen', width: meta.width, height: meta.height });
        }
      }
      if (isMain && TEST && (options.latencyStamp || flag('latencyProbe'))) {
        const stamped = readStamp(video);
        if (stamped !== null) {
          // expectedDisplayTime is when the frame reaches the glass, in the performance.now clock
          const shown = performance.timeOrigin + (meta.expectedDisplayTime || nowTs);
          const ms = (Math.round(shown) - stamped + 4294967296) % 4294967296;
          if (ms < 10000) {
            test.latency.push(ms);
          }
        }
      }
    };
    // (re)armed whenever a new source is attached, so a callback never waits on an old one
    video.armFrameCallback = () => {
      if (video.frameCallback) {
        video.cancelVideoFrameCallback(video.frameCallback);
      }
      video.frameCallback = video.requestVideoFrameCallback(onFrame);
    };
    video.armFrameCallback();
  }

  // ---------------------------------------------------------------------------------------------
  // Calls

  let call = null;

  class Call {
    constructor (id, peer, peerName, direction) {
      this.id = id;
      this.peer = peer;
      this.peerName = peerName || peer;
      this.direction = direction; // 'outgoing' | 'incoming'
      this.polite = direction === 'incoming'; // DESIGN.md: the callee is the polite peer
      this.state = '';
      this.pc = null;
      this.makingOffer = false;
      this.ignoreOffer = false;
      this.settingRemoteAnswer = false;
      this.tracksAttached = false;
      this.deferredNegotiation = false;
      this.pendingCandidates = [];
      this.queue = Promise.resolve();
      this.ringTimer = 0;
      this.statsTimer = 0;
      this.videoSender = null;
      this.screenTrack = null;
      this.screenSender = null;
      this.videoElements = new Map(); // RTCRtpTransceiver -> <video>
      this.info = { id, peer, direction, state: '' };
      // the test hook's media counters and marks are per call
      test.video = { frames: 0, presented: 0, firstFrameMs: null, width: 0, height: 0 };
      test.screen = { frames: 0, presented: 0, firstFrameMs: null, width: 0, height: 0 };
      test.audio = { firstPacketMs: null, packetsReceived: 0, samplesReceived: 0 };
      test.remoteTracks = [];
      test.latency = [];
      test.stats = null;
      test.timings = {};
      test.wallTimings = {};
      test.call = this.info;
      test.calls.push(this.info);
    }

    setState (state, reason) {
      if (this.state === state || this.state === 'ended') {
        return;
      }
      this.state = state;
      this.info.state = state;
      if (reason) {
        this.info.reason = reason;
      }
      mark(state);
      emit('call-state', Object.assign({ call: this.id, peer: this.peer, direction: this.direction, state },
        reason ? { reason } : {}));
      updateCallView();
    }

    createPeerConnection () {
      const config = {
        iceServers: session.iceServers, // RTCIceServer array, as the server sent it
        iceTransportPolicy: options.relayOnly ? 'relay' : 'all',
        bundlePolicy: 'max-bundle',
        rtcpMuxPolicy: 'require',
      };
      const pc = new RTCPeerConnection(config);
      this.pc = pc;

      pc.onicecandidate = ({ candidate }) => {
        // null (and the legacy empty candidate) mean end of candidates: sent as `candidate: null`
        const c = candidate && candidate.candidate
          ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex }
          : null;
        send({ type: 'ice', to: this.peer, call: this.id, candidate: c });
      };

      pc.onnegotiationneeded = () => this.negotiate();

      pc.ontrack = ({ track, transceiver }) => this.onTrack(track, transceiver);

      pc.oniceconnectionstatechange = () => {
        const state = pc.iceConnectionState;
        if (state === 'connected' || state === 'completed') {
          mark('iceConnected');
          this.selectedPair().then((pair) => {
            emit('ice-state', Object.assign({ call: this.id, state }, pair));
            if (TEST) {
              this.info.localType = pair.local_type;
              this.info.remoteType = pair.remote_type;
            }
          });
        } else {
          emit('ice-state', { call: this.id, state });
        }
      };

      pc.onconnectionstatechange = () => {
        switch (pc.connectionState) {
          case 'connected':
            if (this.state !== 'connected') {
              this.setState('connected');
            }
            this.startStats();
            this.showVerification();
            break;
          case 'disconnected':
            ui.callStatus.textContent = 'Reconnecting…';
            break;
          case 'failed':
            this.fail('The connection failed.');
            break;
          default:
            break;
        }
      };
      return pc;
    }

    // The code both sides of a connected call show; the browser has checked the peer's
    // certificate against the remote description's fingerprint itself.
    async showVerification () {
      const pc = this.pc;
      const local = sdpFingerprint(pc && pc.localDescription && pc.localDescription.sdp);
      const remote = sdpFingerprint(pc && pc.remoteDescription && pc.remoteDescription.sdp);
      const sas = await verificationCode(local, remote);
      if (!sas || this.state === 'ended' || this.verification) {
        return;
      }
      this.verification = { call: this.id, sas, fingerprint_local: local, fingerprint_remote: remote };
      test.verification = this.verification;
      emit('verification', this.verification);
      ui.callCode.textContent = `Verification code ${sas}`;
      ui.callCode.hidden = false;
    }

    // Perfect negotiation (the callee is polite): offers go out whenever tracks change.
    async negotiate () {
      const pc = this.pc;
      if (!pc || this.state === 'ended') {
        return;
      }
      if (this.polite && !this.tracksAttached) {
        // the caller makes the first offer after `accept`; ours waits until we have answered it
        this.deferredNegotiation = true;
        return;
      }
      try {
        this.makingOffer = true;
        await pc.setLocalDescription();
        this.sendDescription(pc.localDescription);
      } catch (e) {
        console.error('peercall: negotiation', e);
        test.errors.push(`negotiate: ${e}`);
      } finally {
        this.makingOffer = false;
      }
    }

    sendDescription (desc) {
      mark(desc.type === 'offer' ? 'offerSent' : 'answerSent');
      send({ type: 'sdp', to: this.peer, call: this.id, description: { type: desc.type, sdp: desc.sdp } });
    }

    async onDescription (description) {
      const pc = this.pc;
      if (!pc || !description || !['offer', 'answer'].includes(description.type)) {
        return;
      }
      const readyForOffer = !this.makingOffer &&
        (pc.signalingState === 'stable' || this.settingRemoteAnswer);
      const collision = description.type === 'offer' && !readyForOffer;
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) {
        return;
      }
      this.settingRemoteAnswer = description.type === 'answer';
      mark(description.type === 'offer' ? 'offerReceived' : 'answerReceived');
      try {
        await pc.setRemoteDescription(description); // a polite peer rolls back its own offer here
      } finally {
        this.settingRemoteAnswer = false;
      }
      if (description.type === 'offer') {
        if (!this.tracksAttached) {
          // attach our media to the transceivers the offer created, so the answer sends too
          const stream = await getLocalMedia();
          if (this.pc !== pc) {
            return;
          }
          this.attachLocalTracks(stream);
        }
        await pc.setLocalDescription();
        this.sendDescription(pc.localDescription);
        if (this.deferredNegotiation && pc.signalingState === 'stable') {
          this.deferredNegotiation = false;
          this.negotiate();
        }
      }
      await this.flushCandidates();
    }

    attachLocalTracks (stream) {
      const pc = this.pc;
      if (!pc || this.state === 'ended') {
        return; // the call ended while the camera was opening
      }
      this.tracksAttached = true;
      for (const track of stream.getTracks()) {
        const sender = pc.addTrack(track, stream); // reuses a matching offered transceiver
        if (track.kind === 'video') {
          this.videoSender = sender;
        }
      }
      // always receive both kinds, even without a camera or microphone
      for (const kind of ['audio', 'video']) {
        if (!pc.getTransceivers().some((t) => t.receiver.track.kind === kind)) {
          pc.addTransceiver(kind, { direction: 'recvonly' });
        }
      }
    }

    async onCandidate (candidate) {
      const pc = this.pc;
      if (!pc || !pc.remoteDescription) {
        this.pendingCandidates.push(candidate);
        return;
      }
      try {
        if (candidate === null) {
          await pc.addIceCandidate(); // end of candidates
        } else {
          await pc.addIceCandidate(candidate);
        }
      } catch (e) {
        if (!this.ignoreOffer) {
          console.warn('peercall: addIceCandidate', e, candidate);
          test.errors.push(`addIceCandidate: ${e}`);
        }
      }
    }

    async flushCandidates () {
      const queued = this.pendingCandidates;
      this.pendingCandidates = [];
      for (const c of queued) {
        await this.onCandidate(c);
      }
    }

    onTrack (track, transceiver) {
      // webrtcbin 1.22 sends only ssrc-level msid, so event.streams may be empty: use the track
      test.remoteTracks.push({ kind: track.kind, id: track.id, mid: transceiver ? transceiver.mid : null });
      emit('track', { call: this.id, kind: track.kind, mid: transceiver ? transceiver.mid : null });
      if (track.kind === 'audio') {
        const stream = ui.remoteAudio.srcObject || new MediaStream();
        stream.addTrack(track);
        ui.remoteAudio.srcObject = stream;
        ui.remoteAudio.play().catch(() => {});
        return;
      }
      // the first video transceiver is the camera; a later one is a screen share
      let video = this.videoElements.get(transceiver);
      if (!video) {
        video = this.videoElements.size === 0 ? ui.remoteVideo : ui.remoteScreen;
        this.videoElements.set(transceiver, video);
      }
      video.srcObject = new MediaStream([track]);
      if (video.armFrameCallback) {
        video.armFrameCallback();
      }
      video.play().catch(() => {});
      if (video === ui.remoteScreen) {
        const show = () => { ui.remoteScreen.hidden = track.muted || track.readyState === 'ended'; };
        track.addEventListener('mute', show);
        track.addEventListener('unmute', show);
        track.addEventListener('ended', show);
        show();
      }
    }

    // Signaling messages of a call are handled one at a time, in order: an `ice` or a second
    // `sdp` must not run while an offer is still being applied and answered.
    enqueue (msg) {
      const next = this.queue.then(() => this.onSignal(msg));
      this.queue = next.catch(() => {});
      return next;
    }

    async onSignal (msg) {
      if (call !== this) {
        return; // ended while this message waited
      }
      switch (msg.type) {
        case 'ringing':
          if (this.direction === 'outgoing' && this.state === 'inviting') {
            this.setState('ringing');
          }
          break;
        case 'accept':
          if (this.direction !== 'outgoing' || !['inviting', 'ringing'].includes(this.state)) {
            return;
          }
          clearTimeout(this.ringTimer);
          mark('accept');
          this.setState('connecting');
          this.createPeerConnection();
          this.attachLocalTracks(await getLocalMedia()); // negotiationneeded sends the offer
          break;
        case 'decline':
          endCall(msg.reason || 'declined', {
            notify: false,
            text: msg.reason === 'busy' ? `${this.peerName} is busy` : `${this.peerName} declined the call`,
          });
          break;
        case 'hangup':
          endCall(msg.reason || 'normal', {
            notify: false,
            text: msg.reason === 'peer-gone' ? `${this.peerName} went offline` : `${this.peerName} hung up`,
          });
          break;
        case 'sdp':
          if (!msg.description || typeof msg.description.sdp !== 'string') {
            return;
          }
          await this.onDescription({ type: msg.description.type, sdp: msg.description.sdp });
          break;
        case 'ice':
          await this.onCandidate(msg.candidate && typeof msg.candidate.candidate === 'string' && msg.candidate.candidate
            ? { candidate: msg.candidate.candidate, sdpMid: msg.candidate.sdpMid ?? null,
                sdpMLineIndex: msg.candidate.sdpMLineIndex ?? null }
            : null);
          break;
        default:
          break;
      }
    }

    fail (text) {
      send({ type: 'hangup', to: this.peer, call: this.id, reason: 'failed' });
      endCall('failed', { notify: false, text });
    }

    async selectedPair () {
      const result = {};
      if (!this.pc) {
        return result;
      }
      const report = await this.pc.getStats();
      let pairId = null;
      report.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) {
          pairId = s.selectedCandidatePairId;
        }
      });
      const pair = pairId && report.get(pairId);
      if (pair) {
        const local = report.get(pair.localCandidateId);
        const remote = report.get(pair.remoteCandidateId);
        if (local) {
          result.local_type = local.candidateType;
        }
        if (remote) {
          result.remote_type = remote.candidateType;
        }
      }
      return result;
    }

    startStats () {
      if (this.statsTimer) {
        return;
      }
      let last = null;
      this.statsTimer = setInterval(async () => {
        if (!this.pc) {
          return;
        }
        const report = await this.pc.getStats();
        const s = { call: this.id, frames_decoded: 0, video_rx_bytes: 0, video_tx_bytes: 0, packets_lost: 0,
          audio_packets_received: 0, audio_samples_received: 0, frames_encoded: 0, rtt_ms: null, t: performance.now() };
        report.forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') {
            s.frames_decoded += r.framesDecoded || 0;
            s.video_rx_bytes += r.bytesReceived || 0;
            s.packets_lost += r.packetsLost || 0;
          } else if (r.type === 'inbound-rtp' && r.kind === 'audio') {
            s.audio_packets_received += r.packetsReceived || 0;
            s.audio_samples_received += r.totalSamplesReceived || 0;
            s.packets_lost += r.packetsLost || 0;
          } else if (r.type === 'outbound-rtp' && r.kind === 'video') {
            s.video_tx_bytes += r.bytesSent || 0;
            s.frames_encoded += r.framesEncoded || 0;
          } else if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded' &&
                     r.currentRoundTripTime !== undefined) {
            s.rtt_ms = Math.round(r.currentRoundTripTime * 1000);
          }
        });
        if (s.audio_packets_received > 0 && test.audio.firstPacketMs === null) {
          test.audio.firstPacketMs = performance.now();
          emit('first-frame', { call: this.id, kind: 'audio' });
        }
        test.audio.packetsReceived = s.audio_packets_received;
        test.audio.samplesReceived = s.audio_samples_received;
        const dt = last ? (s.t - last.t) / 1000 : 0;
        const stats = {
          call: this.id,
          rtt_ms: s.rtt_ms,
          video_rx_fps: dt ? Math.round((s.frames_decoded - last.frames_decoded) / dt) : 0,
          video_rx_kbps: dt ? Math.round(((s.video_rx_bytes - last.video_rx_bytes) * 8) / dt / 1000) : 0,
          video_tx_kbps: dt ? Math.round(((s.video_tx_bytes - last.video_tx_bytes) * 8) / dt / 1000) : 0,
          packets_lost: s.packets_lost,
          frames_decoded: s.frames_decoded,
          frames_encoded: s.frames_encoded,
        };
        last = s;
        test.stats = stats;
        emit('stats', stats);
        this.checkStalledVideo(stats);
      }, STATS_INTERVAL_MS);
    }

    // Chromium sometimes leaves a <video> at HAVE_NOTHING although its live track decodes
    // frames (seen on the 2nd-3rd call of a page; also whenever a peer sends video with an SSRC
    // its description did not announce, which no reattaching cures): attach the stream again
    // when that lasts 2 s.
    checkStalledVideo (stats) {
      for (const video of new Set(this.videoElements.values())) {
        const stream = video.srcObject;
        const live = stream && stream.getVideoTracks().some((t) => t.readyState === 'live' && !t.muted);
        if (live && video.readyState === 0 && stats.video_rx_fps > 0) {
          video.stalledSeconds = (video.stalledSeconds || 0) + 1;
          if (video.stalledSeconds >= 2) {
            console.warn('peercall: remote video shows nothing although frames arrive: reattaching');
            test.videoReattached = (test.videoReattached || 0) + 1;
            video.stalledSeconds = 0;
            video.srcObject = null;
            video.srcObject = stream;
            if (video.armFrameCallback) {
              video.armFrameCallback();
            }
            video.play().catch(() => {});
          }
        } else {
          video.stalledSeconds = 0;
        }
      }
    }

    close () {
      clearTimeout(this.ringTimer);
      clearInterval(this.statsTimer);
      this.statsTimer = 0;
      if (this.screenTrack) {
        this.screenTrack.stop();
        this.screenTrack = null;
      }
      if (this.pc) {
        this.pc.close();
        this.pc = null;
      }
    }
  }

  function placeCall (peer) {
    if (call) {
      toast('You are already in a call.');
      return;
    }
    const p = session.peers.get(peer);
    if (!p) {
      toast(`${peer} is not signed in.`);
      return;
    }
    call = new Call(randomId(), peer, p.name, 'outgoing');
    mark('invite');
    call.setState('inviting');
    getLocalMedia().catch((e) => console.warn('peercall: local media', e));
    if (!send({ type: 'invite', to: peer, call: call.id, video: true })) {
      endCall('failed', { notify: false, text: 'Not connected to the server.' });
      return;
    }
    const c = call;
    c.ringTimer = setTimeout(() => {
      if (call === c && (c.state === 'inviting' || c.state === 'ringing')) {
        send({ type: 'hangup', to: c.peer, call: c.id, reason: 'timeout' });
        endCall('timeout', { notify: false, text: `${c.peerName} did not answer` });
      }
    }, RING_TIMEOUT_MS);
  }

  function onInvite (msg) {
    if (call) {
      // the server answers busy itself; this only happens in a race
      send({ type: 'decline', to: msg.from, call: msg.call, reason: 'busy' });
      return;
    }
    call = new Call(msg.call, msg.from, msg.name || (session.peers.get(msg.from) || {}).name, 'incoming');
    call.setState('ringing');
    send({ type: 'ringing', to: msg.from, call: msg.call });
    if (options.autoAnswer) {
      acceptCall();
      return;
    }
    ui.incomingText.textContent = `${call.peerName} (${call.peer}) is calling you.`;
    if (!ui.incoming.open) {
      ui.incoming.showModal();
    }
    ui.accept.focus();
    startRingtone();
  }

  function acceptCall () {
    if (!call || call.direction !== 'incoming' || call.state !== 'ringing') {
      return;
    }
    closeIncoming();
    mark('accept');
    getLocalMedia().catch((e) => console.warn('peercall: local media', e));
    call.createPeerConnection(); // ready before the offer can arrive
    call.setState('connecting');
    send({ type: 'accept', to: call.peer, call: call.id });
  }

  function declineCall () {
    if (!call || call.direction !== 'incoming' || call.state !== 'ringing') {
      return;
    }
    send({ type: 'decline', to: call.peer, call: call.id, reason: 'declined' });
    endCall('declined', { notify: false, text: '' });
  }

  function hangUp () {
    if (!call) {
      return;
    }
    if (call.direction === 'incoming' && call.state === 'ringing') {
      declineCall();
      return;
    }
    const reason = call.state === 'inviting' || call.state === 'ringing' ? 'cancelled' : 'normal';
    send({ type: 'hangup', to: call.peer, call: call.id, reason });
    endCall(reason, { notify: false, text: '' });
  }

  function endCall (reason, { text } = {}) {
    const c = call;
    if (!c) {
      return;
    }
    call = null;
    mark('ended');
    c.setState('ended', reason);
    c.close();
    closeIncoming();
    stopLocalMedia();
    for (const v of [ui.remoteVideo, ui.remoteScreen, ui.remoteAudio]) {
      v.srcObject = null;
    }
    ui.remoteScreen.hidden = true;
    sharing = false;
    if (text) {
      toast(text);
    }
    renderContacts();
    showPage(session.signedIn ? ui.contactsPage : ui.signInPage);
    updateControls();
  }

  function closeIncoming () {
    stopRingtone();
    if (ui.incoming.open) {
      ui.incoming.close();
    }
  }

  // A soft two-tone ring while a call waits for an answer (WebAudio: nothing to download)
  const ringtone = { ctx: null, timer: 0, title: '' };
  function startRingtone () {
    stopRingtone();
    ringtone.title = document.title;
    document.title = `Incoming call — ${ringtone.title}`;
    try {
      ringtone.ctx = new AudioContext();
    } catch (e) {
      return;
    }
    const ring = () => {
      const ctx = ringtone.ctx;
      if (!ctx || ctx.state === 'closed') {
        return;
      }
      const gain = ctx.createGain();
      gain.connect(ctx.destination);
      const t = ctx.currentTime;
      gain.gain.setValueAtTime(0, t);
      gain.gain.linearRampToValueAtTime(0.15, t + 0.05);
      gain.gain.setValueAtTime(0.15, t + 0.9);
      gain.gain.linearRampToValueAtTime(0, t + 1.0);
      for (const f of [440, 480]) {
        const osc = ctx.createOscillator();
        osc.frequency.value = f;
        osc.connect(gain);
        osc.start(t);
        osc.stop(t + 1.0);
      }
    };
    ring();
    ringtone.timer = setInterval(ring, 3000);
  }

  function stopRingtone () {
    clearInterval(ringtone.timer);
    ringtone.timer = 0;
    if (ringtone.ctx) {
      ringtone.ctx.close().catch(() => {});
      ringtone.ctx = null;
      document.title = ringtone.title;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // In-call controls

  let sharing = false;

  function updateCallView () {
    if (!call) {
      return;
    }
    showPage(ui.callPage);
    ui.callPeer.textContent = call.peerName;
    const text = {
      inviting: 'Calling…',
      ringing: call.direction === 'outgoing' ? 'Ringing…' : 'Incoming call…',
      connecting: 'Connecting…',
      connected: '',
      ended: 'Call ended',
    }[call.state] || '';
    ui.callStatus.textContent = text;
    if (!call.verification) {
      ui.callCode.hidden = true;
    }
    ui.callPage.classList.toggle('connected', call.state === 'connected');
    renderContacts();
    updateControls();
  }

  function updateControls () {
    const audio = localStream ? localStream.getAudioTracks()[0] : null;
    const video = localStream ? localStream.getVideoTracks()[0] : null;
    const muted = !!audio && !audio.enabled;
    const cameraOff = !!video && !video.enabled;
    ui.mute.setAttribute('aria-pressed', String(muted));
    ui.mute.title = muted ? 'Unmute microphone' : 'Mute microphone';
    ui.mute.querySelector('.label').textContent = muted ? 'Unmute' : 'Mute';
    ui.mute.disabled = !audio;
    ui.camera.setAttribute('aria-pressed', String(cameraOff));
    ui.camera.title = cameraOff ? 'Turn camera on' : 'Turn camera off';
    ui.camera.disabled = !video;
    ui.share.setAttribute('aria-pressed', String(sharing));
    ui.share.title = sharing ? 'Stop sharing' : 'Share screen';
    ui.share.querySelector('.label').textContent = sharing ? 'Stop' : 'Share';
    ui.share.disabled = !call || !call.pc || (!sharing && options.screenSource === 'display' &&
      !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia));
    ui.localVideo.classList.toggle('off', (!video || cameraOff) && !sharing);
  }

  function toggleMute () {
    const audio = localStream && localStream.getAudioTracks()[0];
    if (audio) {
      audio.enabled = !audio.enabled; // a disabled track sends silence: no renegotiation
    }
    updateControls();
  }

  function toggleCamera () {
    const video = localStream && localStream.getVideoTracks()[0];
    if (video) {
      video.enabled = !video.enabled; // a disabled track sends black frames
    }
    updateControls();
  }

  async function openScreen () {
    if (options.screenSource === 'canvas') {
      const src = new StampSource(1280, 720, 15);
      const track = src.track;
      track.addEventListener('ended', () => clearInterval(src.timer));
      const stop = track.stop.bind(track);
      track.stop = () => { clearInterval(src.timer); stop(); };
      return track;
    }
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false });
    return stream.getVideoTracks()[0];
  }

  async function startShare (mode) {
    mode = mode || options.share;
    if (!call || !call.pc || sharing) {
      return false;
    }
    let track;
    try {
      track = await openScreen();
    } catch (e) {
      if (e.name !== 'NotAllowedError') {
        toast(`Could not share the screen: ${e.message}`);
      }
      return false;
    }
    if (!call || !call.pc) {
      track.stop();
      return false;
    }
    track.contentHint = 'detail';
    call.screenTrack = track;
    track.addEventListener('ended', () => stopShare()); // the browser's own "Stop sharing"
    if (mode === 'add' || !call.videoSender) {
      // a second video track: negotiationneeded renegotiates
      call.screenSender = call.pc.addTrack(track, new MediaStream([track]));
    } else {
      await call.videoSender.replaceTrack(track);
    }
    sharing = true;
    ui.localVideo.srcObject = new MediaStream([track]);
    emit('share', { call: call.id, mode: call.screenSender ? 'add' : 'replace', state: 'started' });
    updateControls();
    return true;
  }

  async function stopShare () {
    if (!sharing) {
      return;
    }
    sharing = false;
    const c = call;
    if (c && c.screenTrack) {
      const track = c.screenTrack;
      c.screenTrack = null;
      if (c.pc && c.screenSender) {
        c.pc.removeTrack(c.screenSender); // renegotiates
        c.screenSender = null;
      } else if (c.pc && c.videoSender) {
        const camera = localStream && localStream.getVideoTracks()[0];
        await c.videoSender.replaceTrack(camera || null);
      }
      track.stop();
      emit('share', { call: c.id, state: 'stopped' });
    }
    ui.localVideo.srcObject = localStream;
    updateControls();
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring

  ui.signInForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const user = ui.user.value.trim();
    const name = ui.displayName.value.trim();
    if (!USER_RE.test(user)) {
      showSignIn('User names are lowercase letters, digits, “.”, “_” or “-”, starting with a letter or digit.');
      return;
    }
    if (!name) {
      showSignIn('Enter the name others will see.');
      return;
    }
    ui.signInError.hidden = true;
    signIn(user, name);
  });
  ui.signOut.addEventListener('click', signOut);
  ui.accept.addEventListener('click', acceptCall);
  ui.decline.addEventListener('click', declineCall);
  ui.incoming.addEventListener('cancel', (ev) => { ev.preventDefault(); declineCall(); });
  ui.hangUp.addEventListener('click', hangUp);
  ui.mute.addEventListener('click', toggleMute);
  ui.camera.addEventListener('click', toggleCamera);
  ui.share.addEventListener('click', () => (sharing ? stopShare() : startShare()));
  window.addEventListener('pagehide', () => {
    if (call) {
      hangUp();
    }
  });

  watchFrames(ui.remoteVideo, () => test.video, true);
  watchFrames(ui.remoteScreen, () => test.screen, false);

  if (TEST) {
    test.api = {
      call: (peer) => placeCall(peer),
      accept: acceptCall,
      decline: declineCall,
      hangUp,
      startShare,
      stopShare,
      toggleMute,
      toggleCamera,
      signOut,
      // negotiation state, for renegotiation tests
      transceivers: () => (call && call.pc ? {
        signalingState: call.pc.signalingState,
        transceivers: call.pc.getTransceivers().map((t) => ({
          mid: t.mid, kind: t.receiver.track.kind, direction: t.direction, currentDirection: t.currentDirection,
          sending: !!t.sender.track,
        })),
        remoteSdp: call.pc.remoteDescription ? call.pc.remoteDescription.sdp : null,
        localSdp: call.pc.localDescription ? call.pc.localDescription.sdp : null,
      } : null),
      outbound: async () => {
        const out = [];
        if (call && call.pc) {
          (await call.pc.getStats()).forEach((r) => {
            if (r.type === 'outbound-rtp' && r.kind === 'video') {
              out.push({ mid: r.mid, bytesSent: r.bytesSent, framesEncoded: r.framesEncoded, frameWidth: r.frameWidth });
            }
          });
        }
        return out;
      },
      // received video per m-line, straight from getStats (finer-grained than the 1 s stats)
      inbound: async () => {
        const inb = [];
        if (call && call.pc) {
          (await call.pc.getStats()).forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') {
              inb.push({ mid: r.mid, ssrc: r.ssrc, framesDecoded: r.framesDecoded || 0, keyFramesDecoded: r.keyFramesDecoded || 0,
                frameWidth: r.frameWidth || 0, frameHeight: r.frameHeight || 0, freezeCount: r.freezeCount || 0,
                totalFreezesDuration: r.totalFreezesDuration || 0, pliCount: r.pliCount || 0,
                framesReceived: r.framesReceived || 0, framesDropped: r.framesDropped || 0,
                jitterBufferDelay: r.jitterBufferDelay || 0, jitterBufferEmittedCount: r.jitterBufferEmittedCount || 0 });
            }
          });
        }
        return inb;
      },
    };
    window.peercallTest = test;
  }

  // Start: restore the last identity, and sign in straight away when the URL names one
  try {
    ui.user.value = options.user || localStorage.getItem('peercall.user') || '';
    ui.displayName.value = options.name || localStorage.getItem('peercall.name') || '';
  } catch (e) {
    ui.user.value = options.user;
    ui.displayName.value = options.name;
  }
  updateControls();
  if (options.user && USER_RE.test(options.user)) {
    signIn(options.user, options.name || options.user);
  } else {
    showPage(ui.signInPage);
  }
})();
