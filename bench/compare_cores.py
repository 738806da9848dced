#!/usr/bin/env python3
"""Core files side by side: vmatlas against gdb's `info proc mappings` and `readelf -lW`.

Makes three cores with the kernel (kill -SEGV, RLIMIT_CORE unlimited, in a scratch directory;
core_pattern must be a relative name such as "core"):
  small     `sleep`: a few hundred KB;
  2 GB      python3 holding 2 GiB of written memory: the core holds all of it;
  60,000    vmatlas-many-maps: 60,000 mappings;
then times each tool on each core, interleaved (rep 1 of every tool, then rep 2, ...) after one
warm-up, and prints a Markdown table of median wall times with each tool's ratio to readelf on the
same core, and vmatlas's time on each core against its time on the small one: listing a core
reads only its headers and notes, so that ratio should stay near 1 however much memory it holds.

    bench/compare_cores.py [--vmatlas PATH] [--many-maps PATH] [--reps 9] [--gdb-reps 3]
                           [--gigabytes 2]

Exit status: 0 when every tool ran on every core; 1 when a core could not be made or a tool
failed; 2 for bad arguments. Standard library only.
"""

import argparse
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TOOLS = [
    ("readelf -lW CORE", ["readelf", "-lW", "{core}"]),
    ("gdb info proc mappings",
     ["gdb", "-nx", "-batch", "-iex", "set debuginfod enabled off", "-ex", "info proc mappings",
      "{exe}", "{core}"]),
    ("vmatlas CORE", ["{vmatlas}", "{core}", "--color=never"]),
    ("vmatlas mappings CORE", ["{vmatlas}", "mappings", "{core}"]),
    ("vmatlas CORE --json", ["{vmatlas}", "{core}", "--json"]),
]
SLOW = {"gdb"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def unlimited_core():
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def make_core(label, argv, exe, workdir):
    """Starts argv in its own directory, waits for "ready", kills it with SIGSEGV; the core."""
    d = Path(workdir) / label.replace(" ", "-").replace(",", "")
    d.mkdir()
    proc = subprocess.Popen(argv, cwd=d, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=unlimited_core)
    line = proc.stdout.readline()
    if not line.startswith("ready"):
        proc.kill()
        raise RuntimeError(f"{label}: did not start: {proc.stderr.read().strip() or line}")
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGSEGV)
    proc.wait()
    cores = [p for p in d.iterdir() if p.name.startswith("core")]
    if not cores:
        raise RuntimeError(f"{label}: no core in {d} (is core_pattern a relative name?)")
    return cores[0], exe


def median_ms(values):
    return statistics.median(values) * 1000 if values else float("nan")


def run_once(argv):
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    if r.returncode not in (0,):
        err = r.stderr.decode(errors="replace").strip().splitlines()
        return elapsed, f"exit {r.returncode}: {err[-1] if err else ''}"
    return elapsed, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vmatlas", default=str(ROOT / "build" / "vmatlas"))
    ap.add_argument("--many-maps", default=str(ROOT / "build" / "vmatlas-many-maps"))
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--gdb-reps", type=int, default=3)
    ap.add_argument("--gigabytes", type=float, default=2)
    args = ap.parse_args()
    args.vmatlas = os.path.abspath(args.vmatlas)  # the cores are made in other directories
    args.many_maps = os.path.abspath(args.many_maps)
    for path in (args.vmatlas, args.many_maps):
        if not os.access(path, os.X_OK):
            log(f"compare_cores: {path} is not built")
            return 1
    for tool in ("readelf", "gdb"):
        if not shutil.which(tool):
            log(f"compare_cores: {tool} is not installed")
            return 1

    sleep = shutil.which("sleep")
    python = shutil.which("python3")
    size = int(args.gigabytes * (1 << 30))
    touch = (f"import sys; b = bytearray(b'\\x01') * {size}; "
             "print('ready'); sys.stdout.flush(); sys.stdin.read()")
    workdir = tempfile.mkdtemp(prefix="vmatlas-cores-")
    failed = False
    try:
        log("compare_cores: dumping the cores")
        cores = [
            ("small (sleep)", *make_core("small", ["sh", "-c", f"echo ready; exec {sleep} 100"],
                                         sleep, workdir)),
            (f"{args.gigabytes:g} GB written (python3)",
             *make_core("big", [python, "-c", touch], python, workdir)),
            ("60,000 mappings",
             *make_core("many", [args.many_maps, "--count", "60000"], args.many_maps, workdir)),
        ]
        results = {}
        for label, core, exe in cores:
            n = int(subprocess.run(["readelf", "-lW", str(core)], capture_output=True,
                                   text=True).stdout.count(" LOAD "))
            tools = [(name, [a.format(core=core, exe=exe, vmatlas=args.vmatlas) for a in argv])
                     for name, argv in TOOLS]
            times = {name: [] for name, _ in tools}
            errors = {}
            for name, argv in tools:  # warm-up
                _, err = run_once(argv)
                if err:
                    errors[name] = err
            for rnd in range(args.reps):
                order = tools[rnd % len(tools):] + tools[:rnd % len(tools)]
                for name, argv in order:
                    if name in errors or (argv[0] in SLOW and rnd >= args.gdb_reps):
                        continue
                    elapsed, err = run_once(argv)
                    if err:
                        errors[name] = err
                    else:
                        times[name].append(elapsed)
            results[label] = (core.stat().st_size, n, {k: median_ms(v) for k, v in times.items()},
                              errors)
            failed = failed or bool(errors)

        print(f"Median wall time in ms ({args.reps} runs, gdb {args.gdb_reps}); "
              "ratio to readelf -lW on the same core.\n")
        header = "| tool | " + " | ".join(
            f"{label} ({results[label][0] / 1e6:,.1f} MB, {results[label][1]:,} PT_LOAD)"
            for label, _, _ in cores) + " |"
        print(header)
        print("|---|" + "---:|" * len(cores))
        for name, _ in TOOLS:
            cells = []
            for label, _, _ in cores:
                _, _, med, errors = results[label]
                if name in errors:
                    cells.append(f"failed: {errors[name]}")
                    continue
                base = med["readelf -lW CORE"]
                cells.append(f"{med[name]:.1f} ({med[name] / base:.2f}x)")
            print(f"| {name} | " + " | ".join(cells) + " |")
        small = results[cores[0][0]][2]["vmatlas CORE"]
        print("\nvmatlas CORE against its time on the small core: " + ", ".join(
            f"{label} {results[label][2]['vmatlas CORE'] / small:.2f}x"
            for label, _, _ in cores[1:]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
