#!/usr/bin/env python3
"""Side by side: vmatlas against the kernel (cat /proc/PID/maps), procps pmap, gdb and GEF.

Starts a process with many mappings (vmatlas-many-maps, 60,000 by default) and the real programs
that are installed (python3, node, java), waits until each one's map stops changing, then runs
every tool on every process in the same run, interleaved (rep 1 of every tool, then rep 2, ...),
after one warm-up run per tool. Prints, per process, a Markdown table of median wall times and the
ratio to `cat /proc/PID/maps`, which is the floor: the kernel's own text, copied to /dev/null.

    bench/compare.py [--vmatlas PATH] [--many-maps PATH] [--reps 15] [--gdb-reps 3] [--no-gdb]

Exit status: 0 when every tool that should be there ran and succeeded on every process; 1 when
one is missing (vmatlas not built, pmap or gdb not installed) or failed; 2 for bad arguments.
GEF is measured when it is installed and shown as "not installed" otherwise, never a failure.
Standard library only: it must run on a fresh machine and in CI.
"""

import argparse
import atexit
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The tools, in table order. One row each: (label, argv). In argv, {pid}, {vmatlas} and {gef} are
# replaced; the first row is the baseline for the ratios. Add a row here and it is measured.
TOOLS = [
    ("cat /proc/PID/maps", ["cat", "/proc/{pid}/maps"]),
    ("pmap PID", ["pmap", "{pid}"]),
    ("pmap -x PID", ["pmap", "-x", "{pid}"]),
    ("pmap -X PID", ["pmap", "-X", "{pid}"]),
    ("cat /proc/PID/smaps", ["cat", "/proc/{pid}/smaps"]),
    ("gdb info proc mappings",
     ["gdb", "-nx", "-batch", "-iex", "set debuginfod enabled off", "-p", "{pid}",
      "-ex", "info proc mappings"]),
    ("GEF vmmap",
     ["gdb", "-nx", "-batch", "-iex", "set debuginfod enabled off", "-x", "{gef}", "-p", "{pid}",
      "-ex", "vmmap"]),
    ("vmatlas PID", ["{vmatlas}", "{pid}", "--color=never"]),
    ("vmatlas PID --json", ["{vmatlas}", "{pid}", "--json"]),
    ("vmatlas pmap PID", ["{vmatlas}", "pmap", "{pid}"]),
    ("vmatlas pmap -x PID", ["{vmatlas}", "pmap", "-x", "{pid}"]),
    ("vmatlas pmap -X PID", ["{vmatlas}", "pmap", "-X", "{pid}"]),
    ("vmatlas summary PID", ["{vmatlas}", "summary", "{pid}"]),
]

# Attaching a debugger stops the target and loads its symbols: seconds, not milliseconds. Tools
# whose argv starts with one of these run --gdb-reps times instead of --reps.
SLOW_PROGRAMS = {"gdb"}

JAVA_SOURCE = """\
public class VmatlasIdle {
    public static void main(String[] args) throws Exception {
        System.out.println("ready");
        System.out.flush();
        while (true) Thread.sleep(500);
    }
}
"""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def find_gef():
    """The path of gef.py if GEF is installed, else None."""
    candidates = []
    if os.environ.get("GEF_PATH"):
        candidates.append(Path(os.environ["GEF_PATH"]))
    home = Path.home()
    candidates += [home / ".gef.py", Path("/usr/share/gef/gef.py"), Path("/opt/gef/gef.py")]
    candidates += sorted(home.glob(".gef-*.py"))  # what GEF's installer writes
    for c in candidates:
        if c.is_file():
            return c
    return None


class Target:
    """A running process to measure, started by us, and killed by us at the end."""

    def __init__(self, label, argv, cwd=None):
        self.label = label
        self.argv = argv
        self.cwd = cwd
        self.proc = None
        self.pid = None

    def start(self, timeout):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, cwd=self.cwd)
        atexit.register(self.stop)
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""  # "ready ..." or EOF: it died
        if not line.startswith("ready"):
            self.stop()
            err = self.proc.stderr.read().strip()
            raise RuntimeError(f"{self.label} did not start: {err or line.strip() or 'no output'}")
        words = line.split()
        self.pid = int(words[1]) if len(words) > 1 else self.proc.pid

    def settle(self, quiet_seconds, max_seconds):
        """Waits until the number of mappings has not changed for quiet_seconds."""
        last, since, deadline = None, time.monotonic(), time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            n = self.mapping_count()
            if n != last:
                last, since = n, time.monotonic()
            elif time.monotonic() - since >= quiet_seconds:
                return n
            time.sleep(0.1)
        return last

    def mapping_count(self):
        with open(f"/proc/{self.pid}/maps", "rb") as f:
            return f.read().count(b"\n")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # vmatlas-many-maps ends on EOF and removes its files
            except OSError:
                pass
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def make_targets(args, workdir):
    """The processes to measure; programs that are not installed are skipped with a note."""
    targets, notes = [], []
    many = Path(args.many_maps)
    targets.append(Target(f"vmatlas-many-maps --count {args.count}",
                          [str(many), "--count", str(args.count), "--seconds", "3600"]))
    python = sys.executable or shutil.which("python3")
    targets.append(Target("python3 (sleep loop)", [
        python, "-c", "import time\nprint('ready', flush=True)\nwhile True: time.sleep(0.5)"]))
    if shutil.which("node"):
        targets.append(Target("node (timer)", [
            "node", "-e", "console.log('ready'); setInterval(() => {}, 500);"]))
    else:
        notes.append("node: not installed, skipped")
    if shutil.which("java"):
        src = Path(workdir) / "VmatlasIdle.java"
        src.write_text(JAVA_SOURCE)
        if shutil.which("javac"):
            subprocess.run(["javac", "-d", workdir, str(src)], check=True)
            argv = ["java", "-cp", workdir, "VmatlasIdle"]
        else:
            argv = ["java", str(src)]  # Java 11+ runs a single source file directly
        targets.append(Target("java (Thread.sleep)", argv))
    else:
        notes.append("java: not installed, skipped")
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        targets = [t for t in targets if any(w in t.label for w in wanted)]
    return targets, notes


class Tool:
    def __init__(self, label, argv, args, gef):
        self.label = label
        self.template = argv
        self.missing = None  # why it cannot run, or None
        self.optional = False
        subst = {"vmatlas": str(args.vmatlas), "gef": str(gef) if gef else ""}
        if "{gef}" in argv:
            self.optional = True
            if not gef:
                self.missing = "not installed"
        self.argv = [a.replace("{vmatlas}", subst["vmatlas"]).replace("{gef}", subst["gef"])
                     for a in argv]
        prog = self.argv[0]
        self.slow = Path(prog).name in SLOW_PROGRAMS
        if self.slow and args.no_gdb:
            self.missing = "skipped (--no-gdb)"
            self.optional = True
        elif self.missing is None and not (shutil.which(prog) or
                                           (os.sep in prog and os.access(prog, os.X_OK))):
            self.missing = f"missing ({prog} not found)"
        self.reps = args.gdb_reps if self.slow else args.reps

    def command(self, pid):
        return [a.replace("{pid}", str(pid)) for a in self.argv]


def run_once(argv):
    """Wall time in seconds, and the error text if it failed."""
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        err = r.stderr.decode(errors="replace").strip().splitlines()
        return elapsed, f"exit {r.returncode}: {err[-1] if err else ''}"
    return elapsed, None


def measure(target, tools, reps):
    """Interleaved: every tool once per round, the starting tool rotating between rounds."""
    times = {t.label: [] for t in tools}
    errors = {}
    live = [t for t in tools if t.missing is None]
    for t in live:  # warm-up: page cache, dynamic loader, gdb's symbol reading
        _, err = run_once(t.command(target.pid))
        if err:
            errors[t.label] = err
    live = [t for t in live if t.label not in errors]
    for rnd in range(reps):
        order = live[rnd % len(live):] + live[:rnd % len(live)] if live else []
        for t in order:
            if rnd >= t.reps or t.label in errors:
                continue
            elapsed, err = run_once(t.command(target.pid))
            if err:
                errors[t.label] = err
            else:
                times[t.label].append(elapsed)
    return times, errors


def table(target, n_before, n_after, tools, times, errors):
    lines = [f"### {target.label}: pid {target.pid}, {n_before} mappings"
             + (f" ({n_after} at the end)" if n_after != n_before else ""), "",
             "| tool | median ms | ratio vs cat maps | runs |", "|---|---:|---:|---:|"]
    base_label = tools[0].label
    base = statistics.median(times[base_label]) if times.get(base_label) else None
    for t in tools:
        if t.missing:
            lines.append(f"| {t.label} | {t.missing} | | |")
        elif t.label in errors:
            lines.append(f"| {t.label} | failed ({errors[t.label]}) | | |")
        else:
            med = statistics.median(times[t.label])
            ratio = f"{med / base:.2f}x" if base else "?"
            lines.append(f"| {t.label} | {med * 1e3:.2f} | {ratio} | {len(times[t.label])} |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vmatlas", default=ROOT / "build" / "vmatlas", type=Path,
                   help="the vmatlas binary (default: build/vmatlas in the repository)")
    p.add_argument("--many-maps", default=ROOT / "build" / "vmatlas-many-maps", type=Path,
                   help="the vmatlas-many-maps binary (default: build/vmatlas-many-maps)")
    p.add_argument("--count", type=int, default=60000,
                   help="mappings in the synthetic process (default 60000)")
    p.add_argument("--reps", type=int, default=15, help="runs per tool (default 15)")
    p.add_argument("--gdb-reps", type=int, default=3, help="runs of gdb and GEF (default 3)")
    p.add_argument("--no-gdb", action="store_true", help="do not run gdb or GEF")
    p.add_argument("--only", help="comma-separated words: measure only processes whose label "
                   "contains one (many-maps, python3, node, java)")
    p.add_argument("--settle", type=float, default=1.0,
                   help="seconds a map must stay unchanged before measuring (default 1)")
    args = p.parse_args()
    if args.reps < 1 or args.gdb_reps < 1:
        p.error("--reps and --gdb-reps must be at least 1")

    gef = find_gef()
    tools = [Tool(label, argv, args, gef) for label, argv in TOOLS]
    failed = [f"{t.label}: {t.missing}" for t in tools if t.missing and not t.optional]

    workdir = tempfile.mkdtemp(prefix="vmatlas-compare.")
    atexit.register(shutil.rmtree, workdir, True)
    targets, notes = make_targets(args, workdir)
    reps = max(t.reps for t in tools)

    gdb_note = "gdb not run" if args.no_gdb else f"{args.gdb_reps} for gdb"
    print(f"Median wall time of {args.reps} runs ({gdb_note}), interleaved, after "
          f"one warm-up run; output to /dev/null. {os.uname().sysname} {os.uname().release}, "
          f"{os.cpu_count()} CPUs.\n")
    for target in targets:
        try:
            target.start(timeout=60)
        except (OSError, RuntimeError) as e:
            log(f"compare: {e}")
            print(f"### {target.label}\n\nnot measured: {e}\n")
            failed.append(f"{target.label}: did not start")
            continue
        n_before = target.settle(args.settle, max_seconds=20)
        log(f"compare: {target.label}: pid {target.pid}, {n_before} mappings, measuring")
        times, errors = measure(target, tools, reps)
        n_after = target.mapping_count()
        target.stop()
        print(table(target, n_before, n_after, tools, times, errors) + "\n", flush=True)
        failed += [f"{target.label}: {label}: {err}" for label, err in errors.items()]
    for n in notes:
        print(f"- {n}")

    if failed:
        log("compare: failed or missing:\n  " + "\n  ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
