"""The module as installed: `cmake --install BUILD --prefix TMP` puts it in
TMP/lib/python3/dist-packages (Debian's directory for modules of every Python 3), from where the
interpreter imports it with nothing of the build tree on its path, and it gives the rows that the
installed command gives with --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import support

support.import_module()  # skipped when the module is not built

BUILD_DIR = os.environ["VMATLAS_BUILD_DIR"]

SCRIPT = """
import json, sys, vmatlas
m = vmatlas.open(sys.argv[1])
print(json.dumps({"file": vmatlas.__file__, "rows": m.rows, "source": m.source,
                  "warnings": m.warnings, "generation": m.generation}))
"""


class Installed(unittest.TestCase):
    def test_import_from_the_installed_tree(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            prefix = Path(tmp) / "prefix"
            subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", str(prefix)],
                           check=True, stdout=subprocess.DEVNULL)
            site = prefix / "lib" / "python3" / "dist-packages"
            installed = list(site.glob("vmatlas*.so"))
            self.assertEqual(len(installed), 1, f"one module in {site}: {installed}")
            env = {k: v for k, v in os.environ.items() if not k.startswith("VMATLAS_")}
            env["PYTHONPATH"] = str(site)
            target = str(support.FIXTURES / "seed003.maps")
            got = subprocess.run([sys.executable, "-c", SCRIPT, target], env=env, cwd=tmp,
                                 capture_output=True, check=True)
            module = json.loads(got.stdout)
            self.assertEqual(Path(module["file"]), installed[0])
            want = support.run("--json", target, binary=str(prefix / "bin" / "vmatlas")).json()
            self.assertGreater(len(want["mappings"]), 0)
            self.assertEqual(module["rows"], want["mappings"])
            self.assertEqual(module["source"], want["source"])
            self.assertEqual(module["warnings"], want["warnings"])
            self.assertEqual(module["generation"], want["generation"])


if __name__ == "__main__":
    unittest.main()
