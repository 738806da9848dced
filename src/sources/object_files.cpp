// Objects read from files here, and compared by their loads (object_files.hpp).
#include "sources/object_files.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <tuple>
#include <vector>

namespace vmatlas {

std::optional<elf::ElfObject> read_regular_elf(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    std::optional<elf::ElfObject> out;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        if (auto obj =
                elf::read_elf_object(fd, {.file_size = static_cast<std::uint64_t>(st.st_size)}))
            out = std::move(*obj);
    ::close(fd);
    return out;
}

bool same_loads(const elf::ElfObject& a, const elf::ElfObject& b) {
    auto loads = [](const elf::ElfObject& o) {
        std::vector<
            std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint32_t>>
            v;
        for (const elf::ProgramHeader& p : o.program_headers)
            if (p.type == PT_LOAD) v.emplace_back(p.offset, p.vaddr, p.filesz, p.memsz, p.flags);
        return v;
    };
    return loads(a) == loads(b);
}

}  // namespace vmatlas
