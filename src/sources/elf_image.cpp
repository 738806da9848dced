// The ELF image source: replays what the loader does to map an object (see elf_image.hpp) on a
// small model of an address space, or lists its allocated sections, then hands the result over as
// an AddressSpace with its names.
#include "vmatlas/elf_image.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "model/checked.hpp"
#include "sources/file_error.hpp"

namespace vmatlas {

namespace {

using elf::ElfObject;
using elf::ProgramHeader;

std::uint64_t system_page() {
    const long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<std::uint64_t>(p) : 4096;
}

// ---- the model: what mmap(MAP_FIXED) and mprotect leave behind -----------------------------

enum class PieceKind { File, Bss, Gap };

struct Piece {
    Addr start = 0, end = 0;
    Perms perms;
    PieceKind kind = PieceKind::File;
    std::uint64_t offset = 0;           // file offset of start (File and Gap pieces)
    const ProgramHeader* ph = nullptr;  // the PT_LOAD it came from
    std::string_view name;              // its label
};

class Model {
  public:
    // mmap(MAP_FIXED): whatever was there is replaced.
    void place(const Piece& p) {
        if (p.start >= p.end) return;
        split_at(p.start);
        split_at(p.end);
        auto [first, last] = overlapping(p.start, p.end);
        const auto at = pieces_.erase(first, last);
        pieces_.insert(at, p);
    }

    // mprotect: only what is mapped changes; `change` renames or retypes each piece in range.
    template <typename Change>
    void protect(Addr lo, Addr hi, Perms perms, Change&& change) {
        if (lo >= hi) return;
        split_at(lo);
        split_at(hi);
        auto [first, last] = overlapping(lo, hi);
        for (auto it = first; it != last; ++it) {
            it->perms = perms;
            change(*it);
        }
    }

    const std::vector<Piece>& pieces() const { return pieces_; }

  private:
    // Splits the piece that holds a strictly inside it.
    void split_at(Addr a) {
        auto it = std::upper_bound(pieces_.begin(), pieces_.end(), a,
                                   [](Addr x, const Piece& p) { return x < p.start; });
        if (it == pieces_.begin()) return;
        --it;
        if (!(it->start < a && a < it->end)) return;
        Piece right = *it;
        right.start = a;
        if (right.kind != PieceKind::Bss) right.offset += a - it->start;
        it->end = a;
        pieces_.insert(it + 1, right);
    }

    // The pieces wholly inside [lo, hi), once split at both ends.
    std::pair<std::vector<Piece>::iterator, std::vector<Piece>::iterator> overlapping(Addr lo,
                                                                                      Addr hi) {
        auto first = std::lower_bound(pieces_.begin(), pieces_.end(), lo,
                                      [](const Piece& p, Addr x) { return p.start < x; });
        auto last = std::lower_bound(first, pieces_.end(), hi,
                                     [](const Piece& p, Addr x) { return p.start < x; });
        return {first, last};
    }

    std::vector<Piece> pieces_;  // sorted, non-overlapping
};

// ---- one PT_LOAD, page-rounded as both loaders round it -------------------------------------

struct Load {
    std::size_t index;
    const ProgramHeader* ph;
    Addr map_start;            // base + page_down(p_vaddr)
    Addr map_end;              // base + page_up(p_vaddr + p_filesz): the file part ends
    Addr alloc_end;            // base + page_up(p_vaddr + p_memsz): the bss ends
    std::uint64_t map_offset;  // page_down(p_offset)
    Perms perms;
    std::string_view name;  // .SUNW_phname's, else inferred
    bool named;             // from .SUNW_phname
};

Perms perms_of(std::uint32_t flags) {
    std::uint8_t bits = 0;
    if (flags & PF_R) bits |= Perms::kRead;
    if (flags & PF_W) bits |= Perms::kWrite;
    if (flags & PF_X) bits |= Perms::kExec;
    return Perms(bits);
}

Error bad(std::string message) {
    return make_error(ErrorKind::MalformedInput, std::move(message));
}

std::string_view type_word(std::uint16_t type) {
    switch (type) {
        case ET_REL:
            return "a relocatable object (ET_REL)";
        case ET_CORE:
            return "a core file (ET_CORE)";
        case ET_NONE:
            return "an ELF object of type ET_NONE";
        default:
            return "an ELF object of an unknown type";
    }
}

// The kinds of program header whose bytes a loader reads from the file, "" for the others.
std::string_view read_kind(std::uint32_t type) {
    switch (type) {
        case PT_LOAD:
            return "PT_LOAD";
        case PT_INTERP:
            return "PT_INTERP";
        case PT_DYNAMIC:
            return "PT_DYNAMIC";
        case PT_NOTE:
            return "PT_NOTE";
        case PT_PHDR:
            return "PT_PHDR";
        default:
            return "";
    }
}

// The PT_LOADs, checked as a loader checks them, with their page-rounded ranges at base.
Result<std::vector<Load>> loads_at(const ElfObject& obj, const std::string& path,
                                   std::uint64_t file_size, Addr base, std::uint64_t page) {
    std::vector<Load> loads;
    const auto& phs = obj.program_headers;
    for (std::size_t i = 0; i < phs.size(); ++i) {
        const ProgramHeader& ph = phs[i];
        // The loader reads these from the file: a file that ends before them is truncated.
        if (!read_kind(ph.type).empty() && ph.filesz > 0 &&
            !fits(ph.offset, ph.filesz, file_size)) {
            const auto end = checked_add(ph.offset, ph.filesz);
            return bad(fmt::format(
                "{} is truncated: the file ends at offset {:#x}, but program header {} ({}) needs "
                "its bytes up to offset {}",
                path, file_size, i, read_kind(ph.type),
                end ? fmt::format("{:#x}", *end) : std::string("past 2^64")));
        }
        if (ph.type != PT_LOAD) continue;
        if ((ph.vaddr - ph.offset) % page != 0)
            return bad(fmt::format(
                "{}: program header {} (PT_LOAD) has p_vaddr {:#x} and p_offset {:#x}, which "
                "differ by no multiple of the {:#x}-byte page, so no loader can map it",
                path, i, ph.vaddr, ph.offset, page));
        if (!loads.empty() && ph.vaddr < loads.back().ph->vaddr)
            return bad(fmt::format(
                "{}: program header {} (PT_LOAD, p_vaddr {:#x}) comes after one at the higher "
                "p_vaddr {:#x}; loaders need PT_LOADs in address order",
                path, i, ph.vaddr, loads.back().ph->vaddr));
        // The reader refused ranges that wrap; rounding up and adding the base still may.
        const std::uint64_t mask = ~(page - 1);
        const auto file_top = checked_add(ph.vaddr + ph.filesz, page - 1);
        const auto mem_top = checked_add(ph.vaddr + std::max(ph.memsz, ph.filesz), page - 1);
        const auto map_start = checked_add(base, ph.vaddr & mask);
        const auto map_end = file_top ? checked_add(base, *file_top & mask) : std::nullopt;
        const auto alloc_end = mem_top ? checked_add(base, *mem_top & mask) : std::nullopt;
        if (!map_start || !map_end || !alloc_end)
            return make_error(
                ErrorKind::Unsupported,
                fmt::format("{}: at base {:#x}, program header {} (PT_LOAD, p_vaddr {:#x}, p_memsz "
                            "{:#x}) would run past the top of the address space",
                            path, base, i, ph.vaddr, ph.memsz));
        loads.push_back(
            {i, &ph, *map_start, *map_end, *alloc_end, ph.offset & mask, perms_of(ph.flags),
             ph.name.empty() ? elf::load_segment_name(obj, ph) : std::string_view(ph.name),
             !ph.name.empty()});
    }
    if (loads.empty())
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{} has no PT_LOAD program header: a loader maps nothing "
                                      "of it",
                                      path));
    return loads;
}

Piece file_piece(const Load& l, Addr start, Addr end, Perms perms) {
    return {start, end, perms, PieceKind::File, l.map_offset + (start - l.map_start), l.ph, l.name};
}

// The kernel's load_elf_binary/elf_load: each segment alone (the first one's reservation is cut
// back to its own size, so holes stay unmapped); the bss comes from vm_brk_flags, which makes
// read-write pages (executable too when the segment is).
void kernel_maps(Model& model, const std::vector<Load>& loads) {
    for (const Load& l : loads) {
        if (l.ph->filesz > 0) model.place(file_piece(l, l.map_start, l.map_end, l.perms));
        if (l.ph->memsz <= l.ph->filesz) continue;
        // With no file part the kernel's zero fill starts at the segment's first page.
        const Addr zero = l.ph->filesz > 0 ? l.map_end : l.map_start;
        const Perms bss(Perms::kRead | Perms::kWrite | (l.perms.executable() ? Perms::kExec : 0));
        model.place({zero, l.alloc_end, bss, PieceKind::Bss, 0, l.ph, "bss"});
    }
}

// glibc's _dl_map_segments: one reservation of the whole span, mapped from the file with the
// first segment's protection; with holes between segments, the part between the first segment's
// file end and the last segment's start made PROT_NONE; then every other segment mapped over it,
// and each segment's bss as anonymous pages with the segment's protection.
void ldso_maps(Model& model, const std::vector<Load>& loads) {
    const Load& first = loads.front();
    model.place(file_piece(first, first.map_start, loads.back().alloc_end, first.perms));
    bool has_holes = false;
    for (std::size_t k = 1; k < loads.size(); ++k)
        has_holes |= loads[k - 1].map_end != loads[k].map_start;
    if (has_holes)
        model.protect(first.map_end, loads.back().map_start, Perms{}, [](Piece& p) {
            p.kind = PieceKind::Gap;
            p.name = "gap";
        });
    for (std::size_t k = 0; k < loads.size(); ++k) {
        const Load& l = loads[k];
        if (k > 0) model.place(file_piece(l, l.map_start, l.map_end, l.perms));
        if (l.alloc_end > l.map_end)
            model.place({l.map_end, l.alloc_end, l.perms, PieceKind::Bss, 0, l.ph, "bss"});
    }
}

// The rows of a map and their labels, in the AddressSpace's order.
struct Rows {
    AddressSpace space;
    std::vector<Label> labels;
};

// The file that the file-backed rows map.
struct FileId {
    std::uint32_t dev_major = 0, dev_minor = 0;
    std::uint64_t inode = 0;
};

// ---- by program headers -----------------------------------------------------------------------

Result<Rows> map_by_segments(const ElfObject& object, const std::string& path,
                             std::uint64_t file_size, const FileId& id, Addr base,
                             ImageLoader loader, std::uint64_t page) {
    auto loads = loads_at(object, path, file_size, base, page);
    if (!loads) return loads.error();

    Model model;
    if (loader == ImageLoader::Kernel)
        kernel_maps(model, *loads);
    else
        ldso_maps(model, *loads);
    if (const auto relro = elf::relro_pages(object, page)) {
        const auto lo = checked_add(base, relro->first);
        const auto hi = checked_add(base, relro->second);
        if (lo && hi)
            model.protect(*lo, *hi, Perms(Perms::kRead), [](Piece& p) {
                // Named like the segment-name stage names it: the read-only part of a data
                // segment that .SUNW_phname does not name.
                if (p.kind == PieceKind::File && p.ph != nullptr && (p.ph->flags & PF_W) &&
                    p.ph->name.empty())
                    p.name = "relro";
            });
    }

    if (model.pieces().empty())
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{} has only empty PT_LOADs (p_filesz and p_memsz 0): a "
                                      "loader maps nothing of it",
                                      path));

    AddressSpaceBuilder builder({SourceKind::ElfImage, path, 0, {}});
    const PathId file = builder.intern(path);
    for (const Piece& p : model.pieces()) {
        Mapping m;
        m.start = p.start;
        m.end = p.end;
        m.perms = p.perms;
        if (p.kind != PieceKind::Bss) {
            m.offset = FileOffset{p.offset};
            m.path = file;
            m.dev_major = id.dev_major;
            m.dev_minor = id.dev_minor;
            m.inode = id.inode;
        }
        builder.add(m);
    }
    Rows rows{std::move(builder).build(), {}};
    // The rows were added sorted and apart: build() kept them in the model's order.
    const auto& pieces = model.pieces();
    rows.labels.resize(rows.space.size());
    for (std::size_t i = 0; i < rows.space.size() && i < pieces.size(); ++i)
        rows.labels[i] = {std::string(pieces[i].name), NameSource::Elf,
                          pieces[i].kind == PieceKind::Bss ? file : kNoPath};
    return rows;
}

// ---- by allocated sections --------------------------------------------------------------------

// Overlaps listed one by one; past this many, a count.
constexpr std::size_t kOverlapsListed = 16;

std::string section_name(const elf::Section& s) {
    // The reader warned already when a name could not be read; the row still needs one.
    return s.name.empty() ? fmt::format("<section {}>", s.index) : s.name;
}

Perms section_perms(std::uint64_t flags) {
    std::uint8_t bits = Perms::kRead;  // SHF_ALLOC: it is in memory, so it can be read
    if (flags & SHF_WRITE) bits |= Perms::kWrite;
    if (flags & SHF_EXECINSTR) bits |= Perms::kExec;
    return Perms(bits);
}

// A TLS bss (.tbss) is the template of every thread's zero-filled TLS, not memory at its sh_addr:
// its range is the next sections', as elf_segments.cpp treats it too.
bool takes_addresses(const elf::Section& s) {
    const bool tls_bss = (s.flags & SHF_TLS) != 0 && s.type == SHT_NOBITS;
    return s.size > 0 && !tls_bss;
}

// Says which sections overlap (each overlapping one once, with one it overlaps), before the
// builder drops all but the later one, and marks the map partial: part of the file is not shown.
void report_overlaps(const std::vector<Mapping>& rows, const std::vector<const elf::Section*>& of,
                     const std::string& path, AddressSpaceBuilder& builder) {
    std::vector<std::size_t> order(rows.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return rows[a].start < rows[b].start; });
    auto describe = [&](std::size_t k) {
        return fmt::format("section {} ({}, {:#x}-{:#x})", of[k]->index, section_name(*of[k]),
                           rows[k].start, rows[k].end);
    };
    std::size_t overlaps = 0;
    std::optional<std::size_t> reach;  // the row that reaches highest so far
    for (const std::size_t k : order) {
        if (reach && rows[*reach].end > rows[k].start && ++overlaps <= kOverlapsListed) {
            // In section header order, which is also the order in which the later one wins.
            const std::size_t first = std::min(*reach, k), second = std::max(*reach, k);
            builder.lose(
                {0, 0, fmt::format("{}: {} overlaps {}", path, describe(first), describe(second))});
        }
        if (!reach || rows[k].end > rows[*reach].end) reach = k;
    }
    if (overlaps == 0) return;
    if (overlaps > kOverlapsListed)
        builder.lose({0, 0,
                      fmt::format("{}: {} more overlapping sections are not listed", path,
                                  overlaps - kOverlapsListed)});
    builder.lose({0, 0,
                  fmt::format("{}: where allocated sections overlap, the one later in the section "
                              "header table is shown",
                              path)});
}

Result<Rows> map_by_sections(const ElfObject& object, const std::string& path,
                             std::uint64_t file_size, const FileId& id, Addr base) {
    // What to do instead, at the end of every sentence that refuses a map by sections.
    constexpr std::string_view kInstead =
        "so there is no map by sections (without --sections, the map comes from the program "
        "headers)";
    if (object.sections.empty()) {
        // Damaged section headers: the reader's first warning says why none could be read.
        if (!object.warnings.empty())
            return bad(fmt::format("{}: {}, {}", path, object.warnings.front(), kInstead));
        return make_error(
            ErrorKind::Unsupported,
            fmt::format("{} has no allocated (SHF_ALLOC) section, {}", path, kInstead));
    }
    AddressSpaceBuilder builder({SourceKind::ElfImage, path, 0, {}});
    const PathId file = builder.intern(path);
    std::vector<Mapping> rows;
    std::vector<const elf::Section*> of;  // the section of each row
    for (const elf::Section& s : object.sections) {
        if (!takes_addresses(s)) continue;
        const bool nobits = s.type == SHT_NOBITS;
        // Its bytes are what the map shows at its addresses: a file that ends before them is cut.
        if (!nobits && !fits(s.offset, s.size, file_size)) {
            const auto end = checked_add(s.offset, s.size);
            return bad(fmt::format(
                "{} is truncated: the file ends at offset {:#x}, but section {} ({}) needs its "
                "bytes up to offset {}",
                path, file_size, s.index, section_name(s),
                end ? fmt::format("{:#x}", *end) : std::string("past 2^64")));
        }
        // The reader refused sections whose sh_addr + sh_size wraps; adding the base still may.
        const auto start = checked_add(base, s.addr);
        const auto end = start ? checked_add(*start, s.size) : std::nullopt;
        if (!end)
            return make_error(
                ErrorKind::Unsupported,
                fmt::format("{}: at base {:#x}, section {} ({}, sh_addr {:#x}, sh_size {:#x}) "
                            "would run past the top of the address space",
                            path, base, s.index, section_name(s), s.addr, s.size));
        Mapping m;
        m.start = *start;
        m.end = *end;
        m.perms = section_perms(s.flags);
        if (!nobits) {
            m.offset = FileOffset{s.offset};
            m.path = file;
            m.dev_major = id.dev_major;
            m.dev_minor = id.dev_minor;
            m.inode = id.inode;
        }
        rows.push_back(m);
        of.push_back(&s);
    }
    if (rows.empty())
        return make_error(
            ErrorKind::Unsupported,
            fmt::format("{} has no allocated (SHF_ALLOC) section with a size, {}", path, kInstead));
    report_overlaps(rows, of, path, builder);
    for (const Mapping& m : rows) builder.add(m);
    Rows out{std::move(builder).build(), {}};

    // Which row each kept mapping is: the builder keeps, among rows that start at the same
    // address, only the one added last (any earlier one overlaps it), so the start tells.
    std::map<Addr, std::size_t> last_at;
    for (std::size_t k = 0; k < rows.size(); ++k) last_at[rows[k].start] = k;
    out.labels.resize(out.space.size());
    for (std::size_t i = 0; i < out.space.size(); ++i) {
        const auto it = last_at.find(out.space[i].start);
        if (it == last_at.end()) continue;  // not a row of ours: cannot happen
        const elf::Section& s = *of[it->second];
        out.labels[i] = {section_name(s), NameSource::Elf, s.type == SHT_NOBITS ? file : kNoPath};
    }
    return out;
}

}  // namespace

std::string_view to_string(ImageLoader loader) {
    return loader == ImageLoader::Kernel ? "kernel" : "ld.so";
}

std::string_view to_string(BaseChoice choice) {
    switch (choice) {
        case BaseChoice::Own:
            return "own";
        case BaseChoice::Given:
            return "given";
        case BaseChoice::PieDefault:
            return "pie default";
        case BaseChoice::SharedDefault:
            return "shared default";
    }
    return "own";
}

Result<ElfImage> elf_image_from(ElfObject object, std::string path, std::uint64_t file_size,
                                std::uint32_t dev_major, std::uint32_t dev_minor,
                                std::uint64_t inode, const ElfImageOptions& options) {
    const std::uint64_t page = options.page_size != 0 ? options.page_size : system_page();
    if (object.type != ET_EXEC && object.type != ET_DYN)
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{} is {}, not an executable or shared object: no loader "
                                      "maps it",
                                      path, type_word(object.type)));
    ElfImage image;
    image.by_sections = options.by_sections;
    const bool has_interp =
        std::any_of(object.program_headers.begin(), object.program_headers.end(),
                    [](const ProgramHeader& ph) { return ph.type == PT_INTERP; });
    if (object.type == ET_EXEC) {
        image.base = 0;
        image.base_choice = BaseChoice::Own;
        if (options.base && *options.base != 0)
            image.notes.warnings.push_back(fmt::format(
                "{} is ET_EXEC: it loads at the addresses its program headers give, whatever "
                "base is asked for",
                path));
    } else if (options.base) {
        // Loaders map whole pages; sections are shown exactly, so any base will do for them.
        if (!options.by_sections && *options.base % page != 0)
            return make_error(ErrorKind::Usage,
                              fmt::format("base {:#x} is not a multiple of the {:#x}-byte page, "
                                          "and loaders map whole pages (a map by sections takes "
                                          "any base)",
                                          *options.base, page));
        image.base = *options.base;
        image.base_choice = BaseChoice::Given;
    } else {
        // Both loaders align the base to the largest p_align of a PT_LOAD (a power of two), as
        // the kernel does with ASLR off: a PIE with 64 KiB segments lands at 0x555555550000.
        std::uint64_t align = page;
        for (const ProgramHeader& ph : object.program_headers)
            if (ph.type == PT_LOAD && std::has_single_bit(ph.align))
                align = std::max(align, ph.align);
        image.base = (has_interp ? kPieBase : kSharedBase) & ~(align - 1);
        image.base_choice = has_interp ? BaseChoice::PieDefault : BaseChoice::SharedDefault;
    }
    // What starts the program is the kernel; what a program asks for is ld.so's work.
    image.loader = object.type == ET_EXEC || has_interp ? ImageLoader::Kernel : ImageLoader::Ldso;

    const FileId id{dev_major, dev_minor, inode};
    auto rows = options.by_sections
                    ? map_by_sections(object, path, file_size, id, image.base)
                    : map_by_segments(object, path, file_size, id, image.base, image.loader, page);
    if (!rows) return rows.error();
    for (const std::string& w : object.warnings)
        image.notes.warnings.push_back(fmt::format("{}: {}", path, w));
    image.space = std::move(rows->space);
    image.notes.labels = std::move(rows->labels);
    image.path = std::move(path);
    image.object = std::move(object);
    return image;
}

Result<ElfImage> load_elf_image(const std::string& path, const ElfImageOptions& options) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return file_error(path, errno);
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer{fd};
    struct stat st;
    if (fstat(fd, &st) != 0)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("cannot stat {}: {}", path, std::strerror(errno)));
    if (!S_ISREG(st.st_mode))
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("{} is not a regular file", path));
    auto object = elf::read_elf_object(fd, {.file_size = static_cast<std::uint64_t>(st.st_size)});
    if (!object)
        return make_error(object.error().kind, fmt::format("{}: {}", path, object.error().message));
    return elf_image_from(std::move(*object), path, static_cast<std::uint64_t>(st.st_size),
                          major(st.st_dev), minor(st.st_dev), st.st_ino, options);
}

}  // namespace vmatlas
