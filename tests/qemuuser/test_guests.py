"""QEMU user-mode guests, live: guest_program.c built for aarch64 (clang with Debian's arm64 cross
libc), x86-64 and i386 (gcc), each run under Debian's qemu-ARCH. The guest prints its own
/proc/self/maps (QEMU's text of the guest's map) and waits; `vmatlas --json qemu-user:PID` must
give every row the guest printed, at the guest's addresses, with its file, offset and name, and
the guest's files named as vmatlas names the guest's own text.

The guest is named relative to QEMU's directory and leaves it before it prints; one x86-64 guest
is given a guest base (-B), one aarch64 guest a reservation (-R). Execute permission is left out
of the comparison: QEMU never gives guest pages execute permission in its own map, so vmatlas
shows QEMU's. The anonymous rows with no access of a guest in a reservation (32-bit, or -R) are
left out of the guest's side: they cannot be told from QEMU's filler (docs/qemu-user.md).

Exits with 77 (skipped), saying why, when qemu-user is not installed.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SKIP = 77
VMATLAS = os.environ.get("VMATLAS_BIN", "vmatlas")
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "guest_program.c")
AARCH64_ROOT = "/usr/aarch64-linux-gnu"

BUILD = {
    "aarch64": ["clang", "--target=aarch64-linux-gnu", "-O1"],
    "x86_64": ["gcc", "-O1"],
    "i386": ["gcc", "-m32", "-O1"],
}
QEMU_OPTIONS = {"aarch64": ["-L", AARCH64_ROOT], "x86_64": [], "i386": []}


def parse_maps(text: str) -> list[dict]:
    rows = []
    for line in text.splitlines():
        f = line.split(None, 5)
        start, end = (int(x, 16) for x in f[0].split("-"))
        rows.append({"start": start, "end": end, "perms": f[1], "offset": int(f[2], 16),
                     "dev": f[3], "inode": int(f[4]), "path": f[5].strip() if len(f) > 5 else ""})
    return rows


def key(row: dict) -> tuple:
    p = row["perms"]
    return (row["start"], row["end"], p[0], p[1], p[3], row["offset"], row["inode"], row["path"])


def vmatlas_json(*args: str) -> dict:
    run = subprocess.run([VMATLAS, "--json", *args], capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        raise AssertionError(f"vmatlas {' '.join(args)}: status {run.returncode}\n{run.stderr}")
    return json.loads(run.stdout)


def rows_of(doc: dict) -> list[dict]:
    """A map document's rows as parse_maps gives a maps text's: a kernel name such as [stack]
    is the row's path there."""
    out = []
    for m in doc["mappings"]:
        path = m["path"] or (m["name"] if m["name"] in ("[stack]", "[vsyscall]") else "")
        out.append({"start": int(m["start"], 16), "end": int(m["end"], 16), "perms": m["perms"],
                    "offset": m["offset"], "inode": m["inode"], "path": path, "name": m["name"]})
    return out


class Guest:
    """guest_program built for arch and running under qemu-arch, stopped in pause()."""

    def __init__(self, arch: str, workdir: str, options: tuple = (), link: bool = False):
        self.program = os.path.join(workdir, f"guest-{arch}")
        subprocess.run(BUILD[arch] + [SOURCE, "-o", self.program], check=True)
        self.printed = os.path.join(workdir, f"{arch}.printed")
        # Named relative to QEMU's directory, which the guest then leaves; or by the absolute
        # name of a link to it, which only its device and inode tie to its rows.
        name = f"./guest-{arch}"
        if link:
            name = os.path.join(workdir, f"link-to-guest-{arch}")
            os.symlink(self.program, name)
        with open(self.printed, "w") as out:
            self.proc = subprocess.Popen([f"qemu-{arch}", *QEMU_OPTIONS[arch], *options, name],
                                         cwd=workdir, stdout=out, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        line = b""
        while b"ready" not in line:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stderr], [], [], left)[0]:
                self.close()
                raise AssertionError(f"the {arch} guest did not start")
            line += os.read(self.proc.stderr.fileno(), 4096)
            if self.proc.poll() is not None:
                raise AssertionError(f"the {arch} guest exited: {line!r}")

    def maps(self) -> list[dict]:
        with open(self.printed) as f:
            return parse_maps(f.read())

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.proc.stderr.close()


class QemuUserGuests(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="vmatlas-qemu-user-")

    def tearDown(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def check(self, arch: str, wide: bool, options: tuple = (), link: bool = False) -> None:
        """wide: the guest's rows with no access are all there (not in one reservation)."""
        guest = Guest(arch, self.dir, options, link)
        try:
            doc = vmatlas_json(f"qemu-user:{guest.proc.pid}")
            printed = guest.maps()
        finally:
            guest.close()
        self.assertEqual(doc["source"]["kind"], "qemu user")
        self.assertEqual(doc["source"]["pid"], guest.proc.pid)
        self.assertEqual(doc["source"]["origin"], f"qemu-user:{guest.proc.pid}")
        self.assertIn("guest base", doc["source"]["method"])
        ours = rows_of(doc)
        expected = {key(r) for r in printed
                    if wide or r["perms"][:3] != "---" or r["path"] not in ("", "[stack]")}
        self.assertEqual({key(r) for r in ours}, expected)
        # The guest's files are named as vmatlas names the guest's own text (QEMU 7.2 prints an
        # x86-64 guest's [vsyscall] row twice: once here).
        text = os.path.join(self.dir, f"{arch}.maps")
        once = {r["start"]: r for r in printed}.values()
        with open(text, "w") as f:
            f.writelines(f"{r['start']:x}-{r['end']:x} {r['perms']} {r['offset']:08x} {r['dev']} "
                         f"{r['inode']} {r['path']}\n" for r in once)
        names = {(r["start"], r["name"]) for r in rows_of(vmatlas_json(text)) if r["inode"]}
        self.assertTrue(names)
        self.assertLessEqual(names, {(r["start"], r["name"]) for r in ours})
        self.assertIn("data", {name for _, name in names})

    def test_aarch64_guest(self) -> None:
        if not os.path.exists(os.path.join(AARCH64_ROOT, "lib/libc.so.6")):
            self.skipTest(f"no arm64 libc in {AARCH64_ROOT} (libc6-dev-arm64-cross)")
        self.check("aarch64", wide=True)

    def test_x86_64_guest(self) -> None:
        self.check("x86_64", wide=True)

    def test_i386_guest(self) -> None:
        self.check("i386", wide=False)

    def test_x86_64_guest_named_through_a_link(self) -> None:
        self.check("x86_64", wide=True, link=True)

    def test_x86_64_guest_given_a_guest_base(self) -> None:
        self.check("x86_64", wide=True, options=("-B", "0x10000000000"))

    def test_aarch64_guest_given_a_reservation(self) -> None:
        if not os.path.exists(os.path.join(AARCH64_ROOT, "lib/libc.so.6")):
            self.skipTest(f"no arm64 libc in {AARCH64_ROOT} (libc6-dev-arm64-cross)")
        self.check("aarch64", wide=False, options=("-R", "0x100000000"))

    def test_qemus_user_mode_stub_as_a_gdbserver_target_points_here(self) -> None:
        with socket.socket() as s:  # a port free now, for QEMU to listen on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        program = os.path.join(self.dir, "guest-x86_64")
        subprocess.run(BUILD["x86_64"] + [SOURCE, "-o", program], check=True)
        qemu = subprocess.Popen(["qemu-x86_64", "-g", str(port), program],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):  # QEMU listens once it has loaded the guest
                run = subprocess.run([VMATLAS, f"tcp:127.0.0.1:{port}"], capture_output=True,
                                     text=True, timeout=60)
                if "cannot connect" not in run.stderr:
                    break
                time.sleep(0.1)
        finally:
            qemu.kill()
            qemu.wait()
        self.assertEqual(run.returncode, 7)
        self.assertEqual(run.stderr,
                         f"vmatlas: tcp:127.0.0.1:{port} is QEMU's user-mode gdbstub, which reads "
                         "no files and gives no map: give qemu-user:PID, PID the QEMU process's "
                         "on its machine (docs/qemu-user.md)\n")

    def test_a_process_that_is_no_qemu_is_a_usage_error(self) -> None:
        run = subprocess.run([VMATLAS, f"qemu-user:{os.getpid()}"], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(run.returncode, 2)
        self.assertIn("which is no QEMU user-mode emulator", run.stderr)


if __name__ == "__main__":
    if not shutil.which("qemu-x86_64"):
        print("skipped: qemu-user is not installed (scripts/setup.sh installs it)")
        sys.exit(SKIP)
    unittest.main()
