#!/usr/bin/env python3
"""Paired rounds: small differences between commands on the same process, on a noisy machine.

    bench/paired.py [--rounds 101] [--many-maps build/vmatlas-many-maps | --pid PID]
                    [--nice] 'LABEL=COMMAND' 'LABEL=COMMAND' ...

Starts `vmatlas-many-maps` (60,000 mappings) unless --pid names a process, then runs every
command once per round, in a new random order each round, stdout to /dev/null, each timed from
posix_spawn to its exit. `{pid}` in a command is the process's pid. Prints, per command, the
median time and the median of its per-round ratio to the first command: a round's ratio compares
runs made within milliseconds of each other, so that a slow moment of the machine slows both.
Exit status 1 when a command fails.
"""

import argparse
import os
import random
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv, devnull):
    start = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter_ns() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{shlex.join(argv)} exited with status {os.waitstatus_to_exitcode(status)}")
    return elapsed / 1e6


def resolve(argv):
    if "/" not in argv[0]:
        from shutil import which
        found = which(argv[0])
        if not found:
            raise RuntimeError(f"{argv[0]}: not found on PATH")
        argv[0] = found
    return argv


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=101)
    parser.add_argument("--many-maps", default="build/vmatlas-many-maps")
    parser.add_argument("--pid", type=int, help="measure this process instead")
    parser.add_argument("--nice", action="store_true", help="run at nice -15 (needs root)")
    parser.add_argument("commands", nargs="+", metavar="LABEL=COMMAND")
    args = parser.parse_args()

    commands = []
    for spec in args.commands:
        label, sep, command = spec.partition("=")
        if not sep:
            parser.error(f"{spec}: LABEL=COMMAND")
        commands.append((label, command))
    if args.nice:
        os.nice(-15)

    child = None
    pid = args.pid
    if pid is None:
        child = subprocess.Popen([args.many_maps], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True)
        line = child.stdout.readline().split()
        if len(line) != 2 or line[0] != "ready":
            sys.exit(f"{args.many_maps} did not say ready")
        pid = int(line[1])
    try:
        argvs = [resolve(shlex.split(c.replace("{pid}", str(pid)))) for _, c in commands]
        times = [[] for _ in commands]
        ratios = [[] for _ in commands]
        devnull = os.open(os.devnull, os.O_WRONLY)
        for argv in argvs:  # warm up
            run_once(argv, devnull)
        for _ in range(args.rounds):
            order = list(range(len(argvs)))
            random.shuffle(order)
            took = [0.0] * len(argvs)
            for k in order:
                took[k] = run_once(argvs[k], devnull)
            for k, t in enumerate(took):
                times[k].append(t)
                ratios[k].append(t / took[0])
    except RuntimeError as e:
        sys.exit(str(e))
    finally:
        if child:
            child.stdin.close()
            child.wait()

    print(f"{args.rounds} paired rounds on pid {pid}; ratio: median of per-round ratios to "
          f"'{commands[0][0]}'\n")
    print("| command | median ms | ratio |")
    print("|---|---:|---:|")
    for (label, _), t, r in zip(commands, times, ratios):
        print(f"| {label} | {statistics.median(t):.2f} | {statistics.median(r):.3f} |")


if __name__ == "__main__":
    main()
