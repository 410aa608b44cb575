import { launchChromium, log, openClient, peercallArgs, run, startPeercall, startServer, waitPage, sleep } from './lib.mjs';
run('dbg', 120, async () => {
  const server = await startServer();
  const pc = startPeercall(peercallArgs(server, 'desk', 'Desk', ['--auto-answer']));
  const [browser] = await Promise.all([launchChromium(), pc.wait((e) => e.event === 'registered', 20000, 'registered')]);
  const page = await openClient(browser, server, { user: 'web', name: 'Web' });
  await waitPage(page, () => window.peercallTest.peers.desk === 'available', 5000, 'presence of desk');
  await page.evaluate(() => { window._pcs = []; const O = RTCPeerConnection; window.RTCPeerConnection = function (c) { const p = new O(c); window._pcs.push(p); return p; }; });
  await page.evaluate(() => window.peercallTest.api.call('desk'));
  await waitPage(page, () => window.peercallTest.call.state === 'connected', 30000, 'connected');
  for (let i = 0; i < 12; i++) {
    await sleep(2000);
    log(JSON.stringify(await page.evaluate(async () => { const r = await window._pcs[0].getStats(); const o = [];
      r.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') { const { framesReceived, framesDecoded, framesDropped, keyFramesDecoded, pliCount, firCount, nackCount, freezeCount, packetsReceived, packetsLost, bytesReceived, decoderImplementation, codecId, frameWidth } = s; o.push({ framesReceived, framesDecoded, framesDropped, keyFramesDecoded, pliCount, firCount, nackCount, freezeCount, packetsReceived, packetsLost, bytesReceived, decoderImplementation, codecId, frameWidth }); } }); return o; })));
    if (pc.lastStats) log('pc', JSON.stringify(pc.lastStats));
  }
  const sdp = await page.evaluate(() => [window._pcs[0].localDescription.sdp, window._pcs[0].remoteDescription.sdp]);
  (await import('fs')).writeFileSync('/tmp/webdev/sdp.txt', sdp.join('\n=====\n'));
});
