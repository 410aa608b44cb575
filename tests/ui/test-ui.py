#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end UI test: the real GTK peercall under Xvfb against a real peercall-signal and real
headless peers, driven with real X input (xdotool).

  contact list shows the peers      (--events presence + UI trace + main.png)
  a declined call shows a toast      (carol runs --auto-decline)
  an incoming call shows the dialog  (bob calls; incoming-call.png); Return accepts it
  accepting shows remote video       (call view pixels are not blank and move; call.png)
  Ctrl+W hangs up, back to contacts  (--events call-state ended, UI trace page contacts)
  Ctrl+Q quits cleanly               (exit status 0, so ASan/LSan had their say)

Screenshots land in $PEERCALL_SCREENSHOT_DIR (the build directory)."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peercall_ui import (Failure, Peer, Signal, find, find_window, finish_run, focus, log,
                         region_difference, region_stats, screenshot_png, screenshot_rgb, wait_for,
                         xdotool)

# The main window opens at 0,0 with the schema's default size 960x640 (no window manager).
# The video area of the call view, clear of the header, the controls and the self view.
VIDEO_REGION = (60, 70, 720, 500)


def main():
    # Children inherit these: the schema compiled in the build tree, settings kept in memory.
    for arg in sys.argv[1:]:
        key, _, value = arg.partition("=")
        if key == "--schema-dir":
            os.environ["GSETTINGS_SCHEMA_DIR"] = value
        elif key == "--screenshots":
            os.environ["PEERCALL_SCREENSHOT_DIR"] = value
    os.environ["GSETTINGS_BACKEND"] = "memory"
    # Full stacks on malloc, so lsan.supp's library suppressions can match GStreamer's and
    # GLib's process-lifetime allocations (with fast unwinding the stacks stop inside GLib).
    if "fast_unwind_on_malloc" not in os.environ.get("ASAN_OPTIONS", ""):
        os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":fast_unwind_on_malloc=0"
    # GL under llvmpipe works too (see the benchmark); cairo keeps a sanitizer build responsive.
    os.environ.setdefault("GSK_RENDERER", "cairo")
    workdir = tempfile.mkdtemp(prefix="peercall-ui-")
    shots = os.environ.get("PEERCALL_SCREENSHOT_DIR", workdir)
    os.makedirs(shots, exist_ok=True)
    procs = []
    signal = Signal(workdir)
    media = ["--video-source", "test", "--audio-source", "test"]
    ok = False
    try:
        alice = Peer(workdir, "alice", signal.url, "alice", "Alice Liddell", media)
        procs.append(alice)
        alice.wait_event(event="registered", user="alice")

        carol = Peer(workdir, "carol", signal.url, "carol", "Carol Danvers",
                     ["--auto-decline", "declined"] + media, headless=True)
        dave = Peer(workdir, "dave", signal.url, "dave", "Dave Bowman", media, headless=True)
        procs += [carol, dave]
        alice.wait_event(event="presence", user="carol", status="available")
        alice.wait_event(event="presence", user="dave", status="available")
        alice.wait_trace(ui="painted", state="contacts:list:2", timeout=60)

        window = find_window("^Peercall$")
        log("main window", window)
        screenshot_png(os.path.join(shots, "main.png"))

        # A declined call: search for carol by typing into the window, Return calls her.
        focus(window)
        xdotool("type", "--delay", "50", "carol")
        alice.wait_trace(ui="search", text="carol", timeout=30)
        wait_for("search narrowed to carol",
                 lambda: [t for t in alice.trace_records() if t.get("ui") == "contacts"][-1]["count"] == "1",
                 30)
        xdotool("key", "Return")
        alice.wait_event(event="call-state", peer="carol", state="inviting")
        alice.wait_event(event="call-state", peer="carol", state="ended", reason="declined")
        toast = wait_for("a toast about the declined call",
                         lambda: [t for t in alice.trace_records()
                                  if t.get("ui") == "toast" and "declined" in t.get("message", "")],
                         30)
        log("toast:", toast[0]["message"])
        xdotool("key", "Escape")  # leave the search

        # An incoming call: bob calls alice, the dialog rings, Return accepts with video.
        bob = Peer(workdir, "bob", signal.url, "bob", "Bob Builder",
                   ["--call", "alice", "--hangup-after", "300"] + media, headless=True)
        procs.append(bob)
        alice.wait_event(event="call-state", peer="bob", direction="incoming", state="ringing")
        alice.wait_trace(ui="incoming-dialog", shown="bob")
        dialog = find_window("^Incoming Call$")
        log("incoming dialog", dialog)
        alice.wait_trace(ui="incoming-dialog", painted="bob")
        screenshot_png(os.path.join(shots, "incoming-call.png"))
        focus(dialog)
        xdotool("key", "Return")
        alice.wait_trace(ui="incoming-dialog", response="accept-video")
        alice.wait_event(event="call-state", peer="bob", state="connected")
        alice.wait_trace(ui="page", name="call")
        alice.wait_event(event="first-frame", kind="video")
        alice.wait_trace(ui="remote-video", shown="true")

        # Remote video: the call view shows real, moving pixels.
        first = wait_for("a frame painted in the call view",
                         lambda: (lambda s: s if region_stats(s, *VIDEO_REGION)[0] > 40 and region_stats(s, *VIDEO_REGION)[1] > 40 else None)(
                             screenshot_rgb(os.path.join(workdir, "a.rgb"))), 60)
        colours, luma = region_stats(first, *VIDEO_REGION)
        log("call view: %d colours, mean luma %.0f" % (colours, luma))
        moved = wait_for("the remote video to move",
                         lambda: (lambda d: d if d >= 0.01 else None)(region_difference(
                             first, screenshot_rgb(os.path.join(workdir, "b.rgb")), *VIDEO_REGION)),
                         30)
        log("call view: %.0f%% of the sampled pixels changed" % (moved * 100))
        screenshot_png(os.path.join(shots, "call.png"))

        # Ctrl+W hangs up and returns to the contact list.
        focus(window)
        xdotool("key", "ctrl+w")
        alice.wait_event(event="call-state", peer="bob", state="ended")
        back = wait_for("contact list shown again",
                        lambda: (lambda p: p if p["name"] == "contacts" else None)(
                            [t for t in alice.trace_records() if t.get("ui") == "page"][-1]), 30)
        wait_for("contact list painted again",
                 lambda: [t for t in alice.trace_records() if t.get("ui") == "painted"
                          and t.get("state") == "contacts" and t["t_ms"] >= back["t_ms"]], 30)
        bob.wait_event(event="call-state", peer="alice", state="ended", reason="normal")
        log("bob exited with", bob.wait_exit(60))

        # Ctrl+Q quits; a clean exit lets the sanitizers report.
        focus(window)
        xdotool("key", "ctrl+q")
        status = alice.wait_exit(60)
        if status != 0:
            raise Failure("peercall (GUI) exited with %d" % status)
        ok = True
    except Failure as e:
        log("FAIL:", e)
    finally:
        for p in procs:
            p.stop()
        signal.stop()
        ok = finish_run(procs, workdir, ok)
    print("ui: %s" % ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
