#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rendering cost of the call view: CPU of the GUI peercall process during a 720p30 call.

A real peercall-signal, the GUI peercall under Xvfb answering automatically (--auto-answer) and
a headless caller, both sending the 1280x720 30 fps test pattern (PEERCALL_TEST_VIDEO_SIZE).
Once the call is connected and video decodes, the CPU time of both processes is sampled over a
window of SECONDS, for each GTK renderer given (default: gl and cairo). The headless peer does the
same network, decode and encode work without drawing, so GUI minus headless is roughly the cost of
showing the video. Prints figures only; no thresholds.

  meson test -C BUILD --benchmark ui-call-cpu -v     (use a release build for real figures)"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ui"))
from peercall_ui import Failure, Peer, Signal, find, log  # noqa: E402

SECONDS = float(os.environ.get("PEERCALL_BENCH_SECONDS", "20"))


def run(renderer, workdir):
    os.environ["GSK_RENDERER"] = renderer
    signal = Signal(workdir)
    media = ["--video-source", "test", "--audio-source", "test"]
    gui = callee = None
    try:
        gui = Peer(workdir, "gui-" + renderer, signal.url, "alice", "Alice", ["--auto-answer"] + media)
        gui.wait_event(event="registered", timeout=120)
        callee = Peer(workdir, "headless-" + renderer, signal.url, "bob", "Bob",
                      ["--call", "alice", "--hangup-after", str(int(SECONDS + 60))] + media,
                      headless=True)
        gui.wait_event(event="call-state", state="connected", timeout=120)
        gui.wait_event(event="first-frame", kind="video", timeout=120)
        gui.wait_trace(ui="remote-video", shown="true", timeout=60)
        time.sleep(3)  # let the encoders settle after the first keyframe

        gui_start, peer_start, wall_start = gui.cpu_seconds(), callee.cpu_seconds(), time.monotonic()
        time.sleep(SECONDS)
        gui_cpu = gui.cpu_seconds() - gui_start
        peer_cpu = callee.cpu_seconds() - peer_start
        wall = time.monotonic() - wall_start

        stats = [e for e in gui.event_records() if e.get("event") == "stats"][-5:]
        fps = sum(e.get("video_rx_fps", 0) for e in stats) / max(len(stats), 1)
        kbps = sum(e.get("video_rx_kbps", 0) for e in stats) / max(len(stats), 1)
        first = find(gui.event_records(), event="first-frame", kind="video")
        return {
            "renderer": renderer,
            "size": "%sx%s" % (first.get("width"), first.get("height")),
            "gui_pct": 100 * gui_cpu / wall,
            "headless_pct": 100 * peer_cpu / wall,
            "fps": fps,
            "kbps": kbps,
        }
    finally:
        for p in (callee, gui):
            if p is not None:
                p.stop()
        signal.stop()


def main():
    for arg in sys.argv[1:]:
        key, _, value = arg.partition("=")
        if key == "--schema-dir":
            os.environ["GSETTINGS_SCHEMA_DIR"] = value
    os.environ["GSETTINGS_BACKEND"] = "memory"
    os.environ.setdefault("PEERCALL_TEST_VIDEO_SIZE", "1280x720")
    renderers = os.environ.get("PEERCALL_BENCH_RENDERERS", "gl,cairo").split(",")
    results = []
    for renderer in renderers:
        workdir = tempfile.mkdtemp(prefix="peercall-bench-ui-")
        try:
            results.append(run(renderer, workdir))
        except Failure as e:
            log("FAIL (%s):" % renderer, e, "- logs in", workdir)
            return 1
    print("ui-call-cpu: %s test video, %.0f s window, CPU as %% of one core" %
          (os.environ["PEERCALL_TEST_VIDEO_SIZE"], SECONDS))
    for r in results:
        print("  renderer %-5s  received %s at %.1f fps, %.0f kbit/s: GUI peercall %.1f%%, "
              "headless peer %.1f%%, difference %.1f%%" %
              (r["renderer"], r["size"], r["fps"], r["kbps"], r["gui_pct"], r["headless_pct"],
               r["gui_pct"] - r["headless_pct"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
