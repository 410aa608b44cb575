// SPDX-License-Identifier: GPL-3.0-or-later
// Benchmark: Chromium calls `peercall --headless --auto-answer --latency-probe` through the real
// peercall-signal, CALLS times (a fresh peercall each time: a headless run is one call). Prints call setup time (accept -> first decoded/rendered frame,
// each side on its own clock) and glass-to-glass latency p50/p95 both ways from the DESIGN.md
// latency stamp (the page paints it on a canvas camera and reads Peercall's off the remote video;
// Peercall's test source paints it and --latency-probe reads the browser's).
// Run: meson test -C BUILD --benchmark browser-setup -v   (or by hand with PEERCALL/PEERCALL_SIGNAL set)
import {
  launchChromium, log, openClient, pageState, peercallArgs, percentile, run, sleep, startPeercall, startServer,
  stopProcess, waitPage,
} from '../browser/lib.mjs';

const CALLS = Number(process.env.PEERCALL_BENCH_CALLS || 5);
const MEDIA_SECONDS = Number(process.env.PEERCALL_BENCH_SECONDS || 6);

const fmt = (v) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');

run('browser-setup', 60 + CALLS * (MEDIA_SECONDS + 30), async () => {
  const server = await startServer();
  const browser = await launchChromium();
  const page = await openClient(browser, server, { user: 'web', name: 'Web', latencyStamp: '1' });

  const browserSetup = []; // page: accept received -> first Peercall frame rendered
  const browserConnect = []; // page: accept received -> connectionState connected
  const phases = { offer: [], answer: [], ice: [], dtls: [] }; // page: where the setup time goes
  const peercallAnswer = []; // browser's offer sent -> Peercall's `negotiation` answer event (wall clock)
  const peercallSetup = []; // Peercall: accept sent (connecting) -> first browser frame decoded
  const toBrowser = []; // glass-to-glass, Peercall -> browser
  const toPeercall = []; // glass-to-glass, browser -> Peercall

  for (let i = 0; i < CALLS; i++) {
    const pc = startPeercall(peercallArgs(server, 'desk', 'Desk', ['--auto-answer', '--latency-probe']));
    await pc.wait((e) => e.event === 'registered', 20000, 'registered');
    await waitPage(page, () => window.peercallTest.peers.desk === 'available', 5000, 'presence of desk');
    const callId = await page.evaluate(() => {
      window.peercallTest.api.call('desk');
      return window.peercallTest.call.id;
    });
    const mine = (e) => e.call === callId;
    const connecting = await pc.wait((e) => mine(e) && e.event === 'call-state' && e.state === 'connecting', 20000,
      'connecting');
    const first = await pc.wait((e) => mine(e) && e.event === 'first-frame' && e.kind === 'video', 30000,
      'first-frame video');
    await waitPage(page, (id) => window.peercallTest.call.id === id && window.peercallTest.video.firstFrameMs !== null &&
      window.peercallTest.timings.firstFrame > window.peercallTest.timings.accept, 30000, 'first rendered frame', callId);
    await sleep(MEDIA_SECONDS * 1000);
    const s = await pageState(page);
    await page.evaluate(() => window.peercallTest.api.hangUp());
    await pc.wait((e) => mine(e) && e.event === 'call-state' && e.state === 'ended', 5000, 'ended');

    const b = s.timings.firstFrame - s.timings.accept;
    const c = s.timings.connected - s.timings.accept;
    const p = first.t_ms - connecting.t_ms;
    browserSetup.push(b);
    browserConnect.push(c);
    const m = s.timings;
    phases.offer.push(m.offerSent - m.accept); // local media + createOffer
    phases.answer.push(m.answerReceived - m.offerSent); // Peercall answers (signaling round trip)
    phases.ice.push(m.iceConnected - m.answerReceived); // connectivity checks
    phases.dtls.push(m.connected - m.iceConnected); // DTLS handshake
    const answered = pc.find((e) => mine(e) && e.event === 'negotiation' && e.type === 'answer');
    if (answered) {
      peercallAnswer.push(answered.arrived_ms - s.wallTimings.offerSent);
    }
    peercallSetup.push(p);
    // skip the first second of each call: the encoders are still ramping up
    const lat = pc.list.filter((e) => mine(e) && e.event === 'latency' && e.t_ms > first.t_ms + 1000);
    toPeercall.push(...lat.map((e) => e.ms));
    toBrowser.push(...s.latency.slice(30));
    log(`call ${i + 1}/${CALLS}: browser accept->first frame ${fmt(b)} (connected ${fmt(c)}), ` +
      `Peercall accept->first frame ${fmt(p)}, latency samples ${s.latency.length} / ${lat.length}`);
    await stopProcess(pc.child, 10000);
  }

  console.log('');
  console.log(`browser-setup (${CALLS} calls, Chromium -> peercall --headless, loopback)`);
  console.log(`  setup, browser side: accept -> first Peercall frame rendered  p50 ${fmt(percentile(browserSetup, 50))}` +
    `  max ${fmt(Math.max(...browserSetup))}`);
  console.log(`  setup, browser side: accept -> connected                       p50 ${fmt(percentile(browserConnect, 50))}`);
  console.log(`    of which: offer sent ${fmt(percentile(phases.offer, 50))}, Peercall's answer back ` +
    `${fmt(percentile(phases.answer, 50))}, ICE ${fmt(percentile(phases.ice, 50))}, ` +
    `DTLS ${fmt(percentile(phases.dtls, 50))} (p50 each); Peercall's answer created ` +
    `${fmt(percentile(peercallAnswer, 50))} after the offer left the browser`);
  console.log(`  setup, Peercall side: accept -> first browser frame decoded    p50 ${fmt(percentile(peercallSetup, 50))}` +
    `  max ${fmt(Math.max(...peercallSetup))}`);
  console.log(`  glass-to-glass Peercall -> browser: p50 ${fmt(percentile(toBrowser, 50))}` +
    `  p95 ${fmt(percentile(toBrowser, 95))}  (${toBrowser.length} frames)`);
  console.log(`  glass-to-glass browser -> Peercall: p50 ${fmt(percentile(toPeercall, 50))}` +
    `  p95 ${fmt(percentile(toPeercall, 95))}  (${toPeercall.length} frames)`);
  if (!toBrowser.length || !toPeercall.length) {
    throw new Error('no latency stamp decoded in one direction');
  }
});
