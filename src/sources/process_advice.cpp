#include "sources/process_advice.hpp"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

// Debian 12's glibc (2.36) has no wrappers for these; the numbers are the same on every
// architecture that has them (the generic syscall table).
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

namespace vmatlas {

namespace {

struct Known {
    std::string_view name;
    Advice advice;
    int madv;
};

constexpr Known kApplied[] = {
    {"cold", Advice::Cold, MADV_COLD},
    {"pageout", Advice::Pageout, MADV_PAGEOUT},
    {"willneed", Advice::WillNeed, MADV_WILLNEED},
    {"collapse", Advice::Collapse, MADV_COLLAPSE},
};

// Names process_madvise cannot apply to another process, each with why and what Linux offers.
struct Refused {
    std::string_view name;
    std::string_view reason;
};

constexpr std::string_view kReadAhead =
    "sets how the process itself reads ahead, which process_madvise(2) does not apply to another "
    "process; the process can call madvise(2) on itself, or 'willneed' reads a range in now";
constexpr std::string_view kDiscard =
    "discards the pages' contents, which process_madvise(2) does not do to another process; "
    "'pageout' reclaims them and keeps their contents, 'cold' marks them to be reclaimed first";
constexpr std::string_view kNuma =
    "is Solaris's advice on which CPU's memory to use, which Linux has no madvise(2) for; "
    "numactl(8), migratepages(8) or set_mempolicy(2) place memory on Linux";
constexpr std::string_view kOwnFlag =
    "sets a flag on the mapping that only the process itself can set with madvise(2); "
    "process_madvise(2) applies cold, pageout, willneed and collapse";

constexpr Refused kRefused[] = {
    {"normal", kReadAhead},    {"random", kReadAhead},   {"sequential", kReadAhead},
    {"dontneed", kDiscard},    {"free", kDiscard},       {"remove", kDiscard},
    {"access_lwp", kNuma},     {"access_many", kNuma},   {"access_many_pset", kNuma},
    {"access_default", kNuma}, {"hugepage", kOwnFlag},   {"nohugepage", kOwnFlag},
    {"dontdump", kOwnFlag},    {"dodump", kOwnFlag},     {"mergeable", kOwnFlag},
    {"unmergeable", kOwnFlag}, {"dontfork", kOwnFlag},   {"dofork", kOwnFlag},
    {"wipeonfork", kOwnFlag},  {"keeponfork", kOwnFlag},
};

int madv_of(Advice a) {
    for (const Known& k : kApplied)
        if (k.advice == a) return k.madv;
    return -1;
}

std::string range_text(const AdviceSpan& r) {
    return fmt::format("{:#x}-{:#x}", r.start, r.end);
}

// Whether the kernel gives `advice` to another process at all. A call with no range is refused
// with EINVAL only for an advice it does not take from process_madvise(2) (collapse before Linux
// 6.1): that check comes before the ranges are looked at, and before the one for CAP_SYS_NICE.
bool kernel_gives(int pidfd, Advice advice) {
    if (::syscall(SYS_process_madvise, pidfd, nullptr, 0, madv_of(advice), 0u) == 0) return true;
    return errno != EINVAL;
}

// The error for errno e, set by process_madvise on range r of process pidfd.
Error refusal(int pid, int pidfd, Advice advice, const AdviceSpan& r, int e) {
    switch (e) {
        case EPERM:
            return {ErrorKind::PermissionDenied,
                    fmt::format("permission denied advising process {}: process_madvise(2) needs "
                                "CAP_SYS_NICE and ptrace read access to it: run vmatlas as root",
                                pid)};
        case ESRCH:
            return {ErrorKind::ProcessExited,
                    fmt::format("process {} exited before it was advised", pid)};
        case ENOSYS:
            return {ErrorKind::Unsupported,
                    "this kernel has no process_madvise(2) (Linux 5.10 added it)"};
        case EINVAL:
            if (advice != Advice::Collapse) break;
            if (!kernel_gives(pidfd, advice))
                return {
                    ErrorKind::Unsupported,
                    "this kernel has no 'collapse' for process_madvise(2) (Linux 6.1 added it)"};
            // The kernel has it, and refused this range alone: the row is too small or not
            // aligned to hold a huge page, or huge pages are disabled for it.
            return {ErrorKind::MalformedInput,
                    fmt::format("the kernel refused 'collapse' on {}: its row cannot hold a "
                                "transparent huge page, or they are disabled for it",
                                range_text(r))};
        default:
            break;
    }
    return {ErrorKind::MalformedInput,
            fmt::format("the kernel refused '{}' on {}: {}", to_string(advice), range_text(r),
                        std::strerror(e))};
}

// Whether an error stops the whole request rather than one range.
bool stops_all(const Error& e) {
    return e.kind == ErrorKind::PermissionDenied || e.kind == ErrorKind::ProcessExited ||
           e.kind == ErrorKind::Unsupported;
}

// One file descriptor, closed when it goes.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::string_view to_string(Advice a) {
    for (const Known& k : kApplied)
        if (k.advice == a) return k.name;
    return "?";
}

Result<Advice> parse_advice(std::string_view name) {
    for (const Known& k : kApplied)
        if (k.name == name) return k.advice;
    for (const Refused& r : kRefused)
        if (r.name == name) return Error{ErrorKind::Usage, fmt::format("'{}' {}", name, r.reason)};
    return Error{ErrorKind::Usage,
                 fmt::format("'{}' is no advice: vmatlas advise gives cold, pageout, willneed or "
                             "collapse",
                             name)};
}

AdviceOutcome advise_process(int pid, Advice advice, std::span<const AdviceSpan> ranges) {
    AdviceOutcome out;
    for (const AdviceSpan& r : ranges) out.requested += r.end - r.start;
    Fd pidfd{static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))};
    if (pidfd.fd < 0) {
        const int e = errno;
        out.error = e == ESRCH
                        ? Error{ErrorKind::NoSuchProcess, fmt::format("no process has PID {}", pid)}
                        : refusal(pid, -1, advice, {}, e);
        return out;
    }
    std::vector<iovec> iov;
    iov.reserve(ranges.size());
    for (const AdviceSpan& r : ranges)
        iov.push_back(
            {reinterpret_cast<void*>(r.start), static_cast<std::size_t>(r.end - r.start)});

    // The kernel returns the bytes it advised before the first range it refused, so a short count
    // is followed by a call on that range alone, for its errno, and the rest carries on after it.
    const std::size_t batch_max = static_cast<std::size_t>(std::max(1L, ::sysconf(_SC_IOV_MAX)));
    std::size_t next = 0;
    while (next < iov.size()) {
        const std::size_t count = std::min(batch_max, iov.size() - next);
        const long done =
            ::syscall(SYS_process_madvise, pidfd.fd, &iov[next], count, madv_of(advice), 0u);
        if (done < 0) {
            Error e = refusal(pid, pidfd.fd, advice, ranges[next], errno);
            const bool stop = stops_all(e);
            if (!out.error) out.error = std::move(e);
            if (stop) return out;
            ++next;
            continue;
        }
        std::uint64_t left = static_cast<std::uint64_t>(done);
        out.advised += left;
        std::size_t i = next;
        while (i < next + count && left >= iov[i].iov_len) left -= iov[i++].iov_len;
        if (i < next + count && left > 0) {  // cut inside range i: its end is tried again alone
            iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + left;
            iov[i].iov_len -= left;
        }
        next = i > next ? i : next + 1;  // a call that advised nothing moves on all the same
    }
    return out;
}

}  // namespace vmatlas
