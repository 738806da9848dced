// QEMU guest memory dumps made by the tests: the ELF core `dump-guest-memory` writes, built byte
// by byte (an ELF64 header, one PT_NOTE, one PT_LOAD per RAM block, then the notes and the RAM),
// with per CPU a "CORE" NT_PRSTATUS and a "QEMU" note holding QEMUCPUState (version 1, 440 bytes:
// rip at 136, cr[0..4] at 392).
#pragma once

#include <elf.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace vmtest {

struct GuestCpu {
    std::array<std::uint64_t, 5> cr{};
    std::uint64_t rip = 0;
};

struct GuestDumpSpec {
    std::uint16_t machine = EM_X86_64;
    std::vector<GuestCpu> cpus;
    std::map<std::uint64_t, std::vector<std::uint8_t>> ram;  // by guest physical address
    std::uint32_t qemu_note_size = 440;                      // QEMUCPUState's size field
    std::uint32_t qemu_desc_size = 440;                      // the note's descriptor size
};

// Guest RAM built page by page: 8-byte entries written into 4 KB pages at physical addresses.
struct GuestRam {
    std::map<std::uint64_t, std::vector<std::uint8_t>> pages;

    void set(std::uint64_t table, std::size_t index, std::uint64_t entry) {
        auto& page = pages[table & ~0xFFFULL];
        page.resize(4096);
        std::memcpy(page.data() + index * 8, &entry, 8);
    }
    // Blocks of adjacent pages joined: one PT_LOAD each.
    std::map<std::uint64_t, std::vector<std::uint8_t>> blocks() const {
        std::map<std::uint64_t, std::vector<std::uint8_t>> out;
        std::uint64_t start = 0, next = 1;  // next: where the current block ends
        for (const auto& [paddr, page] : pages) {
            if (paddr != next) {
                start = paddr;
                out[start];
            }
            auto& block = out[start];
            block.insert(block.end(), page.begin(), page.end());
            next = paddr + 4096;
        }
        return out;
    }
};

// A Linux guest's CR0 (PG, WP, NE, ET, MP, PE) and CR4 (PAE and more, LA57 clear).
inline constexpr std::uint64_t kCr0 = 0x80050033;
inline constexpr std::uint64_t kCr4 = 0x3506f0;

// A small guest: a program's text, data and stack in the user half; the kernel's text (global,
// 2 MB pages), its data (NX) and a direct map (1 GB) in the kernel half.
inline GuestRam small_guest() {
    constexpr std::uint64_t P = 1, W = 2, U = 4, PS = 0x80, G = 0x100, NX = 1ULL << 63;
    GuestRam ram;
    ram.set(0x1000, 0, 0x2000 | P | W | U);
    ram.set(0x2000, 0, 0x3000 | P | W | U);
    ram.set(0x3000, 2, 0x4000 | P | W | U);  // 0x400000
    ram.set(0x4000, 0, 0x100000 | P | U);    // text
    ram.set(0x4000, 1, 0x101000 | P | U);
    ram.set(0x4000, 2, 0x102000 | P | U | W | NX);  // data
    ram.set(0x1000, 255, 0x5000 | P | W | U);       // the stack, below 0x800000000000
    ram.set(0x5000, 511, 0x6000 | P | W | U);
    ram.set(0x6000, 511, 0x7000 | P | W | U);
    ram.set(0x7000, 510, 0x110000 | P | W | U | NX);
    ram.set(0x7000, 511, 0x111000 | P | W | U | NX);
    ram.set(0x1000, 273, 0x8000 | P | W);  // the direct map at 0xffff888000000000
    ram.set(0x8000, 0, 0x0 | P | W | PS | G | NX);
    ram.set(0x1000, 511, 0x9000 | P | W);
    ram.set(0x9000, 510, 0xA000 | P | W);
    ram.set(0xA000, 8, 0x1000000 | P | PS | G);  // text: 0xffffffff81000000
    ram.set(0xA000, 9, 0x1200000 | P | PS | G);
    ram.set(0xA000, 10, 0x1400000 | P | W | PS | G | NX);
    return ram;
}

namespace detail {
inline void put(std::vector<std::uint8_t>& out, std::size_t at, const void* p, std::size_t n) {
    if (out.size() < at + n) out.resize(at + n);
    if (n > 0) std::memcpy(out.data() + at, p, n);
}
template <typename T>
void put_int(std::vector<std::uint8_t>& out, std::size_t at, T v) {
    put(out, at, &v, sizeof v);
}
inline void note(std::vector<std::uint8_t>& out, const char* name, std::uint32_t type,
                 const std::vector<std::uint8_t>& desc) {
    const std::uint32_t namesz = static_cast<std::uint32_t>(std::strlen(name) + 1);
    std::size_t at = out.size();
    put_int<std::uint32_t>(out, at, namesz);
    put_int<std::uint32_t>(out, at + 4, static_cast<std::uint32_t>(desc.size()));
    put_int<std::uint32_t>(out, at + 8, type);
    put(out, at + 12, name, namesz);
    at = (at + 12 + namesz + 3) & ~std::size_t{3};
    put(out, at, desc.data(), desc.size());
    out.resize((at + desc.size() + 3) & ~std::size_t{3});
}
}  // namespace detail

inline std::vector<std::uint8_t> make_guest_dump(const GuestDumpSpec& spec) {
    using detail::put_int;
    std::vector<std::uint8_t> notes;
    for (std::size_t i = 0; i < spec.cpus.size(); ++i) {
        std::vector<std::uint8_t> prstatus(336);
        put_int<std::uint32_t>(prstatus, 32, static_cast<std::uint32_t>(i + 1));  // pr_pid
        detail::note(notes, "CORE", NT_PRSTATUS, prstatus);
        std::vector<std::uint8_t> state(spec.qemu_desc_size);
        std::vector<std::uint8_t> full(440);
        put_int<std::uint32_t>(full, 0, 1);
        put_int<std::uint32_t>(full, 4, spec.qemu_note_size);
        put_int<std::uint64_t>(full, 136, spec.cpus[i].rip);
        for (std::size_t r = 0; r < 5; ++r)
            put_int<std::uint64_t>(full, 392 + 8 * r, spec.cpus[i].cr[r]);
        std::memcpy(state.data(), full.data(), std::min(state.size(), full.size()));
        detail::note(notes, "QEMU", 0, state);
    }
    const std::size_t phnum = 1 + spec.ram.size();
    const std::size_t notes_at = 64 + phnum * 56;
    std::vector<std::uint8_t> out;
    const unsigned char ident[EI_NIDENT] = {0x7f,       'E',         'L',       'F',
                                            ELFCLASS64, ELFDATA2LSB, EV_CURRENT};
    detail::put(out, 0, ident, sizeof ident);
    put_int<std::uint16_t>(out, 16, ET_CORE);
    put_int<std::uint16_t>(out, 18, spec.machine);
    put_int<std::uint32_t>(out, 20, EV_CURRENT);
    put_int<std::uint64_t>(out, 32, 64);  // e_phoff
    put_int<std::uint16_t>(out, 52, 64);  // e_ehsize
    put_int<std::uint16_t>(out, 54, 56);  // e_phentsize
    put_int<std::uint16_t>(out, 56, static_cast<std::uint16_t>(phnum));
    auto phdr = [&](std::size_t i, std::uint32_t type, std::uint64_t offset, std::uint64_t paddr,
                    std::uint64_t size) {
        const std::size_t at = 64 + i * 56;
        put_int<std::uint32_t>(out, at, type);
        put_int<std::uint32_t>(out, at + 4, type == PT_LOAD ? PF_R | PF_W | PF_X : 0);
        put_int<std::uint64_t>(out, at + 8, offset);
        put_int<std::uint64_t>(out, at + 16, 0);  // p_vaddr: QEMU writes 0 without paging
        put_int<std::uint64_t>(out, at + 24, paddr);
        put_int<std::uint64_t>(out, at + 32, size);
        put_int<std::uint64_t>(out, at + 40, size);
        put_int<std::uint64_t>(out, at + 48, type == PT_LOAD ? 0 : 4);
    };
    phdr(0, PT_NOTE, notes_at, 0, notes.size());
    detail::put(out, notes_at, notes.data(), notes.size());
    std::size_t i = 1;
    for (const auto& [paddr, bytes] : spec.ram) {
        const std::size_t at = (out.size() + 4095) & ~std::size_t{4095};
        phdr(i++, PT_LOAD, at, paddr, bytes.size());
        detail::put(out, at, bytes.data(), bytes.size());
    }
    return out;
}

}  // namespace vmtest
