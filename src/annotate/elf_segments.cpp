// The ELF segment-name stage: which program header each file-backed row came from, and so what it
// holds (text, rodata, relro, data, headers), plus the rows the loader made around an object (the
// `---p` gap between two segments, the anonymous bss after the last one).
//
// Each object (path + device + inode) is opened once, the file that the process really mapped
// (/proc/PID/map_files/START-END, else /proc/PID/root/PATH), and only if its device and inode are
// those of the rows: a file replaced since it was mapped would name the rows wrongly.
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "annotate/stages.hpp"
#include "model/checked.hpp"
#include "sources/object_reader.hpp"
#include "vmatlas/elf.hpp"

namespace vmatlas {

namespace {

using elf::ElfObject;
using elf::ProgramHeader;

// Far more PT_LOAD headers than any linker writes: an object with more is not named, which
// bounds the work per row on a hostile file.
constexpr std::size_t kMaxLoads = 256;

const std::uint64_t kPage = [] {
    const long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<std::uint64_t>(p) : 4096;
}();

constexpr std::uint64_t page_down(std::uint64_t x, std::uint64_t page) {
    return x & ~(page - 1);
}

std::optional<std::uint64_t> page_up(std::uint64_t x, std::uint64_t page) {
    auto y = checked_add(x, page - 1);
    if (!y) return std::nullopt;
    return page_down(*y, page);
}

// ---- opening the file the process mapped ---------------------------------------------------

class Fd {
  public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        std::swap(fd_, o.fd_);
        return *this;
    }
    ~Fd() {
        if (fd_ >= 0) close(fd_);
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

bool same_file(const struct stat& st, const Mapping& m) {
    return static_cast<std::uint64_t>(st.st_ino) == m.inode && major(st.st_dev) == m.dev_major &&
           minor(st.st_dev) == m.dev_minor;
}

enum class Opened { Yes, Missing, NotRegular, Changed };

struct OpenResult {
    Opened outcome = Opened::Missing;
    Fd fd;
    int error = 0;           // errno of the last attempt, when Missing
    std::uint64_t size = 0;  // when Yes, from the fstat of fd
};

// Opens a candidate only if it is a regular file with the row's device and inode: a device node
// or a FIFO named in a map is never opened (opening one can block or have effects).
OpenResult open_checked(const std::string& name, const Mapping& row) {
    OpenResult r;
    struct stat st;
    if (stat(name.c_str(), &st) != 0) {
        r.error = errno;
        return r;
    }
    if (!S_ISREG(st.st_mode)) return {Opened::NotRegular, Fd(), 0};
    if (!same_file(st, row)) return {Opened::Changed, Fd(), 0};
    Fd fd(open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        r.error = errno;
        return r;
    }
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return {Opened::NotRegular, Fd(), 0};
    if (!same_file(st, row)) return {Opened::Changed, Fd(), 0};
    return {Opened::Yes, std::move(fd), 0,
            st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0};
}

// The file the row maps: through map_files, else by its path under the process's root (each
// name made only when the one before is missing), or by its path for a saved map.
OpenResult open_object(std::string_view path, const Mapping& row, int pid) {
    const bool by_path = path.starts_with('/') && !row.deleted();
    if (pid <= 0) return by_path ? open_checked(std::string(path), row) : OpenResult();
    OpenResult r =
        open_checked(fmt::format("/proc/{}/map_files/{:x}-{:x}", pid, row.start, row.end), row);
    if (r.outcome != Opened::Missing || !by_path) return r;
    return open_checked(fmt::format("/proc/{}/root{}", pid, path), row);
}

// ---- the objects of one address space ------------------------------------------------------

struct ObjectKey {
    PathId path;
    std::uint32_t dev_major, dev_minor;
    std::uint64_t inode;
    friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
};

struct FileKey {
    std::uint32_t dev_major, dev_minor;
    std::uint64_t inode;
    friend bool operator==(const FileKey&, const FileKey&) = default;
};

struct KeyHash {
    std::size_t operator()(const ObjectKey& k) const {
        return std::hash<std::uint64_t>()(k.inode * 0x9e3779b97f4a7c15ull ^ k.path ^
                                          (std::uint64_t{k.dev_major} << 40) ^
                                          (std::uint64_t{k.dev_minor} << 20));
    }
    std::size_t operator()(const FileKey& k) const {
        return std::hash<std::uint64_t>()(k.inode * 0x9e3779b97f4a7c15ull ^
                                          (std::uint64_t{k.dev_major} << 40) ^
                                          (std::uint64_t{k.dev_minor} << 20));
    }
};

// A row of a file: with an inode, or from a target that reads its objects itself (a core
// records no inodes).
bool file_backed(const AddressSpace& space, const Mapping& m, bool inode_known) {
    if (m.path == kNoPath || (inode_known && m.inode == 0)) return false;
    return !is_kernel_name(space.path(m));
}

// A PT_LOAD with its page-rounded ranges, as the loader maps it.
struct Load {
    std::size_t index;  // in program_headers
    const ProgramHeader* ph;
    std::uint64_t file_lo, file_hi;  // [page_down(p_offset), p_offset + p_filesz)
    std::uint64_t mem_lo;            // page_down(p_vaddr)
    std::uint64_t file_mem_hi;       // page_up(p_vaddr + p_filesz): the file-backed part ends
    std::uint64_t mem_hi;            // page_up(p_vaddr + p_memsz): the bss ends
};

// What the stage needs of one object, computed once per file.
struct Layout {
    ElfObject object;
    std::vector<Load> loads;                                       // in program header order
    std::optional<std::pair<std::uint64_t, std::uint64_t>> relro;  // page-rounded, as mprotected
    std::vector<const elf::Section*> sections;                     // occupying memory, by address
    std::vector<std::uint64_t> max_end;  // max_end[i]: the largest end of sections[0..i]
};

// Built in place: loads and sections point into the object. The sections only when wanted (-v).
std::shared_ptr<const Layout> make_layout(ElfObject obj, std::uint64_t page, bool want_sections) {
    auto shared = std::make_shared<Layout>();
    Layout& lay = *shared;
    lay.object = std::move(obj);
    const auto& phs = lay.object.program_headers;
    lay.relro = elf::relro_pages(lay.object, page);
    for (std::size_t i = 0; i < phs.size(); ++i) {
        const ProgramHeader& ph = phs[i];
        if (ph.type != PT_LOAD) continue;
        // The reader refused PT_LOADs whose ranges wrap; page_up may still wrap at the top.
        const auto file_mem_hi = page_up(ph.vaddr + ph.filesz, page);
        const auto mem_hi = page_up(ph.vaddr + std::max(ph.memsz, ph.filesz), page);
        if (!file_mem_hi || !mem_hi) continue;
        lay.loads.push_back({i, &ph, page_down(ph.offset, page), ph.offset + ph.filesz,
                             page_down(ph.vaddr, page), *file_mem_hi, *mem_hi});
    }
    if (lay.loads.empty() || lay.loads.size() > kMaxLoads) return nullptr;
    if (!want_sections) return shared;
    for (const elf::Section& s : lay.object.sections) {
        // A TLS bss (.tbss) takes no addresses of its own: its range is the next sections'.
        const bool tls_bss = (s.flags & SHF_TLS) != 0 && s.type == SHT_NOBITS;
        if (s.size > 0 && !tls_bss) lay.sections.push_back(&s);
    }
    std::stable_sort(
        lay.sections.begin(), lay.sections.end(),
        [](const elf::Section* a, const elf::Section* b) { return a->addr < b->addr; });
    std::uint64_t running = 0;
    for (const elf::Section* s : lay.sections) {
        running = std::max(running, s->addr + s->size);
        lay.max_end.push_back(running);
    }
    return shared;
}

// The load bias: the address at which vaddr 0 sits. Every row (but the `---p` ones, whose file
// offset is whatever the loader's first reservation gave them) votes for the bias under which its
// offset lands in a PT_LOAD; the most votes win, the lowest row's first candidate on a tie. Votes
// disambiguate the rows whose file page two segments share.
std::optional<std::uint64_t> load_bias(const AddressSpace& space,
                                       const std::vector<std::size_t>& rows, const Layout& lay,
                                       std::uint64_t page) {
    struct Vote {
        std::uint64_t bias;
        std::size_t count;
        std::size_t last_row;  // a row votes once for a bias, however many segments agree
    };
    std::vector<Vote> votes;  // in first-seen order
    std::unordered_map<std::uint64_t, std::size_t> slot;
    for (std::size_t i : rows) {
        const Mapping& m = space[i];
        if (m.perms.none()) continue;
        const std::uint64_t o = raw(m.offset);
        for (const Load& l : lay.loads) {
            if (o < l.file_lo || o >= l.file_hi) continue;
            const std::uint64_t bias = m.start - (l.mem_lo + (o - l.file_lo));  // modulo 2^64
            if (bias % page != 0) continue;
            auto [it, fresh] = slot.try_emplace(bias, votes.size());
            if (fresh) votes.push_back({bias, 0, SIZE_MAX});
            Vote& v = votes[it->second];
            if (v.last_row != i) ++v.count, v.last_row = i;
        }
    }
    if (votes.empty()) return std::nullopt;
    auto best = votes.begin();
    for (auto it = votes.begin(); it != votes.end(); ++it)
        if (it->count > best->count) best = it;
    return best->bias;
}

std::string_view inferred_name(const Layout& lay, const Load& l, const Mapping& m,
                               std::uint64_t vstart, std::uint64_t vend) {
    // The part of a data segment that the loader made read-only after relocating.
    if ((l.ph->flags & PF_W) && lay.relro && !m.perms.writable() && vstart >= lay.relro->first &&
        vend <= lay.relro->second)
        return "relro";
    return elf::load_segment_name(lay.object, *l.ph);
}

// The sections whose addresses meet [lo, hi), in address order.
std::string sections_in(const Layout& lay, std::uint64_t lo, std::uint64_t hi) {
    std::string out;
    auto first = std::upper_bound(lay.max_end.begin(), lay.max_end.end(), lo);
    for (std::size_t k = first - lay.max_end.begin(); k < lay.sections.size(); ++k) {
        const elf::Section* s = lay.sections[k];
        if (s->addr >= hi) break;
        if (s->addr + s->size <= lo) continue;
        if (!out.empty()) out += ' ';
        out += s->name.empty() ? fmt::format("[{}]", s->index) : s->name;
    }
    return out;
}

// A `---p` row wholly between two segments, overlapping none: the loader's reservation.
bool is_gap(const Layout& lay, std::uint64_t vstart, std::uint64_t vend) {
    bool below = false, above = false;
    for (const Load& l : lay.loads) {
        if (l.mem_lo < vend && vstart < l.mem_hi) return false;
        if (l.mem_hi <= vstart) below = true;
        if (l.mem_lo >= vend) above = true;
    }
    return below && above;
}

void name_object(const AddressSpace& space, const std::vector<std::size_t>& rows, const Layout& lay,
                 bool want_sections, Annotations& notes) {
    const std::uint64_t page = kPage;
    const auto bias = load_bias(space, rows, lay, page);
    if (!bias) return;
    for (std::size_t i : rows) {
        const Mapping& m = space[i];
        const std::uint64_t vstart = m.start - *bias;  // modulo 2^64, like the bias
        const auto vend = checked_add(vstart, m.size());
        if (!vend) continue;
        if (m.perms.none() && is_gap(lay, vstart, *vend)) {
            notes.labels[i] = {"gap", NameSource::Elf, kNoPath};
            continue;
        }
        const std::uint64_t o = raw(m.offset);
        const Load* load = nullptr;
        for (const Load& l : lay.loads) {
            if (vstart >= l.mem_lo && *vend <= l.file_mem_hi && o >= l.file_lo &&
                o - l.file_lo == vstart - l.mem_lo) {
                load = &l;
                break;
            }
        }
        if (load == nullptr) continue;  // a row that no segment explains keeps its label
        const std::string& given = load->ph->name;
        notes.labels[i] = {
            given.empty() ? std::string(inferred_name(lay, *load, m, vstart, *vend)) : given,
            NameSource::Elf, kNoPath};
        if (want_sections) notes.sections[i] = sections_in(lay, vstart, *vend);

        // The anonymous row that starts where a writable segment's file part ends, when its
        // p_memsz goes on past that page: the bss. It may run past p_memsz: the kernel merges it
        // with an anonymous mapping of the same permissions made right after it (glibc's
        // allocations often land there after a dlopen), and the row still begins with the bss.
        if (!(load->ph->flags & PF_W) || *vend != load->file_mem_hi ||
            load->mem_hi == load->file_mem_hi || i + 1 >= space.size())
            continue;
        const Mapping& next = space[i + 1];
        if (next.path != kNoPath || next.inode != 0 || next.start != m.end) continue;
        notes.labels[i + 1] = {"bss", NameSource::Elf, m.path};
        if (const auto hi = checked_add(*vend, next.size()); want_sections && hi)
            notes.sections[i + 1] = sections_in(lay, *vend, *hi);
    }
}

}  // namespace

void stages::name_elf_segments(const AddressSpace& space, const AnnotateContext& ctx,
                               Annotations& notes) {
    // Rows of each object, in address order; objects in the order of their first row.
    std::unordered_map<ObjectKey, std::size_t, KeyHash> group_of;
    std::vector<std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < space.size(); ++i) {
        const Mapping& m = space[i];
        if (!file_backed(space, m, ctx.objects == nullptr)) continue;
        auto [it, fresh] = group_of.try_emplace(
            ObjectKey{m.path, m.dev_major, m.dev_minor, m.inode}, groups.size());
        if (fresh) groups.emplace_back();
        groups[it->second].push_back(i);
    }

    // One read per file, whatever number of paths and rows name it. A null layout: not ELF, or
    // nothing to name with.
    std::unordered_map<FileKey, std::shared_ptr<const Layout>, KeyHash> layouts;
    std::size_t unopened = 0;
    std::string first_unopened;
    for (const std::vector<std::size_t>& rows : groups) {
        const Mapping& first = space[rows.front()];
        const std::string_view path = space.path(first);
        const FileKey file{first.dev_major, first.dev_minor, first.inode};
        auto cached = layouts.find(file);
        if (ctx.objects != nullptr) {
            // The target reads its objects (one group per path: a core has no inodes).
            auto obj = ctx.objects->read(space, rows, notes.warnings);
            if (auto layout =
                    obj ? make_layout(std::move(*obj), kPage, ctx.want_sections) : nullptr)
                name_object(space, rows, *layout, ctx.want_sections, notes);
            continue;
        }
        if (cached == layouts.end()) {
            OpenResult opened = open_object(path, first, ctx.pid);
            // A saved map may come from another machine, where a file at the same path is
            // another file: only a live process's files are expected to match.
            if (opened.outcome == Opened::Changed) {
                if (ctx.pid > 0)
                    notes.warnings.push_back(fmt::format(
                        "{} has changed on disk since it was mapped; its segments are not named",
                        path));
                continue;
            }
            if (opened.outcome == Opened::Missing) {
                // A deleted file that map_files cannot give back is simply gone, and so may be
                // the files of a saved map; a live process's files are there to be read.
                if (ctx.pid > 0 && !first.deleted() && opened.error != 0 && unopened++ == 0)
                    first_unopened = fmt::format("{}: {}", path, std::strerror(opened.error));
                continue;
            }
            std::shared_ptr<const Layout> layout;
            if (opened.outcome == Opened::Yes) {
                auto obj = elf::read_elf_object(
                    opened.fd.get(),
                    {.file_size = opened.size, .build_id = false, .sections = ctx.want_sections});
                if (obj) {
                    for (const std::string& w : obj->warnings)
                        notes.warnings.push_back(fmt::format("{}: {}", path, w));
                    layout = make_layout(std::move(*obj), kPage, ctx.want_sections);
                } else if (obj.error().kind != ErrorKind::Unsupported) {
                    // Not ELF (a locale archive, a font) is silent; broken ELF is worth a word.
                    notes.warnings.push_back(fmt::format("{}: {}; its segments are not named", path,
                                                         obj.error().message));
                }
            }
            cached = layouts.emplace(file, std::move(layout)).first;
        }
        if (cached->second) name_object(space, rows, *cached->second, ctx.want_sections, notes);
    }
    if (ctx.objects != nullptr) ctx.objects->finish(notes.warnings);
    if (unopened == 0) return;
    // A process that has exited since its map was read has taken its files' handles with it.
    if (ctx.pid > 0 && ::access(fmt::format("/proc/{}/root", ctx.pid).c_str(), F_OK) != 0)
        notes.warnings.push_back(fmt::format(
            "process {} exited before the files it mapped could be read: the segments of {} "
            "file{} are not named",
            ctx.pid, unopened, unopened == 1 ? "" : "s"));
    else
        notes.warnings.push_back(fmt::format(
            "{} mapped file{} could not be opened ({}); {} segments are not named", unopened,
            unopened == 1 ? "" : "s", first_unopened, unopened == 1 ? "its" : "their"));
}

}  // namespace vmatlas
