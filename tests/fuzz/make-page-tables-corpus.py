#!/usr/bin/env python3
"""Makes the seed corpus of the page-table fuzz target (tests/fuzz/corpus/page_tables/).

    tests/fuzz/make-page-tables-corpus.py [--out DIR]

Each seed is the target's input (see fuzz_page_tables.cpp): CR3, a flags byte, then physical
memory page by page, page k at physical address k * 4096 (and at every address below 4 GB with
the same page number modulo the number of pages). The tables are built here, one seed per case:
4-level with 4 KB, 2 MB and 1 GB pages and a kernel half; 5-level; a PML4 that points to itself;
a PML4 whose every entry points to itself (the walk stops at its bound); NX bits with and without
EFER.NXE; tables above 4 GB (not in the memory); the last page below 2^64; reserved bits.
"""
import os
import struct
import sys

P, W, U, PS, G, NX = 1, 2, 4, 0x80, 0x100, 1 << 63
LA57, NXE, NO_PAE = 1, 2, 4


class Memory:
    def __init__(self, pages):
        self.pages = [bytearray(4096) for _ in range(pages)]

    def set(self, table, index, entry):
        struct.pack_into("<Q", self.pages[table // 4096], index * 8, entry)

    def seed(self, cr3, flags):
        return struct.pack("<QB7x", cr3, flags) + b"".join(self.pages)


def four_level():
    m = Memory(8)
    m.set(0x1000, 0, 0x2000 | P | W | U)
    m.set(0x2000, 0, 0x3000 | P | W | U)
    m.set(0x3000, 0, 0x4000 | P | W | U)
    for i in range(8):
        m.set(0x4000, i, (0x100000 + i * 4096) | P | U | (W if i % 3 else 0) | (NX if i > 4 else 0))
    m.set(0x3000, 1, 0x200000 | P | W | U | PS)
    m.set(0x2000, 1, 0x40000000 | P | W | U | PS | G)
    m.set(0x1000, 511, 0x5000 | P | W)
    m.set(0x5000, 510, 0x6000 | P | W)
    m.set(0x6000, 0, 0x1000000 | P | W | PS | G)
    m.set(0x6000, 1, 0x1200000 | P | PS | G)
    return m.seed(0x1000 | 0x5, NXE)


def five_level():
    m = Memory(8)
    m.set(0x1000, 0, 0x2000 | P | W | U)
    m.set(0x2000, 0, 0x3000 | P | W | U)
    m.set(0x3000, 0, 0x4000 | P | W | U)
    m.set(0x4000, 0, 0x5000 | P | W | U)
    m.set(0x5000, 0, 0x100000 | P | U)
    m.set(0x1000, 256, 0x6000 | P | W)
    m.set(0x6000, 511, 0x7000 | P | W)
    m.set(0x7000, 510, 0x40000000 | P | W | PS | G)
    return m.seed(0x1000, LA57 | NXE)


def self_loop():
    m = Memory(3)
    m.set(0x1000, 0, 0x1000 | P | W | U)
    m.set(0x1000, 1, 0x2000 | P | W | U)
    m.set(0x2000, 0, 0x1000 | P | U)
    return m.seed(0x1000, NXE)


def every_entry_to_itself():
    m = Memory(2)
    for i in range(512):
        m.set(0x1000, i, 0x1000 | P | W | U)
    return m.seed(0x1000, NXE)


def nx_without_nxe():
    m = Memory(5)
    m.set(0x1000, 0, 0x2000 | P | W | U)
    m.set(0x2000, 0, 0x3000 | P | W | U | NX)
    m.set(0x2000, 1, 0x3000 | P | W | U)
    m.set(0x3000, 0, 0x4000 | P | W | U)
    m.set(0x4000, 0, 0x9000 | P | W | U | NX)
    m.set(0x4000, 1, 0xA000 | P | W | U)
    return m.seed(0x1000, 0)


def outside_memory():
    m = Memory(4)
    m.set(0x1000, 0, 0x2000 | P | W | U)
    m.set(0x2000, 0, 0x3000 | P | W | U)
    m.set(0x3000, 0, (5 << 32) | P | W | U)
    m.set(0x3000, 1, 0x200000 | P | W | U | PS)
    return m.seed(0x1000, NXE | (1 << 3))


def last_page():
    m = Memory(5)
    m.set(0x1000, 511, 0x2000 | P | W)
    m.set(0x2000, 511, 0x3000 | P | W)
    m.set(0x3000, 511, 0x4000 | P | W)
    m.set(0x4000, 510, 0x100000 | P | W)
    m.set(0x4000, 511, 0x101000 | P | W)
    return m.seed(0x1000, NXE | (2 << 3))


def reserved_bits():
    m = Memory(4)
    m.set(0x1000, 0, 0x2000 | P | W | U)
    m.set(0x1000, 1, 0x40000000 | P | PS)
    m.set(0x2000, 0, 0x3000 | P | W | U)
    m.set(0x2000, 1, 0x40002000 | P | PS)
    m.set(0x3000, 0, 0x202000 | P | PS)
    m.set(0x3000, 1, (1 << 47) | 0x200000 | P | PS)
    return m.seed(0x1000, NXE | (1 << 5))  # 46 physical bits


SEEDS = {
    "four-level": four_level,
    "five-level": five_level,
    "self-loop": self_loop,
    "every-entry-to-itself": every_entry_to_itself,
    "nx-without-nxe": nx_without_nxe,
    "outside-memory": outside_memory,
    "last-page": last_page,
    "reserved-bits": reserved_bits,
}


def main(argv):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "page_tables")
    if len(argv) == 3 and argv[1] == "--out":
        out = argv[2]
    elif len(argv) != 1:
        sys.exit(__doc__)
    os.makedirs(out, exist_ok=True)
    for name, make in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(make())


if __name__ == "__main__":
    main(sys.argv)
