// SPDX-License-Identifier: GPL-3.0-or-later
// `peercall --headless --call web` calls Chromium (auto-answer) through the real peercall-signal:
// Peercall is the offerer, the page the polite answerer. Media both ways, then Peercall hangs up
// (--exit-after-frames: 2 s after decoding that many frames) and the page's call must end within 1 s.
import {
  check, checkMediaBothWays, checkNoPageErrors, launchChromium, log, openClient, pageState, peercallArgs, run,
  startPeercall, startServer, waitPage, withTimeout,
} from './lib.mjs';

// Peercall hangs up once it has decoded this many frames: ~10 s of video, time enough for the
// page to render its 90 frames as well
const EXIT_AFTER_FRAMES = 300;

run('peercall-calls-browser', 200, async () => {
  const server = await startServer();
  const browser = await launchChromium();
  const page = await openClient(browser, server, { user: 'web', name: 'Web', autoAnswer: '1' });

  const pc = startPeercall(peercallArgs(server, 'desk', 'Desk',
    ['--call', 'web', '--exit-after-frames', String(EXIT_AFTER_FRAMES)]));
  const connected = await pc.wait((e) => e.event === 'call-state' && e.state === 'connected', 30000,
    'connected call');
  check(connected.direction === 'outgoing' && connected.peer === 'web', 'Peercall has an outgoing call to web');
  await waitPage(page, () => window.peercallTest.call && window.peercallTest.call.state === 'connected', 10000,
    'connected call');
  const s = await pageState(page);
  check(s.call.direction === 'incoming', 'the page answered an incoming call');
  await checkMediaBothWays(page, pc, 90);
  await checkNoPageErrors(page);

  // Peercall hangs up by itself: the page's call ends within 1 s of Peercall's own `ended`
  const ended = await pc.wait((e) => e.event === 'call-state' && e.state === 'ended', 60000,
    'ended call (--exit-after-frames)');
  await waitPage(page, () => window.peercallTest.call.state === 'ended', 3000, 'ended call');
  const after = await pageState(page);
  const ms = after.wallTimings.ended - ended.arrived_ms;
  log(`the page's call ended (${after.call.reason}) ${ms} ms after Peercall hung up`);
  check(ms < 1000, `hang-up reaches the page in ${ms} ms (< 1000)`);
  check(after.call.reason === 'normal', `reason ${after.call.reason}`);

  const r = await withTimeout(pc.child.exited, 10000, 'peercall did not exit after its call ended');
  check(r.code === 0, `peercall exits 0 after its call (${JSON.stringify(r)})`);
  check(pc.child.sanitizerReports.length === 0,
    `no sanitizer report from peercall (${pc.child.sanitizerReports.join(' | ')})`);
});
