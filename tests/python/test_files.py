"""The module against the command on the checked-in inputs (tests/fixtures/README.md and
tests/diff/fixtures/README.md): maps texts with hostile names, every kernel name, a 32-bit map,
bad rows (a partial map), smaps text, regions files, snapshots, and diffs of each kind."""

from __future__ import annotations

import os
import tempfile
import unittest

import support

vmatlas = support.import_module()

FIX = support.FIXTURES
DIFF = support.DIFF_FIXTURES
PMAP = support.SOURCE_DIR / "tests" / "pmap" / "fixtures"

TARGETS = [FIX / "seed003.maps", FIX / "hostile.maps", FIX / "special-names.maps",
           FIX / "32bit.maps", FIX / "overlap.maps", FIX / "board.regions",
           PMAP / "layout.smaps", DIFF / "before.json", DIFF / "after.maps"]


class Files(support.MapTestCase):
    def test_rows_are_the_commands(self) -> None:
        for target in TARGETS:
            with self.subTest(target=target.name):
                want = support.run("--json", str(target))
                self.assertIn(want.status, (0, 9), want.err)
                self.assert_same_map(want.json(), vmatlas.open(str(target)), target.name)

    def test_a_path_object_is_a_target(self) -> None:
        target = FIX / "seed003.maps"
        self.assertEqual(vmatlas.open(target).rows, vmatlas.open(str(target)).rows)

    def test_a_partial_map_is_no_error(self) -> None:
        target = str(DIFF / "bad-rows.maps")
        want = support.run("--json", target)
        self.assertEqual(want.status, 9, want.err)
        m = vmatlas.open(target)
        self.assert_same_map(want.json(), m, "bad-rows.maps")
        self.assertTrue(m.partial)
        # Each warning the command printed, as the JSON has it.
        printed = [line[len("vmatlas: warning: "):] for line in want.err.splitlines()
                   if line.startswith("vmatlas: warning: ")]
        self.assertEqual(m.warnings, printed)
        self.assertEqual(m.warnings[:2], ["line 3, column 14: bad end address '55555555c0zz'",
                                          "line 7, column 27: bad permissions 'rwqp'"])

    def test_render_of_hostile_names_is_the_commands(self) -> None:
        target = str(FIX / "hostile.maps")
        m = vmatlas.open(target)
        for filter, options in ((None, {}), ("two", {}), ("0x7f0000004010", {"before": 0}),
                                (None, {"gaps": True}), (None, {"color": True})):
            with self.subTest(filter=filter, **options):
                want = support.run(*support.command_args(target, filter, **options))
                self.assertEqual(want.status, 0, want.err)
                self.assertEqual(m.render(filter, **options), want.out)

    def test_a_filter_that_matches_nothing_renders_what_the_command_prints(self) -> None:
        target = str(FIX / "seed003.maps")
        m = vmatlas.open(target)
        for filter in ("nothing-is-called-this", "0x10", "nosuchsymbol+0x10"):
            with self.subTest(filter=filter):
                want = support.run("--color=never", target, filter)
                self.assertEqual(want.status, 1, want.err)
                self.assertEqual(m.render(filter), want.out)
                with self.assertRaises(vmatlas.Error) as said:
                    m.render(filter, strict=True)
                self.assertEqual(said.exception.kind, "no_match")
                self.assertEqual(said.exception.status, 1)
                self.assertEqual(said.exception.output, want.out)
                self.assertEqual("vmatlas: " + str(said.exception) + "\n", want.err)

    def test_where_on_maps_text(self) -> None:
        target = str(FIX / "seed003.maps")
        rows = vmatlas.open(target).rows
        inputs = [rows[0]["start"], hex(int(rows[-1]["end"], 16) - 1), "0x1", "[heap]+0x10",
                  "[stack]", "nonsense"]
        want = support.run("where", "--json", target, *inputs)
        self.assertEqual(want.status, 1, want.err)
        self.assertEqual(vmatlas.where(target, inputs), want.json_lines())
        # One address alone is a list of one answer.
        one = support.run("where", "--json", target, inputs[0]).json_lines()
        self.assertEqual(vmatlas.where(target, inputs[0]), one)

    def test_diff_is_the_commands(self) -> None:
        pairs = [(DIFF / "before.maps", DIFF / "after.maps"),
                 (DIFF / "before.json", DIFF / "after.json"),
                 (DIFF / "before.json", DIFF / "after.maps"),
                 (DIFF / "layout.maps", DIFF / "layout.smaps"),
                 (DIFF / "before.maps", DIFF / "bad-rows.maps")]
        for a, b in pairs:
            with self.subTest(a=a.name, b=b.name):
                want = support.run("diff", "--json", str(a), str(b))
                self.assertIn(want.status, (0, 1, 9), want.err)
                got = vmatlas.diff(vmatlas.open(str(a)), vmatlas.open(str(b)))
                self.assertEqual(got, want.json())
                self.assertEqual(got["same"], want.status == 0)

    def test_save_then_open(self) -> None:
        for target in (FIX / "seed003.maps", PMAP / "layout.smaps", DIFF / "before.json"):
            with self.subTest(target=target.name), tempfile.TemporaryDirectory() as tmp:
                m = vmatlas.open(str(target))
                saved = os.path.join(tmp, "saved.json")
                m.save(saved)
                command = os.path.join(tmp, "command.json")
                self.assertEqual(support.run("save", str(target), "-o", command).status, 0)
                self.assertEqual(support.snapshot_document(saved),
                                 support.snapshot_document(command))
                back = vmatlas.open(saved)
                self.assert_same_map(support.run("--json", saved).json(), back, "saved")
                self.assertEqual(back.rows, m.rows)


if __name__ == "__main__":
    unittest.main()
