#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Calls between real `peercall --headless` processes through a real peercall-signal (and a real
coturn for the relay case), inside the private network namespace of tests/run-in-netns.

Usage: test_calls.py NAME   (one scenario per meson test, so they run in parallel)
"""

import os
import signal
import subprocess
import time

from pcharness import Harness, TestFailure, check, expect_exit, log, run

FRAMES = 90


def assert_states(peer, expected):
    states = peer.states()
    check(states == expected, f"{peer.user}: call states {states}, expected {expected}")


def assert_ended(peer, reason):
    ended = peer.find("call-state", state="ended")
    check(len(ended) == 1, f"{peer.user}: {len(ended)} ended events")
    check(ended[0].get("reason") == reason,
          f"{peer.user}: ended with {ended[0].get('reason')}, expected {reason}")


def assert_same_call(a, b):
    ids = {e["call"] for e in a.find("call-state") + b.find("call-state")}
    check(len(ids) == 1, f"call ids differ: {ids}")
    return ids.pop()


def assert_media(peer, kinds, min_frames):
    for kind in kinds:
        ff = peer.find("first-frame", kind=kind)
        check(len(ff) == 1, f"{peer.user}: {len(ff)} first-frame {kind} events")
        if kind == "video":
            check(ff[0].get("width", 0) > 0 and ff[0].get("height", 0) > 0,
                  f"{peer.user}: first video frame without a size: {ff[0]}")
    if min_frames:
        check(peer.max_frames() >= min_frames,
              f"{peer.user}: decoded {peer.max_frames()} frames, expected >= {min_frames}")


def connected_pair(h, caller_args=(), callee_args=()):
    bob = h.start_peer("bob", "--auto-answer", *callee_args)
    alice = h.start_peer("alice", "--call", "bob", *caller_args)
    return alice, bob


def test_video_audio():
    """Video and audio both ways; both sides decode FRAMES frames, then the call ends normally."""
    with Harness(timeout=150) as h:
        h.start_server()
        alice, bob = connected_pair(h, ["--exit-after-frames", str(FRAMES)],
                                    ["--exit-after-frames", str(FRAMES)])
        expect_exit(h, alice, 0)
        expect_exit(h, bob, 0)
        call = assert_same_call(alice, bob)
        log("call", call)
        assert_states(alice, ["inviting", "ringing", "connecting", "connected", "ended"])
        assert_states(bob, ["ringing", "connecting", "connected", "ended"])
        assert_ended(alice, "normal")
        assert_ended(bob, "normal")
        for peer in (alice, bob):
            assert_media(peer, ["video", "audio"], FRAMES)
            pair = [e for e in peer.find("ice-state") if e.get("local_type")]
            check(pair, f"{peer.user}: no ice-state with the selected pair")
            check(pair[-1]["local_type"] == "host" and pair[-1]["remote_type"] == "host",
                  f"{peer.user}: selected pair {pair[-1]}")
            stats = peer.find("stats")
            for key in ("rtt_ms", "video_rx_fps", "video_rx_kbps", "video_tx_kbps",
                        "packets_lost", "frames_decoded"):
                check(all(key in s for s in stats), f"{peer.user}: stats without {key}")
            check(any((s.get("video_tx_kbps") or 0) > 0 for s in stats),
                  f"{peer.user}: never sent video")


def hang_up_by_sigterm(h, leaver, other, timeout=None):
    """`leaver` hangs up on SIGTERM (a clean hang-up, then exit 1 as "interrupted"); the hangup
    reaches `other`, which exits 0; both calls end as normal."""
    leaver.kill(signal.SIGTERM)
    expect_exit(h, leaver, 1)
    expect_exit(h, other, 0, timeout=timeout)
    assert_ended(leaver, "normal")
    assert_ended(other, "normal")


def test_audio_only():
    """Alice sends no video: Bob counts her audio; Alice still receives Bob's video."""
    with Harness(timeout=150) as h:
        h.start_server()
        alice, bob = connected_pair(h, ["--video-source", "none", "--exit-after-frames", "30"],
                                    ["--exit-after-frames", "30"])
        expect_exit(h, bob, 0)
        expect_exit(h, alice, 0)
        assert_media(alice, ["video", "audio"], 30)
        assert_media(bob, ["audio"], 0)
        # (PcCallSession keeps a black, low-rate video sender for --video-source none, so that
        # the camera can be turned on later without renegotiation: Bob may decode that.)
        assert_ended(alice, "normal")
        assert_ended(bob, "normal")


def test_decline():
    with Harness(timeout=60) as h:
        h.start_server()
        bob = h.start_peer("bob", "--auto-decline", "declined")
        alice = h.start_peer("alice", "--call", "bob")
        expect_exit(h, alice, 1)
        expect_exit(h, bob, 0)
        assert_same_call(alice, bob)
        assert_states(alice, ["inviting", "ringing", "ended"])
        assert_ended(alice, "declined")
        assert_states(bob, ["ringing", "ended"])
        assert_ended(bob, "declined")


def test_cancel():
    """The caller hangs up while the callee still rings: both end with `cancelled`."""
    with Harness(timeout=60) as h:
        h.start_server()
        bob = h.start_peer("bob")  # neither answers nor declines
        alice = h.start_peer("alice", "--call", "bob", "--hangup-after", "1")
        h.wait_state(bob, "ringing")
        expect_exit(h, alice, 0)
        expect_exit(h, bob, 1)
        assert_same_call(alice, bob)
        assert_ended(alice, "cancelled")
        assert_ended(bob, "cancelled")
        check("connecting" not in bob.states(), "bob answered")


def test_ring_timeout():
    """Nobody answers: after 45 s of ringing the caller gives up, both end with `timeout`."""
    with Harness(timeout=120) as h:
        h.start_server()
        bob = h.start_peer("bob")  # neither answers nor declines
        alice = h.start_peer("alice", "--call", "bob")
        ringing = h.wait_state(alice, "ringing")
        expect_exit(h, alice, 1)
        expect_exit(h, bob, 1)
        assert_same_call(alice, bob)
        assert_states(alice, ["inviting", "ringing", "ended"])
        assert_ended(alice, "timeout")
        assert_ended(bob, "timeout")
        ended = alice.find("call-state", state="ended")[0]
        inviting = alice.find("call-state", state="inviting")[0]
        rang_s = (ended["t_ms"] - inviting["t_ms"]) / 1000
        log(f"the caller gave up {rang_s:.1f} s after inviting (ringing from "
            f"{(ringing['t_ms'] - inviting['t_ms']) / 1000:.1f} s)")
        check(44 <= rang_s <= 50, f"ring timeout after {rang_s:.1f} s, not 45 s")


def test_busy():
    """A third caller gets `busy` while Alice and Bob talk; their call goes on."""
    with Harness(timeout=150) as h:
        h.start_server()
        alice, bob = connected_pair(h)
        h.wait_state(alice, "connected")
        h.wait_state(bob, "connected")
        carol = h.start_peer("carol", "--call", "bob")
        expect_exit(h, carol, 1)
        assert_states(carol, ["inviting", "ended"])
        assert_ended(carol, "busy")
        check(not alice.find("call-state", state="ended"), "alice's call ended")
        check(not bob.find("call-state", state="ended"), "bob's call ended")
        check(len(bob.find("call-state", state="ringing")) == 1, "bob rang twice")
        # Alice hangs up (SIGTERM: clean hang-up, then exit 1 as "interrupted")
        hang_up_by_sigterm(h, alice, bob)


def hangup_test(who):
    """One side hangs up mid-call (event-driven: once it decoded 30 frames), the other follows."""
    with Harness(timeout=150) as h:
        h.start_server()
        extra = ["--exit-after-frames", "30"]
        alice, bob = connected_pair(h, extra if who == "caller" else [],
                                    extra if who == "callee" else [])
        expect_exit(h, alice, 0)
        expect_exit(h, bob, 0)
        assert_same_call(alice, bob)
        assert_states(alice, ["inviting", "ringing", "connecting", "connected", "ended"])
        assert_states(bob, ["ringing", "connecting", "connected", "ended"])
        assert_ended(alice, "normal")
        assert_ended(bob, "normal")
        hanger = alice if who == "caller" else bob
        check(hanger.max_frames() >= 30, f"{hanger.user} hung up before its 30 frames")


def test_hangup_caller():
    hangup_test("caller")


def test_hangup_callee():
    hangup_test("callee")


# Alice waits for Bob's media to stop (MEDIA_STALL_US, 2 s, in pc-call-manager.c) once the
# server says peer-gone; this bounds the whole wait with room for a loaded ASan machine.
PEER_GONE_LIMIT_S = 10


def test_peer_gone():
    """Bob's process dies mid-call: the server tells Alice `peer-gone`; her media watch sees
    Bob's media stop and ends the call with peer-gone within a bounded time."""
    with Harness(timeout=150) as h:
        h.start_server()
        alice, bob = connected_pair(h)
        h.wait_state(alice, "connected")
        h.wait_event(alice, "first-frame", kind="video")
        killed = time.monotonic()
        bob.kill(signal.SIGKILL)
        h.wait_state(alice, "ended", timeout=PEER_GONE_LIMIT_S)
        took = time.monotonic() - killed
        assert_ended(alice, "peer-gone")
        log(f"figure: alice ended {took:.2f} s after bob was SIGKILLed")
        expect_exit(h, alice, 1)


def frames_before(peer, index):
    """Frames decoded according to the stats events before position `index`."""
    return max([e.get("frames_decoded") or 0 for e in peer.events[:index]
                if e["event"] == "stats"], default=0)


def wait_media_goes_on(h, peer, since, what, min_stats=3, min_new_frames=5):
    """Waits until `peer` printed `min_stats` stats events from position `since` on and decoded
    `min_new_frames` more frames than before it: its media went on all that time. (A few
    frames: an ASan peer on a loaded 2-core machine may decode only 1-3 a second.)"""
    before = frames_before(peer, since)

    def grown():
        stats = [e for e in peer.events[since:] if e["event"] == "stats"]
        return len(stats) >= min_stats and peer.max_frames(since) >= before + min_new_frames

    h.wait_until(f"{peer.user}: decoding on {what} (from {before} frames)", grown, 45)
    return peer.max_frames(since) - before


def wait_registered(h, peer, times):
    h.wait_until(f"{peer.user}: registered {times} times",
                 lambda: len(peer.find("registered")) >= times, 30)


def check_not_ended(*peers):
    for peer in peers:
        ended = peer.find("call-state", state="ended")
        check(not ended, f"{peer.user}: the call ended: {ended}")


def wait_call_tracked(h, *peers):
    """The (new) server tracks an answered call again: the caller's restoring invite and the
    callee's accept went through it. Fails at once if a peer's call ends meanwhile."""
    def tracked():
        check_not_ended(*peers)
        return h.metrics().get("peercall_active_calls") == 1

    h.wait_until("the server to track the call again", tracked, 30)


def assert_call_went_on(alice, bob):
    """Still the one call of the start: same states, one session (one first video frame, no
    negotiation beyond the first offer/answer), nothing ended."""
    assert_states(alice, ["inviting", "ringing", "connecting", "connected"])
    assert_states(bob, ["ringing", "connecting", "connected"])
    for peer in (alice, bob):
        check(len(peer.find("first-frame", kind="video")) == 1,
              f"{peer.user}: first video frame more than once (a new session?)")
        check(len(peer.find("negotiation")) <= 1, f"{peer.user}: negotiated again")


def test_signal_restart():
    """peercall-signal is SIGKILLed mid-call and a new one starts on the same port: the call and
    its media go on through the outage, both peers sign in again, the caller restores the call
    on the new server (same call id, accepted at once), and a later hang-up reaches the other
    side as `normal` (a call the server did not track would end by the media watch instead)."""
    with Harness(timeout=170) as h:
        h.start_server()
        alice, bob = connected_pair(h)
        for peer in (alice, bob):
            h.wait_state(peer, "connected")
            h.wait_event(peer, "first-frame", kind="video")
        call = assert_same_call(alice, bob)

        old = h.server
        down = time.monotonic()
        old.kill(signal.SIGKILL)
        h.wait_exit(old, 10)
        drops = {}
        for peer in (alice, bob):
            h.wait_event(peer, "error", timeout=15, code="connection-lost")
            drops[peer.user] = peer.index("error", code="connection-lost")
        # the outage lasts until both decoded 3 stats' worth of frames with no server at all
        for peer in (alice, bob):
            grew = wait_media_goes_on(h, peer, drops[peer.user], "while the server is down")
            log(f"{peer.user}: {grew} frames decoded during the outage")
        check_not_ended(alice, bob)

        h.start_server(port=h.server_port)
        outage = time.monotonic() - down
        for peer in (alice, bob):
            wait_registered(h, peer, 2)
        wait_call_tracked(h, alice, bob)
        restored = time.monotonic() - down
        log(f"figure: server down {outage:.2f} s; call tracked again {restored:.2f} s after "
            "the SIGKILL")

        for peer in (alice, bob):
            wait_media_goes_on(h, peer, len(peer.events), "after the restore", min_stats=2)
        assert_call_went_on(alice, bob)

        # Bob hangs up (SIGTERM: clean hang-up, exit 1 as "interrupted"): relayed as normal
        hang_up_by_sigterm(h, bob, alice, timeout=15)
        check(assert_same_call(alice, bob) == call, "the call id changed")


def test_outage_peer_gone():
    """peercall-signal dies mid-call, then Bob's process dies too: no server can tell Alice, so
    her media watch ends the call (peer-gone) once Bob's media stopped, within a bounded time."""
    with Harness(timeout=150) as h:
        h.start_server()
        alice, bob = connected_pair(h)
        for peer in (alice, bob):
            h.wait_state(peer, "connected")
            h.wait_event(peer, "first-frame", kind="video")
        h.server.kill(signal.SIGKILL)
        h.wait_exit(h.server, 10)
        h.wait_event(alice, "error", timeout=15, code="connection-lost")
        wait_media_goes_on(h, alice, alice.index("error", code="connection-lost"),
                           "while the server is down", min_stats=2)
        check_not_ended(alice)
        killed = time.monotonic()
        bob.kill(signal.SIGKILL)
        h.wait_state(alice, "ended", timeout=PEER_GONE_LIMIT_S)
        log(f"figure: alice ended {time.monotonic() - killed:.2f} s after bob was SIGKILLed "
            "(no server)")
        assert_ended(alice, "peer-gone")
        expect_exit(h, alice, 1)


def cut_signaling(h, peer):
    """Aborts `peer`'s WebSocket to the server (ss -K: both ends see a reset, as after a network
    drop) while the process and its media go on."""
    port = h.server_port
    out = subprocess.run(["ss", "-Htnp", f"dport = :{port}"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    local = None
    for line in out.splitlines():
        if f"pid={peer.proc.pid}," in line:
            local = next(f for f in line.split() if f.startswith("127.0.0.1:"))
    check(local is not None, f"{peer.user}: no connection to port {port} in ss: {out!r}")
    killed = subprocess.run(["ss", "-K", "-Htn", f"src {local}", f"dst 127.0.0.1:{port}"],
                            capture_output=True, text=True, timeout=10)
    check(killed.returncode == 0 and local in killed.stdout,
          f"ss -K did not close {local}: {killed.stdout!r} {killed.stderr!r}")
    log(f"cut {peer.user}'s signaling connection {local}")


def test_signal_drop():
    """Bob's connection to a running server drops mid-call (his process lives): the server tells
    Alice peer-gone, but his media keeps arriving, so she keeps the call; Bob keeps it too and
    signs in again; Alice (the caller) restores the call on the server; her later hang-up
    reaches Bob as `normal`."""
    with Harness(timeout=170) as h:
        h.start_server()
        alice, bob = connected_pair(h)
        for peer in (alice, bob):
            h.wait_state(peer, "connected")
            h.wait_event(peer, "first-frame", kind="video")

        since = {peer.user: len(peer.events) for peer in (alice, bob)}
        cut_signaling(h, bob)
        h.wait_event(bob, "error", timeout=15, code="connection-lost")
        wait_registered(h, bob, 2)
        wait_call_tracked(h, alice, bob)
        # the server had dropped Bob, and so sent Alice `hangup` peer-gone
        check(alice.find("presence", user="bob", status="offline"), "alice never saw bob offline")
        for peer in (alice, bob):
            wait_media_goes_on(h, peer, since[peer.user], "through the drop")
        assert_call_went_on(alice, bob)

        hang_up_by_sigterm(h, alice, bob, timeout=15)


def wait_udp_listen(h, port):
    wanted = f"0100007F:{port:04X}"

    def bound():
        with open("/proc/net/udp") as f:
            return any(line.split()[1] == wanted for line in f.readlines()[1:])

    h.wait_until(f"coturn on udp {port}", bound, 15)


def test_relay():
    """Relay-only through a real coturn whose credentials come from peercall-signal's welcome."""
    turnserver = "/usr/bin/turnserver"
    if not os.path.exists(turnserver):
        raise TestFailure("coturn's turnserver is not installed (Debian package coturn)")
    with Harness(timeout=150) as h:
        secret = "peercall-test-secret"
        secret_file = os.path.join(h.tmpdir, "turn-secret")
        with open(secret_file, "w") as f:
            f.write(secret + "\n")
        h.start_process("coturn", [
            turnserver, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
            "--listening-port=3478", "--min-port=49160", "--max-port=49200",
            "--use-auth-secret", f"--static-auth-secret={secret}", "--realm=test.local",
            "--allow-loopback-peers", "--no-tls", "--no-dtls", "--no-cli", "--fingerprint",
            "--log-file=stdout", f"--pidfile={h.tmpdir}/turnserver.pid",
        ])
        wait_udp_listen(h, 3478)
        h.start_server("--turn-url", "turn:127.0.0.1:3478?transport=udp",
                       "--turn-secret-file", secret_file)
        relay = ["--ice-transport-policy", "relay", "--exit-after-frames", "30"]
        alice, bob = connected_pair(h, relay, relay)
        expect_exit(h, alice, 0)
        expect_exit(h, bob, 0)
        for peer in (alice, bob):
            pair = [e for e in peer.find("ice-state") if e.get("local_type")]
            check(pair, f"{peer.user}: no selected pair reported")
            check(pair[-1]["local_type"] == "relay",
                  f"{peer.user}: selected local candidate {pair[-1]['local_type']}, not relay")
            assert_media(peer, ["video"], 30)


def test_dtls_pass():
    """The tampering proxy in pass-through mode between both peers and the server: a normal call
    (the proxy itself breaks nothing, so dtls-tamper's failure is the fingerprint check's)."""
    with Harness(timeout=150) as h:
        h.start_server()
        proxy, url = h.start_tamper_proxy("pass")
        stop = ["--exit-after-frames", "30"]
        bob = h.start_peer("bob", "--auto-answer", *stop, url=url)
        alice = h.start_peer("alice", "--call", "bob", *stop, url=url)
        expect_exit(h, alice, 0)
        expect_exit(h, bob, 0)
        for peer in (alice, bob):
            assert_media(peer, ["video", "audio"], 30)
        check(not any(line.startswith("tampered") for line in proxy.lines),
              "the pass-through proxy changed a message")
        check_verification(alice, bob)


def check_verification(alice, bob):
    """Both peers emitted `verification` with the same code, each naming the other's certificate
    as remote; returns (code, alice's fingerprint, bob's)."""
    va, vb = (peer.find("verification") for peer in (alice, bob))
    check(len(va) == 1 and len(vb) == 1, f"verification events: alice {va}, bob {vb}")
    va, vb = va[0], vb[0]
    check(va["sas"] == vb["sas"], f"codes differ: alice {va['sas']}, bob {vb['sas']}")
    check(len(va["sas"].split()) == 4 and all(len(g) == 5 and g.isdigit() for g in va["sas"].split()),
          f"code {va['sas']}")
    check(va["fingerprint_local"] == vb["fingerprint_remote"]
          and va["fingerprint_remote"] == vb["fingerprint_local"],
          f"fingerprints do not cross: alice {va}, bob {vb}")
    log(f"verification code {va['sas']}")
    return va["sas"], va["fingerprint_local"], vb["fingerprint_local"]


def test_dtls_tamper():
    """The tampering proxy rewrites every a=fingerprint in offer and answer: the peers find the
    other's DTLS certificate is not the announced one and end the call `failed` with error
    `dtls-fingerprint`; neither decodes a frame of the intercepted media nor reports connected.
    The first to find it hangs up, and its `hangup` may reach the other before that one's own
    handshake has got that far: then the other ends `failed` on the hang-up alone."""
    with Harness(timeout=150) as h:
        h.start_server()
        proxy, url = h.start_tamper_proxy("tamper")
        bob = h.start_peer("bob", "--auto-answer", url=url)
        alice = h.start_peer("alice", "--call", "bob", url=url)
        for peer in (alice, bob):
            h.wait_state(peer, "ended", timeout=60)
        found = [p.user for p in (alice, bob)
                 if "dtls-fingerprint" in [e.get("code") for e in p.find("error")]]
        log(f"found the mismatch itself: {found}")
        check(found, "neither peer reported dtls-fingerprint")
        for peer in (alice, bob):
            assert_ended(peer, "failed")
            frames = [e["kind"] for e in peer.find("first-frame")]
            check(not frames, f"{peer.user}: decoded intercepted media: first-frame {frames}")
            decoded = max([e.get("frames_decoded") or 0 for e in peer.find("stats")], default=0)
            check(decoded == 0, f"{peer.user}: {decoded} frames decoded")
            check(not peer.find("call-state", state="connected"),
                  f"{peer.user}: reported connected to an unverified peer")
        check(any(line.startswith("tampered") for line in proxy.lines),
              "the proxy rewrote no fingerprint")
        expect_exit(h, alice, 1)


if __name__ == "__main__":
    run({
        "video-audio": test_video_audio,
        "audio-only": test_audio_only,
        "decline": test_decline,
        "cancel": test_cancel,
        "busy": test_busy,
        "ring-timeout": test_ring_timeout,
        "hangup-caller": test_hangup_caller,
        "hangup-callee": test_hangup_callee,
        "peer-gone": test_peer_gone,
        "signal-restart": test_signal_restart,
        "signal-drop": test_signal_drop,
        "outage-peer-gone": test_outage_peer_gone,
        "relay": test_relay,
        "dtls-pass": test_dtls_pass,
        "dtls-tamper": test_dtls_tamper,
    })
