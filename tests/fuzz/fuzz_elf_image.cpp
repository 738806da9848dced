// Fuzz target of the ELF image source (src/sources/elf_image.cpp): the bytes go through the ELF
// reader, then the image is built by program headers and by sections, at the default base and at
// a few given ones (page-aligned, not, near the top of the address space). For every image:
// - the address space keeps its invariants (sorted, non-overlapping, every row accounted for);
// - labels run parallel to the rows, every label is an ELF name that is not empty, and
//   a row names its object (notes.labels[i].object) exactly when it has no file of its own;
// - the base is the ELF's own for an ET_EXEC, else the one asked for, when one was;
// - by program headers, every row is whole pages; by sections, every row is an allocated
//   section at base + sh_addr with its size, and a row from the file lies inside the file;
// - building is deterministic (the same generation twice).
// An error has a sentence; a usage error only for a base that is not page-aligned, by segments.
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <elf.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>

#include <fmt/format.h>

#include "vmatlas/elf_image.hpp"
// Internal to the library (the replay target is not given src/ as an include directory), hence
// the relative path.
#include "../../src/model/checked.hpp"

namespace {

using vmatlas::Addr;
using vmatlas::ElfImage;
using vmatlas::ElfImageOptions;
using vmatlas::ErrorKind;
using vmatlas::elf::ElfObject;

constexpr std::uint64_t kPage = 0x1000;

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "fuzz_elf_image: %s\n", why.c_str());
    std::abort();
}

// Whether some allocated section is at exactly [start, end) at this base.
bool is_section_row(const ElfObject& o, const vmatlas::Mapping& m, Addr base) {
    for (const auto& s : o.sections)
        if (base + s.addr == m.start && s.size == m.end - m.start) return true;
    return false;
}

void check_image(const ElfImage& image, const ElfObject& o, const ElfImageOptions& options,
                 std::uint64_t file_size) {
    const auto& space = image.space;
    const auto broken = vmatlas::check_invariants(space);
    if (!broken.empty()) fail("invariant: " + broken.front());
    if (space.empty()) fail("an image without rows");
    if (space.source().kind != vmatlas::SourceKind::ElfImage)
        fail("source kind " + std::string(to_string(space.source().kind)));
    if (image.notes.labels.size() != space.size())
        fail(fmt::format("{} labels for {} rows", image.notes.labels.size(), space.size()));
    if (image.by_sections != options.by_sections) fail("by_sections is not the option's");
    if (o.type == ET_EXEC && (image.base != 0 || image.base_choice != vmatlas::BaseChoice::Own))
        fail(fmt::format("an ET_EXEC at base {:#x}", image.base));
    if (o.type == ET_DYN && options.base && image.base != *options.base)
        fail(fmt::format("base {:#x} asked for, {:#x} used", *options.base, image.base));
    for (std::size_t i = 0; i < space.size(); ++i) {
        const vmatlas::Mapping& m = space[i];
        const vmatlas::Label& label = image.notes.labels[i];
        if (label.name.empty() || label.source != vmatlas::NameSource::Elf)
            fail(fmt::format("row {} has no ELF name", i));
        const bool anonymous = m.path == vmatlas::kNoPath;
        if (anonymous != (label.object != vmatlas::kNoPath))
            fail(fmt::format("row {} ({}): anonymous {} but object id {}", i, label.name, anonymous,
                             label.object));
        if (!options.by_sections) {
            if (m.start % kPage != 0 || m.end % kPage != 0)
                fail(fmt::format("row {} {:#x}-{:#x} is not whole pages", i, m.start, m.end));
            continue;
        }
        if (!is_section_row(o, m, image.base))
            fail(fmt::format("row {} {:#x}-{:#x} ({}) is no section at base {:#x}", i, m.start,
                             m.end, label.name, image.base));
        if (!anonymous && !vmatlas::fits(vmatlas::raw(m.offset), m.size(), file_size))
            fail(fmt::format("row {} ({}) at offset {:#x} + {:#x} is outside the {:#x}-byte file",
                             i, label.name, vmatlas::raw(m.offset), m.size(), file_size));
    }
}

void run(const ElfObject& object, std::uint64_t file_size, const ElfImageOptions& options) {
    auto first = vmatlas::elf_image_from(object, "fuzz input", file_size, 1, 2, 3, options);
    auto second = vmatlas::elf_image_from(object, "fuzz input", file_size, 1, 2, 3, options);
    if (first.ok() != second.ok()) fail("two builds of the same object disagree");
    if (!first.ok()) {
        const auto& e = first.error();
        if (e.message.empty()) fail("an error without a message");
        const bool misaligned = options.base && *options.base % kPage != 0;
        if ((e.kind == ErrorKind::Usage) !=
            (!options.by_sections && misaligned && object.type == ET_DYN))
            fail("usage error: " + e.message);
        return;
    }
    check_image(*first, object, options, file_size);
    if (first->space.generation() != second->space.generation())
        fail("two builds of the same object give different maps");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    const auto object = vmatlas::elf::read_elf_object(bytes);
    if (!object.ok()) return 0;  // the reader's own target checks its errors
    const std::optional<Addr> bases[] = {
        std::nullopt,
        Addr{0},
        Addr{0x10000},
        Addr{0x7fff12345000},
        Addr{0x1234},              // not page-aligned: refused by segments only
        Addr{0xffffffffffff0000},  // near the top: sections or segments may run past it
    };
    for (const bool by_sections : {false, true})
        for (const auto& base : bases) {
            ElfImageOptions options;
            options.base = base;
            options.page_size = kPage;  // the same on every machine
            options.by_sections = by_sections;
            run(*object, size, options);
        }
    return 0;
}
