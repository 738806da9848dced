"""The module against the command on the same stopped process, on the core file the kernel
wrote of it, and on snapshots of both: every field of every row (`vmatlas --json`), the default
view's text (`vmatlas [options] TARGET [FILTER]`), `where --json`, `save`, and `diff --json`."""

from __future__ import annotations

import os
import tempfile
import unittest

import support

vmatlas = support.import_module()


# The smaps figures of a row in a snapshot (docs/snapshot.md).
FIGURES = ["rss", "pss", "pss_dirty", "shared_clean", "shared_dirty", "private_clean",
           "private_dirty", "referenced", "anonymous", "ksm", "lazy_free", "anon_huge",
           "shmem_pmd", "file_pmd", "shared_hugetlb", "private_hugetlb", "swap", "swap_pss",
           "locked", "kernel_page_size", "mmu_page_size", "thp_eligible", "vm_flags"]


def render_cases(rows: list[dict]) -> list[tuple[str | int | None, dict]]:
    """Filters and options that exercise every way of showing a map, from its own rows: text, a
    kernel name, an address (with and without context, as a str and as an int), a hole, -w and
    -x (one hiding the address's row), --gaps whole and around an address, colours, a symbol,
    NAME+OFFSET, and a filter that matches nothing."""
    starts = [int(r["start"], 16) for r in rows]
    ends = [int(r["end"], 16) for r in rows]
    middle = len(rows) // 2
    inside = hex(starts[middle] + 0x10)
    hole = next(hex(ends[k]) for k in range(len(rows) - 1) if ends[k] < starts[k + 1])
    code = next(hex(starts[k]) for k, r in enumerate(rows) if r["perms"].startswith("r-x"))
    named = next(r["name"] for r in rows if r["name"].startswith("[") and r["name"] != "[heap]")
    cases: list[tuple[str | int | None, dict]] = [
        (None, {}),
        (None, {"writable": True}),
        (None, {"executable": True}),
        (None, {"color": True}),
        (None, {"gaps": True}),
        ("vmatlas", {}),
        ("vmatlas", {"before": 1, "after": 2}),
        (named, {}),
        (inside, {}),
        (inside, {"before": 3, "after": 0}),
        (inside, {"gaps": True}),
        (inside, {"color": True}),
        (int(inside, 16), {}),
        (hole, {}),
        (code, {"writable": True}),
        (code, {"executable": True}),
        ("malloc", {}),
        ("[heap]+0x10", {}),
        ("no-such-name-in-any-map", {}),
    ]
    return cases


class Comparisons(support.MapTestCase):
    """What every target is compared on; target is what the command is given."""

    target: str
    map: object
    figures_move = False  # the smaps figures of the target change as other processes run

    def check_rows(self) -> None:
        document = support.run("--json", self.target).json()
        self.assert_same_map(document, self.map, f"vmatlas --json {self.target}")

    def check_render(self) -> None:
        m = self.map
        for filter, options in render_cases(m.rows):
            with self.subTest(filter=filter, **options):
                want = support.run(*support.command_args(self.target, filter, **options))
                self.assertIn(want.status, (0, 1), want.err)
                self.assertEqual(m.render(filter, **options), want.out)

    def where_inputs(self) -> list[str]:
        rows = self.map.rows
        starts = [int(r["start"], 16) for r in rows]
        ends = [int(r["end"], 16) for r in rows]
        hole = next(ends[k] for k in range(len(rows) - 1) if ends[k] < starts[k + 1])
        return [hex(starts[0]), hex(starts[len(rows) // 2] + 0x123), hex(ends[-1] - 1), hex(hole)]

    def check_where(self) -> None:
        rows = self.map.rows
        numbers = self.where_inputs()
        many = [hex(int(r["start"], 16) + 8) for r in rows][:40]  # more than 16: the whole map
        for inputs in (numbers, numbers + ["malloc", "[heap]+0x10", "not an address"], many,
                       numbers[:1]):
            with self.subTest(inputs=inputs):
                want = support.run("where", "--json", self.target, *inputs)
                self.assertIn(want.status, (0, 1), want.err)
                answers = want.json_lines()
                self.assertEqual(len(answers), len(inputs))
                self.assertEqual(vmatlas.where(self.target, inputs), answers)
                self.assertEqual(vmatlas.where(self.map, inputs), answers)
        # An int is its address in hex.
        as_ints = [int(a, 16) for a in numbers]
        want = support.run("where", "--json", self.target, *numbers).json_lines()
        self.assertEqual(vmatlas.where(self.target, as_ints), want)

    def check_snapshot(self, m) -> None:
        """save() writes what `vmatlas save` writes, and open() reads it back as the command
        reads it."""
        with tempfile.TemporaryDirectory() as tmp:
            ours, theirs = os.path.join(tmp, "module.json"), os.path.join(tmp, "command.json")
            m.save(ours)
            made = support.run("save", self.target, "-o", theirs)
            self.assertEqual(made.status, 0, made.err)
            mine, command = support.snapshot_document(ours), support.snapshot_document(theirs)
            if self.figures_move:
                # A live process's smaps figures of shared pages (PSS, shared and private
                # pages) change whenever another process maps or unmaps the same file, as the
                # command does as it runs: the save of layout.smaps checks them exactly
                # (test_files.py). Here, that each row has them.
                for row in mine["rows"] + command["rows"]:
                    self.assertEqual(set(row.pop("figures")), set(FIGURES), row["start"])
            self.assertEqual(mine, command)
            back = vmatlas.open(ours)
            self.assert_same_map(support.run("--json", ours).json(), back, "the saved snapshot")
            self.assertEqual(back.rows, self.map.rows)
            self.assertEqual(back.generation, self.map.generation)
            self.check_snapshot_diff(ours)

    def check_snapshot_diff(self, snapshot: str) -> None:
        want = support.run("diff", "--json", snapshot, self.target)
        self.assertEqual(want.status, 0, want.err)
        got = vmatlas.diff(vmatlas.open(snapshot), self.map)
        self.assertEqual(got, want.json())
        self.assertTrue(got["same"])


class LiveProcess(Comparisons):
    """The demo (a file whose name has a space, a deleted file, a memfd, a split region, threads,
    a dlopened library), stopped."""

    figures_move = True

    @classmethod
    def setUpClass(cls) -> None:
        cls.demo = support.Demo()
        cls.demo.stop()
        cls.target = str(cls.demo.pid)
        cls.map = vmatlas.open(cls.demo.pid)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.demo.close()

    def test_rows_are_the_commands(self) -> None:
        self.check_rows()
        self.assertEqual(self.map.source["pid"], self.demo.pid)
        self.assertEqual(vmatlas.open(self.target).rows, self.map.rows)

    def test_render_is_the_commands_output(self) -> None:
        self.check_render()

    def test_where_is_the_commands(self) -> None:
        self.check_where()

    def test_save_writes_what_the_command_saves(self) -> None:
        # `vmatlas save` reads smaps: the module does with figures=True.
        self.check_snapshot(vmatlas.open(self.demo.pid, figures=True))

    def test_figures_read_smaps(self) -> None:
        m = vmatlas.open(self.demo.pid, figures=True)
        self.assertEqual(m.source["origin"], f"/proc/{self.demo.pid}/smaps")
        self.assertEqual(self.map.source["origin"], f"/proc/{self.demo.pid}/maps")
        self.assertEqual(m.rows, self.map.rows)

    def test_regions_added(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            regions = os.path.join(tmp, "board.regions")
            with open(regions, "w") as f:
                f.write("0x1000 0x2000 r-x 0 boot rom\n")
            want = support.run("--json", "--add", regions, self.target).json()
            m = vmatlas.open(self.demo.pid, add=[regions])
            self.assert_same_map(want, m, "--add")
            self.assertEqual(m.rows[0]["start"], "0x1000")


class CoreFile(Comparisons):
    """The core the kernel wrote of the stopped demo (SIGSEGV); gdb's (gcore) when the kernel
    writes cores elsewhere than the process's directory (core_pattern)."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.demo = support.Demo()
        cls.demo.stop()
        core = cls.demo.dump_core() if support.relative_core_pattern() else cls.demo.gcore()
        if core is None:
            cls.demo.close()
            raise unittest.SkipTest("neither the kernel nor gcore made a core file")
        cls.target = core
        cls.map = vmatlas.open(core)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.demo.close()

    def test_rows_are_the_commands(self) -> None:
        self.check_rows()
        self.assertEqual(self.map.source["kind"], "core")

    def test_render_is_the_commands_output(self) -> None:
        self.check_render()

    def test_where_is_the_commands(self) -> None:
        self.check_where()

    def test_save_writes_what_the_command_saves(self) -> None:
        self.check_snapshot(self.map)


if __name__ == "__main__":
    unittest.main()
