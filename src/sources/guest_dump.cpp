// The QEMU guest memory dump reader (see guest_dump.hpp): the ELF header, program headers and
// notes read with pread into checked buffers; guest RAM read on demand.
#include "sources/guest_dump.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "model/checked.hpp"
#include "sources/file_error.hpp"

namespace vmatlas::guest {

namespace {

// More program headers than any guest's RAM blocks need: a count past it is refused before
// anything is allocated for it.
constexpr std::uint64_t kMaxProgramHeaders = 1 << 20;
// Notes larger than this (some 9,000 CPUs' worth) are not read.
constexpr std::uint64_t kMaxNotes = 64 << 20;
// Where cr[0] sits in QEMUCPUState, and the bytes up to the end of cr[4].
constexpr std::size_t kCrOffset = 392;
constexpr std::size_t kCpuStateMin = kCrOffset + 5 * 8;
constexpr std::size_t kRipOffset = 8 + 16 * 8;

std::uint64_t le64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < 8; ++i) v |= std::uint64_t{p[i]} << (8 * i);
    return v;
}
std::uint32_t le32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
           std::uint32_t{p[3]} << 24;
}
std::uint16_t le16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}

// All n bytes at offset, or false.
bool pread_all(int fd, void* out, std::size_t n, std::uint64_t offset) {
    auto* to = static_cast<std::uint8_t*>(out);
    while (n > 0) {
        const ssize_t got = ::pread(fd, to, n, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return false;
        to += got, n -= static_cast<std::size_t>(got), offset += static_cast<std::uint64_t>(got);
    }
    return true;
}

Error malformed(const std::string& path, std::string what) {
    return make_error(ErrorKind::MalformedInput, fmt::format("{}: {}", path, what));
}

// What the headers and notes say.
struct Parsed {
    std::uint16_t machine = 0;
    bool qemu_note = false;
    std::vector<CpuState> cpus;
    std::vector<PhysicalSegment> segments;
    std::vector<std::string> problems;
};

void read_notes(const std::uint8_t* notes, std::size_t size, std::uint64_t where, Parsed& out) {
    std::size_t at = 0;
    while (at < size) {
        if (size - at < 12) {
            out.problems.push_back(fmt::format(
                "the note at offset {:#x} is cut short: the notes after it are not read",
                where + at));
            return;
        }
        const std::uint32_t namesz = le32(notes + at), descsz = le32(notes + at + 4),
                            type = le32(notes + at + 8);
        const std::uint64_t name_at = at + 12;
        const std::uint64_t desc_at = name_at + ((std::uint64_t{namesz} + 3) & ~3ULL);
        const std::uint64_t next = desc_at + ((std::uint64_t{descsz} + 3) & ~3ULL);
        const bool name_fits = fits(name_at, namesz, size);
        const auto* name = reinterpret_cast<const char*>(notes + name_at);
        const std::string_view owner(name, name_fits && namesz > 0 ? strnlen(name, namesz) : 0);
        const bool qemu = owner == "QEMU" && type == 0;
        if (!fits(desc_at, descsz, size)) {
            // A QEMU note cut short still says whose dump this is.
            out.qemu_note = out.qemu_note || qemu;
            out.problems.push_back(fmt::format(
                "the {}note at offset {:#x} runs past the end of its segment ({} bytes of name, "
                "{} of descriptor): {}the notes after it are not read",
                qemu ? "QEMU " : "", where + at, namesz, descsz,
                qemu ? fmt::format("CPU {} is left out, and ", out.cpus.size()) : ""));
            return;
        }
        if (qemu) {
            out.qemu_note = true;
            const std::uint8_t* desc = notes + desc_at;
            const std::uint32_t claimed = descsz >= 8 ? le32(desc + 4) : 0;
            if (descsz < kCpuStateMin || claimed < kCpuStateMin) {
                out.problems.push_back(
                    fmt::format("the QEMU note at offset {:#x} holds {} bytes and says {}, too "
                                "few for the control registers (which end at {}): CPU {} is "
                                "left out",
                                where + at, descsz, claimed, kCpuStateMin, out.cpus.size()));
            } else {
                CpuState cpu;
                cpu.version = le32(desc);
                cpu.rip = le64(desc + kRipOffset);
                for (std::size_t i = 0; i < cpu.cr.size(); ++i)
                    cpu.cr[i] = le64(desc + kCrOffset + 8 * i);
                out.cpus.push_back(cpu);
            }
        }
        at = static_cast<std::size_t>(std::min<std::uint64_t>(next, size));
    }
}

Result<Parsed> parse(int fd, std::uint64_t size, const std::string& path) {
    std::uint8_t eh[sizeof(Elf64_Ehdr)];
    if (size < sizeof eh || !pread_all(fd, eh, sizeof eh, 0))
        return malformed(path, fmt::format("{} bytes, too few for an ELF64 header", size));
    if (std::memcmp(eh, ELFMAG, SELFMAG) != 0)
        return make_error(ErrorKind::Unsupported, fmt::format("{} is not an ELF file", path));
    if (eh[EI_CLASS] != ELFCLASS64 || eh[EI_DATA] != ELFDATA2LSB)
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{} is not a little-endian ELF64 file", path));
    if (le16(eh + 16) != ET_CORE)
        return make_error(ErrorKind::Unsupported, fmt::format("{} is not a core file", path));
    Parsed out;
    out.machine = le16(eh + 18);
    const std::uint64_t phoff = le64(eh + 32), shoff = le64(eh + 40);
    const std::uint16_t phentsize = le16(eh + 54), shentsize = le16(eh + 58);
    std::uint64_t phnum = le16(eh + 56);
    if (phnum == PN_XNUM) {
        // The count is in section header 0's sh_info.
        std::uint8_t sh[sizeof(Elf64_Shdr)];
        if (shentsize != sizeof sh || !fits(shoff, sizeof sh, size) ||
            !pread_all(fd, sh, sizeof sh, shoff))
            return malformed(path, fmt::format("e_phnum is PN_XNUM but section header 0, at {:#x}, "
                                               "which holds the count, cannot be read",
                                               shoff));
        phnum = le32(sh + 44);
    }
    if (phnum > kMaxProgramHeaders)
        return malformed(path, fmt::format("{} program headers, more than the {} vmatlas reads",
                                           phnum, kMaxProgramHeaders));
    if (phnum > 0 &&
        (phentsize != sizeof(Elf64_Phdr) || !fits(phoff, phnum * sizeof(Elf64_Phdr), size)))
        return malformed(path,
                         fmt::format("the file ends at offset {:#x}, but its {} program headers "
                                     "of {} bytes run from {:#x}",
                                     size, phnum, phentsize, phoff));
    std::vector<std::uint8_t> phdrs(phnum * sizeof(Elf64_Phdr));
    if (!pread_all(fd, phdrs.data(), phdrs.size(), phoff))
        return malformed(path, fmt::format("cannot read the program headers at {:#x}", phoff));
    std::size_t cut = 0;
    for (std::uint64_t i = 0; i < phnum; ++i) {
        const std::uint8_t* ph = phdrs.data() + i * sizeof(Elf64_Phdr);
        const std::uint32_t type = le32(ph);
        const std::uint64_t offset = le64(ph + 8), paddr = le64(ph + 24), filesz = le64(ph + 32);
        if (type == PT_NOTE) {
            std::uint64_t n = filesz;
            if (!fits(offset, n, size)) {
                n = offset < size ? size - offset : 0;
                out.problems.push_back(fmt::format(
                    "the file ends at offset {:#x}, inside the notes that run from {:#x} to "
                    "{:#x}: the notes after it are not read",
                    size, offset, offset + filesz));
            }
            if (n > kMaxNotes) {
                out.problems.push_back(
                    fmt::format("the notes at {:#x} hold {} bytes: only the first {} are read",
                                offset, n, kMaxNotes));
                n = kMaxNotes;
            }
            std::vector<std::uint8_t> notes(n);
            if (n > 0 && !pread_all(fd, notes.data(), n, offset)) {
                out.problems.push_back(
                    fmt::format("cannot read the notes at offset {:#x}", offset));
                continue;
            }
            read_notes(notes.data(), notes.size(), offset, out);
        } else if (type == PT_LOAD) {
            PhysicalSegment s{paddr, filesz, offset};
            if (!checked_add(paddr, filesz)) {
                out.problems.push_back(fmt::format(
                    "program header {}: p_paddr {:#x} + p_filesz {:#x} wraps around; the "
                    "segment is left out",
                    i, paddr, filesz));
                continue;
            }
            if (!fits(offset, filesz, size)) {
                s.size = offset < size ? size - offset : 0;
                ++cut;
            }
            if (s.size > 0) out.segments.push_back(s);
        }
    }
    if (cut > 0)
        out.problems.push_back(
            fmt::format("the file ends at offset {:#x}: the contents of {} segment{} of "
                        "guest memory are cut short or missing",
                        size, cut, cut == 1 ? "" : "s"));
    std::sort(out.segments.begin(), out.segments.end(),
              [](const PhysicalSegment& a, const PhysicalSegment& b) { return a.paddr < b.paddr; });
    return out;
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

Result<std::uint64_t> open_file(const std::string& path, Fd& file) {
    file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (file.fd < 0) return file_error(path, errno);
    struct stat st;
    if (::fstat(file.fd, &st) != 0) return file_error(path, errno);
    if (!S_ISREG(st.st_mode))
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("{} is not a regular file", path));
    return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace

Result<std::unique_ptr<GuestDump>> GuestDump::open(const std::string& path) {
    Fd file;
    auto size = open_file(path, file);
    if (!size) return size.error();
    auto parsed = parse(file.fd, *size, path);
    if (!parsed) return parsed.error();
    if (!parsed->qemu_note)
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{} has no QEMU note: not a QEMU guest memory dump", path));
    if (parsed->machine != EM_X86_64)
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{} is a dump of machine {}, not x86-64 in long mode: its "
                                      "page tables are not walked",
                                      path, parsed->machine));
    std::unique_ptr<GuestDump> dump(new GuestDump(file.fd));
    file.fd = -1;
    dump->cpus_ = std::move(parsed->cpus);
    dump->segments_ = std::move(parsed->segments);
    dump->problems_ = std::move(parsed->problems);
    return dump;
}

GuestDump::~GuestDump() {
    ::close(fd_);
}

bool GuestDump::read(std::uint64_t paddr, void* out, std::size_t n) {
    auto* to = static_cast<std::uint8_t*>(out);
    while (n > 0) {
        // The last segment that starts at or below paddr.
        auto it =
            std::upper_bound(segments_.begin(), segments_.end(), paddr,
                             [](std::uint64_t a, const PhysicalSegment& s) { return a < s.paddr; });
        if (it == segments_.begin()) return false;
        --it;
        const std::uint64_t into = paddr - it->paddr;
        if (into >= it->size) return false;
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(n, it->size - into));
        if (!pread_all(fd_, to, take, it->offset + into)) return false;
        to += take, paddr += take, n -= take;
    }
    return true;
}

bool has_qemu_note(const std::string& path) {
    Fd file;
    auto size = open_file(path, file);
    if (!size) return false;
    auto parsed = parse(file.fd, *size, path);
    return parsed && parsed->qemu_note;
}

paging::CpuRegisters registers_of(const CpuState& cpu) {
    return {.cr0 = cpu.cr[0], .cr3 = cpu.cr[3], .cr4 = cpu.cr[4]};
}

paging::WalkInput walk_input(const CpuState& cpu, paging::Half half) {
    paging::WalkInput in = paging::walk_input(registers_of(cpu), {});
    in.half = half;
    return in;
}

Result<Target> read_guest_dump(const std::string& path, const PageTableOptions& options) {
    auto opened = GuestDump::open(path);
    if (!opened) return opened.error();
    GuestDump& dump = **opened;
    const std::size_t cpu = options.cpu;
    if (cpu >= dump.cpus().size())
        return make_error(
            ErrorKind::UnreadableInput,
            dump.cpus().empty()
                ? fmt::format("{} holds no CPU state that can be read", path)
                : fmt::format("{} holds the state of {} CPU{}: there is no CPU {}", path,
                              dump.cpus().size(), dump.cpus().size() == 1 ? "" : "s", cpu));
    auto t = paging::page_table_target(
        dump, registers_of(dump.cpus()[cpu]), options, SourceInfo{SourceKind::GuestDump, path},
        [&] { return dump.problems(); }, fmt::format("{}: CPU {}", path, cpu));
    if (t) t->kind = TargetKind::GuestDump;
    return t;
}

}  // namespace vmatlas::guest
