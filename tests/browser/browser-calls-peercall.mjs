// SPDX-License-Identifier: GPL-3.0-or-later
// Chromium calls `peercall --headless --auto-answer` through the real peercall-signal: media both
// ways (Peercall's first-frame/stats events, the page's rendered frames), then the browser hangs
// up and Peercall's call must end within 1 s. Both show the same verification code.
import {
  check, checkMediaBothWays, checkNoPageErrors, launchChromium, log, openClient, peercallArgs, run,
  startPeercall, startServer, stopPeercall, waitPage,
} from './lib.mjs';

run('browser-calls-peercall', 200, async () => {
  const server = await startServer();
  const pc = startPeercall(peercallArgs(server, 'desk', 'Desk', ['--auto-answer']));
  const [browser] = await Promise.all([
    launchChromium(),
    pc.wait((e) => e.event === 'registered', 20000, 'registered'),
  ]);
  const page = await openClient(browser, server, { user: 'web', name: 'Web' });
  await waitPage(page, () => window.peercallTest.peers.desk === 'available', 5000, 'presence of desk');

  await page.evaluate(() => window.peercallTest.api.call('desk'));
  const connected = await pc.wait((e) => e.event === 'call-state' && e.state === 'connected', 20000,
    'connected call');
  check(connected.direction === 'incoming' && connected.peer === 'web', 'Peercall has an incoming call from web');
  await waitPage(page, () => window.peercallTest.call.state === 'connected', 10000, 'connected call');
  // The page and Peercall show the same verification code (Peercall checked Chromium's
  // certificate against its a=fingerprint, Chromium checked Peercall's)
  const verified = await pc.wait((e) => e.event === 'verification', 10000, 'verification');
  await waitPage(page, () => !!window.peercallTest.verification, 10000, 'verification code');
  const shown = await page.evaluate(() => window.peercallTest.verification);
  check(verified.sas === shown.sas, `same code: Peercall ${verified.sas}, page ${shown.sas}`);
  check(verified.fingerprint_remote === shown.fingerprint_local
    && verified.fingerprint_local === shown.fingerprint_remote, 'each names the other\'s certificate');
  await checkMediaBothWays(page, pc, 90);
  await checkNoPageErrors(page);

  // The browser hangs up: Peercall's call ends within 1 s
  const t0 = Date.now();
  await page.evaluate(() => window.peercallTest.api.hangUp());
  const ended = await pc.wait((e) => e.event === 'call-state' && e.state === 'ended', 3000, 'ended call');
  const ms = ended.arrived_ms - t0;
  log(`Peercall's call ended (${ended.reason}) ${ms} ms after the browser hung up`);
  check(ms < 1000, `hang-up reaches Peercall in ${ms} ms (< 1000)`);
  check(ended.reason === 'normal', `reason ${ended.reason}`);

  await stopPeercall(pc);
});
