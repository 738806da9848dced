// The objects of an address space (objects.hpp): rows grouped by file, each file opened once, the
// file that the process really mapped (/proc/PID/map_files/START-END, else /proc/PID/root/PATH),
// or by its path for a saved map, and only if its device and inode are those of the rows: a file
// replaced since it was mapped would name the rows wrongly.
#include "annotate/objects.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "model/checked.hpp"
#include "sources/object_reader.hpp"
#include "vmatlas/annotations.hpp"

namespace vmatlas {

namespace {

// Far more PT_LOAD headers than any linker writes: an object with more is not named, which
// bounds the work per row on a hostile file.
constexpr std::size_t kMaxLoads = 256;

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
    std::string name;        // when Yes, what was opened
};

// Opens a candidate only if it is a regular file with the row's device and inode: a device node
// or a FIFO named in a map is never opened (opening one can block or have effects).
OpenResult open_checked(std::string name, const Mapping& row) {
    OpenResult r;
    struct stat st;
    if (stat(name.c_str(), &st) != 0) {
        r.error = errno;
        return r;
    }
    if (!S_ISREG(st.st_mode)) return {Opened::NotRegular, Fd()};
    if (!same_file(st, row)) return {Opened::Changed, Fd()};
    Fd fd(open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        r.error = errno;
        return r;
    }
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return {Opened::NotRegular, Fd()};
    if (!same_file(st, row)) return {Opened::Changed, Fd()};
    return {Opened::Yes, std::move(fd), 0,
            st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0, std::move(name)};
}

// The file the row maps: through map_files, else by its path under the process's root (each
// name made only when the one before is missing), or by its path for a saved map or an ELF image
// (which a relative path names from the working directory; the row's device and inode decide).
OpenResult open_object(std::string_view path, const Mapping& row, int pid) {
    const bool by_path = path.starts_with('/') && !row.deleted();
    if (pid <= 0)
        return by_path || (!path.empty() && !row.deleted() && !is_kernel_name(path))
                   ? open_checked(std::string(path), row)
                   : OpenResult();
    OpenResult r =
        open_checked(fmt::format("/proc/{}/map_files/{:x}-{:x}", pid, row.start, row.end), row);
    if (r.outcome != Opened::Missing || !by_path) return r;
    return open_checked(fmt::format("/proc/{}/root{}", pid, path), row);
}

struct FileKey {
    std::uint32_t dev_major, dev_minor;
    std::uint64_t inode;
    friend bool operator==(const FileKey&, const FileKey&) = default;
};

struct FileKeyHash {
    std::size_t operator()(const FileKey& k) const {
        return ObjectKeyHash()({kNoPath, k.dev_major, k.dev_minor, k.inode});
    }
};

// The load bias: the address at which vaddr 0 sits. Every row (but the `---p` ones, whose file
// offset is whatever the loader's first reservation gave them) votes for the bias under which its
// offset lands in a PT_LOAD; the most votes win, the lowest row's first candidate on a tie. Votes
// disambiguate the rows whose file page two segments share.
std::optional<std::uint64_t> load_bias(const AddressSpace& space,
                                       const std::vector<std::size_t>& rows,
                                       const ObjectLayout& lay, std::uint64_t page) {
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

}  // namespace

bool file_backed(const AddressSpace& space, const Mapping& m, bool inode_known) {
    if (m.path == kNoPath || (inode_known && m.inode == 0)) return false;
    return !is_kernel_name(space.path(m));
}

std::uint64_t page_size() {
    static const std::uint64_t page = [] {
        const long p = sysconf(_SC_PAGESIZE);
        return p > 0 ? static_cast<std::uint64_t>(p) : 4096;
    }();
    return page;
}

const Load* ObjectLayout::load_of_file_range(std::uint64_t o, std::uint64_t size) const {
    const auto end = checked_add(o, size);
    if (!end) return nullptr;
    const std::uint64_t page = page_size();
    for (const Load& l : loads) {
        const auto file_end = page_up(l.file_hi, page);
        if (o >= l.file_lo && file_end && *end <= *file_end) return &l;
    }
    return nullptr;
}

const Load* ObjectLayout::load_of_vaddr(std::uint64_t vaddr) const {
    for (const Load& l : loads)
        if (vaddr >= l.ph->vaddr && vaddr - l.ph->vaddr < std::max(l.ph->memsz, l.ph->filesz))
            return &l;
    return nullptr;
}

const Load* MappedObject::load_at_bias(const Mapping& m) const {
    if (!layout || !bias) return nullptr;
    const std::uint64_t vstart = m.start - *bias;  // modulo 2^64, like the bias
    const auto vend = checked_add(vstart, m.size());
    if (!vend) return nullptr;
    const std::uint64_t o = raw(m.offset);
    for (const Load& l : layout->loads)
        if (vstart >= l.mem_lo && *vend <= l.file_mem_hi && o >= l.file_lo &&
            o - l.file_lo == vstart - l.mem_lo)
            return &l;
    return nullptr;
}

const Load* MappedObject::moved_load(const Mapping& m) const {
    if (!layout || !bias || m.perms.none()) return nullptr;
    const std::uint64_t vstart = m.start - *bias;  // modulo 2^64, like the bias
    const std::uint64_t o = raw(m.offset);
    for (const Load& l : layout->loads)
        if (o >= l.file_lo && o - l.file_lo == vstart - l.mem_lo) return nullptr;
    return layout->load_of_file_range(o, m.size());
}

std::optional<std::uint64_t> MappedObject::row_vaddr(const Mapping& m, bool file_row) const {
    if (!layout || !bias) return std::nullopt;
    if (file_row)
        if (const Load* l = moved_load(m)) return ObjectLayout::vaddr_of(*l, raw(m.offset));
    return m.start - *bias;
}

std::shared_ptr<const ObjectLayout> make_layout(elf::ElfObject obj, std::uint64_t page,
                                                bool want_sections) {
    auto shared = std::make_shared<ObjectLayout>();
    ObjectLayout& lay = *shared;
    lay.object = std::move(obj);
    const auto& phs = lay.object.program_headers;
    lay.relro = elf::relro_pages(lay.object, page);
    for (std::size_t i = 0; i < phs.size(); ++i) {
        const elf::ProgramHeader& ph = phs[i];
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

ObjectTable collect_objects(const AddressSpace& space, const AnnotateContext& ctx,
                            bool want_sections, std::vector<std::string>& warnings) {
    ObjectTable table;
    table.of_row.assign(space.size(), 0);
    // Rows of each object, in address order; objects in the order of their first row.
    std::unordered_map<ObjectKey, std::size_t, ObjectKeyHash> index;
    for (std::size_t i = 0; i < space.size(); ++i) {
        const Mapping& m = space[i];
        if (!file_backed(space, m, ctx.objects == nullptr)) continue;
        auto [it, fresh] = index.try_emplace(object_key(m), table.objects.size());
        if (fresh) table.objects.push_back({object_key(m)});
        table.objects[it->second].rows.push_back(i);
        table.of_row[i] = static_cast<std::uint32_t>(it->second) + 1;
    }

    // One read per file, whatever number of paths and rows name it. A null layout: not ELF, or
    // nothing to name with.
    struct Cached {
        std::shared_ptr<const ObjectLayout> layout;
        std::string file;
        bool not_elf = false;
    };
    std::unordered_map<FileKey, Cached, FileKeyHash> layouts;
    const std::uint64_t page = page_size();
    std::size_t unopened = 0;
    std::string first_unopened;
    for (MappedObject& obj : table.objects) {
        const Mapping& first = space[obj.rows.front()];
        const std::string_view path = space.path(first);
        if (ctx.objects != nullptr) {
            // The target reads its objects (one group per path: a core has no inodes).
            if (auto read = ctx.objects->read(space, obj.rows, warnings)) {
                obj.layout = make_layout(std::move(read->object), page, want_sections);
                obj.file = std::move(read->file);
            }
        } else {
            const FileKey file{first.dev_major, first.dev_minor, first.inode};
            auto cached = layouts.find(file);
            if (cached == layouts.end()) {
                OpenResult opened = open_object(path, first, ctx.pid);
                // A saved map may come from another machine, where a file at the same path is
                // another file: only a live process's files are expected to match.
                if (opened.outcome == Opened::Changed) {
                    if (ctx.pid > 0)
                        warnings.push_back(fmt::format(
                            "{} has changed on disk since it was mapped; its segments are not "
                            "named",
                            path));
                    continue;
                }
                if (opened.outcome == Opened::Missing) {
                    // A deleted file that map_files cannot give back is simply gone, and so may
                    // be the files of a saved map; a live process's files are there to be read.
                    if (ctx.pid > 0 && !first.deleted() && opened.error != 0 && unopened++ == 0)
                        first_unopened = fmt::format("{}: {}", path, std::strerror(opened.error));
                    continue;
                }
                Cached c;
                if (opened.outcome == Opened::Yes) {
                    auto elf = elf::read_elf_object(
                        opened.fd.get(),
                        {.file_size = opened.size, .build_id = false, .sections = want_sections});
                    if (elf) {
                        for (const std::string& w : elf->warnings)
                            warnings.push_back(fmt::format("{}: {}", path, w));
                        c.layout = make_layout(std::move(*elf), page, want_sections);
                        c.file = std::move(opened.name);
                    } else if (elf.error().kind == ErrorKind::Unsupported) {
                        c.not_elf = true;
                    } else {
                        // Not ELF (a locale archive, a font) is silent; broken ELF is worth a
                        // word.
                        warnings.push_back(fmt::format("{}: {}; its segments are not named", path,
                                                       elf.error().message));
                    }
                }
                cached = layouts.emplace(file, std::move(c)).first;
            }
            obj.layout = cached->second.layout;
            obj.file = cached->second.file;
            obj.not_elf = cached->second.not_elf;
        }
        if (obj.layout) obj.bias = load_bias(space, obj.rows, *obj.layout, page);
    }
    if (ctx.objects != nullptr) ctx.objects->finish(warnings);
    if (unopened == 0) return table;
    // A process that has exited since its map was read has taken its files' handles with it.
    if (ctx.pid > 0 && ::access(fmt::format("/proc/{}/root", ctx.pid).c_str(), F_OK) != 0)
        warnings.push_back(fmt::format(
            "process {} exited before the files it mapped could be read: the segments of {} "
            "file{} are not named",
            ctx.pid, unopened, unopened == 1 ? "" : "s"));
    else
        warnings.push_back(fmt::format(
            "{} mapped file{} could not be opened ({}); {} segments are not named", unopened,
            unopened == 1 ? "" : "s", first_unopened, unopened == 1 ? "its" : "their"));
    return table;
}

}  // namespace vmatlas
