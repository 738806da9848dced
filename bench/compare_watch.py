#!/usr/bin/env python3
"""The CPU cost of `vmatlas watch` on an idle process, beside peers that poll the same map.

Starts vmatlas-many-maps (60,000 mappings, idle), then runs each watcher in turn on it for the
same time (--seconds, default 10) at the same rate (--interval, default 0.1 s: 10 polls a
second), in a rotating order, --rounds times (default 3). The watchers:
  - vmatlas watch PID --interval 0.1               (once per --vmatlas; stopped with SIGINT)
  - sh: cat /proc/PID/maps | md5sum; sleep 0.1     (the naive exact way, as a shell loop)
  - python3: read(2) /proc/PID/maps, crc32; sleep  (the text read and hashed in one process)
Each watcher's CPU time (user + sys) is the rusage os.wait4 returns for it, which holds the
times of every child it waited for: the shell's cat, md5sum and sleep are counted, because the
shell's SIGINT trap runs only after its foreground child ended and was waited for.

Prints a Markdown table: per watcher, the median over the rounds of its CPU time as a percent of
one core (over its wall time, start-up included), user and sys seconds, the polls it made and
the CPU a poll; and the median of the per-round ratios to the shell peer. The goal for vmatlas
watch: at most 5% of one core (5 ms of CPU a poll at 10 polls a second).

    bench/compare_watch.py [--vmatlas build/vmatlas ...] [--many-maps build/vmatlas-many-maps]
                           [--seconds 10] [--interval 0.1] [--rounds 3] [--count 60000]

Polls: the peers print one digest a poll, counted (and compared: an idle map gives one digest);
their CPU a poll is their whole CPU time over their polls. vmatlas watch prints nothing while the
map is unchanged: between its "start" line and SIGINT it only polls and sleeps, so its polls are
its main thread's voluntary context switches in that time (one a sleep; an idle poll does not
block otherwise), and its CPU a poll is the CPU time of that window (/proc/PID/stat) over them,
without its start-up. Exit status: 0 when every watcher ran until it was stopped, 1 when one is missing,
failed or ended early, or vmatlas-many-maps did not start; 2 for bad arguments.
Standard library only.
"""

import argparse
import atexit
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_PERCENT = 5.0

# Reads the map whole with read(2) into one reused buffer, prints its CRC-32, sleeps.
PYTHON_PEER = """\
import os, signal, sys, time, zlib
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
path, interval = sys.argv[1], float(sys.argv[2])
buf = bytearray(1 << 23)
while True:
    fd = os.open(path, os.O_RDONLY)
    n = 0
    while True:
        if n == len(buf):
            buf.extend(bytes(len(buf)))
        k = os.readv(fd, [memoryview(buf)[n:]])
        if k == 0:
            break
        n += k
    os.close(fd)
    print(zlib.crc32(memoryview(buf)[:n]), flush=True)
    time.sleep(interval)
"""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Watcher:
    """One way of polling the map: a command, and how its polls are counted."""

    def __init__(self, label, argv, digests):
        self.label = label
        self.argv = argv
        self.digests = digests  # True: prints one digest a poll on stdout
        self.runs = []          # one dict a round
        self.error = None


def watchers(args, pid, workdir):
    interval = f"{args.interval:g}"
    maps = f"/proc/{pid}/maps"
    found = []
    for vm in args.vmatlas:
        label = "vmatlas watch PID --interval " + interval
        if len(args.vmatlas) > 1:
            label += f" ({vm})"
        found.append(Watcher(label, [str(vm), "watch", str(pid), "--interval", interval], False))
    # The trap makes SIGINT end the loop only after the running child was waited for.
    shell = f"trap 'exit 0' INT; while :; do cat {maps} | md5sum; sleep {interval}; done"
    found.append(Watcher(f"sh: cat /proc/PID/maps | md5sum; sleep {interval}",
                         ["sh", "-c", shell], True))
    peer = Path(workdir) / "read_maps.py"
    peer.write_text(PYTHON_PEER)
    found.append(Watcher(f"python3: read(2) /proc/PID/maps, crc32; sleep {interval}",
                         [sys.executable, str(peer), maps, interval], True))
    return found


def proc_counters(pid):
    """The main thread's voluntary context switches and the process's CPU seconds, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        nvcsw = next(int(l.split()[1]) for l in f if l.startswith("voluntary_ctxt_switches:"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    return nvcsw, ticks / os.sysconf("SC_CLK_TCK")


def run_watcher(w, seconds):
    """Runs w for the given seconds, stops it with SIGINT; its rusage, polls and wall time."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    t0 = time.monotonic()
    proc = subprocess.Popen(w.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    deadline = t0 + seconds
    early = None
    started = None  # the counters when its first line was written: start-up is over
    while (left := deadline - time.monotonic()) > 0:
        # Ended before it was stopped: a failure (the watch found the process gone, a bad path).
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            early = (status, usage)
            break
        if started is None and os.fstat(out.fileno()).st_size > 0:
            started = proc_counters(proc.pid)
        time.sleep(min(left, 0.01 if started is None else 0.25))
    if early:
        status, usage = early
    else:
        stopping = proc_counters(proc.pid)
        proc.send_signal(signal.SIGINT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # so that Popen does not wait again
    out.seek(0)
    lines = out.read().decode(errors="replace").splitlines()
    err.seek(0)
    errtext = err.read().decode(errors="replace").strip()
    if early or started is None:
        last = errtext.splitlines()[-1] if errtext else "no output"
        w.error = f"ended after {wall:.1f} s, status {proc.returncode}: {last}"
        return None
    cpu = usage.ru_utime + usage.ru_stime
    run = {"cpu": cpu, "user": usage.ru_utime, "sys": usage.ru_stime, "wall": wall,
           "percent": 100.0 * cpu / wall}
    if w.digests:
        run["polls"] = len(lines)
        run["poll_ms"] = 1e3 * cpu / len(lines)
        run["distinct"] = len(set(lines))
    else:
        # Between its start line and SIGINT it did nothing but poll and sleep.
        run["polls"] = stopping[0] - started[0]
        run["poll_ms"] = 1e3 * (stopping[1] - started[1]) / max(run["polls"], 1)
        run["events"] = max(len(lines) - 1, 0)  # after the "start" line
    return run


def fmt_runs(values, spec):
    return ", ".join(format(v, spec) for v in values)


def report(ws, baseline, args, pid, n_before, n_after):
    print(f"`vmatlas-many-maps --count {args.count}`: pid {pid}, {n_before} mappings"
          + (f" ({n_after} at the end)" if n_after != n_before else "")
          + f"; each watcher {args.seconds:g} s at --interval {args.interval:g}, "
          f"{args.rounds} round(s) in rotating order. {os.uname().sysname} "
          f"{os.uname().release}, {os.cpu_count()} CPUs.\n")
    print("| watcher | CPU % of one core | each round | user s | sys s | polls | CPU ms a poll "
          "| ratio to sh peer |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    base_runs = baseline.runs if baseline and not baseline.error else None
    for w in ws:
        label = w.label.replace("|", "\\|")  # a | in a Markdown cell
        if w.error:
            print(f"| {label} | failed: {w.error} | | | | | | |")
            continue
        pct = [r["percent"] for r in w.runs]
        polls = statistics.median(r["polls"] for r in w.runs)
        per_poll = statistics.median(r["poll_ms"] for r in w.runs)
        ratio = ""
        if base_runs:  # the median of per-round ratios: runs a few seconds apart
            ratios = [r["percent"] / b["percent"] for r, b in zip(w.runs, base_runs)]
            ratio = f"{statistics.median(ratios):.2f}"
        print(f"| {label} | {statistics.median(pct):.1f} | {fmt_runs(pct, '.1f')} "
              f"| {statistics.median(r['user'] for r in w.runs):.2f} "
              f"| {statistics.median(r['sys'] for r in w.runs):.2f} "
              f"| {polls:.0f} | {per_poll:.1f} | {ratio} |")
    budget = 1e3 * GOAL_PERCENT / 100 * args.interval
    print(f"\nGoal for vmatlas watch: at most {GOAL_PERCENT:g}% of one core "
          f"({budget:.1f} ms of CPU a poll at --interval {args.interval:g}).")
    for w in ws:
        if w.error:
            continue
        if not w.digests:
            pct = statistics.median(r["percent"] for r in w.runs)
            print(f"- {w.label}: {pct:.1f}%, goal "
                  + ("met" if pct <= GOAL_PERCENT else f"not met ({pct / GOAL_PERCENT:.1f}x)"))
        if w.digests and any(r["distinct"] > 1 for r in w.runs):
            print(f"- {w.label}: the map changed during the run "
                  f"({max(r['distinct'] for r in w.runs)} distinct digests)")
        if not w.digests and any(r["events"] for r in w.runs):
            print(f"- {w.label}: printed {max(r['events'] for r in w.runs)} change(s)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vmatlas", action="append", type=Path,
                   help="a vmatlas binary (default: build/vmatlas); repeat to compare builds")
    p.add_argument("--many-maps", default=ROOT / "build" / "vmatlas-many-maps", type=Path,
                   help="the vmatlas-many-maps binary (default: build/vmatlas-many-maps)")
    p.add_argument("--count", type=int, default=60000,
                   help="mappings in the synthetic process (default 60000)")
    p.add_argument("--seconds", type=float, default=10.0,
                   help="how long each watcher runs (default 10)")
    p.add_argument("--interval", type=float, default=0.1,
                   help="seconds between two polls, for every watcher (default 0.1)")
    p.add_argument("--rounds", type=int, default=3, help="runs of each watcher (default 3)")
    args = p.parse_args()
    if args.seconds <= 0 or args.interval <= 0 or args.rounds < 1:
        p.error("--seconds and --interval must be positive, --rounds at least 1")
    args.vmatlas = args.vmatlas or [ROOT / "build" / "vmatlas"]

    missing = [str(x) for x in args.vmatlas + [args.many_maps] if not os.access(x, os.X_OK)]
    missing += [prog for prog in ("sh", "cat", "md5sum", "sleep") if not shutil.which(prog)]
    if missing:
        log("compare_watch: not found: " + ", ".join(missing))
        return 1

    target = subprocess.Popen([str(args.many_maps), "--count", str(args.count)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)

    def stop_target():
        if target.poll() is None:
            target.stdin.close()  # it ends on EOF and removes its files
            try:
                target.wait(timeout=10)
            except subprocess.TimeoutExpired:
                target.kill()
                target.wait()
    atexit.register(stop_target)
    ready, _, _ = select.select([target.stdout], [], [], 60)
    line = target.stdout.readline() if ready else ""
    if not line.startswith("ready"):
        log(f"compare_watch: {args.many_maps} did not start: "
            f"{target.stderr.read().strip() if not ready or not line else line.strip()}")
        return 1
    pid = int(line.split()[1])

    def mapping_count():
        with open(f"/proc/{pid}/maps", "rb") as f:
            return f.read().count(b"\n")

    workdir = tempfile.mkdtemp(prefix="vmatlas-compare-watch.")
    atexit.register(shutil.rmtree, workdir, True)
    ws = watchers(args, pid, workdir)
    n_before = mapping_count()
    log(f"compare_watch: pid {pid}, {n_before} mappings; {len(ws)} watchers x {args.rounds} "
        f"round(s) x {args.seconds:g} s")
    for rnd in range(args.rounds):
        k = rnd % len(ws)
        for w in ws[k:] + ws[:k]:
            if w.error:
                continue
            log(f"compare_watch: round {rnd + 1}: {w.label}")
            run = run_watcher(w, args.seconds)
            if run:
                w.runs.append(run)
    n_after = mapping_count()
    stop_target()
    baseline = next(w for w in ws if w.label.startswith("sh:"))
    report(ws, baseline, args, pid, n_before, n_after)
    return 1 if any(w.error for w in ws) else 0


if __name__ == "__main__":
    sys.exit(main())
