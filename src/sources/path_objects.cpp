#include "sources/path_objects.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace vmatlas {

namespace {

class PathObjects final : public ObjectReader {
  public:
    std::optional<ObjectHeaders> read(const AddressSpace& space,
                                      const std::vector<std::size_t>& rows,
                                      std::vector<std::string>& warnings) const override {
        (void)warnings;
        const Mapping& first = space[rows.front()];
        const std::string_view path = space.path(first);
        if (first.deleted() || !path.starts_with('/')) return std::nullopt;
        const std::string name(path);
        // Never a device or a FIFO (the text names any path it likes): opening one can block or
        // have effects. Checked before opening, and again on what was opened.
        struct stat st;
        if (::stat(name.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
        const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) return std::nullopt;
        std::optional<ObjectHeaders> out;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            if (auto obj = elf::read_elf_object(
                    fd, {.file_size = static_cast<std::uint64_t>(st.st_size), .build_id = false}))
                out = ObjectHeaders{std::move(*obj), name};
        ::close(fd);
        if (out && read_++ == 0) first_read_ = name;
        return out;
    }

    void finish(std::vector<std::string>& warnings) const override {
        if (read_ == 0) return;
        warnings.push_back(fmt::format(
            "the map names files but not their device and inode, so {} ({}{}) cannot be checked "
            "against what the process mapped; {} segments are named from the file{} as {} now",
            read_ == 1 ? "the file" : fmt::format("{} files", read_), first_read_,
            read_ == 1 ? "" : ", ...", read_ == 1 ? "its" : "their", read_ == 1 ? "" : "s",
            read_ == 1 ? "it is" : "they are"));
    }

  private:
    // annotate() runs on one thread; read() is const for its callers, not for this tally.
    mutable std::size_t read_ = 0;
    mutable std::string first_read_;
};

}  // namespace

std::shared_ptr<const ObjectReader> make_path_object_reader() {
    return std::make_shared<PathObjects>();
}

}  // namespace vmatlas
