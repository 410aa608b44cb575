// SPDX-License-Identifier: GPL-3.0-or-later
// Screen sharing towards Chromium: `peercall --headless` on an Xvfb screen that shows the known
// four-quadrant pattern of tests/screen/screen-pattern.h calls the web client (auto-answer)
// through the real peercall-signal. Run under xvfb-run inside the private netns.
//
// Usage: screen-share.mjs share|switch PATTERN_TOOL
//   share   --video-source screen from the start: the page's <video> shows the four quadrants
//   switch  --video-source test, then --switch-source-after S:screen: the page keeps decoding
//           (framesDecoded from getStats, sampled every 100 ms: longest gap bounded and printed),
//           the picture turns into the pattern, and nobody renegotiates (one offer, the page's
//           remote description unchanged, no new track)
import fs from 'node:fs';
import {
  check, checkNoPageErrors, fail, launchChromium, log, openClient, pageState, peercallArgs, requireEnv, run,
  startPeercall, startProcess, startServer, stopPeercall, waitPage, withTimeout,
} from './lib.mjs';

const mode = process.argv[2];
const patternTool = process.argv[3];
if (!['share', 'switch'].includes(mode) || !patternTool) {
  console.error('usage: screen-share.mjs share|switch PATTERN_TOOL');
  process.exit(2);
}

// Quadrant centres (fractions of the frame) and their colours, as in tests/screen: the centres
// stay inside their quadrant whatever letterboxing the sender adds. VP8 moves colours this much.
const QUADRANTS = [
  { x: 0.25, y: 0.25, rgb: [255, 0, 0], name: 'red' },
  { x: 0.75, y: 0.25, rgb: [0, 255, 0], name: 'green' },
  { x: 0.25, y: 0.75, rgb: [0, 0, 255], name: 'blue' },
  { x: 0.75, y: 0.75, rgb: [255, 255, 0], name: 'yellow' },
];
const TOLERANCE = 60;
// seconds after "connected" at which Peercall switches its test source to the screen: time for
// the page to render the test picture first, even under ASan
const SWITCH_AFTER = 8;
// keep sampling this long once the pattern shows, so a freeze right after the switch counts
const AFTER_PATTERN_MS = 5000;

function isPattern (colours) {
  return colours && colours.length === 4 &&
    QUADRANTS.every((q, i) => q.rgb.every((v, c) => Math.abs(colours[i][c] - v) <= TOLERANCE));
}

function peercallHasAsan () {
  return fs.readFileSync(requireEnv('PEERCALL')).includes('libasan.so');
}

// Puts the pattern on $DISPLAY (Xvfb) until its stdin closes; resolves once it is painted.
async function startPattern () {
  if (!process.env.DISPLAY) {
    fail('no DISPLAY: run under xvfb-run (meson test does)');
  }
  let ready;
  const readyLine = new Promise((resolve) => { ready = resolve; });
  const child = startProcess('screen-pattern', patternTool, [], {
    stdin: 'pipe',
    onLine: (l) => (l.startsWith('ready ') ? ready(l) : log(`screen-pattern: ${l}`)),
  });
  const line = await withTimeout(Promise.race([readyLine, child.exited.then((r) => {
    fail(`peercall-screen-pattern exited (${JSON.stringify(r)})`);
  })]), 10000, 'peercall-screen-pattern did not paint the screen');
  log(`pattern on ${process.env.DISPLAY}: ${line}`);
  return child;
}

// Samples the page's remote <video> every 100 ms: framesDecoded (getStats) and the average colour
// around each quadrant centre of the frame on show, with the wall-clock time of each sample.
function startSampler (page) {
  return page.evaluate((quadrants) => {
    const t = window.peercallTest;
    const video = document.getElementById('remote-video');
    const canvas = document.createElement('canvas');
    canvas.width = 8;
    canvas.height = 8;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const colours = () => {
      const w = video.videoWidth;
      const h = video.videoHeight;
      if (!w || !h || video.readyState < 2) {
        return null;
      }
      return quadrants.map((q) => {
        ctx.drawImage(video, Math.round(q.x * w) - 4, Math.round(q.y * h) - 4, 8, 8, 0, 0, 8, 8);
        const d = ctx.getImageData(0, 0, 8, 8).data;
        const sum = [0, 0, 0];
        for (let i = 0; i < d.length; i += 4) {
          sum[0] += d[i];
          sum[1] += d[i + 1];
          sum[2] += d[i + 2];
        }
        return sum.map((v) => Math.round(v / 64));
      });
    };
    const sampler = { samples: [], running: true };
    window.screenSampler = sampler;
    (async () => {
      while (sampler.running) {
        const inbound = await t.api.inbound();
        const main = inbound[0] || {};
        sampler.samples.push({
          wall: Date.now(),
          framesDecoded: main.framesDecoded || 0,
          frameWidth: main.frameWidth || 0,
          frameHeight: main.frameHeight || 0,
          keyFramesDecoded: main.keyFramesDecoded || 0,
          pliCount: main.pliCount || 0,
          freezeCount: main.freezeCount || 0,
          totalFreezesDuration: main.totalFreezesDuration || 0,
          rendered: t.video.frames,
          videoWidth: video.videoWidth,
          videoHeight: video.videoHeight,
          colours: colours(),
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
  }, QUADRANTS.map(({ x, y }) => ({ x, y })));
}

async function stopSampler (page) {
  return page.evaluate(() => {
    window.screenSampler.running = false;
    return window.screenSampler.samples;
  });
}

// Waits (bounded) until a sample shows the pattern; returns that sample.
async function waitPatternSample (page, timeoutMs) {
  await waitPage(page, (args) => {
    const near = (c) => c && c.length === 4 && args.quadrants.every((q, i) =>
      q.rgb.every((v, k) => Math.abs(c[i][k] - v) <= args.tolerance));
    return window.screenSampler.samples.some((s) => near(s.colours));
  }, timeoutMs, 'the shared screen\'s pattern in the remote <video>', { quadrants: QUADRANTS, tolerance: TOLERANCE });
  const samples = await page.evaluate(() => window.screenSampler.samples);
  return samples.find((s) => isPattern(s.colours));
}

function describeColours (colours) {
  return colours ? colours.map((c, i) => `${QUADRANTS[i].name}=${JSON.stringify(c)}`).join(' ') : 'none';
}

// Longest time between two samples where framesDecoded grew, over samples[from..]
function longestGap (samples) {
  let longest = { ms: 0, at: null };
  let lastGrowth = samples[0];
  for (let i = 1; i < samples.length; i++) {
    if (samples[i].framesDecoded > samples[i - 1].framesDecoded) {
      const ms = samples[i].wall - lastGrowth.wall;
      if (ms > longest.ms) {
        longest = { ms, at: lastGrowth.wall };
      }
      lastGrowth = samples[i];
    }
  }
  const tail = samples[samples.length - 1].wall - lastGrowth.wall;
  if (tail > longest.ms) {
    longest = { ms: tail, at: lastGrowth.wall };
  }
  return longest;
}

run(`browser-screen-${mode}`, 230, async () => {
  await startPattern();
  const server = await startServer();
  const browser = await launchChromium();
  const page = await openClient(browser, server, { user: 'web', name: 'Web', autoAnswer: '1' });

  const extra = ['--call', 'web', '--timeout', '150'];
  if (mode === 'switch') {
    extra.push('--switch-source-after', `${SWITCH_AFTER}:screen`);
  }
  const args = peercallArgs(server, 'desk', 'Desk', extra);
  args[args.indexOf('--video-source') + 1] = mode === 'share' ? 'screen' : 'test';
  const pc = startPeercall(args);

  await pc.wait((e) => e.event === 'call-state' && e.state === 'connected', 40000, 'connected call');
  await waitPage(page, () => window.peercallTest.call && window.peercallTest.call.state === 'connected', 15000,
    'connected call');
  await waitPage(page, () => window.peercallTest.video.frames >= 1, 40000, 'a first rendered Peercall frame');
  await startSampler(page);
  const before = await page.evaluate(() => window.peercallTest.api.transceivers());

  if (mode === 'share') {
    const shown = await waitPatternSample(page, 30000);
    check(isPattern(shown.colours), `the page's <video> (${shown.videoWidth}x${shown.videoHeight}) shows the ` +
      `shared screen's quadrants: ${describeColours(shown.colours)}`);
    await waitPage(page, (n) => window.peercallTest.video.frames >= n + 30, 30000, '30 more rendered frames',
      (await pageState(page)).video.frames);
    const samples = await stopSampler(page);
    const last = samples[samples.length - 1];
    check(isPattern(last.colours), `the pattern is still on show ${last.wall - shown.wall} ms later: ` +
      describeColours(last.colours));
    log(`received ${last.frameWidth}x${last.frameHeight}, ${last.framesDecoded} frames decoded, ` +
      `${last.rendered} rendered; Chromium freezes: ${last.freezeCount} (${last.totalFreezesDuration} s)`);
  } else {
    const switched = await pc.wait((e) => e.event === 'video-source', (SWITCH_AFTER + 30) * 1000,
      'video-source event (--switch-source-after)');
    check(switched.kind === 'screen', `Peercall switched its video to ${switched.kind}`);
    const shown = await waitPatternSample(page, 30000);
    // keep sampling after the switch: a freeze right after it must show in the gaps
    const until = shown.wall + AFTER_PATTERN_MS;
    await waitPage(page, (t) => window.screenSampler.samples.some((s) => s.wall >= t), AFTER_PATTERN_MS + 10000,
      'samples after the switch', until);
    const samples = await stopSampler(page);

    const beforeSwitch = samples.filter((s) => s.wall < switched.arrived_ms && s.colours);
    check(beforeSwitch.length > 0 && beforeSwitch[beforeSwitch.length - 1].framesDecoded > 0,
      `the page decoded the test source before the switch (${beforeSwitch.length} samples)`);
    check(beforeSwitch.every((s) => !isPattern(s.colours)),
      `before the switch the picture is not the pattern (last: ${describeColours(beforeSwitch.at(-1).colours)})`);
    check(isPattern(shown.colours), `after the switch the page's <video> (${shown.videoWidth}x${shown.videoHeight}) ` +
      `shows the quadrants: ${describeColours(shown.colours)}`);
    const last = samples[samples.length - 1];
    check(isPattern(last.colours), `the pattern is still on show ${last.wall - shown.wall} ms later`);

    const first = samples[0];
    const gap = longestGap(samples);
    const visibleMs = shown.wall - switched.arrived_ms;
    const firstBig = samples.find((s) => s.wall >= switched.arrived_ms && s.frameWidth !== first.frameWidth);
    log(`FIGURE switch -> pattern visible in the page: ${visibleMs} ms; decoder at the new size ` +
      `${firstBig ? `${firstBig.frameWidth}x${firstBig.frameHeight} after ${firstBig.wall - switched.arrived_ms} ms`
        : 'unchanged'}`);
    log(`FIGURE longest framesDecoded gap: ${gap.ms} ms, ${gap.at ? gap.at - switched.arrived_ms : '-'} ms from the ` +
      `switch event, over ${((last.wall - first.wall) / 1000).toFixed(1)} s (${samples.length} samples, ` +
      `${first.framesDecoded} -> ${last.framesDecoded} frames); Chromium freezeCount ` +
      `${first.freezeCount} -> ${last.freezeCount}, totalFreezesDuration ${last.totalFreezesDuration} s`);
    const atSwitch = beforeSwitch.at(-1);
    log(`FIGURE around the switch: keyframes decoded ${atSwitch.keyFramesDecoded} -> ${last.keyFramesDecoded}, ` +
      `PLIs sent ${atSwitch.pliCount} -> ${last.pliCount}`);
    // A switch restarts the encoder at the screen's size: the decoder waits for that keyframe.
    // The ASan build is several times slower: 0.8-1.4 s measured there, 2.5 s on a machine with
    // load 11 on 2 cores (tests/screen saw 2-3 s); a release build still may not freeze 1 s.
    const allowed = peercallHasAsan() ? 3000 : 1000;
    check(gap.ms <= allowed, `the page keeps decoding across the switch: longest gap ${gap.ms} ms (<= ${allowed})`);

    // no renegotiation: one offer from Peercall, the page's remote description and tracks unchanged
    const offers = pc.list.filter((e) => e.event === 'negotiation' && e.type === 'offer');
    check(offers.length === 1, `Peercall sent ${offers.length} offer(s)`);
    const after = await page.evaluate(() => window.peercallTest.api.transceivers());
    check(after.remoteSdp === before.remoteSdp && after.signalingState === 'stable',
      'the page saw no new offer (remote description unchanged)');
    const s = await pageState(page);
    check(s.remoteTracks.filter((t) => t.kind === 'video').length === 1, 'the page got no new video track');
  }

  await checkNoPageErrors(page);
  check(!pc.find((e) => e.event === 'error'), `Peercall reported no error (${JSON.stringify(pc.find((e) =>
    e.event === 'error') || null)})`);
  await page.evaluate(() => window.peercallTest.api.hangUp());
  await pc.wait((e) => e.event === 'call-state' && e.state === 'ended', 5000, 'ended call');
  await stopPeercall(pc);
});
