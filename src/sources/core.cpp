// The core-file source (see vmatlas/core.hpp): libelf reads the headers and notes, every size and
// offset checked against the file first; the rows are the PT_LOAD regions cut and joined with the
// NT_FILE entries.
#include "vmatlas/core.hpp"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include "model/checked.hpp"
#include "sources/core_memory.hpp"
#include "sources/core_notes.hpp"
#include "sources/core_objects.hpp"
#include "sources/elf_ident.hpp"
#include "sources/file_error.hpp"
#include "vmatlas/elf.hpp"

namespace vmatlas {

namespace {

using core::FileEntry;
using core::Segment;

constexpr std::string_view kDeletedSuffix = " (deleted)";

struct ElfDeleter {
    void operator()(Elf* e) const { elf_end(e); }
};
using ElfHandle = std::unique_ptr<Elf, ElfDeleter>;

// libelf's reason for its last failure ("no error" is never given as one).
std::string libelf_error() {
    const int err = elf_errno();
    const char* msg = err != 0 ? elf_errmsg(err) : nullptr;
    return msg != nullptr ? msg : "libelf gives no reason";
}

// What the notes say, gathered before the rows are made.
struct Notes {
    std::vector<FileEntry> files;
    bool has_file_note = false;
    ProcessFacts facts;
    int pid = 0;
    std::string name, args;
};

class Reader {
  public:
    Reader(std::uint64_t file_size, AddressSpaceBuilder& out) : size_(file_size), out_(out) {}

    // One lost piece of input: a warning, and the map is marked incomplete.
    void lose(std::string what) { out_.lose({0, 0, std::move(what)}); }
    void warn(std::string what) { out_.warn({0, 0, std::move(what)}); }

    void read_notes(Elf* elf, const GElf_Phdr& ph, const core::Layout& layout, Notes& notes) {
        std::uint64_t size = ph.p_filesz;
        if (!fits(ph.p_offset, size, size_)) {
            if (ph.p_offset >= size_) {
                lose(fmt::format("the core file ends at offset {:#x}, before its notes at {:#x}",
                                 size_, ph.p_offset));
                return;
            }
            size = size_ - ph.p_offset;
            lose(
                fmt::format("the core file ends at offset {:#x}, inside its notes (which run from "
                            "{:#x} to {:#x}): the notes after that are missing",
                            size_, ph.p_offset, ph.p_offset + ph.p_filesz));
        }
        Elf_Data* data = elf_getdata_rawchunk(elf, static_cast<std::int64_t>(ph.p_offset), size,
                                              ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
        if (data == nullptr || data->d_buf == nullptr) {
            lose(fmt::format("cannot read the notes at offset {:#x}: {}", ph.p_offset,
                             libelf_error()));
            return;
        }
        const auto* base = static_cast<const std::uint8_t*>(data->d_buf);
        std::size_t at = 0;
        while (at < data->d_size) {
            GElf_Nhdr nhdr;
            std::size_t name_at = 0, desc_at = 0;
            const std::size_t next = gelf_getnote(data, at, &nhdr, &name_at, &desc_at);
            if (next == 0) {
                lose(
                    fmt::format("the note at offset {:#x} is cut short or malformed: the notes "
                                "after it are not read",
                                ph.p_offset + at));
                return;
            }
            const std::string_view owner(
                reinterpret_cast<const char*>(base + name_at),
                nhdr.n_namesz > 0
                    ? strnlen(reinterpret_cast<const char*>(base + name_at), nhdr.n_namesz)
                    : 0);
            if (owner == "CORE")
                read_note(nhdr.n_type, core::Bytes(base + desc_at, nhdr.n_descsz), ph.p_offset + at,
                          layout, notes);
            at = next;
        }
    }

    void read_note(std::uint32_t type, core::Bytes desc, std::uint64_t where,
                   const core::Layout& layout, Notes& notes) {
        auto fail = [&](const std::string& why) {
            lose(fmt::format("note at offset {:#x}: {}; it is skipped", where, why));
        };
        switch (type) {
            case NT_FILE: {
                auto note = core::decode_file_note(desc, layout);
                if (!note) return fail(note.error().message);
                for (const std::string& p : note->problems)
                    lose(fmt::format("note at offset {:#x}: {}", where, p));
                notes.has_file_note = true;
                for (FileEntry& e : note->entries) notes.files.push_back(std::move(e));
                return;
            }
            case NT_PRSTATUS: {
                auto t = core::decode_prstatus(desc, layout);
                if (!t) return fail(t.error().message);
                ThreadInfo info;
                info.tid = t->tid;
                info.sp = t->sp;
                if (t->sp)
                    info.sp_source = StackPointerSource::Registers;
                else
                    info.sp_error = fmt::format(
                        "the registers of machine {} in a core are not known to vmatlas",
                        layout.machine);
                notes.facts.threads.push_back(std::move(info));
                notes.facts.has_threads = true;
                return;
            }
            case NT_PRPSINFO: {
                auto p = core::decode_prpsinfo(desc, layout);
                if (!p) return fail(p.error().message);
                notes.pid = p->pid;
                notes.name = p->name;
                notes.args = p->args;
                return;
            }
            case NT_AUXV: {
                auto a = core::decode_auxv(desc, layout);
                if (!a) return fail(a.error().message);
                notes.facts.vdso = a->sysinfo_ehdr;
                notes.facts.entry = a->entry;
                notes.facts.phdr = a->phdr;
                return;
            }
            default:
                return;
        }
    }

    // A PT_LOAD whose bytes run past the end of the file: what is there is dumped, the rest not.
    Segment segment(const GElf_Phdr& ph) {
        Segment s{ph.p_vaddr, ph.p_memsz, std::min(ph.p_filesz, ph.p_memsz), ph.p_offset,
                  ph.p_flags};
        if (s.dumped > 0 && !fits(s.offset, s.dumped, size_)) {
            s.dumped = s.offset < size_ ? size_ - s.offset : 0;
            if (cut_++ == 0) first_cut_ = s.vaddr;
        }
        return s;
    }

    void report_cut() {
        if (cut_ == 0) return;
        lose(
            fmt::format("the core file ends at offset {:#x}: the contents of {} region{} (from "
                        "{:#x} on) are cut short or missing",
                        size_, cut_, cut_ == 1 ? "" : "s", first_cut_));
    }

  private:
    std::uint64_t size_;
    AddressSpaceBuilder& out_;
    std::size_t cut_ = 0;
    Addr first_cut_ = 0;
};

Perms perms_of(std::uint32_t flags, bool file) {
    std::uint8_t bits = 0;
    if (flags & PF_R) bits |= Perms::kRead;
    if (flags & PF_W) bits |= Perms::kWrite;
    if (flags & PF_X) bits |= Perms::kExec;
    // A shared anonymous mapping is a shmem file: a row with no file was private.
    if (file) bits |= Perms::kSharingUnknown;
    return Perms(bits);
}

std::uint8_t dump_flags(const Segment& s, Addr start, Addr end) {
    const Addr dumped_end = s.vaddr + s.dumped;
    if (dumped_end <= start) return kNotDumped;
    if (dumped_end < end) return kPartlyDumped;
    return 0;
}

// The file part of a row: path, offset, deleted.
void set_file(AddressSpaceBuilder& out, Mapping& m, const FileEntry& e) {
    std::string_view path = e.path;
    if (path.size() > kDeletedSuffix.size() && path.ends_with(kDeletedSuffix)) {
        path.remove_suffix(kDeletedSuffix.size());
        m.flags |= kDeleted;
    }
    m.path = out.intern(path);
    m.offset = FileOffset{e.offset + (m.start - e.start)};  // cannot wrap: checked by the caller
}

// The rows: each PT_LOAD cut where NT_FILE entries begin and end inside it, with the entry's file;
// then the parts of NT_FILE entries that no PT_LOAD covers (gdb leaves regions out), with unknown
// permissions.
void make_rows(std::vector<Segment> loads, std::vector<FileEntry> files, AddressSpaceBuilder& out) {
    std::sort(loads.begin(), loads.end(),
              [](const Segment& a, const Segment& b) { return a.vaddr < b.vaddr; });
    std::stable_sort(files.begin(), files.end(),
                     [](const FileEntry& a, const FileEntry& b) { return a.start < b.start; });
    out.reserve(loads.size() + files.size());

    // Files overlapping [a, b), from the first whose end is above a; entries are sorted by start
    // and, in any core the kernel or gdb wrote, do not overlap one another.
    auto first_file = [&](Addr a) {
        return std::partition_point(files.begin(), files.end(),
                                    [&](const FileEntry& e) { return e.end <= a; });
    };
    for (const Segment& s : loads) {
        if (s.memsz == 0) continue;
        const Addr end = s.vaddr + s.memsz;
        Addr at = s.vaddr;
        for (auto f = first_file(at); at < end;) {
            // Skip entries wholly below `at` (an overlapping, hostile entry can leave some).
            while (f != files.end() && f->end <= at) ++f;
            Mapping m;
            m.start = at;
            if (f == files.end() || f->start >= end) {
                m.end = end;
            } else if (f->start > at) {
                m.end = f->start;
            } else {
                m.end = std::min(end, f->end);
                set_file(out, m, *f);
            }
            m.perms = perms_of(s.flags, m.path != kNoPath);
            m.flags |= dump_flags(s, m.start, m.end);
            out.add(m);
            at = m.end;
        }
    }

    // NT_FILE parts outside every PT_LOAD.
    std::size_t k = 0;
    for (const FileEntry& e : files) {
        Addr at = e.start;
        while (k > 0 && loads[k - 1].vaddr + loads[k - 1].memsz > e.start) --k;
        for (std::size_t j = k; j < loads.size() && at < e.end; ++j) {
            const Segment& s = loads[j];
            const Addr s_end = s.vaddr + s.memsz;
            if (s_end <= at || s.memsz == 0) continue;
            if (s.vaddr >= e.end) break;
            if (s.vaddr > at) {
                Mapping m{at, s.vaddr};
                set_file(out, m, e);
                m.perms = Perms(Perms::kAccessUnknown | Perms::kSharingUnknown);
                m.flags |= kNotDumped;
                out.add(m);
            }
            at = std::max(at, s_end);
        }
        if (at < e.end) {
            Mapping m{at, e.end};
            set_file(out, m, e);
            m.perms = Perms(Perms::kAccessUnknown | Perms::kSharingUnknown);
            m.flags |= kNotDumped;
            out.add(m);
        }
        while (k < loads.size() && loads[k].vaddr + loads[k].memsz <= e.end) ++k;
    }
}

}  // namespace

Result<Target> read_core(const std::string& path) {
    if (elf_version(EV_CURRENT) == EV_NONE)
        return make_error(ErrorKind::Unsupported, "libelf cannot be initialised");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return file_error(path, errno);
    // Memory takes the descriptor over at once, so that every return below closes it.
    auto memory = std::make_unique<core::Memory>(fd);
    struct stat st;
    if (fstat(fd, &st) != 0) return file_error(path, errno);
    if (!S_ISREG(st.st_mode))
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("{} is not a regular file", path));
    const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);

    ElfHandle elf(elf_begin(fd, ELF_C_READ, nullptr));
    GElf_Ehdr ehdr;
    if (!elf || elf_kind(elf.get()) != ELF_K_ELF || gelf_getehdr(elf.get(), &ehdr) == nullptr) {
        // A file cut inside its header is said to be, with its size: libelf's own word for it
        // is "no error".
        std::uint8_t ident[EI_NIDENT] = {};
        const ssize_t n = ::pread(fd, ident, sizeof ident, 0);
        const std::size_t got = n > 0 ? static_cast<std::size_t>(n) : 0;
        if (auto checked = elf::check_ident(std::span(ident, got), size); !checked)
            return make_error(ErrorKind::MalformedInput,
                              fmt::format("{}: {}", path, checked.error().message));
        return make_error(ErrorKind::MalformedInput,
                          fmt::format("{}: cannot read the ELF header: {}", path, libelf_error()));
    }
    if (ehdr.e_type != ET_CORE)
        return make_error(ErrorKind::Unsupported, fmt::format("{} is not a core file", path));
    const int elf_class = gelf_getclass(elf.get());
    core::Layout layout;
    layout.word = elf_class == ELFCLASS64 ? 8 : 4;
    layout.big_endian = ehdr.e_ident[EI_DATA] == ELFDATA2MSB;
    layout.machine = ehdr.e_machine;

    // The count the header claims (libelf quietly answers fewer for a table cut short). A core
    // with PN_XNUM or more mappings keeps the real count in section 0's sh_info.
    std::uint64_t phnum = ehdr.e_phnum;
    if (phnum == PN_XNUM) {
        GElf_Shdr shdr0;
        Elf_Scn* scn0 = elf_getscn(elf.get(), 0);
        if (scn0 == nullptr || gelf_getshdr(scn0, &shdr0) == nullptr)
            return make_error(ErrorKind::MalformedInput,
                              fmt::format("{}: e_phnum is PN_XNUM but section header 0, which "
                                          "holds the count, cannot be read: {}",
                                          path, libelf_error()));
        phnum = shdr0.sh_info;
    }
    const std::uint64_t entsize = elf_class == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (phnum > 0 && (ehdr.e_phentsize != entsize || !fits(ehdr.e_phoff, phnum * entsize, size)))
        return make_error(
            ErrorKind::MalformedInput,
            fmt::format("{}: the core file ends at offset {:#x}, but its {} program headers run "
                        "from {:#x} to {:#x}",
                        path, size, phnum, ehdr.e_phoff, ehdr.e_phoff + phnum * ehdr.e_phentsize));
    std::size_t counted = 0;
    if (phnum > 0 && (elf_getphdrnum(elf.get(), &counted) != 0 || counted != phnum))
        return make_error(ErrorKind::MalformedInput,
                          fmt::format("{}: libelf counts {} program headers where the header "
                                      "claims {}",
                                      path, counted, phnum));

    AddressSpaceBuilder out(SourceInfo{SourceKind::Core, path});
    Reader reader(size, out);
    Notes notes;
    std::vector<Segment> loads;
    loads.reserve(phnum);
    for (std::uint64_t i = 0; i < phnum; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf.get(), static_cast<int>(i), &ph) == nullptr) {
            reader.lose(fmt::format("cannot read program header {}: {}", i, libelf_error()));
            continue;
        }
        if (ph.p_type == PT_NOTE) {
            reader.read_notes(elf.get(), ph, layout, notes);
        } else if (ph.p_type == PT_LOAD) {
            if (!checked_add(ph.p_vaddr, ph.p_memsz)) {
                reader.lose(
                    fmt::format("program header {}: p_vaddr {:#x} + p_memsz {:#x} wraps "
                                "around; the region is left out",
                                i, ph.p_vaddr, ph.p_memsz));
                continue;
            }
            loads.push_back(reader.segment(ph));
        }
    }
    reader.report_cut();
    if (!notes.has_file_note)
        reader.warn("the core has no NT_FILE note: its file mappings have no paths");
    const auto marked =
        std::count_if(notes.files.begin(), notes.files.end(), [](const FileEntry& e) {
            return e.path.size() > kDeletedSuffix.size() && e.path.ends_with(kDeletedSuffix);
        });
    if (marked > 0)
        reader.warn(
            fmt::format("{} file name{} of the NT_FILE note end{} in \" (deleted)\", which the "
                        "kernel writes for a deleted file but a file's own name may hold: "
                        "read as the kernel's mark, unchecked",
                        marked, marked == 1 ? "" : "s", marked == 1 ? "s" : ""));

    make_rows(loads, std::move(notes.files), out);

    Target t;
    t.kind = TargetKind::Core;
    t.space = std::move(out).build();
    t.space.source().pid = notes.pid;
    t.space.source().process_name = notes.name;
    // The kernel turns the NUL after the last argument into a space too.
    std::string& args = t.space.source().arguments;
    args = std::move(notes.args);
    while (!args.empty() && args.back() == ' ') args.pop_back();
    t.facts = std::move(notes.facts);
    std::sort(t.facts.threads.begin(), t.facts.threads.end(),
              [](const ThreadInfo& a, const ThreadInfo& b) { return a.tid < b.tid; });
    memory->set_segments(std::move(loads));
    t.objects = core::make_object_reader(std::move(memory));
    return t;
}

}  // namespace vmatlas
