// Fuzz target of the ELF reader (src/annotate/elf_object.cpp), on bytes in memory. For any bytes:
// - the result is an error with a sentence, or an object whose checked ranges hold: every
//   PT_LOAD and PT_GNU_RELRO range fits in 64 bits, the program header table lies inside the
//   bytes, every section range fits in 64 bits;
// - "not ELF" (Unsupported) only when the bytes do not start with the ELF magic;
// - program headers have names only when a usable .SUNW_phname was found;
// - reading is deterministic (the same object twice).
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <elf.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>

#include <fmt/format.h>

#include "vmatlas/elf.hpp"
// Internal to the library (the replay target is not given src/ as an include directory), hence
// the relative path.
#include "../../src/model/checked.hpp"

namespace {

using vmatlas::checked_add;
using vmatlas::fits;
using vmatlas::elf::ElfObject;

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "fuzz_elf_object: %s\n", why.c_str());
    std::abort();
}

void check_object(const ElfObject& o, std::size_t size) {
    if (o.elf_class != ELFCLASS32 && o.elf_class != ELFCLASS64)
        fail(fmt::format("ELF class {}", o.elf_class));
    if (!o.program_headers.empty() && !fits(o.phoff, o.phdr_bytes, size))
        fail(fmt::format("program headers at {:#x} + {:#x} outside {:#x} bytes", o.phoff,
                         o.phdr_bytes, size));
    bool named = false;
    for (std::size_t i = 0; i < o.program_headers.size(); ++i) {
        const auto& p = o.program_headers[i];
        if (p.type == PT_LOAD || p.type == PT_GNU_RELRO) {
            if (!checked_add(p.offset, p.filesz) || !checked_add(p.vaddr, p.memsz))
                fail(fmt::format("program header {} has a range that wraps", i));
        }
        named |= !p.name.empty();
        if (p.name.find('\0') != std::string::npos) fail("a program header name holds a NUL");
    }
    if (named != o.has_phnames) fail("has_phnames does not say whether names were found");
    for (const auto& s : o.sections) {
        if (!checked_add(s.addr, s.size)) fail(fmt::format("section {} wraps", s.index));
        if (s.name.find('\0') != std::string::npos) fail("a section name holds a NUL");
    }
    if (o.build_id.size() > size) fail("a build-id longer than the file");
}

bool same(const ElfObject& a, const ElfObject& b) {
    if (a.type != b.type || a.phoff != b.phoff || a.build_id != b.build_id ||
        a.warnings != b.warnings || a.program_headers.size() != b.program_headers.size() ||
        a.sections.size() != b.sections.size())
        return false;
    for (std::size_t i = 0; i < a.program_headers.size(); ++i) {
        const auto &p = a.program_headers[i], &q = b.program_headers[i];
        if (p.type != q.type || p.offset != q.offset || p.vaddr != q.vaddr || p.memsz != q.memsz ||
            p.name != q.name)
            return false;
    }
    for (std::size_t i = 0; i < a.sections.size(); ++i)
        if (a.sections[i].name != b.sections[i].name || a.sections[i].addr != b.sections[i].addr)
            return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    const auto first = vmatlas::elf::read_elf_object(bytes);
    const auto second = vmatlas::elf::read_elf_object(bytes);
    if (first.ok() != second.ok()) fail("two reads of the same bytes disagree");
    const bool magic = size >= SELFMAG && std::memcmp(data, ELFMAG, SELFMAG) == 0;
    if (!first.ok()) {
        if (first.error().message.empty()) fail("an error without a message");
        if ((first.error().kind == vmatlas::ErrorKind::Unsupported) == magic)
            fail(fmt::format("magic {} but error kind {}", magic,
                             static_cast<int>(first.error().kind)));
        return 0;
    }
    if (!magic) fail("an object read from bytes without the ELF magic");
    check_object(*first, size);
    if (!same(*first, *second)) fail("two reads of the same bytes give different objects");
    return 0;
}
