#include "sources/core_objects.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "sources/object_files.hpp"

namespace vmatlas::core {

// ---- Memory ----------------------------------------------------------------------------------

Memory::~Memory() {
    if (fd_ >= 0) ::close(fd_);
}

void Memory::set_segments(std::vector<Segment> segments) {
    segments_ = std::move(segments);
    std::sort(segments_.begin(), segments_.end(),
              [](const Segment& a, const Segment& b) { return a.vaddr < b.vaddr; });
}

std::vector<std::uint8_t> Memory::read(Addr addr, std::size_t len) const {
    auto it = std::partition_point(segments_.begin(), segments_.end(),
                                   [&](const Segment& s) { return s.vaddr + s.memsz <= addr; });
    if (it == segments_.end() || it->vaddr > addr) return {};
    const std::uint64_t into = addr - it->vaddr;
    if (into >= it->dumped) return {};
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(len, it->dumped - into));
    std::vector<std::uint8_t> bytes(n);
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r =
            ::pread(fd_, bytes.data() + got, n - got, static_cast<off_t>(it->offset + into + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += static_cast<std::size_t>(r);
    }
    bytes.resize(got);
    return bytes;
}

// ---- the reader ----------------------------------------------------------------------------

namespace {

// Enough for the ELF header, the program headers and the build-id note of any object a linker
// makes; the kernel dumps one page of each.
constexpr std::size_t kHeaderBytes = 64 * 1024;

// A core names any path it likes: only an absolute one is looked for here.
std::optional<elf::ElfObject> read_disk(std::string_view path) {
    if (!path.starts_with('/')) return std::nullopt;
    return read_regular_elf(std::string(path));
}

class CoreObjects final : public ObjectReader {
  public:
    explicit CoreObjects(std::unique_ptr<Memory> memory) : memory_(std::move(memory)) {}

    std::optional<ObjectHeaders> read(const AddressSpace& space,
                                      const std::vector<std::size_t>& rows,
                                      std::vector<std::string>& warnings) const override {
        const Mapping& first = space[rows.front()];
        const std::string_view path = space.path(first);
        std::optional<elf::ElfObject> dumped = read_dumped(space, rows);
        std::optional<elf::ElfObject> disk = first.deleted() ? std::nullopt : read_disk(path);
        const auto from_core = [&]() -> std::optional<ObjectHeaders> {
            if (!dumped) return std::nullopt;
            return ObjectHeaders{std::move(*dumped), {}};
        };
        if (!disk) return from_core();
        if (!dumped) {
            if (unchecked_++ == 0) first_unchecked_ = path;
            return ObjectHeaders{std::move(*disk), std::string(path)};
        }
        const bool ids = !disk->build_id.empty() && !dumped->build_id.empty();
        if (ids ? disk->build_id == dumped->build_id : same_loads(*disk, *dumped))
            return ObjectHeaders{std::move(*disk), std::string(path)};
        warnings.push_back(fmt::format(
            "{}: the file on disk is not the one the process mapped (its {} differs from the "
            "core's); its segments are named from the headers in the core",
            path, ids ? "build-id" : "program headers"));
        return from_core();
    }

    void finish(std::vector<std::string>& warnings) const override {
        if (unchecked_ == 0) return;
        warnings.push_back(fmt::format(
            "the headers of {} mapped object{} ({}{}) are not in the core, so the file{} on disk "
            "cannot be checked against {}; {} segments are named from the file{} as {} now",
            unchecked_, unchecked_ == 1 ? "" : "s", first_unchecked_,
            unchecked_ == 1 ? "" : ", ...", unchecked_ == 1 ? "" : "s",
            unchecked_ == 1 ? "it" : "them", unchecked_ == 1 ? "its" : "their",
            unchecked_ == 1 ? "" : "s", unchecked_ == 1 ? "it is" : "they are"));
    }

  private:
    // The object's first page as the kernel dumped it: the row that maps file offset 0.
    std::optional<elf::ElfObject> read_dumped(const AddressSpace& space,
                                              const std::vector<std::size_t>& rows) const {
        for (std::size_t i : rows) {
            const Mapping& m = space[i];
            if (raw(m.offset) != 0) continue;
            const auto bytes = memory_->read(
                m.start, static_cast<std::size_t>(std::min<std::uint64_t>(m.size(), kHeaderBytes)));
            if (bytes.empty()) continue;
            auto obj = elf::read_elf_object(std::as_bytes(std::span(bytes)));
            if (!obj) return std::nullopt;
            // Section headers are at the end of the file, never in the dumped page.
            obj->sections.clear();
            obj->warnings.clear();
            return std::move(*obj);
        }
        return std::nullopt;
    }

    std::unique_ptr<Memory> memory_;
    // Objects named from disk without a check, counted for one warning (annotate() runs on one
    // thread; read() is const for its callers, not for this tally).
    mutable std::size_t unchecked_ = 0;
    mutable std::string first_unchecked_;
};

}  // namespace

std::shared_ptr<const ObjectReader> make_object_reader(std::unique_ptr<Memory> memory) {
    return std::make_shared<CoreObjects>(std::move(memory));
}

}  // namespace vmatlas::core
