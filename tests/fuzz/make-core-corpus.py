#!/usr/bin/env python3
"""Makes the seed corpus of the core fuzz target (tests/fuzz/corpus/core/) from real cores.

    tests/fuzz/make-core-corpus.py CORE... [--out DIR]

Each core (kernel- or gdb-made, 32- or 64-bit, little-endian) becomes two small files that keep
its ELF header, program headers and notes, with the notes moved right after the headers:
  NAME.stripped: every PT_LOAD says it holds no bytes (p_offset 0, p_filesz 0);
  NAME.cut:      every PT_LOAD keeps its p_offset and p_filesz, and the file ends after the notes.
The memory itself is never kept: listing a core does not read it.

    tests/fuzz/make-core-corpus.py --overlap STRIPPED OUT

writes STRIPPED (a 64-bit NAME.stripped) with its second PT_LOAD moved to start a page into the
first, as OUT: kernel-sleep-overlapping-loads was made so from kernel-sleep.stripped, a core
whose overlapping rows are dropped and whose map is then partial (status 9). The corpus in the repository
was made from cores of `sleep 100`, of tests/core/child32.c built with `cc -m32 -pthread`, and of
vmatlas-demo, dumped by the kernel (kill -SEGV with `ulimit -c unlimited`) and by gcore.
"""
import os
import struct
import sys


def shrink(data):
    cls = data[4]
    is64 = cls == 2
    ehdr_fmt = "<16sHHIQQQIHHHHHH" if is64 else "<16sHHIIIIIHHHHHH"
    ph_fmt = "<IIQQQQQQ" if is64 else "<IIIIIIII"
    eh = list(struct.unpack_from(ehdr_fmt, data, 0))
    phoff, phentsize, phnum = eh[5], eh[9], eh[10]
    phdrs = [list(struct.unpack_from(ph_fmt, data, phoff + i * phentsize)) for i in range(phnum)]
    notes = b""
    head = struct.calcsize(ehdr_fmt)
    note_at = head + phnum * phentsize
    for ph in phdrs:
        # 64-bit: type, flags, offset, vaddr, paddr, filesz, memsz, align
        # 32-bit: type, offset, vaddr, paddr, filesz, memsz, flags, align
        off_i, filesz_i = (2, 5) if is64 else (1, 4)
        if ph[0] == 4:  # PT_NOTE
            notes += data[ph[off_i]:ph[off_i] + ph[filesz_i]]
    eh[5] = head
    out_eh = struct.pack(ehdr_fmt, *eh)

    def build(strip):
        at = note_at
        rows = []
        for ph in phdrs:
            ph = list(ph)
            off_i, filesz_i = (2, 5) if is64 else (1, 4)
            if ph[0] == 4:
                ph[off_i] = at
                at += ph[filesz_i]
            elif ph[0] == 1 and strip:  # PT_LOAD
                ph[off_i] = 0
                ph[filesz_i] = 0
            rows.append(struct.pack(ph_fmt, *ph))
        return out_eh + b"".join(rows) + notes

    return build(True), build(False)


def overlap(data):
    eh = struct.unpack_from("<16sHHIQQQIHHHHHH", data, 0)
    phoff, phentsize, phnum = eh[5], eh[9], eh[10]
    out = bytearray(data)
    loads = []
    for i in range(phnum):
        ph = list(struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize))
        if ph[0] == 1:  # PT_LOAD
            loads.append((i, ph))
    i, ph = loads[1]
    ph[3] = loads[0][1][3] + 0x1000  # p_vaddr: a page into the first PT_LOAD
    struct.pack_into("<IIQQQQQQ", out, phoff + i * phentsize, *ph)
    return bytes(out)


def main():
    args = sys.argv[1:]
    if args[:1] == ["--overlap"]:
        with open(args[1], "rb") as f:
            data = f.read()
        with open(args[2], "wb") as f:
            f.write(overlap(data))
        return
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "core")
    if "--out" in args:
        i = args.index("--out")
        out = args[i + 1]
        del args[i:i + 2]
    for path in args:
        with open(path, "rb") as f:
            data = f.read()
        stripped, cut = shrink(data)
        name = os.path.basename(path)
        for suffix, blob in (("stripped", stripped), ("cut", cut)):
            with open(os.path.join(out, f"{name}.{suffix}"), "wb") as f:
                f.write(blob)


if __name__ == "__main__":
    main()
