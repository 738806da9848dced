#!/usr/bin/env python3
"""Prints the x86-64 system-call names of src/trace/syscall_table.cpp, one per number from 0 to
the highest, "" where no call has the number:

    scripts/make-syscall-table.py [/usr/include/x86_64-linux-gnu/asm/unistd_64.h]

The numbers come from the kernel header's __NR_ lines; the calls newer than the header (LATER) are
added from the kernel's arch/x86/entry/syscalls/syscall_64.tbl. The output is checked in, so the
build needs neither this script nor a new header.
"""

import re
import sys

# Calls of kernels newer than Debian 12's headers (Linux 6.1), from syscall_64.tbl.
LATER = {
    451: "cachestat",  # 6.5
    452: "fchmodat2",  # 6.6
    453: "map_shadow_stack",  # 6.6
    454: "futex_wake",  # 6.7
    455: "futex_wait",
    456: "futex_requeue",
    457: "statmount",  # 6.8
    458: "listmount",
    459: "lsm_get_self_attr",
    460: "lsm_set_self_attr",
    461: "lsm_list_modules",
    462: "mseal",  # 6.10
}

DEFINE = re.compile(r"^#define __NR_(\w+) (\d+)$")


def main() -> int:
    header = sys.argv[1] if len(sys.argv) > 1 else "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
    names = {}
    with open(header) as f:
        for line in f:
            m = DEFINE.match(line.strip())
            if m:
                names[int(m.group(2))] = m.group(1)
    for number, name in LATER.items():
        if names.get(number, name) != name:
            print(f"{header} names {number} {names[number]}, not {name}", file=sys.stderr)
            return 1
        names[number] = name
    last = max(names)
    print(f"inline constexpr std::array<std::string_view, {last + 1}> kNames = {{")
    for number in range(last + 1):
        print(f'    "{names.get(number, "")}",  // {number}')
    print("};")
    return 0


if __name__ == "__main__":
    sys.exit(main())
