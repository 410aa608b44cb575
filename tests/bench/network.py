#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Network benchmark: calls on a constrained link (issue 12).

Two `peercall --headless` peers (test sources, 640x480@30, --latency-probe) call through a real
peercall-signal on 127.0.0.1 inside a private network namespace whose loopback is shaped:
  - a bottleneck: `tc qdisc add dev lo root tbf rate R burst 20kb latency 2000ms` (one queue that
    both directions share, like a home uplink; this kernel has no netem)
  - random UDP loss: `iptables -A INPUT -p udp -m statistic --mode random --probability P -j DROP`
    (UDP only: signaling over TCP is not what is measured)

Scenarios (measured from the moment both peers show the other's first video frame):
  a  1.5 Mbit/s bottleneck            b  600 kbit/s bottleneck
  c  unshaped, 800 kbit/s from t=10 s, unshaped again from t=20 s (30 s): time until the p95
     latency over a 1 s window is back under 150 ms (and stays there) after the step down, and
     until the sent video rate is back at 80 % of its pre-step rate after the step up
  d  5 % random UDP loss              e  1.5 Mbit/s and 3 % loss

Per direction: frames decoded per second by the receiver, glass-to-glass p50/p95 (the receiver's
`latency` events), the sender's video_tx_kbps, the longest freeze (largest gap between
consecutive stamped frames the receiver decoded), and the sender's bwe_kbps / target_kbps /
send_width x send_height from its `stats` events where it reports them ("-" otherwise).

If Debian's Chromium and tests/browser/node_modules are there, the same scenarios run for two
Chromium pages through the project's web client (tests/bench/network-browser.mjs, in the same
namespace with the same shaping) and the table shows both.

Use a release build:
  meson setup _build-release --buildtype=release && ninja -C _build-release
  python3 tests/bench/network.py --build _build-release [--scenario a,c] [--duration 20]
or `meson test -C _build-release --benchmark network -v`.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "calls"))

CHROMIUM = os.environ.get("PEERCALL_CHROMIUM", "/usr/lib/chromium/chromium")
NODE_MODULES = os.path.join(SOURCE_ROOT, "tests", "browser", "node_modules")

SCENARIOS = {
    # name: (description, rate kbit/s or None, loss probability, duration override)
    "a": ("1.5 Mbit/s bottleneck", 1500, 0.0, None),
    "b": ("600 kbit/s bottleneck", 600, 0.0, None),
    "c": ("unshaped -> 800 kbit/s at 10 s -> unshaped at 20 s", None, 0.0, 30),
    "d": ("5 % random UDP loss", None, 0.05, None),
    "e": ("1.5 Mbit/s + 3 % UDP loss", 1500, 0.03, None),
}
STEP_DOWN_S, STEP_UP_S, STEP_RATE = 10.0, 20.0, 800
RECOVERED_P95_MS = 150
RATE_RECOVERED = 0.8
VERBOSE = False


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def run_cmd(*argv):
    subprocess.run(argv, check=True, timeout=10, stdout=subprocess.DEVNULL)


def iptables():
    # the nft flavour needs nf_tables in this kernel; the legacy one works everywhere we ran
    for name in ("iptables", "iptables-legacy"):
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
        if path and subprocess.run([path, "-L", "INPUT", "-n"], timeout=10,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            return path
    raise SystemExit("no working iptables in this namespace")


def set_rate(kbit):
    """The bottleneck on lo (None: unshaped)."""
    subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], timeout=10,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kbit:
        run_cmd("tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", f"{kbit}kbit",
                "burst", "20kb", "latency", "2000ms")


def set_loss(p):
    ipt = iptables()
    run_cmd(ipt, "-F", "INPUT")
    if p > 0:
        run_cmd(ipt, "-A", "INPUT", "-p", "udp", "-m", "statistic", "--mode", "random",
                "--probability", f"{p}", "-j", "DROP")


def shape(rate, loss):
    set_rate(rate)
    set_loss(loss)


def unshape():
    try:
        shape(None, 0.0)
    except (subprocess.SubprocessError, SystemExit):
        pass


# ---------------------------------------------------------------------------------------------
# Figures from one direction: sender's stats, receiver's latency and stats events, each as
# (bench time in s since the measurement started, event)


def direction_figures(rx, tx, duration):
    lat = [(t, e) for t, e in rx if e["event"] == "latency" and 0 <= t <= duration]
    rx_stats = [(t, e) for t, e in rx if e["event"] == "stats" and 0 <= t <= duration]
    tx_stats = [(t, e) for t, e in tx if e["event"] == "stats" and 0 <= t <= duration]
    out = {"frames_stamped": len(lat)}
    decoded = [(t, e.get("frames_decoded") or 0) for t, e in rx_stats]
    if len(decoded) >= 2 and decoded[-1][0] > decoded[0][0]:
        out["fps"] = (decoded[-1][1] - decoded[0][1]) / (decoded[-1][0] - decoded[0][0])
    else:
        out["fps"] = len(lat) / duration if duration else 0.0
    ms = [e["ms"] for _, e in lat]
    out["p50_ms"] = percentile(ms, 50)
    out["p95_ms"] = percentile(ms, 95)
    times = [0.0] + [t for t, _ in lat] + [duration]
    out["freeze_ms"] = max(b - a for a, b in zip(times, times[1:])) * 1000
    tx_kbps = [e.get("video_tx_kbps") for _, e in tx_stats if e.get("video_tx_kbps") is not None]
    out["tx_kbps"] = statistics.mean(tx_kbps) if tx_kbps else float("nan")
    for key in ("bwe_kbps", "target_kbps"):
        values = [e[key] for _, e in tx_stats if e.get(key) is not None]
        out[key] = statistics.median(values) if values else None
    sizes = [f"{e['send_width']}x{e['send_height']}" for _, e in tx_stats
             if e.get("send_width") is not None and e.get("send_height") is not None]
    # the size sent most of the time, and the last one if it changed
    out["send_size"] = (max(set(sizes), key=sizes.count) + ("" if sizes[-1] == max(set(sizes), key=sizes.count)
                                                            else f"->{sizes[-1]}")) if sizes else None
    return out


def step_recovery(rx, tx):
    """Scenario c: (seconds from the step down until every 1 s window's p95 is < 150 ms up to
    the step up, seconds from the step up until the sent rate is back at 80 % of before)."""
    lat = [(t, e["ms"]) for t, e in rx if e["event"] == "latency"]
    recovered = None
    t = STEP_DOWN_S + 1.0
    while t <= STEP_UP_S + 1e-9:
        ok = True
        u = t
        while u <= STEP_UP_S + 1e-9:
            window = [ms for s, ms in lat if u - 1.0 < s <= u]
            if not window or percentile(window, 95) >= RECOVERED_P95_MS:
                ok = False
                break
            u += 0.1
        if ok:
            recovered = t - STEP_DOWN_S
            break
        t += 0.1
    # a freeze right after the step that ends in low latency counts from the step on: the
    # window [t-1, t] just has to hold frames, so a 1 s window is the earliest possible answer
    before = [e.get("video_tx_kbps") for s, e in tx
              if e["event"] == "stats" and STEP_DOWN_S - 5 <= s <= STEP_DOWN_S
              and e.get("video_tx_kbps") is not None]
    climb = None
    if before:
        goal = RATE_RECOVERED * statistics.mean(before)
        for s, e in tx:
            if e["event"] == "stats" and s > STEP_UP_S and (e.get("video_tx_kbps") or 0) >= goal:
                climb = s - STEP_UP_S
                break
    return recovered, climb


# ---------------------------------------------------------------------------------------------
# Peercall <-> Peercall


def peercall_scenario(name, duration):
    import pcharness
    from pcharness import Harness, check

    if not VERBOSE:
        pcharness.log = lambda *a: None  # every event line otherwise goes to stderr

    desc, rate, loss, _ = SCENARIOS[name]
    shape(rate if name != "c" else None, loss)
    arrival = {}  # peer -> list of (bench monotonic s, event)
    try:
        with Harness(timeout=duration + 120) as h:
            h.start_server()
            extra = ["--latency-probe", "--timeout", str(int(duration + 90))]
            bob = h.start_peer("bob", "--auto-answer", *extra)
            alice = h.start_peer("alice", "--call", "bob", *extra)
            peers = (alice, bob)
            seen = {p: 0 for p in peers}

            def stamp():
                now = time.monotonic()
                for p in peers:
                    for e in p.events[seen[p]:]:
                        arrival.setdefault(p.user, []).append((now, e))
                    seen[p] = len(p.events)

            for p in peers:
                h.wait_event(p, "first-frame", timeout=60, kind="video")
            stamp()
            t0 = time.monotonic()
            steps = [(STEP_DOWN_S, STEP_RATE), (STEP_UP_S, None)] if name == "c" else []
            while time.monotonic() - t0 < duration:
                if steps and time.monotonic() - t0 >= steps[0][0]:
                    set_rate(steps.pop(0)[1])
                h.pump(0.05)
                stamp()
                for p in peers:
                    check(p.returncode is None, f"{p.user} exited ({p.returncode}) during the call")
    finally:
        unshape()

    # t_ms is the receiver's own monotonic clock: map it onto bench time with the least-delayed
    # arrival (stdout is read every 50 ms), so 1 s windows are those of the process itself
    def timeline(user):
        items = arrival.get(user, [])
        if not items:
            return []
        offset = min(now - e["t_ms"] / 1000 for now, e in items)
        return [(offset + e["t_ms"] / 1000 - t0, e) for _, e in items]

    a, b = timeline("alice"), timeline("bob")
    result = {"alice->bob": direction_figures(b, a, duration),
              "bob->alice": direction_figures(a, b, duration)}
    if name == "c":
        for key, rx, tx in (("alice->bob", b, a), ("bob->alice", a, b)):
            result[key]["recover_latency_s"], result[key]["recover_rate_s"] = step_recovery(rx, tx)
    return result


# ---------------------------------------------------------------------------------------------
# Chromium <-> Chromium through data/web (tests/bench/network-browser.mjs)


def browser_available():
    return os.path.exists(CHROMIUM) and os.path.isdir(os.path.join(NODE_MODULES, "playwright-core")) \
        and shutil.which("node") is not None


def browser_scenario(name, duration):
    """Runs the node script, which prints one JSON line of samples for each page on stdout."""
    desc, rate, loss, _ = SCENARIOS[name]
    shape(rate if name != "c" else None, loss)
    script = os.path.join(HERE, "network-browser.mjs")
    argv = ["node", script, "--duration", str(duration)]
    import tempfile

    # the pages' and the server's chatter goes to a file: a full stderr pipe would stall node
    errlog = tempfile.TemporaryFile(mode="w+")
    stop = threading.Event()
    stepper_thread = None
    proc = None
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errlog, text=True,
                                cwd=os.path.join(SOURCE_ROOT, "tests", "browser"))
        samples = {}
        t0 = None
        steps = [(STEP_DOWN_S, STEP_RATE), (STEP_UP_S, None)] if name == "c" else []
        deadline = time.monotonic() + duration + 120
        for line in proc.stdout:
            if time.monotonic() > deadline:
                break
            line = line.strip()
            if line == "MEASURING":
                t0 = time.monotonic()
                if steps:
                    # the steps run on our clock while we read node's stdout
                    def stepper():
                        for at, r in steps:
                            if stop.wait(max(0.0, t0 + at - time.monotonic())):
                                return
                            set_rate(r)
                    stepper_thread = threading.Thread(target=stepper, daemon=True)
                    stepper_thread.start()
            elif line.startswith("{"):
                samples.update(json.loads(line))
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.returncode != 0 or t0 is None:
            errlog.seek(0)
            err = errlog.read()[-3000:]
            print(f"# network-browser.mjs failed ({proc.returncode}):\n{err}", file=sys.stderr)
            return None
    finally:
        stop.set()
        if stepper_thread:
            stepper_thread.join(timeout=15)
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        unshape()
        errlog.close()
    # samples: {"alice": [[s, event], ...], "bob": [...]} with s seconds since MEASURING
    a = [(s, e) for s, e in samples.get("alice", [])]
    b = [(s, e) for s, e in samples.get("bob", [])]
    result = {"alice->bob": direction_figures(b, a, duration),
              "bob->alice": direction_figures(a, b, duration)}
    if name == "c":
        for key, rx, tx in (("alice->bob", b, a), ("bob->alice", a, b)):
            result[key]["recover_latency_s"], result[key]["recover_rate_s"] = step_recovery(rx, tx)
    return result


# ---------------------------------------------------------------------------------------------


def fmt(v, spec="{:.0f}"):
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    return spec.format(v) if not isinstance(v, str) else v


def print_table(results):
    cols = ["scenario", "pair", "direction", "fps", "p50 ms", "p95 ms", "freeze ms", "tx kbps",
            "bwe kbps", "target kbps", "sent size", "recover lat s", "recover rate s"]
    rows = []
    for name, pairs in results.items():
        for pair, dirs in pairs.items():
            if dirs is None:
                rows.append([name, pair, "(failed)"] + ["-"] * (len(cols) - 3))
                continue
            for d, f in dirs.items():
                rows.append([name, pair, d, fmt(f["fps"], "{:.1f}"), fmt(f["p50_ms"]), fmt(f["p95_ms"]),
                             fmt(f["freeze_ms"]), fmt(f["tx_kbps"]), fmt(f["bwe_kbps"]),
                             fmt(f["target_kbps"]), fmt(f["send_size"]),
                             fmt(f.get("recover_latency_s"), "{:.1f}") if name == "c" else "",
                             fmt(f.get("recover_rate_s"), "{:.1f}") if name == "c" else ""])
    widths = [max(len(str(r[i])) for r in rows + [cols]) for i in range(len(cols))]
    for r in [cols] + rows:
        print("  ".join(str(v).rjust(w) if i >= 3 else str(v).ljust(w)
                        for i, (v, w) in enumerate(zip(r, widths))))
    for name in results:
        print(f"  {name}: {SCENARIOS[name][0]}")
    print("  c: recover lat = step down -> every 1 s window's p95 < 150 ms until the step up "
          "('-': never); recover rate = step up -> sent rate >= 80 % of the 5 s before the step")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="a,b,c,d,e")
    parser.add_argument("--duration", type=float, default=20,
                        help="seconds per scenario (c: 1.5 times this, steps at 1/2 and 1)")
    parser.add_argument("--build", default=None, help="build directory (default _build)")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--verbose", action="store_true", help="the peers' events on stderr")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose

    build = args.build or os.environ.get("PEERCALL_BUILD_ROOT") or os.path.join(SOURCE_ROOT, "_build")
    build = os.path.abspath(build)
    os.environ.setdefault("PEERCALL", os.path.join(build, "app", "peercall"))
    os.environ.setdefault("PEERCALL_SIGNAL", os.path.join(build, "net", "server", "peercall-signal"))
    os.environ.setdefault("PEERCALL_SOURCE_ROOT", SOURCE_ROOT)
    for var in ("PEERCALL", "PEERCALL_SIGNAL"):
        if not os.path.exists(os.environ[var]):
            raise SystemExit(f"{os.environ[var]} not found (--build DIR)")

    if os.environ.get("PEERCALL_IN_NETNS") != "1":
        # our own namespace: shaping lo here never touches the machine's loopback
        if os.geteuid() != 0:
            raise SystemExit("needs root (a private network namespace and tc/iptables in it)")
        os.execv("/bin/sh", ["/bin/sh", os.path.join(SOURCE_ROOT, "tests", "run-in-netns"),
                             sys.executable, os.path.abspath(__file__), *sys.argv[1:]])

    # lo's 64 KiB MTU makes TCP segments larger than the tbf bucket, which tbf drops (the web
    # client's page never loads through the bottleneck): an Ethernet MTU, as on a real uplink
    run_cmd("ip", "link", "set", "dev", "lo", "mtu", "1500")

    names = [n.strip() for n in args.scenario.split(",") if n.strip()]
    for n in names:
        if n not in SCENARIOS:
            raise SystemExit(f"unknown scenario {n!r} (one of {','.join(SCENARIOS)})")
    browser = not args.no_browser and browser_available()
    if not args.no_browser and not browser:
        print(f"# Chromium ({CHROMIUM}) or {NODE_MODULES} missing: Peercall only", file=sys.stderr)

    results = {}
    try:
        for n in names:
            duration = args.duration * 1.5 if n == "c" else args.duration
            if n == "c":
                global STEP_DOWN_S, STEP_UP_S
                STEP_DOWN_S, STEP_UP_S = duration / 3, duration * 2 / 3
            print(f"# scenario {n}: {SCENARIOS[n][0]}, {duration:.0f} s", file=sys.stderr, flush=True)
            results[n] = {"peercall": peercall_scenario(n, duration)}
            if browser:
                results[n]["chromium"] = browser_scenario(n, duration)
    finally:
        unshape()
    print_table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
