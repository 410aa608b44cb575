// SPDX-License-Identifier: GPL-3.0-or-later
// Two Chromium pages call each other through the real peercall-signal and its web client:
// presence, call, media both ways (frames rendered, audio, latency stamp), renegotiation from
// both sides (a second video track), screen share by replaceTrack, hang-up propagation, decline.
import {
  check, launchChromium, log, openClient, pageState, percentile, run, startServer, waitPage,
} from './lib.mjs';

const FRAMES = 90;

run('browser-call', 170, async () => {
  const server = await startServer();
  // one Chromium per person: headless Chromium renders only the focused tab at full rate
  const [browserA, browserB] = await Promise.all([launchChromium(), launchChromium()]);

  const alice = await openClient(browserA, server, { user: 'alice', name: 'Alice', latencyStamp: '1' });
  const bob = await openClient(browserB, server,
    { user: 'bob', name: 'Bob', autoAnswer: '1', latencyStamp: '1', screenSource: 'canvas' });
  await waitPage(alice, () => window.peercallTest.peers.bob === 'available', 5000, 'presence of bob');

  // Alice calls Bob, who answers automatically
  await alice.evaluate(() => window.peercallTest.api.call('bob'));
  await waitPage(alice, () => window.peercallTest.call.state === 'connected', 30000, 'connected call');
  await waitPage(bob, () => window.peercallTest.call.state === 'connected', 30000, 'connected call');
  await waitPage(alice, () => window.peercallTest.peers.bob === 'busy', 5000, 'bob busy');
  // Both pages show the same verification code, made of both sides' fingerprints
  const codes = [];
  for (const page of [alice, bob]) {
    await waitPage(page, () => !!window.peercallTest.verification, 10000, 'verification code');
    const v = await page.evaluate(() => window.peercallTest.verification);
    const shown = await page.evaluate(() => {
      const el = document.getElementById('call-code');
      return el.hidden ? '' : el.textContent;
    });
    check(/^\d{5} \d{5} \d{5} \d{5}$/.test(v.sas), `${page.label}: code ${v.sas}`);
    check(shown.includes(v.sas), `${page.label}: the page shows "${shown}"`);
    codes.push(v);
  }
  check(codes[0].sas === codes[1].sas, `same code on both pages: ${codes[0].sas} / ${codes[1].sas}`);
  check(codes[0].fingerprint_local === codes[1].fingerprint_remote
    && codes[0].fingerprint_remote === codes[1].fingerprint_local, 'each side names the other\'s fingerprint');
  log(`verification code ${codes[0].sas}`);
  for (const page of [alice, bob]) {
    await waitPage(page, (n) => window.peercallTest.video.frames >= n, 30000, `${FRAMES} remote frames`, FRAMES);
    await waitPage(page, () => window.peercallTest.audio.packetsReceived > 0, 5000, 'remote audio packets');
    await waitPage(page, () => window.peercallTest.latency.length >= 30, 20000, 'decoded latency stamps');
    const s = await pageState(page);
    const p50 = percentile(s.latency, 50);
    check(p50 > 0 && p50 < 1000, `${page.label}: stamp decodes to a plausible latency (p50 ${p50} ms)`);
    check(s.video.frames >= FRAMES, `${page.label} rendered ${s.video.frames} remote frames`);
    log(`${page.label}: accept -> first frame ${Math.round(s.timings.firstFrame - s.timings.accept)} ms, ` +
      `latency p50 ${p50} ms p95 ${percentile(s.latency, 95)} ms (${s.latency.length} frames)`);
  }

  // Renegotiation from the impolite caller: a second video track
  const aliceShare = await alice.evaluate(() => window.peercallTest.api.startShare('add'));
  check(aliceShare === true, 'alice adds a second video track');
  await waitPage(bob, () => window.peercallTest.screen.frames >= 30, 15000, 'frames of the second video track');
  await waitPage(bob, () => window.peercallTest.remoteTracks.filter((t) => t.kind === 'video').length >= 2, 1000,
    'two remote video tracks');
  // the first video track keeps flowing through the renegotiation
  const before = (await pageState(bob)).video.frames;
  await waitPage(bob, (n) => window.peercallTest.video.frames >= n + 15, 15000, 'camera frames after renegotiation',
    before);
  await alice.evaluate(() => window.peercallTest.api.stopShare());
  log('alice: second track added and removed');

  // Renegotiation from the polite callee
  const bobShare = await bob.evaluate(() => window.peercallTest.api.startShare('add'));
  check(bobShare === true, 'bob adds a second video track');
  await waitPage(alice, () => window.peercallTest.screen.frames >= 30, 15000, 'frames of bob\'s second track');
  await bob.evaluate(() => window.peercallTest.api.stopShare());

  // Screen share by replaceTrack: no renegotiation, the screen arrives on the camera's track
  const tracksBefore = (await pageState(alice)).remoteTracks.length;
  const replaced = await bob.evaluate(() => window.peercallTest.api.startShare('replace'));
  check(replaced === true, 'bob replaces the camera track with a screen');
  await waitPage(alice, () => window.peercallTest.video.width > 640, 10000, 'the wider screen on the camera track');
  check((await pageState(alice)).remoteTracks.length === tracksBefore, 'replaceTrack adds no remote track');
  await bob.evaluate(() => window.peercallTest.api.stopShare());
  await waitPage(alice, () => window.peercallTest.video.width === 640, 10000, 'the camera back after the share');

  const errors = [...(await pageState(alice)).errors, ...(await pageState(bob)).errors];
  check(errors.length === 0, `no errors in either page (${JSON.stringify(errors)})`);

  // Bob hangs up: Alice's call ends within 1 s
  const t0 = Date.now();
  await bob.evaluate(() => window.peercallTest.api.hangUp());
  await waitPage(alice, () => window.peercallTest.call.state === 'ended', 2000, 'ended call');
  const a = await pageState(alice);
  const hangupMs = a.wallTimings.ended - t0;
  check(a.call.reason === 'normal', `alice sees reason ${a.call.reason}`);
  check(hangupMs < 1000, `hang-up reaches the other page in ${hangupMs} ms (< 1000)`);
  await waitPage(alice, () => window.peercallTest.peers.bob === 'available', 5000, 'bob available again');

  // A callee without auto-answer declines
  const carol = await openClient(browserB, server, { user: 'carol', name: 'Carol' });
  await waitPage(alice, () => window.peercallTest.peers.carol === 'available', 5000, 'presence of carol');
  await alice.evaluate(() => window.peercallTest.api.call('carol'));
  await waitPage(carol, () => window.peercallTest.call && window.peercallTest.call.state === 'ringing', 5000,
    'ringing call');
  await waitPage(alice, () => window.peercallTest.call.state === 'ringing', 5000, 'ringing at the caller');
  check(await carol.isVisible('#incoming'), 'carol sees the incoming-call dialog');
  await carol.click('#decline');
  await waitPage(alice, () => window.peercallTest.call.state === 'ended', 2000, 'declined call');
  check((await pageState(alice)).call.reason === 'declined', 'alice sees the decline');

  // Sign in through the form; a taken user name is refused with a readable message
  const dave = await browserB.newPage();
  await dave.goto(`${server.http}?test=1`, { timeout: 15000 });
  await dave.fill('#user', 'alice');
  await dave.fill('#display-name', 'Not Alice');
  await dave.click('#sign-in-button');
  await dave.waitForSelector('#sign-in-error:not([hidden])', { timeout: 5000 });
  const refused = await dave.textContent('#sign-in-error');
  check(/already signed in/.test(refused), `a taken user name is refused: "${refused}"`);
  await dave.fill('#user', 'dave');
  await dave.click('#sign-in-button');
  await dave.waitForSelector('#contacts-page:not([hidden])', { timeout: 5000 });
  await dave.waitForSelector('#contacts li[data-user="alice"] .call-button:not([disabled])', { timeout: 5000 });
  check(true, 'dave signs in through the form and can call alice');

  // Plain http on a non-loopback name is no secure context (no camera): the client still works
  const erin = await openClient(browserA, server, { user: 'erin', name: 'Erin', insecure: '1' });
  check(await erin.evaluate(() => !window.isSecureContext), 'erin\'s page is not a secure context');
  await waitPage(erin, () => window.peercallTest.peers.alice === 'available', 5000, 'presence of alice');
  for (const page of [alice, bob, carol, erin]) {
    check((page.pageErrors || []).length === 0, `no uncaught errors in ${page.label}'s page`);
  }
});
