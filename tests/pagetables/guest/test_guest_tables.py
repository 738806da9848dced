"""The page tables of a real guest: Debian's kernel booted in qemu-system-x86_64 with an initramfs
whose program prints its own /proc/self/maps, touches its pages and spins (qemu_guest.py), read
by vmatlas live through QEMU's gdbstub and from a dump-guest-memory of the same stopped guest.

- 5-level paging (TCG's -cpu max sets LA57): the live walk and the dump give the same rows and
  page facts, and every page QEMU's own walk (`info tlb`) lists lies in a row with its rights and
  frame; every present user page lies inside one of the program's maps rows with no more
  rights than the row, every page it touched is present with the row's rights; the kernel's
  text is executable and not writable, its rodata neither, its data and the direct map not
  executable (but for the real-mode trampoline below 1 MB), each checked against the ranges the
  guest's /proc/kallsyms gives.
- 4-level paging with page-table isolation (pti=on): --kpti-user walks the user copy of the
  program's top-level table, whose kernel half holds no kernel data; --kpti-kernel the kernel's
  copy, which has it, and the same user pages, not executable there.

Exits with 77 (skipped), saying why, when a guest cannot be booted here (qemu_guest.skip_reason).
"""

from __future__ import annotations

import bisect
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_guest  # noqa: E402  (the path is set just above)

SKIP = 77
VMATLAS = os.environ.get("VMATLAS_BIN", "vmatlas")


def vmatlas(*args: str) -> dict:
    """The JSON document of `vmatlas --json -v ARGS`; fails the test on a status other than 0."""
    run = subprocess.run([VMATLAS, "--json", "-v", *args], capture_output=True, text=True,
                         timeout=300)
    if run.returncode != 0:
        raise AssertionError(f"vmatlas {' '.join(args)}: status {run.returncode}\n{run.stderr}")
    return json.loads(run.stdout)


def rows(doc: dict) -> list[tuple]:
    return [(int(m["start"], 16), int(m["end"], 16), m["perms"], m["name"], " ".join(m["pages"]))
            for m in doc["mappings"]]


def write_kallsyms(guest: qemu_guest.Guest, path: str) -> dict[str, int]:
    symbols = guest.kallsyms()
    with open(path, "w") as f:
        for name, address in symbols.items():
            f.write(f"{address:016x} T {name}\n")
    return symbols


def physical(row: tuple) -> int:
    """The physical address of a row's first page, from its pages words."""
    return next(int(w[5:], 16) for w in row[4].split() if w.startswith("phys="))


def pages_of(table: list[tuple]) -> list[tuple]:
    """The ranges the rows cover, adjacent rows joined."""
    ranges: list[list[int]] = []
    for start, end, *_ in table:
        if ranges and ranges[-1][1] == start:
            ranges[-1][1] = end
        else:
            ranges.append([start, end])
    return [tuple(r) for r in ranges]


def covered(table: list[tuple], start: int, end: int) -> list[tuple]:
    """The rows of table that overlap [start, end), in order."""
    return [r for r in table if r[0] < end and start < r[1]]


def rights_within(perms: str, allowed: str) -> bool:
    return all(p == "-" or p == a for p, a in zip(perms[:3], allowed[:3]))


class FiveLevelGuest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.work = tempfile.TemporaryDirectory(prefix="vmatlas-guest-test-")
        # pti=off: QEMU's `info tlb` gives the leaf entries' bits, which are the pages' rights
        # only where the upper levels grant every right; the kernel's copy of a PTI pair sets NX
        # on its user half.
        cls.guest = qemu_guest.Guest.boot(workdir=cls.work.name, append="pti=off")
        cls.addClassCleanup(cls.work.cleanup)
        cls.addClassCleanup(cls.guest.close)
        cls.kallsyms = os.path.join(cls.work.name, "kallsyms")
        cls.symbols = write_kallsyms(cls.guest, cls.kallsyms)
        # Stopped, so that the dump and the live walk see one state: the dump leaves the guest
        # stopped, and the live read detaches after, which lets it run on.
        cls.guest.pause()
        cls.dump_path = os.path.join(cls.work.name, "guest.core")
        cls.guest.dump(cls.dump_path)
        cls.tlb = cls.guest.hmp("info tlb")
        cls.live = vmatlas("--kallsyms", cls.kallsyms, f"tcp:127.0.0.1:{cls.guest.gdb_port}")
        cls.dumped = vmatlas("--kallsyms", cls.kallsyms, cls.dump_path)
        cls.table = rows(cls.live)

    def test_live_and_dump_agree(self) -> None:
        self.assertEqual(self.live["source"]["kind"], "live guest")
        self.assertEqual(self.dumped["source"]["kind"], "guest dump")
        self.assertFalse(self.live["partial"])
        self.assertEqual(rows(self.live), rows(self.dumped))
        # 5-level paging: the kernel's half starts at 0xff00000000000000.
        self.assertTrue(any(r[0] >= 0xff00000000000000 and r[0] < 0xff80000000000000
                            for r in self.table if r[3] == "[direct map]"), self.table)

    def test_qemus_own_walk_agrees(self) -> None:
        # QEMU's `info tlb`: one line per present leaf entry, "ADDR: FRAME FLAGS", the flags
        # X(NX) G P(large) D A C T U W of the leaf entry. Without PTI, Linux's upper levels grant
        # every right, so the leaf's are the page's.
        starts = [r[0] for r in self.table]
        seen = 0
        for line in self.tlb.splitlines():
            address, _, rest = line.partition(":")
            fields = rest.split()
            if len(fields) != 2 or len(fields[1]) != 9:
                continue
            va, frame, flags = int(address, 16), int(fields[0], 16), fields[1]
            at = bisect.bisect_right(starts, va) - 1
            self.assertGreaterEqual(at, 0, line)
            start, end, perms, name, pages = self.table[at]
            self.assertLess(va, end, f"{line}: in no row")
            self.assertEqual((perms[1] == "w", perms[2] == "x", "user" in pages.split()),
                             (flags[8] == "W", flags[0] != "X", flags[7] == "U"), line)
            if "contiguous" in pages.split():
                self.assertEqual(physical(self.table[at]) + (va - start), frame, line)
            seen += 1
        self.assertGreater(seen, 1000, self.tlb[:400])

    def test_user_pages_lie_inside_the_programs_maps(self) -> None:
        maps = self.guest.maps()
        user = [r for r in self.table if r[0] < 1 << 56]
        self.assertTrue(user)
        for start, end, perms, name, pages in user:
            self.assertEqual(name, "[user]")
            inside = [m for m in maps if m.start <= start and end <= m.end]
            # A run may span rows of the maps that follow one another with the same rights.
            if not inside:
                spanned = [m for m in maps if m.start < end and start < m.end]
                self.assertTrue(spanned and spanned[0].start <= start and end <= spanned[-1].end
                                and all(a.end == b.start for a, b in zip(spanned, spanned[1:])),
                                f"{start:#x}-{end:#x} {perms} is in no row of the maps")
                inside = spanned
            for m in inside:
                self.assertTrue(rights_within(perms, m.perms),
                                f"{start:#x}-{end:#x} {perms} has more rights than {m}")

    def test_touched_pages_are_present_with_their_rights(self) -> None:
        touched = self.guest.touched()
        self.assertGreaterEqual(len(touched), 5)
        for t in touched:
            present = covered(self.table, t.start, t.end)
            self.assertTrue(present, f"{t} has no present page")
            self.assertEqual(present[0][0] <= t.start and t.end <= present[-1][1], True, t)
            self.assertTrue(all(a[1] == b[0] for a, b in zip(present, present[1:])), t)
            for r in present:
                self.assertEqual(r[2][:3], t.perms[:3], f"{t}: {r}")

    def test_kernel_half(self) -> None:
        s = self.symbols
        checks = [("_text", "_etext", "[kernel text]", "r-xp"),
                  ("__start_rodata", "__end_rodata", "[kernel rodata]", "r--p")]
        for first, last, name, perms in checks:
            part = covered(self.table, s[first], s[last])
            self.assertTrue(part, name)
            # In whole pages: the page holding the part's last byte is the part's.
            self.assertEqual(part[0][0], s[first], name)
            self.assertEqual(part[-1][1], (s[last] + 4095) & ~4095, name)
            for r in part:
                self.assertEqual((r[3], r[2]), (name, perms), r)
                self.assertIn("supervisor", r[4].split())
        for name in ("[kernel data]", "[kernel bss]", "[direct map]"):
            named = [r for r in self.table if r[3] == name]
            self.assertTrue(named, name)
            for r in named:
                # The one executable part of the direct map: the real-mode trampoline, which the
                # kernel copies below 1 MB and makes executable to start the other CPUs.
                if name == "[direct map]" and "x" in r[2]:
                    self.assertLess(physical(r) + (r[1] - r[0]), 1 << 20, r)
                    continue
                self.assertNotIn("x", r[2], r)
        # The direct map, found from page_offset_base's value in the guest, maps its 512 MB.
        direct = sum(r[1] - r[0] for r in self.table if r[3] == "[direct map]")
        self.assertGreaterEqual(direct, 256 << 20)


class FourLevelGuestWithPti(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.work = tempfile.TemporaryDirectory(prefix="vmatlas-guest-test-")
        options = {"append": "pti=on"}
        if qemu_guest.default_accel() == "tcg":
            options["cpu"] = "max,-la57"
        cls.guest = qemu_guest.Guest.boot(workdir=cls.work.name, **options)
        cls.addClassCleanup(cls.work.cleanup)
        cls.addClassCleanup(cls.guest.close)
        cls.kallsyms = os.path.join(cls.work.name, "kallsyms")
        cls.symbols = write_kallsyms(cls.guest, cls.kallsyms)
        target = f"tcp:127.0.0.1:{cls.guest.gdb_port}"
        cls.guest.pause()
        cls.user = rows(vmatlas("--kallsyms", cls.kallsyms, "--kpti-user", target))
        cls.guest.pause()
        cls.kernel = rows(vmatlas("--kallsyms", cls.kallsyms, "--kpti-kernel", target))

    def test_the_user_copy_hides_the_kernel(self) -> None:
        if not self.guest.pti()["enabled"]:
            self.skipTest(f"the guest kernel did not turn page-table isolation on: "
                          f"{self.guest.pti()}")
        names = {r[3] for r in self.user}
        self.assertNotIn("[kernel data]", names)
        self.assertNotIn("[direct map]", names)
        self.assertIn("[kernel data]", {r[3] for r in self.kernel})
        self.assertIn("[direct map]", {r[3] for r in self.kernel})
        # Both copies map the same user pages; the kernel's copy makes them not executable (PTI
        # sets NX in its user half, so that the kernel cannot run user code).
        user = [r for r in self.user if r[0] < 1 << 47]
        kernel = [r for r in self.kernel if r[0] < 1 << 47]
        self.assertTrue(any("x" in r[2] for r in user), user)
        self.assertFalse(any("x" in r[2] for r in kernel), kernel)
        self.assertEqual(pages_of(user), pages_of(kernel))

    def test_four_levels(self) -> None:
        # 4-level paging: the kernel's half starts at 0xffff800000000000.
        kernel_half = [r for r in self.kernel if r[0] >= 1 << 63]
        self.assertTrue(kernel_half)
        self.assertTrue(all(r[0] >= 0xffff800000000000 for r in kernel_half))
        text = covered(self.kernel, self.symbols["_text"], self.symbols["_etext"])
        self.assertTrue(text and all(r[2] == "r-xp" for r in text), text)


if __name__ == "__main__":
    why = qemu_guest.skip_reason()
    if why:
        print(f"skipped: {why}")
        sys.exit(SKIP)
    unittest.main()
