#!/usr/bin/env python3
"""Checks that the library's includes run down the pipeline only:

    model -> sources -> annotate -> symbolize -> trace -> query -> render

A file of one stage (src/<stage>/, or a public header in include/vmatlas/ of that stage) may
include headers of its own stage and of earlier ones, never of a later one. The examples use the
public headers alone. Prints each include that breaks the rule and exits 1; exits 0 when there
is none.

    scripts/check-layers.py [SOURCE_DIR]
"""

import re
import sys
from pathlib import Path

STAGES = ["model", "sources", "annotate", "symbolize", "trace", "query", "render"]

# The stage of each public header. A header missing here is an error: a new one must say where it
# belongs.
PUBLIC = {
    "mapping.hpp": "model",
    "address_space.hpp": "model",
    "result.hpp": "model",
    "exit_statuses.hpp": "model",  # the command's statuses for each ErrorKind
    "short_text.hpp": "model",
    "annotations.hpp": "model",  # the names' data, which sources may bring and views show
    "process_facts.hpp": "sources",
    "threads.hpp": "sources",
    "procfs.hpp": "sources",
    "maps_text.hpp": "sources",
    "gdb_text.hpp": "sources",
    "smaps.hpp": "sources",
    "core.hpp": "sources",
    "regions.hpp": "sources",
    "snapshot.hpp": "sources",
    "elf.hpp": "sources",
    "elf_image.hpp": "sources",
    "target.hpp": "sources",
    "map_walk.hpp": "sources",
    "annotate.hpp": "annotate",
    "named_map.hpp": "annotate",
    "where.hpp": "symbolize",
    "query.hpp": "query",
    "diff.hpp": "query",
    "summary.hpp": "query",
    "snapshot_writer.hpp": "render",
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def stage_of_include(name: str):
    """The stage of a quoted include, or None when it is no library header."""
    parts = Path(name).parts
    if len(parts) == 2 and parts[0] == "vmatlas":
        return PUBLIC.get(parts[1], "unknown public header")
    if len(parts) >= 2 and parts[0] in STAGES:
        return parts[0]
    return None


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    problems = []
    files = []
    for stage in STAGES:
        files += [(p, stage) for p in sorted((root / "src" / stage).glob("*.[ch]pp"))]
    for header in sorted((root / "include" / "vmatlas").glob("*.hpp")):
        stage = PUBLIC.get(header.name)
        if stage is None:
            problems.append(f"{header.relative_to(root)}: a public header with no stage in "
                            f"scripts/check-layers.py")
            continue
        files.append((header, stage))
    for path, stage in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            included = stage_of_include(m.group(1))
            if included is None:
                continue
            if included not in STAGES:
                problems.append(f"{path.relative_to(root)}:{number}: {m.group(1)}: {included}")
            elif STAGES.index(included) > STAGES.index(stage):
                problems.append(f"{path.relative_to(root)}:{number}: {m.group(1)} is of the "
                                f"{included} stage, which comes after {stage}")
    for path in sorted((root / "examples").glob("*.[ch]pp")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if m and not m.group(1).startswith("vmatlas/"):
                problems.append(f"{path.relative_to(root)}:{number}: an example includes "
                                f"{m.group(1)}, which is not a public header")
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} include(s) run up the pipeline "
              f"({' -> '.join(STAGES)})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
