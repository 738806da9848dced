#!/usr/bin/env python3
"""Side by side: `vmatlas where` against addr2line -fi and llvm-symbolizer, and live look-ups.

1. Symbolizing. Starts a process that maps libc (`sleep`), makes N random addresses in libc's
   text (default 1,000,000), as process addresses for vmatlas and as libc's own vaddrs for the
   peers, and runs every tool on them in the same run, interleaved, stdout to /dev/null:
     - vmatlas where PID -                      (every field, key=value lines)
     - vmatlas where PID --fields ... -         (what the peers print: function, file, line)
     - vmatlas where PID --json -               (JSON Lines)
     - vmatlas where PID --no-lines -           (no DWARF)
     - addr2line -f -i -e libc.so.6             (N vaddrs on stdin)
     - llvm-symbolizer --obj=libc.so.6          (N vaddrs on stdin)
   Prints median wall times, addresses a second, and each peer's time over vmatlas's.

2. One live look-up. Starts vmatlas-many-maps with 200, 2,000 and 60,000 mappings and times
     - vmatlas where PID ADDR                   (PROCMAP_QUERY: the kernel finds the row)
     - vmatlas where PID - (ADDR on stdin)      (the whole map read and parsed once)
     - vmatlas PID ADDR                         (the default view's address filter)
   on one address in the middle of the map.

    bench/compare_where.py [--vmatlas build/vmatlas] [--many-maps build/vmatlas-many-maps]
                           [--count 1000000] [--reps 3] [--live-reps 21] [--only symbolize,live]

libc's lines need its debug file (Debian: libc6-dbg); without it every tool prints symbols only.
Exit status: 0 when every tool ran and succeeded, 1 when one is missing or failed, 2 for bad
arguments. Standard library only.
"""

import argparse
import os
import random
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The fields that hold what addr2line -fi and llvm-symbolizer print for an address.
PEER_FIELDS = "pc,function,file,line,inlined"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def libc_text(pid):
    """libc's path, the start of its offset-0 row, and its executable row, from /proc/PID/maps."""
    path = base = text = None
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            if len(parts) < 6 or not parts[5].strip().endswith("/libc.so.6"):
                continue
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            path = parts[5].strip()
            if int(parts[2], 16) == 0 and base is None:
                base = lo
            if "x" in parts[1]:
                text = (lo, hi)
    if path is None or base is None or text is None:
        raise SystemExit(f"compare_where: no libc text in process {pid}")
    return path, base, text


def time_run(argv, stdin_path=None):
    """Wall seconds of one run, stdout to /dev/null; raises when it fails."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        r = subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
    finally:
        if stdin_path:
            stdin.close()
    if r.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} exited {r.returncode}: {r.stderr.decode()[:500]}")
    return elapsed


def interleaved(tools, reps):
    """{label: [seconds...]}: one warm-up each, then rep k of every tool before rep k + 1."""
    times = {label: [] for label, _, _ in tools}
    for label, argv, stdin in tools:
        time_run(argv, stdin)
    for _ in range(reps):
        for label, argv, stdin in tools:
            times[label].append(time_run(argv, stdin))
    return times


def symbolize(args, failures):
    sleeper = subprocess.Popen(["sleep", "3600"])
    try:
        time.sleep(0.2)
        path, base, (lo, hi) = libc_text(sleeper.pid)
        rng = random.Random(1)
        addrs = [rng.randrange(lo, hi) for _ in range(args.count)]
        with tempfile.TemporaryDirectory(prefix="vmatlas where bench ") as tmp:
            process_file = os.path.join(tmp, "process.txt")
            vaddr_file = os.path.join(tmp, "vaddrs.txt")
            with open(process_file, "w") as f:
                f.write("".join(f"{a:#x}\n" for a in addrs))
            with open(vaddr_file, "w") as f:
                f.write("".join(f"{a - base:#x}\n" for a in addrs))
            pid = str(sleeper.pid)
            v = args.vmatlas
            tools = [
                ("vmatlas where PID -", [v, "where", pid, "-"], process_file),
                (f"vmatlas where PID --fields {PEER_FIELDS} -",
                 [v, "where", pid, "--fields", PEER_FIELDS, "-"], process_file),
                ("vmatlas where PID --json -", [v, "where", pid, "--json", "-"], process_file),
                ("vmatlas where PID --no-lines -", [v, "where", pid, "--no-lines", "-"],
                 process_file),
            ]
            peers = []
            if shutil.which("addr2line"):
                peers.append(("addr2line -f -i -e libc.so.6",
                              ["addr2line", "-f", "-i", "-e", path], vaddr_file))
            else:
                failures.append("addr2line is not installed")
            if shutil.which("llvm-symbolizer"):
                peers.append(("llvm-symbolizer --obj=libc.so.6",
                              ["llvm-symbolizer", f"--obj={path}"], vaddr_file))
            else:
                failures.append("llvm-symbolizer is not installed")
            log(f"symbolizing {args.count:,} addresses of {path} in process {pid}, "
                f"{args.reps} reps")
            times = interleaved(tools + peers, args.reps)
        ours = statistics.median(times[tools[1][0]])
        print(f"\n### {args.count:,} random addresses in libc's text (median of {args.reps})\n")
        print("| tool | ms | addresses/s | time / vmatlas where --fields |")
        print("|---|---:|---:|---:|")
        for label, _, _ in tools + peers:
            t = statistics.median(times[label])
            print(f"| `{label}` | {t * 1000:.0f} | {args.count / t:,.0f} | {t / ours:.2f}x |")
    finally:
        sleeper.kill()
        sleeper.wait()


def start_many_maps(binary, count):
    p = subprocess.Popen([binary, "--count", str(count)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([p.stdout], [], [], 120)
    line = p.stdout.readline() if ready else ""
    if not line.startswith("ready"):
        p.kill()
        raise RuntimeError(f"vmatlas-many-maps --count {count} did not start: {line!r}")
    return p


def middle_address(pid):
    with open(f"/proc/{pid}/maps") as f:
        rows = f.readlines()
    lo = int(rows[len(rows) // 2].split("-")[0], 16)
    return lo + 0x10, len(rows)


def live(args, failures):
    print(f"\n### One live look-up (median of {args.live_reps}, ms)\n")
    print("| mappings | `where PID ADDR` (PROCMAP_QUERY) | `where PID -` (text) | "
          "`vmatlas PID ADDR` | text / PROCMAP_QUERY |")
    print("|---:|---:|---:|---:|---:|")
    for count in (200, 2000, 60000):
        p = start_many_maps(args.many_maps, count)
        try:
            addr, rows = middle_address(p.pid)
            with tempfile.NamedTemporaryFile("w", prefix="vmatlas where ", delete=False) as f:
                f.write(f"{addr:#x}\n")
                one = f.name
            pid = str(p.pid)
            v = args.vmatlas
            tools = [
                ("query", [v, "where", pid, f"{addr:#x}"], None),
                ("text", [v, "where", pid, "-"], one),
                ("filter", [v, pid, f"{addr:#x}", "--color=never"], None),
            ]
            times = interleaved(tools, args.live_reps)
            os.unlink(one)
            m = {label: statistics.median(t) * 1000 for label, t in times.items()}
            print(f"| {rows:,} | {m['query']:.2f} | {m['text']:.2f} | {m['filter']:.2f} | "
                  f"{m['text'] / m['query']:.1f}x |")
        finally:
            p.stdin.close()
            p.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vmatlas", default=str(ROOT / "build" / "vmatlas"))
    ap.add_argument("--many-maps", default=str(ROOT / "build" / "vmatlas-many-maps"))
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--live-reps", type=int, default=21)
    ap.add_argument("--only", default="symbolize,live")
    args = ap.parse_args()
    if not Path(args.vmatlas).exists():
        print(f"compare_where: no {args.vmatlas}: build it first", file=sys.stderr)
        return 1
    failures = []
    only = set(args.only.split(","))
    try:
        if "symbolize" in only:
            symbolize(args, failures)
        if "live" in only:
            if Path(args.many_maps).exists():
                live(args, failures)
            else:
                failures.append(f"no {args.many_maps}")
    except RuntimeError as e:
        failures.append(str(e))
    for f in failures:
        print(f"compare_where: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
