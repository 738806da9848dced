"""Failures raise vmatlas.Error with the command's sentence (str), its exit status (.status) and
the kind of error (.kind): a PID that does not exist, a file that does not exist, a file of bad
rows, a file with no rows, a bad request; and a map that is only partly read is no error."""

from __future__ import annotations

import os
import tempfile
import unittest

import support

vmatlas = support.import_module()


def free_pid() -> int:
    """A PID no process has now."""
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists(f"/proc/{pid}"):
            return pid
    raise RuntimeError("every PID is taken")


class Errors(unittest.TestCase):
    def assert_raises_as_command(self, args: list[str], call, kind: str, status: int):
        """call() raises the Error the command fails with for args."""
        want = support.run(*args)
        self.assertEqual(want.status, status, want.err)
        with self.assertRaises(vmatlas.Error) as caught:
            call()
        e = caught.exception
        self.assertEqual(e.kind, kind)
        self.assertEqual(e.status, status)
        self.assertEqual(str(e), want.last_sentence())
        return e

    def test_error_is_an_exception(self) -> None:
        self.assertTrue(issubclass(vmatlas.Error, Exception))

    def test_no_such_process(self) -> None:
        pid = free_pid()
        self.assert_raises_as_command(["--json", str(pid)], lambda: vmatlas.open(pid),
                                      "no_such_process", 3)
        self.assert_raises_as_command(["where", "--json", str(pid), "0x1000"],
                                      lambda: vmatlas.where(pid, [0x1000]), "no_such_process", 3)

    def test_no_such_file(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "no such.maps")
            self.assert_raises_as_command(["--json", path], lambda: vmatlas.open(path),
                                          "no_such_process", 3)
            regions = os.path.join(tmp, "missing.regions")
            seed = str(support.FIXTURES / "seed003.maps")
            self.assert_raises_as_command(["--json", "--add", regions, seed],
                                          lambda: vmatlas.open(seed, add=[regions]),
                                          "no_such_process", 3)

    def test_malformed_maps_file(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bad.maps")
            with open(path, "w") as f:
                f.write("55555555c000-55555555zz00 r-xp 00000000 08:01 1234 /bin/x\n"
                        "7f0000000000-7f0000001000 rwqp 00000000 00:00 0\n")
            e = self.assert_raises_as_command(["--json", path], lambda: vmatlas.open(path),
                                              "malformed_input", 7)
            printed = [line[len("vmatlas: warning: "):]
                       for line in support.run(path).err.splitlines()
                       if line.startswith("vmatlas: warning: ")]
            self.assertEqual(list(e.warnings), printed)
            self.assertEqual(len(e.warnings), 2)

    def test_a_file_with_no_rows(self) -> None:
        empty = str(support.DIFF_FIXTURES / "empty.maps")
        e = self.assert_raises_as_command(["--json", empty], lambda: vmatlas.open(empty),
                                          "unreadable_input", 7)
        self.assertEqual(list(e.warnings), [])

    def test_a_broken_snapshot(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "broken.json")
            with open(path, "w") as f:
                f.write('{"format":"vmatlas-snapshot","version":1,"rows":[{"start":"0x12g"}]}\n')
            self.assert_raises_as_command(["--json", path], lambda: vmatlas.open(path),
                                          "malformed_input", 7)

    def test_gaps_with_w_is_a_usage_error(self) -> None:
        seed = str(support.FIXTURES / "seed003.maps")
        self.assert_raises_as_command(["--gaps", "-w", seed],
                                      lambda: vmatlas.open(seed).render(gaps=True, writable=True),
                                      "usage", 2)

    def test_save_where_it_cannot_write(self) -> None:
        seed = str(support.FIXTURES / "seed003.maps")
        with tempfile.TemporaryDirectory() as tmp:
            self.assert_raises_as_command(["save", seed, "-o", tmp],
                                          lambda: vmatlas.open(seed).save(tmp),
                                          "unreadable_input", 10)

    def test_wrong_types_are_type_errors(self) -> None:
        seed = str(support.FIXTURES / "seed003.maps")
        with self.assertRaises(TypeError):
            vmatlas.open(1.5)
        with self.assertRaises(TypeError):
            vmatlas.where(seed, [1.5])
        with self.assertRaises(ValueError):
            vmatlas.where(seed, [-1])
        with self.assertRaises(ValueError):
            vmatlas.where(seed, [2**64])


if __name__ == "__main__":
    unittest.main()
