#!/usr/bin/env python3
"""Makes the seed corpus of the guest dump fuzz target (tests/fuzz/corpus/guest_dump/).

    tests/fuzz/make-guest-dump-corpus.py [--out DIR]

Each seed is a QEMU guest memory dump built here as QEMU's dump-guest-memory writes one: an ELF64
ET_CORE header for EM_X86_64, a PT_NOTE, one PT_LOAD per block of guest RAM (p_paddr the guest
physical address), then per CPU a "CORE" NT_PRSTATUS and a "QEMU" note holding QEMUCPUState
(version 1, 440 bytes, cr[0..4] at offset 392), then the RAM. Seeds: two CPUs over 4-level
tables in two RAM blocks; a 5-level guest; the e_phnum PN_XNUM form (the count in section 0);
a QEMU note too short; the file cut inside the notes and inside the RAM.
"""
import os
import struct
import sys

P, W, U, PS, G, NX = 1, 2, 4, 0x80, 0x100, 1 << 63
CR0 = 0x80050033
CR4 = 0x3506F0
LA57 = 1 << 12


def note(name, ntype, desc):
    name = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)


def cpu_notes(index, cr, desc_size=440):
    prstatus = bytearray(336)
    struct.pack_into("<I", prstatus, 32, index + 1)
    state = bytearray(440)
    struct.pack_into("<II", state, 0, 1, 440)
    struct.pack_into("<5Q", state, 392, *cr)
    return note("CORE", 1, bytes(prstatus)) + note("QEMU", 0, bytes(state[:desc_size]))


def dump(blocks, cpus, xnum=False, desc_size=440):
    notes = b"".join(cpu_notes(i, cr, desc_size) for i, cr in enumerate(cpus))
    phnum = 1 + len(blocks)
    shoff = 64 + phnum * 56 if xnum else 0
    notes_at = 64 + phnum * 56 + (64 if xnum else 0)
    ehdr = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack(
        "<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, shoff, 0, 64, 56, 0xFFFF if xnum else phnum,
        64 if xnum else 0, 1 if xnum else 0, 0)
    out = bytearray(ehdr)
    ram_at = (notes_at + len(notes) + 4095) & ~4095
    phdrs = [struct.pack("<IIQQQQQQ", 4, 0, notes_at, 0, 0, len(notes), len(notes), 4)]
    at = ram_at
    for paddr, data in blocks:
        phdrs.append(struct.pack("<IIQQQQQQ", 1, 7, at, 0, paddr, len(data), len(data), 0))
        at += len(data)
    out += b"".join(phdrs)
    if xnum:
        out += struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, phnum, 0, 0)
    out += notes
    out += b"\0" * (ram_at - len(out))
    for _, data in blocks:
        out += data
    return bytes(out)


class Ram:
    def __init__(self):
        self.pages = {}

    def set(self, table, index, entry):
        page = self.pages.setdefault(table, bytearray(4096))
        struct.pack_into("<Q", page, index * 8, entry)

    def blocks(self):
        out = []
        for paddr in sorted(self.pages):
            if out and out[-1][0] + len(out[-1][1]) == paddr:
                out[-1] = (out[-1][0], out[-1][1] + bytes(self.pages[paddr]))
            else:
                out.append((paddr, bytes(self.pages[paddr])))
        return out


def four_level():
    r = Ram()
    r.set(0x1000, 0, 0x2000 | P | W | U)
    r.set(0x2000, 0, 0x3000 | P | W | U)
    r.set(0x3000, 2, 0x100004000 | P | W | U)  # a PT in the second block
    r.set(0x100004000, 0, 0x200000 | P | U)
    r.set(0x100004000, 1, 0x201000 | P | U | W | NX)
    r.set(0x1000, 511, 0x5000 | P | W)
    r.set(0x5000, 510, 0x6000 | P | W)
    r.set(0x6000, 8, 0x1000000 | P | PS | G)
    r.set(0x1000, 273, 0x7000 | P | W)
    r.set(0x7000, 0, P | W | PS | G | NX)
    return r


def five_level():
    r = Ram()
    r.set(0x1000, 0, 0x2000 | P | W | U)
    r.set(0x2000, 0, 0x3000 | P | W | U)
    r.set(0x3000, 0, 0x4000 | P | W | U)
    r.set(0x4000, 0, 0x5000 | P | W | U)
    r.set(0x5000, 0, 0x100000 | P | U)
    r.set(0x1000, 511, 0x6000 | P | W)
    r.set(0x6000, 511, 0x7000 | P | W)
    r.set(0x7000, 510, 0x40000000 | P | W | PS | G)
    return r


def main(argv):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "guest_dump")
    if len(argv) == 3 and argv[1] == "--out":
        out = argv[2]
    elif len(argv) != 1:
        sys.exit(__doc__)
    os.makedirs(out, exist_ok=True)
    two_cpus = dump(four_level().blocks(), [(CR0, 0, 0, 0x1000, CR4), (CR0, 0, 0, 0x1003, CR4)])
    notes_end = 64 + 3 * 56 + 2 * (356 + 460)
    seeds = {
        "two-cpus": two_cpus,
        "five-level": dump(five_level().blocks(), [(CR0, 0, 0, 0x1000, CR4 | LA57)]),
        "pn-xnum": dump(four_level().blocks(), [(CR0, 0, 0, 0x1000, CR4)], xnum=True),
        "short-qemu-note": dump(four_level().blocks(), [(CR0, 0, 0, 0x1000, CR4)], desc_size=200),
        "cut-in-notes": two_cpus[: notes_end - 100],
        "cut-in-ram": two_cpus[: len(two_cpus) - 6000],
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv)
