# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helper for the call tests: a real peercall-signal and real `peercall --headless` peers.

Everything has a deadline: a broken build fails fast instead of hanging. Peers print their JSON
events on stdout (--events -); stderr goes to a log file that is shown when a test fails.
"""

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

PEERCALL = os.environ.get("PEERCALL", "peercall")
PEERCALL_SIGNAL = os.environ.get("PEERCALL_SIGNAL", "peercall-signal")

# GLib's constructor-time quark block (a process-lifetime allocation) only matches lsan.supp's
# `leak:_dl_init` with the full unwinder; the fast one stops inside GLib. Peers inherit this.
if "fast_unwind_on_malloc" not in os.environ.get("ASAN_OPTIONS", ""):
    os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":fast_unwind_on_malloc=0"

# Criticals fail the test, but from the peers' logs rather than by aborting: GStreamer 1.22.0's
# rtpsession emits signals with its lock released while iterating its SSRC table (on source
# time-out), so a concurrent new SSRC trips GLib's iterator check in the rtcp thread. That one is
# upstream and harmless for the call; any other critical is ours to fix.
os.environ["G_DEBUG"] = ",".join(
    flag for flag in os.environ.get("G_DEBUG", "").split(",") if flag and flag != "fatal-criticals"
)
KNOWN_UPSTREAM_CRITICALS = ("g_hash_table_foreach: assertion 'version == hash_table->version'",)


def unexpected_criticals(stderr_path):
    try:
        with open(stderr_path, "r", errors="replace") as f:
            return [
                line.rstrip()
                for line in f
                if "CRITICAL **" in line
                and not any(known in line for known in KNOWN_UPSTREAM_CRITICALS)
            ]
    except FileNotFoundError:
        return []


# Under ASan on a busy 2-core machine a call takes seconds to set up: be generous, never unbounded.
SCALE = float(os.environ.get("PEERCALL_TEST_TIMEOUT_SCALE", "1"))


def log(*args):
    print("#", *args, file=sys.stderr, flush=True)


class TestFailure(Exception):
    pass


class Process:
    """One child process whose stdout is read line by line without blocking."""

    def __init__(self, harness, name, argv, env=None):
        self.harness = harness
        self.name = name
        self.argv = argv
        self.stderr_path = os.path.join(harness.tmpdir, name + ".stderr")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.buffer = b""
        self.lines = []
        self.eof = False
        self.start_wall = time.time()
        harness.selector.register(self.proc.stdout, selectors.EVENT_READ, self)

    def feed(self):
        try:
            data = os.read(self.proc.stdout.fileno(), 65536)
        except BlockingIOError:
            return
        if not data:
            self.eof = True
            self.harness.selector.unregister(self.proc.stdout)
            if self.buffer:
                self.on_line(self.buffer.decode("utf-8", "replace"))
                self.buffer = b""
            return
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            self.on_line(line.decode("utf-8", "replace"))

    def on_line(self, line):
        self.lines.append(line)

    def stderr_tail(self, n=60):
        self._stderr.flush()
        try:
            with open(self.stderr_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-n:])

    @property
    def returncode(self):
        return self.proc.poll()

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)


class Peer(Process):
    """A `peercall --headless` process: its stdout lines are events."""

    def __init__(self, harness, user, argv, env=None):
        super().__init__(harness, user, argv, env)
        self.user = user
        self.events = []

    def on_line(self, line):
        super().on_line(line)
        try:
            event = json.loads(line)
        except ValueError:
            raise TestFailure(f"{self.user}: stdout line is not JSON: {line!r}")
        if not isinstance(event, dict) or "event" not in event or "t_ms" not in event:
            raise TestFailure(f"{self.user}: event without event/t_ms: {line!r}")
        log(f"{self.user}: {line}")
        self.events.append(event)

    def find(self, event, **fields):
        """All events named `event` whose members equal `fields`."""
        return [e for e in self.events
                if e["event"] == event and all(e.get(k) == v for k, v in fields.items())]

    def states(self):
        return [e["state"] for e in self.find("call-state")]

    def max_frames(self, since=0):
        """Most remote video frames decoded in the stats events from index `since` on."""
        return max([e.get("frames_decoded") or 0 for e in self.events[since:]
                    if e["event"] == "stats"], default=0)

    def index(self, event, **fields):
        """Position in self.events of the first such event (for `since`), or None."""
        for i, e in enumerate(self.events):
            if e["event"] == event and all(e.get(k) == v for k, v in fields.items()):
                return i
        return None


class Harness:
    def __init__(self, timeout=60):
        self.deadline = time.monotonic() + timeout * SCALE
        self.tmpdir = tempfile.mkdtemp(prefix="peercall-calls-")
        self.selector = selectors.DefaultSelector()
        self.processes = []
        self.server = None
        self.server_url = None
        self.server_port = None

    # context manager: everything is killed and the logs shown on failure
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        failed = exc_type is not None
        for p in self.processes:
            if p.returncode is None:
                p.kill(signal.SIGKILL)
        for p in self.processes:
            try:
                p.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            if failed:
                log(f"---- {p.name} stderr (last lines) ----")
                for line in p.stderr_tail().splitlines():
                    log(line)
            p._stderr.close()
            p.proc.stdout.close()
        self.selector.close()
        criticals = [] if failed else [
            f"{p.name}: {line}" for p in self.processes for line in unexpected_criticals(p.stderr_path)
        ]
        if criticals:
            failed = True
            log("---- criticals in the peers' logs ----")
            for line in criticals:
                log(line)
        if failed:
            log(f"logs kept in {self.tmpdir}")
        else:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        if criticals:
            raise TestFailure(f"{len(criticals)} GLib critical(s) in the peers' logs")
        return False

    def remaining(self):
        return self.deadline - time.monotonic()

    def pump(self, timeout):
        """Reads whatever any child printed, waiting at most `timeout` seconds."""
        timeout = max(0.0, min(timeout, self.remaining()))
        if not self.selector.get_map():
            time.sleep(min(timeout, 0.05))
            return
        for key, _ in self.selector.select(timeout):
            key.data.feed()

    def wait_until(self, what, predicate, timeout=None):
        """Pumps until predicate() returns something truthy; returns it."""
        limit = time.monotonic() + (timeout * SCALE if timeout is not None else self.remaining())
        limit = min(limit, self.deadline)
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= limit:
                raise TestFailure(f"timed out waiting for {what}")
            self.pump(min(0.2, max(0.0, limit - time.monotonic())))

    # servers

    def start_server(self, *args, port=0):
        """Starts peercall-signal on `port` (0: a free one); a restarted server gets the port
        of the first one, so the peers' URL stays valid."""
        name = "peercall-signal" if self.server is None else f"peercall-signal-{len(self.processes)}"
        proc = Process(self, name, [PEERCALL_SIGNAL, "--listen", f"127.0.0.1:{port}", *args])
        self.processes.append(proc)

        def listening():
            for line in proc.lines:
                if line.startswith("listening on "):
                    return line[len("listening on "):].strip()
            if proc.returncode is not None:
                raise TestFailure(f"{name} exited with {proc.returncode}")
            return None

        url = self.wait_until(f"{name} to listen", listening, 15)
        self.server = proc
        self.server_url = url
        self.server_port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        log("server", self.server_url)
        return self.server_url

    def metrics(self):
        """The server's /metrics as {name: value} (labelled series keep their labels)."""
        url = f"http://127.0.0.1:{self.server_port}/metrics"
        with urllib.request.urlopen(url, timeout=max(0.1, min(5, self.remaining()))) as r:
            text = r.read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                values[key] = float(value)
        return values

    def start_process(self, name, argv):
        proc = Process(self, name, argv)
        self.processes.append(proc)
        return proc

    def start_tamper_proxy(self, mode):
        """tests/calls/tamper-proxy between the peers and the running server (mode "tamper":
        every a=fingerprint rewritten, "pass": relayed unchanged); returns its ws:// URL for
        start_peer(url=...)."""
        binary = os.path.join(os.environ["PEERCALL_BUILD_ROOT"], "tests", "calls", "tamper-proxy")
        proc = self.start_process(f"tamper-proxy-{mode}",
                                  [binary, "--upstream", self.server_url, "--mode", mode])

        def listening():
            for line in proc.lines:
                if line.startswith("listening on "):
                    return line[len("listening on "):].strip()
            if proc.returncode is not None:
                raise TestFailure(f"tamper-proxy exited with {proc.returncode}")
            return None

        url = self.wait_until("tamper-proxy to listen", listening, 15)
        log("tamper-proxy", mode, url)
        return proc, url

    def start_peer(self, user, *args, sources=True, wait_registered=True, url=None):
        argv = [PEERCALL, "--headless", "--server", url or self.server_url, "--user", user,
                "--local-address", "127.0.0.1", "--events", "-"]
        if sources:
            if not any(a.startswith("--video-source") for a in args):
                argv += ["--video-source", "test"]
            if not any(a.startswith("--audio-source") for a in args):
                argv += ["--audio-source", "test"]
        argv += list(args)
        log("start", " ".join(argv))
        peer = Peer(self, user, argv)
        self.processes.append(peer)
        if wait_registered:
            self.wait_event(peer, "registered", timeout=30)
        return peer

    # events

    def wait_event(self, peer, event, timeout=None, **fields):
        def found():
            matches = peer.find(event, **fields)
            if matches:
                return matches[0]
            if peer.eof and peer.returncode is not None:
                raise TestFailure(
                    f"{peer.user} exited ({peer.returncode}) before event {event} {fields}")
            return None

        return self.wait_until(f"{peer.user}: {event} {fields}", found, timeout)

    def wait_state(self, peer, state, timeout=None, **fields):
        return self.wait_event(peer, "call-state", timeout, state=state, **fields)

    def wait_exit(self, proc, timeout=None):
        def exited():
            if proc.returncode is not None and (proc.eof or not isinstance(proc, Peer)):
                return True
            return False

        self.wait_until(f"{proc.name} to exit", exited, timeout)
        return proc.returncode


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def expect_exit(harness, peer, status, timeout=None):
    code = harness.wait_exit(peer, timeout)
    check(code == status, f"{peer.name} exited with {code}, expected {status}")


def run(tests):
    """Runs the test named by argv[1] from the dict `tests`."""
    if len(sys.argv) != 2 or sys.argv[1] not in tests:
        print(f"usage: {sys.argv[0]} {{{','.join(sorted(tests))}}}", file=sys.stderr)
        sys.exit(2)
    name = sys.argv[1]
    try:
        tests[name]()
    except TestFailure as e:
        print(f"FAIL {name}: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"PASS {name}")
