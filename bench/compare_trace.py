#!/usr/bin/env python3
"""The cost of `vmatlas trace`: single steps against a bare PTRACE_SINGLESTEP loop, and
breakpoints against single-stepping to the same points.

    bench/compare_trace.py [--vmatlas build/vmatlas] [--bare-step build/vmatlas-bare-step]
                           [--workload build/vmatlas-trace-workload] [--iterations 1000]
                           [--rounds 3]

The program traced is vmatlas-trace-workload ITERATIONS: six functions (hot_point, point_2 ...
point_6) called ITERATIONS times each, a fixed loop of work between them, after the C library's
start-up. Its instruction count C is learnt first from vmatlas-bare-step, which prints it. Then,
--rounds times (default 3), in one order and the reverse order on the next round:

  (a) vmatlas trace --counts C -- WORKLOAD      single steps to the last instruction: one row
  (b) vmatlas-bare-step WORKLOAD                the bare loop: PTRACE_SINGLESTEP + waitpid
  (f) vmatlas trace -- WORKLOAD                 every instruction a row: C rows
  (c) vmatlas trace --pcs hot_point -- WORKLOAD  one breakpoint (a debug register), N rows
  (d) vmatlas trace --counts C --pcs hot_point   the same N rows, by single-stepping to the end
  (e) vmatlas trace --pcs hot_point,point_2..point_6   six points: four debug registers and
      two int3s, 6N rows; beside it the first four only (debug registers, 4N rows) and --pcs
      main (one row: the trace's start-up and the run without hits), so that the differences
      tell the cost of a hit

each with stdout to /dev/null. Before the rounds every run is made once with its rows kept, to
check that each printed the rows it should (a wrong count or a missing hit fails the script).
Address space randomization is turned off for the runs (personality ADDR_NO_RANDOMIZE, inherited
by every child), so that the workload runs the same instructions each time: with it, the C
library's start-up varies by some 25 instructions from run to run.

A run's CPU time is the rusage os.wait4 returns for it, user + sys, which holds the times of the
children it waited for: the tracee's own are counted, for vmatlas and the bare loop alike. Prints
the exact command line, then Markdown tables: median wall and CPU seconds (each round's too), per
instruction or per hit, and the median of the per-round ratios; and whether (a) is within the
goal of 1.3x (b) per instruction ((f) is not held to it: it writes a row an instruction).
Exit status: 0 when every run printed its rows, 1 when one failed or a program is missing, 2 for
bad arguments. Standard library only.
"""

import argparse
import ctypes
import os
import re
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 1.3
ADDR_NO_RANDOMIZE = 0x0040000
POINTS = ["hot_point", "point_2", "point_3", "point_4", "point_5", "point_6"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Run:
    """One command, timed each round."""

    def __init__(self, key, label, argv, check):
        self.key = key
        self.label = label
        self.argv = argv
        self.check = check  # (stdout text) -> None when right, else what was wrong
        self.rounds = []    # {"wall": s, "cpu": s, "user": s, "sys": s}
        self.error = None


def spawn(argv, stdout_fd):
    """Runs argv to its end; its wall seconds, rusage and exit status."""
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, stdout_fd, 1)])
    _, status, usage = os.wait4(pid, 0)
    return time.perf_counter() - start, usage, os.waitstatus_to_exitcode(status)


def run_for_text(argv):
    """Runs argv with its stdout kept; (exit status, stdout text)."""
    with tempfile.TemporaryFile() as out:
        _, _, code = spawn(argv, out.fileno())
        out.seek(0)
        return code, out.read().decode(errors="replace")


def no_randomization():
    libc = ctypes.CDLL(None, use_errno=True)
    current = libc.personality(0xFFFFFFFF)
    if current == -1 or libc.personality(current | ADDR_NO_RANDOMIZE) == -1:
        log("compare_trace: personality(ADDR_NO_RANDOMIZE) failed; the counts may vary by run")


def rows_check(expected, count=None, same_pc=False):
    """A check of vmatlas's rows: how many, the count asked for present, one pc for all."""
    def check(text):
        rows = text.splitlines()
        if len(rows) != expected:
            return f"{len(rows)} rows, expected {expected}"
        if count is not None and not any(f"instr_count={count} " in r for r in rows):
            return f"no row with instr_count={count}"
        if same_pc:
            pcs = {r.split()[0] for r in rows if r.startswith("pc=")}
            if len(pcs) != 1:
                return f"{len(pcs)} distinct pcs, expected one"
        return None
    return check


def make_runs(args, workload, count):
    vm = str(args.vmatlas)
    n = args.iterations
    trace = [vm, "trace"]
    four, six = ",".join(POINTS[:4]), ",".join(POINTS)
    return [
        Run("a", f"(a) vmatlas trace --counts {count}",
            trace + ["--counts", str(count), "--"] + workload, rows_check(1, count)),
        Run("b", "(b) vmatlas-bare-step", [str(args.bare_step)] + workload,
            lambda text: None if text.strip() == str(count)
            else f"counted {text.strip()!r}, expected {count}"),
        Run("f", "(f) vmatlas trace (every instruction)", trace + ["--"] + workload,
            rows_check(count, count)),
        Run("c", "(c) vmatlas trace --pcs hot_point",
            trace + ["--pcs", "hot_point", "--"] + workload, rows_check(n, same_pc=True)),
        Run("d", f"(d) vmatlas trace --counts {count} --pcs hot_point",
            trace + ["--counts", str(count), "--pcs", "hot_point", "--"] + workload,
            rows_check(n + 1, count)),
        Run("main", "vmatlas trace --pcs main (one hit)",
            trace + ["--pcs", "main", "--"] + workload, rows_check(1)),
        Run("e4", f"vmatlas trace --pcs {four} (4 debug registers)",
            trace + ["--pcs", four, "--"] + workload, rows_check(4 * n)),
        Run("e6", f"(e) vmatlas trace --pcs {six} (4 debug registers, 2 int3)",
            trace + ["--pcs", six, "--"] + workload, rows_check(6 * n)),
    ]


def median(values):
    return statistics.median(values) if values else float("nan")


def ratio(run, base, field):
    """The median of the per-round ratios run/base: runs made seconds apart."""
    return median([r[field] / b[field] for r, b in zip(run.rounds, base.rounds)])


def each(run, field, spec=".2f"):
    return ", ".join(format(r[field], spec) for r in run.rounds)


def report(args, runs, count):
    by = {r.key: r for r in runs}
    n = args.iterations
    print("```")
    print(shlex.join([sys.executable] + sys.argv))
    print("```\n")
    print(f"Workload: `{shlex.join([str(args.workload), str(n)])}`, {count} instructions "
          f"(learnt from vmatlas-bare-step), {n} calls of each of {len(POINTS)} functions; "
          f"{args.rounds} round(s), the order reversed every other round, stdout to /dev/null; "
          f"address space randomization off. {os.uname().sysname} {os.uname().release}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end.\n")
    failed = [r for r in runs if r.error]
    for r in failed:
        print(f"- {r.label} failed: {r.error}")
    if failed:
        print()

    a, b = by["a"], by["b"]
    if not a.error and not b.error:
        print("Single steps, per instruction:\n")
        print("| run | wall s | each round | CPU s (user + sys) | each round | µs wall / instr "
              "| µs CPU / instr | ratio to (b), wall | ratio to (b), CPU |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in [a, b] + ([by["f"]] if not by["f"].error else []):
            wall, cpu = median(x["wall"] for x in r.rounds), median(x["cpu"] for x in r.rounds)
            print(f"| {r.label} | {wall:.2f} | {each(r, 'wall')} | {cpu:.2f} | {each(r, 'cpu')} "
                  f"| {1e6 * wall / count:.1f} | {1e6 * cpu / count:.1f} "
                  f"| {ratio(r, b, 'wall'):.2f} | {ratio(r, b, 'cpu'):.2f} |")
        rw, rc = ratio(a, b, "wall"), ratio(a, b, "cpu")
        met = rw <= GOAL_RATIO and rc <= GOAL_RATIO
        print(f"\nGoal: `trace --counts` at most {GOAL_RATIO}x the bare loop per instruction: "
              + ("met" if met else "not met")
              + f" ({rw:.2f}x wall, {rc:.2f}x CPU).\n")

    bp = [by[k] for k in ("c", "d", "main", "e4", "e6") if not by[k].error]
    c = by["c"]
    if bp and not c.error:
        print("Breakpoints against single steps:\n")
        print("| run | rows | wall s | each round | CPU s | each round | ratio to (c), wall "
              "| ratio to (c), CPU |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        rows = {"c": n, "d": n + 1, "main": 1, "e4": 4 * n, "e6": 6 * n}
        for r in bp:
            print(f"| {r.label} | {rows[r.key]} | {median(x['wall'] for x in r.rounds):.3f} "
                  f"| {each(r, 'wall', '.3f')} | {median(x['cpu'] for x in r.rounds):.3f} "
                  f"| {each(r, 'cpu', '.3f')} | {ratio(r, c, 'wall'):.2f} "
                  f"| {ratio(r, c, 'cpu'):.2f} |")
        print()

        def per_hit(hi, lo, hits, field):
            """The median over the rounds of (hi - lo) / hits, in µs."""
            return median([1e6 * (h[field] - l[field]) / hits
                           for h, l in zip(hi.rounds, lo.rounds)])
        lines = []
        m, e4, e6, d = by["main"], by["e4"], by["e6"], by["d"]
        if not m.error:
            lines.append(f"- a debug-register hit ((c) - main over {n - 1} hits): "
                         f"{per_hit(c, m, n - 1, 'wall'):.1f} µs wall, "
                         f"{per_hit(c, m, n - 1, 'cpu'):.1f} µs CPU")
        if not e4.error and not m.error:
            lines.append(f"- a debug-register hit (4 points - main over {4 * n - 1} hits): "
                         f"{per_hit(e4, m, 4 * n - 1, 'wall'):.1f} µs wall, "
                         f"{per_hit(e4, m, 4 * n - 1, 'cpu'):.1f} µs CPU")
        if not e4.error and not e6.error:
            lines.append(f"- an int3 hit, stepped over ((e) - 4 points over {2 * n} hits): "
                         f"{per_hit(e6, e4, 2 * n, 'wall'):.1f} µs wall, "
                         f"{per_hit(e6, e4, 2 * n, 'cpu'):.1f} µs CPU")
        if not d.error:
            lines.append(f"- single-stepping to the same {n} hits ((d)): "
                         f"{ratio(d, c, 'wall'):.0f}x the time of breakpoints ((c)), wall")
        print("Per hit (medians of the per-round differences):\n")
        print("\n".join(lines))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vmatlas", default=ROOT / "build" / "vmatlas", type=Path,
                   help="the vmatlas binary (default: build/vmatlas)")
    p.add_argument("--bare-step", default=ROOT / "build" / "vmatlas-bare-step", type=Path,
                   help="the bare stepper (default: build/vmatlas-bare-step)")
    p.add_argument("--workload", default=ROOT / "build" / "vmatlas-trace-workload", type=Path,
                   help="the program traced (default: build/vmatlas-trace-workload)")
    p.add_argument("--iterations", type=int, default=1000,
                   help="calls of each of the workload's functions (default 1000)")
    p.add_argument("--rounds", type=int, default=3, help="runs of each command (default 3)")
    args = p.parse_args()
    if args.iterations < 2 or args.rounds < 1:
        p.error("--iterations must be at least 2, --rounds at least 1")
    for attr in ("vmatlas", "bare_step", "workload"):
        setattr(args, attr, getattr(args, attr).resolve())
    missing = [str(x) for x in (args.vmatlas, args.bare_step, args.workload)
               if not os.access(x, os.X_OK)]
    if missing:
        log("compare_trace: not found: " + ", ".join(missing))
        return 1

    no_randomization()
    workload = [str(args.workload), str(args.iterations)]
    log(f"compare_trace: counting the instructions of {shlex.join(workload)}")
    code, text = run_for_text([str(args.bare_step)] + workload)
    if code != 0 or not text.strip().isdigit():
        log(f"compare_trace: vmatlas-bare-step failed (status {code}): {text.strip()!r}")
        return 1
    count = int(text)
    runs = make_runs(args, workload, count)

    for r in runs:
        log(f"compare_trace: checking {r.label}")
        code, text = run_for_text(r.argv)
        if code != 0:
            r.error = f"exit status {code}"
        else:
            r.error = r.check(text)
    with open(os.devnull, "wb") as devnull:
        for rnd in range(args.rounds):
            order = runs if rnd % 2 == 0 else runs[::-1]
            for r in order:
                if r.error:
                    continue
                log(f"compare_trace: round {rnd + 1}: {r.label}")
                wall, usage, code = spawn(r.argv, devnull.fileno())
                if code != 0:
                    r.error = f"exit status {code} in round {rnd + 1}"
                    continue
                r.rounds.append({"wall": wall, "user": usage.ru_utime, "sys": usage.ru_stime,
                                 "cpu": usage.ru_utime + usage.ru_stime})
    report(args, runs, count)
    return 1 if any(r.error for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
