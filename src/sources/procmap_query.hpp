// A live process's map asked one mapping at a time with the PROCMAP_QUERY ioctl of
// /proc/PID/maps (Linux 6.11): the kernel finds the mapping under an address, with its name and
// its file's build-id, without printing the whole map. Internal to the library.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vmatlas/mapping.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

class ProcmapQuery {
  public:
    // Opens /proc/PID/maps; errors as read_process_maps gives them.
    static Result<ProcmapQuery> open(pid_t pid);
    ProcmapQuery(ProcmapQuery&& o) noexcept;
    ProcmapQuery& operator=(ProcmapQuery&& o) noexcept;
    ~ProcmapQuery();

    struct Vma {
        Mapping mapping;  // its path not interned: `name` is it
        // What /proc/PID/maps prints as the path: a file, or a kernel name ("[heap]",
        // "[anon:x]"); empty for a plain anonymous mapping. Without " (deleted)": the mapping's
        // flags say it.
        std::string name;
        std::vector<std::uint8_t> build_id;  // empty when the kernel does not have it at hand
    };
    enum class Find { Covering, CoveringOrNext };

    // The mapping that holds a (or, with CoveringOrNext, the first one above it); nothing when
    // there is none. An Unsupported error when the kernel has no PROCMAP_QUERY; ProcessExited
    // when the process exited or ran exec since open().
    Result<std::optional<Vma>> query(Addr a, Find how);

    pid_t pid() const { return pid_; }
    // The descriptor, given up (to read the map as text instead).
    int release();

  private:
    ProcmapQuery(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
    pid_t pid_ = 0;
    int fd_ = -1;
};

}  // namespace vmatlas
