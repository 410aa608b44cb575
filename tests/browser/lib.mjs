// SPDX-License-Identifier: GPL-3.0-or-later
// Shared helpers for the browser interop tests: start the real peercall-signal, coturn and
// `peercall --headless`, drive Debian's Chromium through playwright-core (never a downloaded
// browser), read JSON-line events, and clean everything up. Every wait is bounded.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = process.env.PEERCALL_CHROMIUM || '/usr/lib/chromium/chromium';
const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_ROOT = process.env.PEERCALL_SOURCE_ROOT || path.resolve(here, '..', '..');

// Flags measured in shared NOTES: loopback candidates, fake devices, no outside traffic.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--auto-select-desktop-capture-source=Entire screen',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  // a name for loopback that is not "localhost": pages there are not a secure context
  '--host-resolver-rules=MAP insecure.peercall.test 127.0.0.1',
];

const cleanups = [];
let failed = false;

export function log (...args) {
  const t = (performance.now() / 1000).toFixed(3);
  console.log(`[${t}]`, ...args);
}

export function fail (message) {
  const err = new Error(message);
  err.testFailure = true;
  throw err;
}

export function check (cond, message) {
  if (!cond) {
    fail(message);
  }
  log(`ok: ${message}`);
}

// Runs the scenario with a hard deadline; prints a result line; exits non-zero on any failure.
export async function run (name, deadlineSeconds, body) {
  const watchdog = setTimeout(async () => {
    console.error(`FAIL ${name}: no result after ${deadlineSeconds} s`);
    failed = true;
    await cleanup();
    process.exit(1);
  }, deadlineSeconds * 1000);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => {
      await cleanup();
      process.exit(1);
    });
  }
  try {
    requirements();
    await body();
    log(`PASS ${name}`);
  } catch (e) {
    failed = true;
    console.error(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
  }
  clearTimeout(watchdog);
  await cleanup();
  process.exit(failed ? 1 : 0);
}

async function cleanup () {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await Promise.race([fn(), sleep(5000)]);
    } catch (e) {
      console.error('cleanup:', e);
    }
  }
}

export function onCleanup (fn) {
  cleanups.push(fn);
}

export function sleep (ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Missing pieces fail loudly: the meson option browser_tests=disabled is the way to skip.
function requirements () {
  if (!fs.existsSync(CHROMIUM)) {
    fail(`${CHROMIUM} not found: install Debian's chromium (or configure -Dbrowser_tests=disabled)`);
  }
  if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core'))) {
    fail(`${here}/node_modules is missing: run \`npm ci\` in tests/browser (build-aux/peercall-dev test does)`);
  }
}

export function requireEnv (name) {
  const v = process.env[name];
  if (!v || !fs.existsSync(v)) {
    fail(`${name} is not set to an existing file (run through meson test)`);
  }
  return v;
}

export function tempDir (prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Child processes

// Spawns a child whose stdout lines go to onLine; its stderr is prefixed into our output.
// stdin: 'pipe' keeps the child's stdin open (child.stdin) for tools that run until it closes.
export function startProcess (label, cmd, args, { onLine, env, stdin } = {}) {
  const child = spawn(cmd, args, { stdio: [stdin || 'ignore', 'pipe', 'pipe'], env: Object.assign({}, process.env, env || {}) });
  child.label = label;
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.on('error', (e) => console.error(`${label}: ${e}`));
  child.sanitizerReports = [];
  child.criticals = [];
  readline.createInterface({ input: child.stderr }).on('line', (l) => {
    console.error(`${label}: ${l}`);
    if (/ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:/.test(l)) {
      child.sanitizerReports.push(l);
    }
    if (/-CRITICAL \*\*/.test(l) && !KNOWN_UPSTREAM_CRITICALS.some((k) => l.includes(k))) {
      child.criticals.push(l);
    }
  });
  const rl = readline.createInterface({ input: child.stdout });
  rl.on('line', (l) => {
    if (onLine) {
      onLine(l);
    } else {
      console.log(`${label}: ${l}`);
    }
  });
  onCleanup(() => stopProcess(child));
  return child;
}

export async function stopProcess (child, timeoutMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return child.exited;
  }
  child.kill('SIGTERM');
  const r = await Promise.race([child.exited, sleep(timeoutMs).then(() => null)]);
  if (r) {
    return r;
  }
  child.kill('SIGKILL');
  return child.exited;
}

// The real signaling server on a free port; resolves with {url, http, child}.
export async function startServer (extraArgs = []) {
  const bin = requireEnv('PEERCALL_SIGNAL');
  let resolveUrl;
  const urlPromise = new Promise((resolve) => { resolveUrl = resolve; });
  const child = startProcess('peercall-signal', bin,
    ['--listen', '127.0.0.1:0', '--web-root', path.join(SOURCE_ROOT, 'data', 'web'), ...extraArgs], {
      onLine: (l) => {
        const m = /^listening on (wss?:\/\/\S+)/.exec(l);
        if (m) {
          resolveUrl(m[1]);
        } else {
          console.log(`peercall-signal: ${l}`);
        }
      },
    });
  const url = await withTimeout(Promise.race([urlPromise, child.exited.then((r) => {
    fail(`peercall-signal exited before listening (${JSON.stringify(r)})`);
  })]), 15000, 'peercall-signal did not print its URL');
  const httpUrl = url.replace(/^ws/, 'http').replace(/\/ws$/, '/');
  log(`server at ${url}`);
  return { url, http: httpUrl, child };
}

// `peercall --headless` with --events - ; every event line is timestamped on arrival (Date.now).
// GStreamer 1.22.0's rtpsession iterates its SSRC table with its lock released now and then (fixed
// upstream in 1.22.3): a harmless GLib critical. Peercall then runs without G_DEBUG=fatal-criticals
// and every other critical on its stderr fails the test (stopPeercall).
const KNOWN_UPSTREAM_CRITICALS = ["g_hash_table_foreach: assertion 'version == hash_table->version'"];

export function startPeercall (args, label = 'peercall') {
  const bin = requireEnv('PEERCALL');
  const events = new EventLog(label);
  // The lsan.supp entry for GLib's first quark block (allocated under _dl_init) matches only with
  // full stacks: the default fast unwinder stops inside GLib, which has no frame pointers.
  const asan = process.env.ASAN_OPTIONS || '';
  const env = asan.includes('fast_unwind_on_malloc') ? {} : { ASAN_OPTIONS: `${asan}:fast_unwind_on_malloc=0` };
  env.G_DEBUG = (process.env.G_DEBUG || '').split(',').filter((f) => f && f !== 'fatal-criticals').join(',');
  const child = startProcess(label, bin, ['--headless', '--events', '-', ...args], {
    onLine: (l) => events.push(l),
    env,
  });
  events.child = child;
  child.exited.then((r) => log(`${label} exited ${JSON.stringify(r)}`));
  return events;
}

export class EventLog {
  constructor (label) {
    this.label = label;
    this.list = [];
    this.waiters = [];
  }

  push (line) {
    let ev;
    try {
      ev = JSON.parse(line);
    } catch (e) {
      console.log(`${this.label}: ${line}`);
      return;
    }
    ev.arrived_ms = Date.now();
    this.list.push(ev);
    if (ev.event !== 'stats' && ev.event !== 'latency') {
      console.log(`${this.label} event: ${line}`);
    } else if (ev.event === 'stats') {
      this.lastStats = ev;
    }
    this.waiters = this.waiters.filter((w) => {
      if (w.pred(ev)) {
        w.resolve(ev);
        return false;
      }
      return true;
    });
  }

  find (pred) {
    return this.list.find(pred);
  }

  // Resolves with the first event (already seen or future) matching pred.
  wait (pred, timeoutMs, what) {
    const seen = this.list.find(pred);
    if (seen) {
      return Promise.resolve(seen);
    }
    let waiter;
    const p = new Promise((resolve) => {
      waiter = { pred, resolve };
      this.waiters.push(waiter);
    });
    const exited = this.child ? this.child.exited.then(async (r) => {
      await sleep(200); // let the last lines arrive
      const late = this.list.find(pred);
      if (late) {
        return late;
      }
      fail(`${this.label} exited (${JSON.stringify(r)}) while waiting for ${what}`);
    }) : new Promise(() => {});
    return withTimeout(Promise.race([p, exited]), timeoutMs,
      `${this.label}: no ${what} within ${timeoutMs} ms (last stats ${JSON.stringify(this.lastStats || null)})`)
      .finally(() => { this.waiters = this.waiters.filter((w) => w !== waiter); });
  }
}

export function withTimeout (promise, ms, message) {
  let timer;
  return Promise.race([
    promise,
    new Promise((resolve, reject) => {
      timer = setTimeout(() => {
        const e = new Error(message);
        e.testFailure = true;
        reject(e);
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// coturn with time-limited credentials (--use-auth-secret), on loopback only

export async function startCoturn (secret) {
  const bin = '/usr/bin/turnserver';
  if (!fs.existsSync(bin)) {
    fail('turnserver not found: install Debian\'s coturn');
  }
  const dir = tempDir('peercall-turn-');
  const port = 3478;
  const args = [
    '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    '--min-port=49160', '--max-port=49200', '--use-auth-secret', `--static-auth-secret=${secret}`,
    '--realm=peercall.test', '--allow-loopback-peers', '--no-tls', '--no-dtls', '--no-cli',
    '--fingerprint', '--no-software-attribute', `--pidfile=${path.join(dir, 'turn.pid')}`,
    `--log-file=${path.join(dir, 'turn.log')}`, '--simple-log', '--verbose',
  ];
  const child = startProcess('coturn', bin, args, { onLine: () => {} });
  // ready when the port answers a STUN binding request
  await withTimeout((async () => {
    for (;;) {
      if (child.exitCode !== null) {
        fail(`turnserver exited: ${child.exitCode}`);
      }
      if (await stunBinding('127.0.0.1', port)) {
        return;
      }
      await sleep(50);
    }
  })(), 10000, 'coturn did not answer STUN within 10 s');
  log(`coturn on 127.0.0.1:${port}`);
  child.logFile = path.join(dir, 'turn.log');
  return { child, url: `turn:127.0.0.1:${port}`, port };
}

async function stunBinding (host, port) {
  const dgram = await import('node:dgram');
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0);
    req.writeUInt16BE(0, 2);
    req.writeUInt32BE(0x2112a442, 4);
    crypto.randomBytes(12).copy(req, 8);
    const done = (ok) => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 200);
    sock.on('message', () => done(true));
    sock.on('error', () => done(false));
    sock.send(req, port, host);
  });
}

// ---------------------------------------------------------------------------------------------
// Chromium

export async function launchChromium () {
  const { chromium } = await import('playwright-core');
  const profile = tempDir('peercall-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // e.g. PEERCALL_CHROMIUM_EXTRA_ARGS='--enable-logging=stderr --v=1' with DEBUG=pw:browser
    args: CHROMIUM_ARGS.concat((process.env.PEERCALL_CHROMIUM_EXTRA_ARGS || '').split(' ').filter(Boolean)),
    viewport: { width: 1280, height: 720 },
    timeout: 30000,
  });
  onCleanup(() => context.close());
  return context;
}

// Opens the web client served by the server, in test mode, with URL parameters.
export async function openClient (context, server, params, label) {
  const page = await context.newPage();
  page.label = label || params.user;
  page.on('console', (msg) => {
    if (['error', 'warning'].includes(msg.type())) {
      console.log(`${page.label} console.${msg.type()}: ${msg.text()}`);
    }
  });
  page.pageErrors = [];
  page.on('pageerror', (e) => {
    console.log(`${page.label} page error: ${e}`);
    page.pageErrors.push(String(e));
  });
  const q = new URLSearchParams(Object.assign({ test: '1' }, params));
  const base = params.insecure ? server.http.replace('127.0.0.1', 'insecure.peercall.test') : server.http;
  await page.goto(`${base}?${q}`, { timeout: 15000 });
  await waitPage(page, () => window.peercallTest && window.peercallTest.registered, 10000,
    `${page.label} signed in`);
  return page;
}

// Polls a predicate in the page until it is truthy; returns its value.
export async function waitPage (page, fn, timeoutMs, what, arg) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 20 });
    return await handle.jsonValue();
  } catch (e) {
    const state = await page.evaluate(() => window.peercallTest && {
      call: window.peercallTest.call,
      video: window.peercallTest.video,
      audio: window.peercallTest.audio,
      stats: window.peercallTest.stats,
      errors: window.peercallTest.errors,
      remoteTracks: window.peercallTest.remoteTracks,
      remoteVideo: (() => {
        const v = document.getElementById('remote-video');
        return v && { paused: v.paused, readyState: v.readyState, width: v.videoWidth,
          tracks: v.srcObject ? v.srcObject.getTracks().map((t) => `${t.kind}:${t.readyState}:${t.muted}`) : null };
      })(),
    }).catch(() => null);
    fail(`${page.label}: no ${what} within ${timeoutMs} ms (state ${JSON.stringify(state)})`);
  }
}

export function pageState (page) {
  return page.evaluate(() => {
    const t = window.peercallTest;
    return { call: t.call, calls: t.calls, video: t.video, screen: t.screen, audio: t.audio, stats: t.stats,
      timings: t.timings, wallTimings: t.wallTimings, latency: t.latency, errors: t.errors,
      remoteTracks: t.remoteTracks, events: t.events.filter((e) => e.event !== 'stats') };
  });
}

export function percentile (values, p) {
  if (!values.length) {
    return NaN;
  }
  const v = [...values].sort((a, b) => a - b);
  const i = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[i];
}

// TURN credentials the coturn use-auth-secret way (for checking what the server hands out)
export function turnCredential (secret, username) {
  return crypto.createHmac('sha1', secret).update(username).digest('base64');
}

// ---------------------------------------------------------------------------------------------
// Scenario pieces shared by the browser <-> Peercall tests

// Common `peercall --headless` arguments: the test sources, loopback ICE, a bound on run time.
export function peercallArgs (server, user, name, extra = []) {
  return ['--server', server.url, '--user', user, '--name', name, '--video-source', 'test',
    '--audio-source', 'test', '--local-address', '127.0.0.1', '--timeout', '120', ...extra];
}

// Both directions carry media: Peercall decodes >= frames browser frames and gets audio, the
// page renders >= frames Peercall frames and gets audio packets.
export async function checkMediaBothWays (page, pc, frames) {
  await pc.wait((e) => e.event === 'first-frame' && e.kind === 'video', 30000, 'first-frame video');
  await pc.wait((e) => e.event === 'first-frame' && e.kind === 'audio', 30000, 'first-frame audio');
  const stats = await pc.wait((e) => e.event === 'stats' && e.frames_decoded >= frames, 45000,
    `stats with frames_decoded >= ${frames}`);
  check(stats.frames_decoded >= frames, `Peercall decoded ${stats.frames_decoded} browser frames`);
  // The page must present the frames, not only decode them: Chromium decoded but never showed
  // Peercall's video (<video> at HAVE_NOTHING) when the video came with another SSRC than the
  // one Peercall's description announced, a browser's unsignaled receiver having no sink.
  const rendered = await page.waitForFunction((n) => window.peercallTest.video.frames >= n, frames,
    { timeout: 45000, polling: 20 }).then(() => true, () => false);
  await waitPage(page, () => window.peercallTest.audio.packetsReceived > 0, 10000, 'remote audio packets');
  const inbound = await page.evaluate(() => window.peercallTest.api.inbound());
  const desc = await page.evaluate(() => window.peercallTest.api.transceivers());
  if (!rendered) {
    log('inbound video stats: ' + JSON.stringify(inbound));
    log('remote description ssrc lines: ' + JSON.stringify(
      desc.remoteSdp.split(/\r?\n/).filter((l) => /^a=(ssrc|mid|msid)/.test(l))));
  }
  const announced = (desc.remoteSdp.match(/^a=ssrc:(\d+) /gm) || []).map((l) => Number(l.split(/[: ]/)[1]));
  const main = inbound.filter((r) => r.framesDecoded > 0);
  check(main.length > 0 && main.every((r) => announced.includes(r.ssrc)),
    `Peercall's video SSRC ${main.map((r) => r.ssrc).join(',')} is announced in its description ` +
    `(a=ssrc ${[...new Set(announced)].join(',')})`);
  const s = await pageState(page);
  check(s.video.frames >= frames,
    `the page rendered ${s.video.frames} Peercall frames (${s.video.width}x${s.video.height}), ` +
    `decoded ${s.stats ? s.stats.frames_decoded : 0}`);
  check(s.audio.packetsReceived > 0, `the page received ${s.audio.packetsReceived} audio packets`);
}

// A headless run is one call: after it, peercall exits by itself (0). Waits for that (SIGTERM
// after 10 s: interrupted, exit 0 or 1 by design) and checks that the sanitizers found nothing.
export async function stopPeercall (pc) {
  await Promise.race([pc.child.exited, sleep(10000)]);
  const r = await stopProcess(pc.child, 15000);
  check(r.code === 0 || r.code === 1, `peercall exits cleanly (${JSON.stringify(r)})`);
  check(pc.child.sanitizerReports.length === 0,
    `no sanitizer report from peercall (${pc.child.sanitizerReports.join(' | ')})`);
  check(pc.child.criticals.length === 0,
    `no GLib critical from peercall (${pc.child.criticals.join(' | ')})`);
}

export async function checkNoPageErrors (page) {
  const s = await pageState(page);
  check(s.errors.length === 0, `no errors in the page (${JSON.stringify(s.errors)})`);
}
