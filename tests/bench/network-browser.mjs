// SPDX-License-Identifier: GPL-3.0-or-later
// The Chromium <-> Chromium half of tests/bench/network.py: two Debian Chromium pages call each
// other through the real peercall-signal and the project's web client (latency stamp on, the
// callee answering by itself). network.py shapes the namespace's loopback; this script prints
// MEASURING once both pages show the other's video, samples both pages for --duration seconds,
// and prints one JSON line {"alice": [[s, event], ...], "bob": [...]} with events shaped like
// peercall's (`latency` {ms}, `stats` {frames_decoded, video_tx_kbps, bwe_kbps, target_kbps,
// send_width, send_height}), s being seconds since MEASURING.
// Run from tests/browser (its node_modules), with PEERCALL_SIGNAL set.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const lib = await import(pathToFileURL(path.join(here, '..', 'browser', 'lib.mjs')).href);
const { launchChromium, openClient, run, sleep, waitPage } = lib;

const args = process.argv.slice(2);
const duration = Number(args[args.indexOf('--duration') + 1] || 20);

// Keeps the page's peer connections reachable for getStats: the page does not expose them.
function recordPeerConnections () {
  const Native = window.RTCPeerConnection;
  window.__benchPcs = [];
  window.RTCPeerConnection = function (...a) {
    const pc = new Native(...a);
    window.__benchPcs.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Native);
}

// New latency values and stats events since the last poll, plus the sender's estimate.
async function poll (page, cursor) {
  return page.evaluate(async (c) => {
    const t = window.peercallTest;
    const latency = t.latency.slice(c.latency);
    const stats = t.events.slice(c.events).filter((e) => e.event === 'stats');
    let extra = null;
    const pc = window.__benchPcs[window.__benchPcs.length - 1];
    if (stats.length && pc) {
      extra = {};
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded' &&
            r.availableOutgoingBitrate !== undefined) {
          extra.bwe_kbps = Math.round(r.availableOutgoingBitrate / 1000);
        } else if (r.type === 'outbound-rtp' && r.kind === 'video') {
          if (r.targetBitrate !== undefined) {
            extra.target_kbps = Math.round(r.targetBitrate / 1000);
          }
          if (r.frameWidth) {
            extra.send_width = r.frameWidth;
            extra.send_height = r.frameHeight;
          }
        }
      });
    }
    return { latency, stats, extra, cursor: { latency: t.latency.length, events: t.events.length } };
  }, cursor);
}

run('network-browser', duration + 90, async () => {
  const server = await lib.startServer();
  const [browserA, browserB] = await Promise.all([launchChromium(), launchChromium()]);
  await browserA.addInitScript(recordPeerConnections);
  await browserB.addInitScript(recordPeerConnections);
  const alice = await openClient(browserA, server, { user: 'alice', name: 'Alice', latencyStamp: '1' });
  const bob = await openClient(browserB, server, { user: 'bob', name: 'Bob', autoAnswer: '1', latencyStamp: '1' });
  await waitPage(alice, () => window.peercallTest.peers.bob === 'available', 10000, 'presence of bob');
  await alice.evaluate(() => window.peercallTest.api.call('bob'));
  for (const page of [alice, bob]) {
    await waitPage(page, () => window.peercallTest.video.frames >= 1, 60000, 'the first remote frame');
  }
  const pages = { alice, bob };
  const samples = { alice: [], bob: [] };
  const cursors = {};
  for (const [name, page] of Object.entries(pages)) {
    cursors[name] = (await poll(page, { latency: 1e9, events: 1e9 })).cursor;
  }
  const t0 = Date.now();
  console.log('MEASURING');
  while (Date.now() - t0 < duration * 1000) {
    await sleep(100);
    for (const [name, page] of Object.entries(pages)) {
      const r = await poll(page, cursors[name]);
      const s = (Date.now() - t0) / 1000;
      cursors[name] = r.cursor;
      for (const ms of r.latency) {
        samples[name].push([s, { event: 'latency', ms }]);
      }
      for (const e of r.stats) {
        samples[name].push([(e.wall_ms - t0) / 1000, Object.assign({}, e, r.extra || {})]);
      }
    }
  }
  console.log(JSON.stringify(samples));
  await alice.evaluate(() => window.peercallTest.api.hangUp());
});
