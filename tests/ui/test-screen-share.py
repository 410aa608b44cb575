#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Screen sharing from the call view, end to end: two real GTK peercall processes on two Xvfb
screens, a real peercall-signal, real webrtcbin, in the private network namespace of
tests/run-in-netns, driven with real X input (xdotool).

  display A (xvfb-run's): the known pattern (tests/screen) under Alice's window; Alice's
                          private session bus has no portal, so the X11 capture of A is used
  display B (started here): Bob's window, auto-answering

  before the call connects the share button is insensitive        (button trace)
  clicking Alice's share button shares display A                  (share result x11,
      "You are sharing your screen" bar shown and painted             video-source screen,
                                                                      bar pixels)
  Bob's call view shows Alice's screen scaled to fit               (remote size 1280x720,
      (the pattern's strips where contain-fit puts them,             pixels of display B)
      letterbox bars above and below)
  F11 makes Bob's window fullscreen (openbox runs on B), the      (fullscreen trace, window
      video then fills the screen; Escape leaves fullscreen          geometry, pixels)
      without hanging up
  clicking Stop Sharing goes back to the test source, hides the   (video-source test, bar
      bar; Bob gets the 640x480 test video again                     hidden, remote size)
  Ctrl+W hangs up, Ctrl+Q quits both cleanly                      (exit status 0: ASan/LSan)

Screenshots land in the build directory (share-*.png)."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peercall_ui import (Failure, Peer, Signal, find, finish_run, log,  # noqa: E402
                         wait_for)

# tests/screen/screen-pattern.h: the quadrants of the pattern on display A.
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
YELLOW = (255, 255, 0)
TOLERANCE = 60  # what VP8 and scaling may do to a flat colour
SCREEN = (1280, 720)
WINDOW = (960, 640)  # the schema's default window size; no window manager places it: 0,0


def xenv(display):
    return dict(os.environ, DISPLAY=display)


def xdo(display, *args):
    r = subprocess.run(["xdotool"] + list(args), capture_output=True, text=True, timeout=30,
                       env=xenv(display))
    if r.returncode != 0:
        raise Failure("xdotool %s on %s failed: %s" % (" ".join(args), display, r.stderr.strip()))
    return r.stdout.strip()


def find_window(display, title, timeout=90):
    def check():
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title],
                           capture_output=True, text=True, timeout=30, env=xenv(display))
        ids = r.stdout.split()
        return ids[-1] if ids else None
    return wait_for("window %r on %s" % (title, display), check, timeout)


def focus(display, window, timeout=30):
    # Right after a window manager starts it reparents the window into its frame, and for that
    # moment the window is unmapped: SetInputFocus fails with BadMatch. Retry until it is back.
    def attempt():
        for args in (["windowraise", window], ["windowfocus", "--sync", window]):
            r = subprocess.run(["xdotool"] + args, capture_output=True, text=True, timeout=30,
                               env=xenv(display))
            if r.returncode != 0:
                return False
        return True
    wait_for("input focus on window %s of %s" % (window, display), attempt, timeout)


def click(display, window, x, y):
    xdo(display, "mousemove", "--window", window, str(x), str(y))
    xdo(display, "click", "1")


def shot(display, path, png=None):
    """The whole screen of `display` as raw RGB rows (and a PNG next to it when asked)."""
    subprocess.run(["gst-launch-1.0", "-q", "ximagesrc", "num-buffers=1", "use-damage=false", "!",
                    "videoconvert", "!", "video/x-raw,format=RGB", "!", "filesink",
                    "location=" + path], check=True, timeout=60, env=xenv(display))
    if png:
        subprocess.run(["gst-launch-1.0", "-q", "ximagesrc", "num-buffers=1", "use-damage=false",
                        "!", "videoconvert", "!", "pngenc", "!", "filesink", "location=" + png],
                       check=True, timeout=60, env=xenv(display))
    with open(path, "rb") as f:
        data = f.read()
    if len(data) != SCREEN[0] * SCREEN[1] * 3:
        raise Failure("unexpected screenshot size %d" % len(data))
    return data


def pixel(data, x, y):
    i = (y * SCREEN[0] + x) * 3
    return tuple(data[i:i + 3])


def near(got, want, tolerance=TOLERANCE):
    return all(abs(g - w) <= tolerance for g, w in zip(got, want))


def check_pixels(data, expectations, what):
    bad = ["(%d,%d) is %s, expected about %s" % (x, y, pixel(data, x, y), want)
           for (x, y), want in expectations.items() if not near(pixel(data, x, y), want)]
    if bad:
        raise Failure("%s: %s" % (what, "; ".join(bad)))


def fit(src, dst):
    """Where a src-sized picture lands in a dst-sized area with content-fit contain:
    (scale, x offset, y offset)."""
    scale = min(dst[0] / src[0], dst[1] / src[1])
    return scale, (dst[0] - src[0] * scale) / 2, (dst[1] - src[1] * scale) / 2


def last(records, **fields):
    found = [r for r in records if all(r.get(k) == v for k, v in fields.items())]
    return found[-1] if found else None


def start_xvfb(workdir):
    """A second X screen; returns (process, ":N")."""
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "%dx%dx24" % SCREEN,
                             "-nolisten", "tcp"], pass_fds=(w,),
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "xvfb-b.log"), "w"))
    os.close(w)
    with os.fdopen(r) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        raise Failure("Xvfb for display B did not start")
    return proc, ":" + number


def start_bus(workdir, name):
    """A private session bus with no services at all (so no portal): returns (process, address)."""
    rundir = os.path.join(workdir, name + "-bus")
    os.makedirs(os.path.join(rundir, "services"))
    conf = os.path.join(rundir, "bus.conf")
    with open(conf, "w") as f:
        f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <servicedir>%s/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""" % (rundir, rundir))
    proc = subprocess.Popen(["dbus-daemon", "--config-file", conf, "--nofork", "--print-address"],
                            stdout=subprocess.PIPE, text=True)
    address = proc.stdout.readline().strip()
    if not address:
        proc.kill()
        raise Failure("dbus-daemon did not start")
    return proc, address


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    pattern_tool = None
    for arg in sys.argv[1:]:
        key, _, value = arg.partition("=")
        if key == "--schema-dir":
            os.environ["GSETTINGS_SCHEMA_DIR"] = value
        elif key == "--screenshots":
            os.environ["PEERCALL_SCREENSHOT_DIR"] = value
        elif key == "--pattern":
            pattern_tool = value
    if pattern_tool is None:
        print("usage: test-screen-share.py --pattern=TOOL [--schema-dir=D] [--screenshots=D]")
        return 2
    for tool in ("openbox", "dbus-daemon", "Xvfb"):
        if shutil.which(tool) is None:
            print("FAIL: %s is not installed (build-aux/peercall-dev installs it)" % tool)
            return 1
    os.environ["GSETTINGS_BACKEND"] = "memory"
    if "fast_unwind_on_malloc" not in os.environ.get("ASAN_OPTIONS", ""):
        os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":fast_unwind_on_malloc=0"
    os.environ.setdefault("GSK_RENDERER", "cairo")
    display_a = os.environ["DISPLAY"]
    workdir = tempfile.mkdtemp(prefix="peercall-ui-share-")
    shots = os.environ.get("PEERCALL_SCREENSHOT_DIR", workdir)
    os.makedirs(shots, exist_ok=True)

    helpers = []  # (process) we started and stop at the end
    procs = []
    ok = False
    signal = None
    try:
        xvfb_b, display_b = start_xvfb(workdir)
        helpers.append(xvfb_b)
        bus_a, address_a = start_bus(workdir, "alice")
        bus_b, address_b = start_bus(workdir, "bob")
        helpers += [bus_a, bus_b]
        log("display A %s, display B %s" % (display_a, display_b))

        # The pattern first: Alice's window, mapped later, stacks above it (no window manager).
        pattern = subprocess.Popen([pattern_tool], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   text=True, env=xenv(display_a))
        helpers.append(pattern)
        line = pattern.stdout.readline().strip()
        if line != "ready %dx%d" % SCREEN:
            raise Failure("peercall-screen-pattern: %r" % line)

        signal = Signal(workdir)
        media = ["--video-source", "test", "--audio-source", "test"]
        bob = Peer(workdir, "bob", signal.url, "bob", "Bob Builder", ["--auto-answer"] + media,
                   env={"DISPLAY": display_b, "DBUS_SESSION_BUS_ADDRESS": address_b})
        procs.append(bob)
        bob.wait_event(event="registered", user="bob")
        alice = Peer(workdir, "alice", signal.url, "alice", "Alice Liddell",
                     ["--call", "bob"] + media,
                     env={"DISPLAY": display_a, "DBUS_SESSION_BUS_ADDRESS": address_a})
        procs.append(alice)
        window_a = find_window(display_a, "^Peercall$")
        window_b = find_window(display_b, "^Peercall$")

        alice.wait_event(event="call-state", peer="bob", state="connected", timeout=120)
        alice.wait_trace(ui="page", name="call")
        bob.wait_trace(ui="remote-video", size="640x480", timeout=90)
        alice.wait_trace(ui="share-action", enabled="true")
        # The share button was there, insensitive, before the call connected: a share then
        # would have had nothing to send.
        first = find(alice.trace_records(), ui="button", name="share")
        if first is not None and first["t_ms"] < alice.wait_trace(ui="share-action", enabled="true")["t_ms"]:
            if first.get("sensitive") != "false":
                raise Failure("share button sensitive before the call connected: %r" % first)
        button = wait_for("Alice's share button sensitive", lambda: last(
            alice.trace_records(), ui="button", name="share", shown="true", sensitive="true"), 60)
        if find(alice.trace_records(), ui="share-banner", shown="true"):
            raise Failure("the sharing bar showed before anything was shared")

        # Press the share button.
        focus(display_a, window_a)
        click(display_a, window_a, int(button["x"]), int(button["y"]))
        result = wait_for("share result", lambda: [t for t in alice.trace_records()
                                                   if t.get("ui") == "share" and t.get("result") not in ("requested",)], 60)[0]
        if result.get("result") != "started" or result.get("backend") != "x11":
            raise Failure("share did not start on X11: %r" % result)
        alice.wait_event(event="video-source", kind="screen")
        alice.wait_trace(ui="share-banner", shown="true")
        stop_button = alice.wait_trace(ui="button", name="stop-share", shown="true")
        # The bar is on screen (traced after it was painted): its accent colour is there.
        data = shot(display_a, os.path.join(workdir, "a.rgb"), os.path.join(shots, "share-sharing.png"))
        sx, sy = int(stop_button["x"]), int(stop_button["y"])
        bar = pixel(data, WINDOW[0] // 2, sy)
        if not (bar[2] > 150 and bar[0] < 150):
            raise Failure("no sharing bar at (%d,%d): %s" % (WINDOW[0] // 2, sy, bar))
        log("sharing bar at y=%d, colour %s" % (sy, bar))

        # Bob receives display A, scaled to fit his call view.
        bob.wait_trace(ui="remote-video", size="%dx%d" % SCREEN, timeout=60)
        scale, ox, oy = fit(SCREEN, WINDOW)

        def on_b(x, y):
            return int(ox + x * scale), int(oy + y * scale)
        # Pattern strips of A not covered by Alice's window (x >= 960 or y >= 640), away from
        # Bob's overlays (header, self view bottom right, controls bottom centre).
        expect = {on_b(1120, 180): GREEN, on_b(1265, 100): GREEN, on_b(1120, 467): YELLOW,
                  on_b(130, 690): BLUE, on_b(320, 690): BLUE}
        # Letterbox bars: contain-fit leaves black above and below a 16:9 picture in a 3:2 view.
        letterbox = {(100, int(oy + SCREEN[1] * scale) + 20): (0, 0, 0)}

        def bob_shows_screen():
            d = shot(display_b, os.path.join(workdir, "b.rgb"))
            return d if all(near(pixel(d, x, y), c) for (x, y), c in {**expect, **letterbox}.items()) else None
        try:
            data = wait_for("Bob's call view showing Alice's screen", bob_shows_screen, 60)
        except Failure:
            data = shot(display_b, os.path.join(workdir, "b.rgb"), os.path.join(shots, "share-received.png"))
            check_pixels(data, {**expect, **letterbox}, "Bob's call view")
        shot(display_b, os.path.join(workdir, "b.rgb"), os.path.join(shots, "share-received.png"))
        log("Bob's call view shows Alice's screen scaled by %.2f at +%d+%d" % (scale, ox, oy))

        # Fullscreen on Bob's side: a window manager is needed for the X11 fullscreen request.
        wm = subprocess.Popen(["openbox", "--sm-disable"], env=xenv(display_b),
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "openbox.log"), "w"))
        helpers.append(wm)
        wait_for("openbox managing display B", lambda: subprocess.run(
            ["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], capture_output=True, text=True,
            env=xenv(display_b), timeout=30).stdout.count("window id") > 0, 30)
        focus(display_b, window_b)
        xdo(display_b, "key", "F11")
        bob.wait_trace(ui="fullscreen", active="true", timeout=60)
        bob.wait_trace(ui="painted", state="fullscreen", timeout=60)
        geometry = xdo(display_b, "getwindowgeometry", window_b)
        if "%dx%d" % SCREEN not in geometry:
            raise Failure("Bob's fullscreen window is not the whole screen: %s" % geometry)
        # Now the picture is (about) the screen's own size: the pattern where it is on display A.
        # Away from the edges: without a compositor GTK keeps a few pixels of window frame.
        full = {(1120, 180): GREEN, (1250, 30): GREEN, (1000, 450): YELLOW, (300, 690): BLUE,
                (30, 690): BLUE}

        def bob_fullscreen():
            d = shot(display_b, os.path.join(workdir, "b.rgb"))
            return d if all(near(pixel(d, x, y), c) for (x, y), c in full.items()) else None
        try:
            wait_for("Bob's fullscreen video filling the screen", bob_fullscreen, 60)
        except Failure:
            data = shot(display_b, os.path.join(workdir, "b.rgb"), os.path.join(shots, "share-fullscreen.png"))
            check_pixels(data, full, "Bob's fullscreen call view")
        shot(display_b, os.path.join(workdir, "b.rgb"), os.path.join(shots, "share-fullscreen.png"))
        # Escape leaves fullscreen and does not hang up.
        xdo(display_b, "key", "Escape")
        bob.wait_trace(ui="fullscreen", active="false", timeout=60)
        if find(bob.event_records(), event="call-state", state="ended"):
            raise Failure("Escape in fullscreen ended the call")

        # Stop Sharing: back to the test source, the bar goes.
        focus(display_a, window_a)
        click(display_a, window_a, sx, sy)
        alice.wait_trace(ui="share-banner", shown="false")
        video_sources = [e.get("kind") for e in alice.event_records() if e.get("event") == "video-source"]
        wait_for("Alice's video back to the test source", lambda: [
            e for e in alice.event_records() if e.get("event") == "video-source" and e.get("kind") == "test"], 30)
        wait_for("stop button hidden", lambda: last(alice.trace_records(), ui="button",
                                                     name="stop-share")["shown"] == "false", 30)
        data = shot(display_a, os.path.join(workdir, "a.rgb"), os.path.join(shots, "share-stopped.png"))
        if near(pixel(data, WINDOW[0] // 2, sy), bar, 20):
            raise Failure("the sharing bar is still painted after Stop Sharing")
        share = last(alice.trace_records(), ui="button", name="share")
        if share.get("sensitive") != "true":
            raise Failure("share button not sensitive after Stop Sharing: %r" % share)
        wait_for("Bob receiving the 640x480 test video again",
                 lambda: (lambda r: r if r and r["size"] == "640x480" else None)(
                     last(bob.trace_records(), ui="remote-video")), 60)
        log("video sources sent by Alice:", video_sources)

        # Hang up and quit both cleanly.
        xdo(display_a, "key", "ctrl+w")
        alice.wait_event(event="call-state", peer="bob", state="ended")
        bob.wait_event(event="call-state", peer="alice", state="ended", reason="normal")
        for peer, display, window in ((alice, display_a, window_a), (bob, display_b, window_b)):
            if peer.proc.poll() is None:
                focus(display, window)
                xdo(display, "key", "ctrl+q")
            status = peer.wait_exit(60)
            if status != 0:
                raise Failure("%s exited with %d" % (peer.name, status))
        ok = True
    except Failure as e:
        log("FAIL:", e)
    finally:
        for p in procs:
            p.stop()
        if signal is not None:
            signal.stop()
        for h in reversed(helpers):
            if h.stdin is not None:
                h.stdin.close()
            stop(h)
        ok = finish_run(procs, workdir, ok)
    print("ui-screen-share: %s" % ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
