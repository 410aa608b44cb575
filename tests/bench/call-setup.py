#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Call-setup benchmark: two `peercall --headless` peers with test sources through a real
peercall-signal on 127.0.0.1, in a private network namespace (run through tests/run-in-netns).

Prints:
  - accept -> first remote video frame, each side on its own process clock (no alignment
    needed): the callee from its accept (`call-state connecting`, --auto-answer) to its
    `first-frame video` (the caller's video), and the caller from the arrival of `accept` (its
    `call-state connecting`) to its `first-frame video` (the callee's video, whose media starts
    at accept). Median, min, max over --calls fresh pairs of processes (640x480), the caller
    calling 1 s after signing in (PEERCALL_CALL_DELAY_MS), plus a few cold calls placed at once.
  - ICE: accept -> caller's `call-state connected`.
  - glass-to-glass latency p50/p95 from `latency` events (--latency-probe: the test source's
    wall-clock stamp read back by the receiver) at 640x480 and 1280x720, 30 fps, both directions.
  - CPU seconds per call-second and RSS of each peer, from /proc during the connected call.

Use a release build:
  meson setup _build-bench-app -Dbuildtype=release
  meson test -C _build-bench-app --benchmark call-setup -v
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "calls"))

from pcharness import Harness, check, log  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
# A person calls from an app that has been open a moment (its DTLS certificate is made at
# start-up, off the call's path); "cold" runs call at once.
WARM_MS = 1000


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime, stime are fields 14 and 15 (1-based) of stat; after the comm they are 12 and 13
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def one_call(size, frames, probe, measure_s=0.0, call_delay_ms=WARM_MS):
    """One call between fresh processes; returns a dict of figures. The caller places the call
    call_delay_ms after signing in (0: at once, while the process is still starting up)."""
    os.environ["PEERCALL_TEST_VIDEO_SIZE"] = size
    os.environ["PEERCALL_CALL_DELAY_MS"] = str(call_delay_ms)
    extra = ["--latency-probe"] if probe else []
    with Harness(timeout=120) as h:
        h.start_server()
        bob = h.start_peer("bob", "--auto-answer", "--exit-after-frames", str(frames), *extra)
        alice = h.start_peer("alice", "--call", "bob", "--exit-after-frames", str(frames), *extra)
        connecting = h.wait_event(alice, "call-state", state="connecting")
        connected = h.wait_event(alice, "call-state", state="connected")
        first = h.wait_event(alice, "first-frame", kind="video")
        # the callee's own view: from its accept (auto-answer) to the caller's first frame
        bob_accept = h.wait_event(bob, "call-state", state="connecting")
        bob_first = h.wait_event(bob, "first-frame", kind="video")
        out = {
            "first_frame_ms": first["t_ms"] - connecting["t_ms"],
            "callee_first_frame_ms": bob_first["t_ms"] - bob_accept["t_ms"],
            "connected_ms": connected["t_ms"] - connecting["t_ms"],
        }
        if measure_s > 0:
            h.wait_event(bob, "first-frame", kind="video")
            c0 = {p.user: cpu_seconds(p.proc.pid) for p in (alice, bob)}
            t0 = time.monotonic()
            h.wait_until("measurement window", lambda: time.monotonic() - t0 >= measure_s,
                         measure_s + 5)
            dt = time.monotonic() - t0
            for p in (alice, bob):
                out[f"cpu_{p.user}"] = (cpu_seconds(p.proc.pid) - c0[p.user]) / dt
                out[f"rss_{p.user}"] = rss_mib(p.proc.pid)
        h.wait_exit(alice)
        h.wait_exit(bob)
        check(alice.returncode == 0 and bob.returncode == 0,
              f"exit status alice {alice.returncode}, bob {bob.returncode}")
        out["latency"] = [e["ms"] for p in (alice, bob) for e in p.find("latency")]
        out["fps"] = [e["video_rx_fps"] for p in (alice, bob) for e in p.find("stats")
                      if e.get("video_rx_fps")]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--latency-seconds", type=float, default=15)
    args = parser.parse_args()

    def summary(values):
        return (f"median {statistics.median(values):.0f} ms, min {min(values):.0f}, "
                f"max {max(values):.0f}")

    setup = [one_call("640x480", 30, False) for _ in range(args.calls)]
    print(f"accept -> first remote video frame (640x480, {len(setup)} calls, caller places the "
          f"call {WARM_MS} ms after signing in):")
    print(f"  seen by the callee (accept pressed -> caller's video): "
          f"{summary([c['callee_first_frame_ms'] for c in setup])}")
    print(f"  seen by the caller (accept arrives -> callee's video): "
          f"{summary([c['first_frame_ms'] for c in setup])}")
    print(f"  accept -> connected (ICE+DTLS, caller): "
          f"{summary([c['connected_ms'] for c in setup])}")
    cold = [one_call("640x480", 30, False, call_delay_ms=0) for _ in range(max(3, args.calls // 2))]
    print(f"  cold start (call placed at process start, DTLS certificate still being made), "
          f"{len(cold)} calls: callee {summary([c['callee_first_frame_ms'] for c in cold])}; "
          f"caller {summary([c['first_frame_ms'] for c in cold])}")

    for size in ("640x480", "1280x720"):
        frames = int(30 * (args.latency_seconds + 3))
        c = one_call(size, frames, True, measure_s=args.latency_seconds)
        lat = c["latency"]
        check(lat, f"no latency events at {size}")
        fps = statistics.median(c["fps"]) if c["fps"] else 0
        print(f"glass-to-glass {size}@30: p50 {percentile(lat, 50):.0f} ms, "
              f"p95 {percentile(lat, 95):.0f} ms ({len(lat)} frames, received fps median {fps:.1f})")
        print(f"  CPU per call-second: alice {c['cpu_alice']:.2f} s, bob {c['cpu_bob']:.2f} s; "
              f"RSS alice {c['rss_alice']:.0f} MiB, bob {c['rss_bob']:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
