// SPDX-License-Identifier: GPL-3.0-or-later
// Mid-call renegotiation with Peercall: the browser starts a screen share as a second video track
// (getDisplayMedia, then addTrack: a new offer from the browser). Peercall must answer it, accept
// the new m-line, and keep the call and the camera video going both ways; then the share stops
// (removeTrack: one more offer) and media still flows. With --second-track-event it also requires
// Peercall to report the second track (a second `first-frame` of kind video/screen, or a
// `track`/`remote-track` event): registered as its own test, expected to fail until the app reports it.
import {
  check, checkMediaBothWays, checkNoPageErrors, launchChromium, log, openClient, pageState, peercallArgs, run,
  startPeercall, startServer, stopPeercall, waitPage,
} from './lib.mjs';

const requireEvent = process.argv.includes('--second-track-event');

run(requireEvent ? 'renegotiation-second-track' : 'renegotiation', 200, async () => {
  const server = await startServer();
  const pc = startPeercall(peercallArgs(server, 'desk', 'Desk', ['--auto-answer']));
  const [browser] = await Promise.all([
    launchChromium(),
    pc.wait((e) => e.event === 'registered', 20000, 'registered'),
  ]);
  const page = await openClient(browser, server, { user: 'web', name: 'Web' });
  await waitPage(page, () => window.peercallTest.peers.desk === 'available', 5000, 'presence of desk');
  await page.evaluate(() => window.peercallTest.api.call('desk'));
  await waitPage(page, () => window.peercallTest.call.state === 'connected', 30000, 'connected call');
  await checkMediaBothWays(page, pc, 60);

  // a second video track: the browser (impolite caller) sends a new offer
  const firstFrames = () => pc.list.filter((e) => e.event === 'first-frame' && e.kind !== 'audio').length;
  const isTrackEvent = (e) => (e.event === 'track' || e.event === 'remote-track') && e.kind !== 'audio';
  const videoTracks = () => pc.list.filter(isTrackEvent).length;
  const before = { firstFrames: firstFrames(), tracks: videoTracks() };
  const added = await page.evaluate(() => window.peercallTest.api.startShare('add'));
  check(added === true, 'the browser adds a getDisplayMedia track');
  await waitPage(page, () => window.peercallTest.events.filter((e) => e.event === 'share').length > 0, 5000,
    'share started');
  // Peercall answers the new offer and accepts the new m-line (Chromium then sends on it)
  const n = await waitPage(page, () => {
    const t = window.peercallTest.api.transceivers();
    return t && t.signalingState === 'stable' && t.transceivers.filter((x) => x.kind === 'video').length === 2 &&
      t.transceivers.every((x) => x.currentDirection !== null) && t;
  }, 15000, 'an answer to the renegotiation offer');
  const screenTr = n.transceivers.filter((x) => x.kind === 'video')[1];
  log(`screen transceiver after the answer: ${JSON.stringify(screenTr)}`);
  check(['sendonly', 'sendrecv'].includes(screenTr.currentDirection),
    `Peercall accepts the second video m-line (currentDirection ${screenTr.currentDirection})`);
  await waitPage(page, async (mid) => (await window.peercallTest.api.outbound()).some((o) => o.mid === mid &&
    o.framesEncoded > 10), 15000, 'the screen track being sent', screenTr.mid);
  if (requireEvent) {
    await pc.wait((e) => (e.event === 'first-frame' && e.kind !== 'audio' && firstFrames() > before.firstFrames) ||
      (isTrackEvent(e) && videoTracks() > before.tracks), 20000,
      'a second video first-frame or track event');
    log('Peercall reports the second video track');
  }

  // the call survived the renegotiation and the camera keeps coming
  const decodedAt = pc.lastStats.frames_decoded;
  await pc.wait((e) => e.event === 'stats' && e.frames_decoded >= decodedAt + 30, 20000, 'video after renegotiation');
  check(!pc.find((e) => e.event === 'call-state' && e.state === 'ended'), 'the call is still up');

  // stop: removeTrack renegotiates again; the camera keeps flowing
  await page.evaluate(() => window.peercallTest.api.stopShare());
  const decodedAt2 = pc.lastStats.frames_decoded;
  await pc.wait((e) => e.event === 'stats' && e.frames_decoded >= decodedAt2 + 30, 20000, 'video after stopping');
  const s = await pageState(page);
  const framesNow = s.video.frames;
  await waitPage(page, (n) => window.peercallTest.video.frames >= n + 20, 20000, 'Peercall frames after stopping',
    framesNow);
  await checkNoPageErrors(page);

  await page.evaluate(() => window.peercallTest.api.hangUp());
  await pc.wait((e) => e.event === 'call-state' && e.state === 'ended', 3000, 'ended call');
  await stopPeercall(pc);
});
