"""What the tests of the Python module share: where the built module, the command and the demo
are (from the environment CTest gives them, tests/python/CMakeLists.txt), running the command, and
the demo as a child process that the test stops, reads and dumps.

A test run when the module is not built exits with SKIP (77), which CTest reports as skipped.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path
from typing import Any, Optional

SKIP = 77

MODULE_DIR = os.environ.get("VMATLAS_PYTHON_DIR", "")
VMATLAS = os.environ.get("VMATLAS_BIN", "")
DEMO = os.environ.get("VMATLAS_DEMO_BIN", "")
SOURCE_DIR = Path(os.environ.get("VMATLAS_SOURCE_DIR", Path(__file__).resolve().parents[2]))
FIXTURES = SOURCE_DIR / "tests" / "fixtures"
DIFF_FIXTURES = SOURCE_DIR / "tests" / "diff" / "fixtures"


def import_module():
    """The module built in the tree; exits with SKIP when it was not built."""
    if not MODULE_DIR:
        print("skipped: the Python module is not built (VMATLAS_PYTHON is OFF)")
        sys.exit(SKIP)
    sys.path.insert(0, MODULE_DIR)
    import vmatlas  # noqa: E402  (the path is set just above)

    if Path(vmatlas.__file__).parent != Path(MODULE_DIR):
        raise RuntimeError(f"imported {vmatlas.__file__}, not the module in {MODULE_DIR}")
    return vmatlas


class Run:
    """What a run of the command gave."""

    def __init__(self, status: int, out: str, err: str):
        self.status, self.out, self.err = status, out, err

    def json(self) -> Any:
        return json.loads(self.out)

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.out.splitlines()]

    def last_sentence(self) -> str:
        """The last line of stderr without its "vmatlas: " prefix."""
        last = self.err.splitlines()[-1]
        assert last.startswith("vmatlas: "), self.err
        return last[len("vmatlas: "):]


def run(*args: str, binary: str = "") -> Run:
    """Runs the command (or binary) with args; its output decoded as the module decodes its own."""
    p = subprocess.run([binary or VMATLAS, *args], capture_output=True, timeout=120)
    return Run(p.returncode, p.stdout.decode(), p.stderr.decode())


def command_args(target: str, filter: str | int | None = None, *, writable: bool = False,
                 executable: bool = False, before: Optional[int] = None,
                 after: Optional[int] = None, gaps: bool = False,
                 color: bool = False) -> list[str]:
    """The command line whose standard output Map.render(filter, ...) of target is."""
    args = ["--color=always" if color else "--color=never"]
    if writable:
        args.append("-w")
    if executable:
        args.append("-x")
    if before is not None:
        args += ["-B", str(before)]
    if after is not None:
        args += ["-A", str(after)]
    if gaps:
        args.append("--gaps")
    args.append(target)
    if filter is not None:
        args.append(hex(filter) if isinstance(filter, int) else filter)
    return args


def snapshot_document(path: str) -> dict:
    """A snapshot file's JSON, without the moment of the save: two saves of one map, a second
    apart, differ in source.time when the source did not say when it was read."""
    with open(path) as f:
        document = json.load(f)
    document["source"]["time"] = None
    return document


def relative_core_pattern() -> bool:
    """True when the kernel writes core files into the crashing process's directory."""
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    return bool(pattern) and pattern[0] not in "|/"


class Demo:
    """vmatlas-demo as a child, in its own directory, with no limit on its core's size. It says
    "ready PID" once its map is set up and runs until its stdin closes."""

    def __init__(self) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="vmatlas python ")  # a name with a space
        env = dict(os.environ, TMPDIR=self.dir.name)

        def unlimited_core() -> None:
            resource.setrlimit(resource.RLIMIT_CORE,
                               (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

        self.proc = subprocess.Popen([DEMO], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     cwd=self.dir.name, env=env, preexec_fn=unlimited_core)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("ready "):
            self.close()
            raise RuntimeError(f"vmatlas-demo did not say ready: {line!r}")
        self.pid = self.proc.pid
        self.stopped = False

    def stop(self) -> None:
        """SIGSTOP, and waits until every thread has stopped: its map holds still."""
        os.kill(self.pid, signal.SIGSTOP)
        self.stopped = True
        deadline = time.monotonic() + 5
        task = Path(f"/proc/{self.pid}/task")
        while time.monotonic() < deadline:
            states = []
            for t in task.iterdir():
                stat = (t / "stat").read_text()
                states.append(stat[stat.rfind(")") + 2])
            if all(s in "Tt" for s in states):
                return
            time.sleep(0.001)
        raise RuntimeError("vmatlas-demo did not stop")

    def dump_core(self) -> Optional[str]:
        """Kills it with SIGSEGV and returns the core the kernel wrote, or None when cores go
        elsewhere (core_pattern is a path or a pipe) or none was written."""
        if not relative_core_pattern():
            return None
        os.kill(self.pid, signal.SIGSEGV)
        os.kill(self.pid, signal.SIGCONT)
        self.proc.wait(timeout=30)
        self.stopped = False
        for entry in Path(self.dir.name).iterdir():
            if entry.name.startswith("core") and entry.is_file():
                return str(entry)
        return None

    def gcore(self) -> Optional[str]:
        """gdb's core of it (gcore), or None when gcore could not make one."""
        prefix = os.path.join(self.dir.name, "gcore")
        made = subprocess.run(["gcore", "-o", prefix, str(self.pid)], capture_output=True,
                              timeout=120)
        path = f"{prefix}.{self.pid}"
        return path if made.returncode == 0 and os.path.exists(path) else None

    def close(self) -> None:
        if self.proc.poll() is None:
            if self.stopped:
                os.kill(self.pid, signal.SIGCONT)
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.dir.cleanup()

    def __enter__(self) -> "Demo":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MapTestCase(unittest.TestCase):
    """Assertions that name the row and the field that differ."""

    maxDiff = None

    def assert_same_rows(self, expected: list[dict], rows: list[dict], what: str) -> None:
        self.assertIsInstance(rows, list)
        self.assertGreater(len(expected), 0, f"{what}: the command shows no rows")
        self.assertEqual(len(rows), len(expected), f"{what}: as many rows as --json")
        for k, (want, got) in enumerate(zip(expected, rows)):
            self.assertEqual(list(got.keys()), list(want.keys()), f"{what}: row {k}'s keys")
            for key, value in want.items():
                self.assertEqual(got[key], value, f"{what}: row {k} ({want['start']}), {key}")

    def assert_same_map(self, document: dict, m: Any, what: str) -> None:
        """Every field of the module's map against the command's JSON document."""
        self.assert_same_rows(document["mappings"], m.rows, what)
        self.assertEqual(m.rows, document["mappings"], what)
        self.assertEqual(m.source, document["source"], f"{what}: source")
        self.assertEqual(m.partial, document["partial"], f"{what}: partial")
        self.assertEqual(m.warnings, document["warnings"], f"{what}: warnings")
        self.assertEqual(m.generation, document["generation"], f"{what}: generation")
