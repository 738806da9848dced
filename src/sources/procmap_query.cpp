// PROCMAP_QUERY (procmap_query.hpp). The installed kernel headers may predate it: the request
// and its structure are those of the kernel's include/uapi/linux/fs.h, defined here.
#include "sources/procmap_query.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "sources/proc_stream.hpp"
#include "vmatlas/procfs.hpp"

namespace vmatlas {

namespace {

// struct procmap_query of include/uapi/linux/fs.h (Linux 6.11), 104 bytes.
struct KernelQuery {
    std::uint64_t size;         // sizeof the structure, for its later growth
    std::uint64_t query_flags;  // in
    std::uint64_t query_addr;   // in
    std::uint64_t vma_start;    // out
    std::uint64_t vma_end;
    std::uint64_t vma_flags;
    std::uint64_t vma_page_size;
    std::uint64_t vma_offset;  // in bytes
    std::uint64_t inode;
    std::uint32_t dev_major;
    std::uint32_t dev_minor;
    std::uint32_t vma_name_size;  // in: room; out: the name's size with its NUL, 0 for none
    std::uint32_t build_id_size;  // in: room; out: the build-id's size, 0 for none
    std::uint64_t vma_name_addr;  // in
    std::uint64_t build_id_addr;  // in
};
static_assert(sizeof(KernelQuery) == 104);

constexpr unsigned long kProcfsIoctlMagic = 'f';
constexpr unsigned long kProcmapQuery = _IOWR(kProcfsIoctlMagic, 17, KernelQuery);
static_assert(kProcmapQuery == 0xC0686611);

enum : std::uint64_t {
    kVmaReadable = 0x01,
    kVmaWritable = 0x02,
    kVmaExecutable = 0x04,
    kVmaShared = 0x08,
    kCoveringOrNextVma = 0x10,
};

constexpr std::string_view kDeletedSuffix = " (deleted)";

}  // namespace

Result<ProcmapQuery> ProcmapQuery::open(pid_t pid) {
    const std::string path = fmt::format("/proc/{}/maps", pid);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT || err == ESRCH)
            return make_error(ErrorKind::NoSuchProcess, fmt::format("no process has PID {}", pid));
        if (err == EACCES || err == EPERM)
            return make_error(
                ErrorKind::PermissionDenied,
                fmt::format("permission denied reading {}: run as the process's user or as root, "
                            "or lower /proc/sys/kernel/yama/ptrace_scope",
                            path));
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("cannot read {}: {}", path, std::strerror(err)));
    }
    return ProcmapQuery(pid, fd);
}

ProcmapQuery::ProcmapQuery(ProcmapQuery&& o) noexcept
    : pid_(o.pid_), fd_(std::exchange(o.fd_, -1)) {}

ProcmapQuery& ProcmapQuery::operator=(ProcmapQuery&& o) noexcept {
    std::swap(pid_, o.pid_);
    std::swap(fd_, o.fd_);
    return *this;
}

ProcmapQuery::~ProcmapQuery() {
    if (fd_ >= 0) ::close(fd_);
}

int ProcmapQuery::release() {
    return std::exchange(fd_, -1);
}

Result<std::optional<ProcmapQuery::Vma>> ProcmapQuery::query(Addr a, Find how) {
    // A path is at most a page (d_path's buffer); a build-id at most 64 bytes (the kernel's
    // BUILD_ID_SIZE_MAX is 20).
    char name[4096];
    std::uint8_t build_id[64];
    KernelQuery q{};
    q.size = sizeof q;
    q.query_flags = how == Find::CoveringOrNext ? std::uint64_t{kCoveringOrNextVma} : 0;
    q.query_addr = a;
    q.vma_name_addr = reinterpret_cast<std::uintptr_t>(name);
    q.vma_name_size = sizeof name;
    q.build_id_addr = reinterpret_cast<std::uintptr_t>(build_id);
    q.build_id_size = sizeof build_id;
    int r;
    do r = ::ioctl(fd_, kProcmapQuery, &q);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        const int err = errno;
        if (err == ENOENT) return std::optional<Vma>();
        if (err == ENOTTY)
            return make_error(ErrorKind::Unsupported,
                              "this kernel has no PROCMAP_QUERY (Linux 6.11 added it)");
        if (err == ESRCH)
            return make_error(ErrorKind::ProcessExited,
                              fmt::format("process {} exited or ran exec while its map was "
                                          "being read",
                                          pid_));
        if (err == EACCES || err == EPERM)
            return make_error(
                ErrorKind::PermissionDenied,
                fmt::format("permission denied asking /proc/{}/maps for {:#x}", pid_, a));
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("PROCMAP_QUERY of /proc/{}/maps for {:#x}: {}", pid_, a,
                                      std::strerror(err)));
    }
    Vma v;
    Mapping& m = v.mapping;
    m.start = q.vma_start;
    m.end = q.vma_end;
    m.offset = FileOffset{q.vma_offset};
    m.inode = q.inode;
    m.dev_major = q.dev_major;
    m.dev_minor = q.dev_minor;
    std::uint8_t bits = 0;
    if (q.vma_flags & kVmaReadable) bits |= Perms::kRead;
    if (q.vma_flags & kVmaWritable) bits |= Perms::kWrite;
    if (q.vma_flags & kVmaExecutable) bits |= Perms::kExec;
    if (q.vma_flags & kVmaShared) bits |= Perms::kShared;
    m.perms = Perms(bits);
    if (q.vma_name_size > 1 && q.vma_name_size <= sizeof name) {
        std::string_view n(name, q.vma_name_size - 1);
        if (n.size() > kDeletedSuffix.size() && n.ends_with(kDeletedSuffix)) {
            n.remove_suffix(kDeletedSuffix.size());
            m.flags |= kDeleted;
        }
        v.name = n;
    }
    if (q.build_id_size <= sizeof build_id) v.build_id.assign(build_id, build_id + q.build_id_size);
    return std::optional<Vma>(std::move(v));
}

}  // namespace vmatlas
