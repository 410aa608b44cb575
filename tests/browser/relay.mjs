// SPDX-License-Identifier: GPL-3.0-or-later
// A relay-only call through Debian's coturn (time-limited credentials, --use-auth-secret):
// peercall-signal hands both sides TURN credentials in `welcome`; Chromium uses
// iceTransportPolicy 'relay', Peercall --ice-transport-policy relay. Both selected candidate
// pairs must be relayed, and media must flow both ways.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  check, checkMediaBothWays, checkNoPageErrors, launchChromium, log, openClient, pageState, peercallArgs, run,
  startCoturn, startPeercall, startServer, stopPeercall, tempDir, turnCredential, waitPage,
} from './lib.mjs';

run('relay', 200, async () => {
  const secret = crypto.randomBytes(24).toString('hex');
  const dir = tempDir('peercall-relay-');
  const secretFile = path.join(dir, 'turn-secret');
  fs.writeFileSync(secretFile, secret, { mode: 0o600 });

  const turn = await startCoturn(secret);
  const server = await startServer(['--turn-url', `${turn.url}?transport=udp`, '--turn-secret-file', secretFile]);

  const pc = startPeercall(peercallArgs(server, 'desk', 'Desk', ['--auto-answer', '--ice-transport-policy', 'relay']));
  const [browser] = await Promise.all([
    launchChromium(),
    pc.wait((e) => e.event === 'registered', 20000, 'registered'),
  ]);
  const page = await openClient(browser, server, { user: 'web', name: 'Web', relayOnly: '1' });

  // the credentials in `welcome` are coturn's use-auth-secret ones
  const servers = await page.evaluate(() => window.peercallTest.iceServers);
  const entry = servers.find((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => u.startsWith('turn:')));
  check(!!entry, `welcome carries the TURN server (${JSON.stringify(servers)})`);
  check(/^\d+:web$/.test(entry.username), `TURN username is EXPIRY:user (${entry.username})`);
  check(entry.credential === turnCredential(secret, entry.username), 'TURN credential is HMAC-SHA1(secret, username)');

  await waitPage(page, () => window.peercallTest.peers.desk === 'available', 5000, 'presence of desk');
  await page.evaluate(() => window.peercallTest.api.call('desk'));
  await waitPage(page, () => window.peercallTest.call.state === 'connected', 30000, 'connected call');
  await checkMediaBothWays(page, pc, 90);

  await waitPage(page, () => window.peercallTest.call.localType, 5000, 'selected candidate pair');
  const s = await pageState(page);
  check(s.call.localType === 'relay', `the page's selected local candidate is ${s.call.localType}`);
  const ice = await pc.wait((e) => e.event === 'ice-state' && e.local_type, 5000, 'ice-state with candidate types');
  check(ice.local_type === 'relay', `Peercall's selected local candidate is ${ice.local_type}`);
  await checkNoPageErrors(page);
  log(`relayed: page ${s.call.localType}/${s.call.remoteType}, Peercall ${ice.local_type}/${ice.remote_type}`);

  await page.evaluate(() => window.peercallTest.api.hangUp());
  await pc.wait((e) => e.event === 'call-state' && e.state === 'ended', 3000, 'ended call');
  await stopPeercall(pc);
});
