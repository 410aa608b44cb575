# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the UI tests and the UI benchmark: a real peercall-signal, real peercall
processes (GUI under the test's Xvfb display, or --headless), their --events JSON lines and the
GUI's PEERCALL_UI_TRACE lines, X input through xdotool, screenshots through ximagesrc."""

import json
import os
import shutil
import subprocess
import sys
import time

PEERCALL = os.environ.get("PEERCALL", "peercall")
PEERCALL_SIGNAL = os.environ.get("PEERCALL_SIGNAL", "peercall-signal")

# Criticals: the same policy as the call tests (pcharness drops fatal-criticals from G_DEBUG at
# import, lets GStreamer 1.22.0's known rtpsession critical pass and fails on any other one found
# in a peer's log afterwards).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "calls"))
from pcharness import unexpected_criticals  # noqa: E402


def log(*args):
    print("[%.1f]" % time.monotonic(), *args, file=sys.stderr, flush=True)


class Failure(Exception):
    pass


def finish_run(procs, workdir, ok):
    """After a UI test's peers stopped: fails on GLib criticals in their logs, prints the
    workdir's logs when the test failed and removes it (unless PEERCALL_KEEP_WORKDIR is set).
    Returns whether the test passed."""
    criticals = ["%s: %s" % (p.name, line) for p in procs
                 for line in unexpected_criticals(p.logfile.name)]
    if criticals:
        log("FAIL: GLib criticals in the peers' logs:")
        for line in criticals:
            log(line)
        ok = False
    if not ok:
        for name in sorted(os.listdir(workdir)):
            if name.endswith((".log", ".events", ".trace")):
                with open(os.path.join(workdir, name), errors="replace") as f:
                    content = f.read()
                print("==== %s (last 4000 chars)\n%s" % (name, content[-4000:]), file=sys.stderr)
    if os.environ.get("PEERCALL_KEEP_WORKDIR") is None:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        log("kept", workdir)
    return ok


def wait_for(what, predicate, timeout):
    """Polls `predicate` (reading files another process appends to) until it returns a true
    value; bounded by `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise Failure("timed out after %ds waiting for %s" % (timeout, what))


def read_json_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a line being written right now
    return out


def find(records, **fields):
    for r in records:
        if all(r.get(k) == v for k, v in fields.items()):
            return r
    return None


class Signal:
    def __init__(self, workdir):
        self.out = open(os.path.join(workdir, "signal.log"), "w")
        self.proc = subprocess.Popen([PEERCALL_SIGNAL, "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=self.out, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise Failure("peercall-signal did not start: %r" % line)
        self.url = line[len("listening on "):]
        log("signal at", self.url)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


class Peer:
    """One peercall process; GUI unless headless=True."""

    def __init__(self, workdir, name, url, user, display_name, extra=(), headless=False, env=None):
        self.name = name
        self.events = os.path.join(workdir, name + ".events")
        self.trace = os.path.join(workdir, name + ".trace")
        self.logfile = open(os.path.join(workdir, name + ".log"), "w")
        args = [PEERCALL]
        if headless:
            args.append("--headless")
        args += ["--server", url, "--user", user, "--name", display_name,
                 "--local-address", "127.0.0.1", "--events", self.events]
        args += list(extra)
        penv = dict(os.environ)
        penv["PEERCALL_UI_TRACE"] = self.trace
        if env:
            penv.update(env)
        log("start", name, " ".join(args[1:]))
        self.proc = subprocess.Popen(args, stdout=self.logfile, stderr=subprocess.STDOUT, env=penv)

    def event_records(self):
        return read_json_lines(self.events)

    def trace_records(self):
        return read_json_lines(self.trace)

    def wait_event(self, timeout=90, **fields):
        def check():
            if self.proc.poll() is not None and not find(self.event_records(), **fields):
                raise Failure("%s exited (%s) before event %r" % (self.name, self.proc.returncode, fields))
            return find(self.event_records(), **fields)
        return wait_for("%s event %r" % (self.name, fields), check, timeout)

    def wait_trace(self, timeout=90, **fields):
        def check():
            if self.proc.poll() is not None and not find(self.trace_records(), **fields):
                raise Failure("%s exited (%s) before ui trace %r" % (self.name, self.proc.returncode, fields))
            return find(self.trace_records(), **fields)
        return wait_for("%s ui trace %r" % (self.name, fields), check, timeout)

    def wait_exit(self, timeout=60):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure("%s did not exit within %ds" % (self.name, timeout))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logfile.close()

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def xdotool(*args, timeout=30):
    result = subprocess.run(["xdotool"] + list(args), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise Failure("xdotool %s failed: %s" % (" ".join(args), result.stderr.strip()))
    return result.stdout.strip()


def find_window(title, timeout=60):
    """The X window id of a mapped window whose title matches the regex `title`."""
    def check():
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title],
                           capture_output=True, text=True, timeout=30)
        ids = r.stdout.split()
        return ids[-1] if ids else None
    return wait_for("window %r" % title, check, timeout)


def focus(window):
    # No window manager runs under the test's Xvfb: give the input focus directly.
    xdotool("windowraise", window)
    xdotool("windowfocus", "--sync", window)


def screenshot_png(path):
    subprocess.run(["gst-launch-1.0", "-q", "ximagesrc", "num-buffers=1", "use-damage=false", "!",
                    "videoconvert", "!", "pngenc", "!", "filesink", "location=" + path],
                   check=True, timeout=60)


def screenshot_rgb(path):
    """Raw RGB bytes of the whole screen (width, height, bytes)."""
    subprocess.run(["gst-launch-1.0", "-q", "ximagesrc", "num-buffers=1", "use-damage=false", "!",
                    "videoconvert", "!", "video/x-raw,format=RGB", "!", "filesink",
                    "location=" + path], check=True, timeout=60)
    with open(path, "rb") as f:
        data = f.read()
    width, height = 1280, 720
    if len(data) != width * height * 3:
        raise Failure("unexpected screenshot size %d" % len(data))
    return width, height, data


def region_stats(shot, x0, y0, x1, y1):
    """(distinct colours, mean luma) of a rectangle, sampled every 4th pixel."""
    width, _, data = shot
    colours = set()
    total = 0
    n = 0
    for y in range(y0, y1, 4):
        row = y * width * 3
        for x in range(x0, x1, 4):
            i = row + x * 3
            r, g, b = data[i], data[i + 1], data[i + 2]
            colours.add((r >> 3, g >> 3, b >> 3))
            total += (r * 299 + g * 587 + b * 114) // 1000
            n += 1
    return len(colours), total / max(n, 1)


def region_difference(a, b, x0, y0, x1, y1):
    """Fraction of sampled pixels that differ noticeably between two screenshots."""
    width, _, da = a
    db = b[2]
    changed = 0
    n = 0
    for y in range(y0, y1, 4):
        row = y * width * 3
        for x in range(x0, x1, 4):
            i = row + x * 3
            if abs(da[i] - db[i]) + abs(da[i + 1] - db[i + 1]) + abs(da[i + 2] - db[i + 2]) > 24:
                changed += 1
            n += 1
    return changed / max(n, 1)
