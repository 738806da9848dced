#!/usr/bin/env python3
"""The map of a process through a gdbserver: vmatlas beside gdb's `info proc mappings`.

Starts vmatlas-many-maps (60,000 mappings, idle; --count to change), then
`gdbserver --attach 127.0.0.1:PORT PID` on a free port (it stops the process), and times, on
that one gdbserver, --rounds rounds (default 5) of these ways, the order rotated each round:
  - vmatlas tcp:127.0.0.1:PORT                       (vmatlas remote: vFile: packets)
  - gdb -nx -batch -ex 'target remote 127.0.0.1:PORT' -ex 'info proc mappings' -ex 'disconnect'
  - the same gdb without 'info proc mappings'        (gdb connecting and leaving, for reference)
  - vmatlas PID                                      (local, for reference)
  - cat /proc/PID/maps                               (local: the kernel's floor)
Both remote peers read the SAME gdbserver the same way: each connects, reads, and leaves the
inferior stopped and attached. vmatlas closes its connection without a detach; gdb's
'disconnect' does the same (without it, gdb -batch detaches at its end and gdbserver exits).
gdbserver then says "GDBserver will reopen the connection" and serves the next client, so it is
started once; a gdbserver that ends between two runs fails the script.

A run's time is the wall time from spawn to exit (time.perf_counter around subprocess.run), its
stdout kept in a pipe and counted: the mapping rows vmatlas prints (lines of two hex addresses),
the mapping lines gdb prints (the same), and the lines of cat. Every run's count must equal the
line count of /proc/PID/maps read here, before and after the rounds; each way runs once first
to warm up, untimed but checked.

Prints a Markdown table: way, median ms, ratio to vmatlas remote (median over median), rows;
then the goal line: vmatlas at least 10x faster than gdb's info proc mappings, met or missed.

    bench/compare_remote.py [--vmatlas build/vmatlas] [--many-maps build/vmatlas-many-maps]
                            [--count 60000] [--rounds 5] [--port 0]

Every process it starts (vmatlas-many-maps, gdbserver, a running command) is ended at exit,
Ctrl-C and SIGTERM included. Exit status: 0 when every run succeeded with the same rows (the
goal met or missed), 1 when a program is missing, a run fails, the rows differ, gdbserver or
vmatlas-many-maps does not start or gdbserver ends; 2 for bad arguments. Standard library only.
"""

import argparse
import atexit
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 10.0
# A mapping row: vmatlas's table and gdb's info proc mappings both begin with start and end.
ROW = re.compile(rb"^\s*0x[0-9a-f]+\s+0x[0-9a-f]+\s", re.M)

started = []  # Popen objects to end at exit, the last started first


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def end_process(proc, first_signal=signal.SIGTERM):
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(first_signal)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    except ProcessLookupError:
        pass


def cleanup():
    while started:
        end_process(started.pop())


def on_signal(signum, _frame):
    sys.exit(128 + signum)  # atexit's cleanup runs


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_many_maps(path, count):
    # A session of its own, so that Ctrl-C reaches this script only, which ends it.
    target = subprocess.Popen([str(path), "--count", str(count)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)

    class ManyMaps:  # ended by EOF on stdin (it then removes its files), SIGCONT if stopped
        def poll(self):
            return target.poll()

        def send_signal(self, _sig):
            target.stdin.close()
            target.send_signal(signal.SIGCONT)  # if a killed gdbserver left it stopped

        def wait(self, timeout=None):
            return target.wait(timeout=timeout)

        def kill(self):
            target.kill()
    started.append(ManyMaps())
    ready, _, _ = select.select([target.stdout], [], [], 120)
    line = target.stdout.readline() if ready else ""
    if not line.startswith("ready"):
        log(f"compare_remote: {path} did not start: "
            f"{target.stderr.read().strip() if not ready or not line else line.strip()}")
        return None
    return int(line.split()[1])


def start_gdbserver(pid, port, logpath):
    with open(logpath, "wb") as out:
        server = subprocess.Popen(["gdbserver", "--attach", f"127.0.0.1:{port}", str(pid)],
                                  stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    started.append(server)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if b"Listening on port" in Path(logpath).read_bytes():
            return server
        if server.poll() is not None:
            break
        time.sleep(0.05)
    log(f"compare_remote: gdbserver did not start: {Path(logpath).read_text().strip()}")
    return None


class Way:
    def __init__(self, label, argv, checked=True, remote=False):
        self.label = label
        self.argv = argv
        self.checked = checked  # its rows must equal /proc/PID/maps's lines
        self.remote = remote    # goes through gdbserver
        self.times = []
        self.rows = None
        self.error = None


def run_way(way, is_cat):
    proc = subprocess.Popen(way.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    started.append(proc)
    t0 = time.perf_counter()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    started.remove(proc)
    if proc.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or [""]
        return elapsed, None, f"exit status {proc.returncode}: {tail[0]}"
    rows = out.count(b"\n") if is_cat else len(ROW.findall(out))
    return elapsed, rows, None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vmatlas", default=ROOT / "build" / "vmatlas", type=Path,
                   help="the vmatlas binary (default: build/vmatlas)")
    p.add_argument("--many-maps", default=ROOT / "build" / "vmatlas-many-maps", type=Path,
                   help="the vmatlas-many-maps binary (default: build/vmatlas-many-maps)")
    p.add_argument("--count", type=int, default=60000,
                   help="mappings in the synthetic process (default 60000)")
    p.add_argument("--rounds", type=int, default=5, help="timed runs of each way (default 5)")
    p.add_argument("--port", type=int, default=0,
                   help="gdbserver's port on 127.0.0.1 (default 0: a free one)")
    args = p.parse_args()
    if args.rounds < 1 or args.count < 0 or not 0 <= args.port < 65536:
        p.error("--rounds must be at least 1, --count not negative, --port from 0 to 65535")

    missing = [str(x) for x in (args.vmatlas, args.many_maps) if not os.access(x, os.X_OK)]
    missing += [prog for prog in ("gdb", "gdbserver", "cat") if not shutil.which(prog)]
    if missing:
        log("compare_remote: not found: " + ", ".join(missing))
        return 1

    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    pid = start_many_maps(args.many_maps, args.count)
    if pid is None:
        return 1
    workdir = tempfile.mkdtemp(prefix="vmatlas-compare-remote.")
    atexit.register(shutil.rmtree, workdir, True)
    port = args.port or free_port()
    server = start_gdbserver(pid, port, os.path.join(workdir, "gdbserver.log"))
    if server is None:
        return 1

    def maps_lines():
        with open(f"/proc/{pid}/maps", "rb") as f:
            return f.read().count(b"\n")

    remote = f"127.0.0.1:{port}"
    gdb = ["gdb", "-nx", "-batch", "-iex", "set debuginfod enabled off",
           "-ex", f"target remote {remote}"]
    ways = [
        Way("vmatlas remote", [str(args.vmatlas), f"tcp:{remote}"], remote=True),
        Way("gdb remote: info proc mappings",
            gdb + ["-ex", "info proc mappings", "-ex", "disconnect"], remote=True),
        Way("gdb remote: connect and disconnect only", gdb + ["-ex", "disconnect"],
            checked=False, remote=True),
        Way("vmatlas PID (local)", [str(args.vmatlas), str(pid)]),
        Way("cat /proc/PID/maps (local)", ["cat", f"/proc/{pid}/maps"]),
    ]
    cat = ways[-1]
    expected = maps_lines()
    log(f"compare_remote: pid {pid}, {expected} mappings, gdbserver on {remote}; "
        f"{len(ways)} ways x (1 warm-up + {args.rounds} rounds)")
    for rnd in range(args.rounds + 1):
        k = rnd % len(ways)
        for way in ways[k:] + ways[:k]:
            if way.error:
                continue
            if way.remote and server.poll() is not None:
                way.error = f"gdbserver ended (status {server.returncode})"
                continue
            elapsed, rows, error = run_way(way, way is cat)
            if error is None and way.checked and rows != expected:
                error = f"{rows} rows, /proc/PID/maps has {expected} lines"
            if error:
                way.error = error
                log(f"compare_remote: {way.label}: {error}")
                continue
            way.rows = rows
            if rnd > 0:  # round 0 warms up
                way.times.append(elapsed)
        log(f"compare_remote: round {rnd} done" + (" (warm-up)" if rnd == 0 else ""))
    after = maps_lines()
    if after != expected:
        log(f"compare_remote: the map changed during the run: {expected} lines, then {after}")
    alive = server.poll() is None
    cleanup()

    base = statistics.median(ways[0].times) if ways[0].times else None
    print(f"`vmatlas-many-maps --count {args.count}`: pid {pid}, {expected} mappings, "
          f"through `gdbserver --attach {remote} {pid}` (gdb {gdb_version()}); "
          f"{args.rounds} round(s) in rotating order after a warm-up. "
          f"{os.uname().sysname} {os.uname().release}, {os.cpu_count()} CPUs.\n")
    print("| way | median ms | ratio to vmatlas remote | rows |")
    print("|---|---:|---:|---:|")
    for way in ways:
        if way.error:
            print(f"| {way.label} | failed: {way.error} | | |")
            continue
        med = statistics.median(way.times) * 1e3
        ratio = ""
        if base:
            r = med / (base * 1e3)
            ratio = f"{r:.2f}" if r < 10 else f"{r:.1f}"
        print(f"| {way.label} | {med:.1f} | {ratio} | {way.rows if way.checked else ''} |")
    gdb_way = ways[1]
    if base and not gdb_way.error:
        speedup = statistics.median(gdb_way.times) / base
        verdict = "met" if speedup >= GOAL else "missed"
        print(f"\ngoal: vmatlas at least {GOAL:g}x faster than gdb's info proc mappings: "
              f"{verdict} ({speedup:.1f}x)")
    else:
        print(f"\ngoal: vmatlas at least {GOAL:g}x faster than gdb's info proc mappings: "
              "not measured")
    failed = any(w.error for w in ways) or after != expected or not alive
    if not alive:
        log("compare_remote: gdbserver ended during the run")
    return 1 if failed else 0


def gdb_version():
    try:
        first = subprocess.run(["gdb", "--version"], capture_output=True, text=True,
                               timeout=30).stdout.splitlines()[0]
        return first.split()[-1]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


if __name__ == "__main__":
    sys.exit(main())
