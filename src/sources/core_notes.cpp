#include "sources/core_notes.hpp"

#include <elf.h>

#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace vmatlas::core {

namespace {

Error bad(std::string what) {
    return make_error(ErrorKind::MalformedInput, std::move(what));
}

// Where a thread's id and stack pointer sit in its NT_PRSTATUS (struct elf_prstatus): the fields
// before pr_reg are the same on every 64-bit Linux, and pr_reg is the machine's user_regs_struct.
struct PrstatusLayout {
    std::size_t pid, sp, pc, size;
};

std::optional<PrstatusLayout> prstatus_layout(const Layout& l) {
    if (l.word == 8 && l.machine == EM_X86_64)
        return PrstatusLayout{32, 112 + 19 * 8, 112 + 16 * 8, 336};
    if (l.word == 8 && l.machine == EM_AARCH64)
        return PrstatusLayout{32, 112 + 31 * 8, 112 + 32 * 8, 392};
    if (l.word == 4 && l.machine == EM_386)
        return PrstatusLayout{24, 72 + 15 * 4, 72 + 12 * 4, 144};
    return std::nullopt;
}

}  // namespace

std::uint64_t Layout::load_word(const std::uint8_t* p) const {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < word; ++i) {
        const unsigned shift = big_endian ? (word - 1 - i) * 8 : i * 8;
        v |= std::uint64_t{p[i]} << shift;
    }
    return v;
}

std::uint32_t Layout::load_u32(const std::uint8_t* p) const {
    std::uint32_t v = 0;
    for (unsigned i = 0; i < 4; ++i) v |= std::uint32_t{p[i]} << (big_endian ? (3 - i) * 8 : i * 8);
    return v;
}

Result<FileNote> decode_file_note(Bytes desc, const Layout& l) {
    const std::size_t w = l.word;
    if (desc.size() < 2 * w)
        return bad(fmt::format("NT_FILE holds {} bytes, too few for its count and page size",
                               desc.size()));
    const std::uint64_t count = l.load_word(desc.data());
    FileNote note;
    note.page_size = l.load_word(desc.data() + w);
    // Each entry takes three words and at least one byte of name: a count that cannot fit is
    // refused before anything is reserved for it.
    if (count > (desc.size() - 2 * w) / (3 * w + 1))
        return bad(
            fmt::format("NT_FILE claims {} entries but holds only {} bytes", count, desc.size()));
    if (note.page_size == 0 || (note.page_size & (note.page_size - 1)) != 0)
        return bad(
            fmt::format("NT_FILE gives a page size of {:#x}, not a power of two", note.page_size));
    const std::uint8_t* table = desc.data() + 2 * w;
    const std::size_t names_at = 2 * w + static_cast<std::size_t>(count) * 3 * w;
    std::string_view names(reinterpret_cast<const char*>(desc.data()) + names_at,
                           desc.size() - names_at);
    note.entries.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint8_t* e = table + i * 3 * w;
        const std::size_t nul = names.find('\0');
        if (nul == std::string_view::npos) {
            note.problems.push_back(fmt::format(
                "NT_FILE holds names for {} of its {} entries; the rest are left out", i, count));
            break;
        }
        FileEntry entry{l.load_word(e), l.load_word(e + w), 0, std::string(names.substr(0, nul))};
        names.remove_prefix(nul + 1);
        const std::uint64_t pages = l.load_word(e + 2 * w);
        if (entry.start >= entry.end) {
            note.problems.push_back(
                fmt::format("NT_FILE entry {} ({}): start {:#x} is not below "
                            "end {:#x}; it is left out",
                            i, entry.path, entry.start, entry.end));
            continue;
        }
        if (pages > UINT64_MAX / note.page_size) {
            note.problems.push_back(fmt::format(
                "NT_FILE entry {} ({}): file offset {:#x} pages overflows; it is left out", i,
                entry.path, pages));
            continue;
        }
        entry.offset = pages * note.page_size;
        note.entries.push_back(std::move(entry));
    }
    return note;
}

Result<ThreadStatus> decode_prstatus(Bytes desc, const Layout& l) {
    const auto layout = prstatus_layout(l);
    // pr_pid is at the same place on every machine of a class; registers are not.
    const std::size_t pid_at = layout ? layout->pid : (l.word == 8 ? 32 : 24);
    if (desc.size() < pid_at + 4)
        return bad(fmt::format("NT_PRSTATUS holds {} bytes, too few for pr_pid", desc.size()));
    ThreadStatus t;
    t.tid = static_cast<int>(l.load_u32(desc.data() + pid_at));
    if (layout && desc.size() >= layout->size) {
        t.sp = l.load_word(desc.data() + layout->sp);
        t.pc = l.load_word(desc.data() + layout->pc);
    }
    return t;
}

Result<ProcessStatus> decode_prpsinfo(Bytes desc, const Layout& l) {
    // struct elf_prpsinfo: pr_pid follows four chars and pr_flag (a word), then uid and gid: 32-bit
    // on 64-bit machines, 16-bit on i386 and 32-bit ARM.
    const std::size_t pid_at = l.word == 8 ? 24 : 12;
    const std::size_t fname_at = pid_at + 16;
    const std::size_t psargs_at = fname_at + 16;
    if (desc.size() < fname_at + 16)
        return bad(fmt::format("NT_PRPSINFO holds {} bytes, too few for pr_fname", desc.size()));
    ProcessStatus p;
    p.pid = static_cast<int>(l.load_u32(desc.data() + pid_at));
    auto text = [&](std::size_t at, std::size_t max) {
        const char* s = reinterpret_cast<const char*>(desc.data() + at);
        const std::size_t n = std::min(max, desc.size() - at);
        return std::string(s, strnlen(s, n));
    };
    p.name = text(fname_at, 16);
    if (desc.size() > psargs_at) p.args = text(psargs_at, 80);
    return p;
}

Result<Auxv> decode_auxv(Bytes desc, const Layout& l) {
    const std::size_t pair = 2 * l.word;
    if (desc.size() % pair != 0)
        return bad(fmt::format("NT_AUXV holds {} bytes, not a whole number of {}-byte entries",
                               desc.size(), pair));
    Auxv a;
    for (std::size_t at = 0; at + pair <= desc.size(); at += pair) {
        const std::uint64_t type = l.load_word(desc.data() + at);
        const std::uint64_t value = l.load_word(desc.data() + at + l.word);
        if (type == AT_NULL) break;
        if (type == AT_SYSINFO_EHDR) a.sysinfo_ehdr = value;
        if (type == AT_ENTRY) a.entry = value;
        if (type == AT_PHDR) a.phdr = value;
    }
    return a;
}

}  // namespace vmatlas::core
