// Threads and their stack pointers: /proc/PID/task/TID/syscall first (it does not disturb the
// thread), ptrace only for the threads that are running.
#include "vmatlas/threads.hpp"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "sources/text.hpp"
#include "vmatlas/procfs.hpp"

namespace vmatlas {

std::string_view to_string(StackPointerSource s) {
    switch (s) {
        case StackPointerSource::None:
            return "";
        case StackPointerSource::Syscall:
            return "syscall";
        case StackPointerSource::Registers:
            return "registers";
    }
    return "";
}

namespace {

std::vector<std::string_view> split_words(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n')) ++pos;
        const std::size_t start = pos;
        while (pos < text.size() && text[pos] != ' ' && text[pos] != '\n') ++pos;
        if (pos > start) words.push_back(text.substr(start, pos - start));
    }
    return words;
}

// The kernel writes the words of the syscall file with "0x%lx".
std::optional<std::uint64_t> parse_hex(std::string_view s) {
    if (s.starts_with("0x")) s.remove_prefix(2);
    return text::parse_hex(s).optional();
}

std::string task_path(pid_t pid, pid_t tid, std::string_view leaf) {
    return fmt::format("/proc/{}/task/{}/{}", pid, tid, leaf);
}

// What became of one attempt to read a thread's stack pointer.
struct Attempt {
    std::optional<Addr> sp;
    bool gone = false;    // the thread exited meanwhile
    bool denied = false;  // refused for want of permission (EPERM, EACCES)
    std::string error;    // why sp is missing
};

bool is_denial(int err) {
    return err == EPERM || err == EACCES;
}

// Reads /proc/PID/task/TID/syscall with one read(2): the text is at most ~200 bytes, and errno
// tells a thread that has exited (ENOENT, ESRCH) from one we may not look at (EACCES, EPERM).
Attempt from_syscall_file(pid_t pid, pid_t tid) {
    Attempt a;
    const std::string path = task_path(pid, tid, "syscall");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    char buf[512];
    ssize_t n = -1;
    if (fd >= 0) {
        do n = ::read(fd, buf, sizeof buf);
        while (n < 0 && errno == EINTR);
        const int err = errno;
        ::close(fd);
        errno = err;
    }
    if (n < 0) {
        a.gone = errno == ENOENT || errno == ESRCH;
        a.denied = is_denial(errno);
        a.error = fmt::format("syscall: {}", std::strerror(errno));
        return a;
    }
    const std::string_view text(buf, static_cast<std::size_t>(n));
    if (text.starts_with("running")) {
        a.error = "running";
        return a;
    }
    a.sp = parse_syscall_stack_pointer(text);
    if (!a.sp) a.error = "syscall: unexpected text";
    return a;
}

#if defined(__x86_64__) || defined(__aarch64__)

// The stack pointer in an NT_PRSTATUS register set of iov_len bytes.
std::optional<Addr> stack_pointer_of(const user_regs_struct& regs, std::size_t len) {
#if defined(__x86_64__)
    if (len == sizeof regs) return regs.rsp;
    // A 32-bit task: i386's user_regs_struct, 17 words, esp the 16th.
    constexpr std::size_t kI386Words = 17, kI386Esp = 15;
    if (len == kI386Words * sizeof(std::uint32_t)) {
        std::uint32_t esp = 0;
        std::memcpy(&esp, reinterpret_cast<const char*>(&regs) + kI386Esp * sizeof esp, sizeof esp);
        return esp;
    }
#else
    if (len == sizeof regs) return regs.sp;
#endif
    return std::nullopt;
}

// Waits for the tracee's next state change; the status, or nullopt if it is no longer ours.
std::optional<int> wait_for(pid_t tid) {
    int status = 0;
    for (;;) {
        const pid_t r = ::waitpid(tid, &status, __WALL);
        if (r == tid) return status;
        if (r < 0 && errno == EINTR) continue;
        return std::nullopt;  // ECHILD: it was reaped (it exited)
    }
}

// Stops a running thread for as long as it takes to read one register set, then lets it go.
Attempt from_registers(pid_t tid) {
    Attempt a;
    if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
        a.gone = errno == ESRCH;
        a.denied = is_denial(errno);
        a.error = fmt::format("ptrace: {}", std::strerror(errno));
        return a;
    }
    // Attached, not stopped. INTERRUPT fails only when the thread is already gone.
    if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
        a.gone = true;
        return a;
    }
    const std::optional<int> status = wait_for(tid);
    if (!status || !WIFSTOPPED(*status)) {
        a.gone = true;  // it exited, or was killed, while we held it
        return a;
    }
    // Event 0 is a signal-delivery-stop (a signal arrived before our interrupt): the signal
    // must be handed back on detach or it would be lost. PTRACE_EVENT_STOP is our interrupt, or
    // a group-stop, which detaching leaves in place.
    const int event = *status >> 16;
    const int signal = event == 0 ? WSTOPSIG(*status) : 0;

    user_regs_struct regs{};
    iovec iov{&regs, sizeof regs};
    if (::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_PRSTATUS), &iov) == 0) {
        a.sp = stack_pointer_of(regs, iov.iov_len);
        if (!a.sp)
            a.error = fmt::format("ptrace: unexpected register set of {} bytes", iov.iov_len);
    } else {
        a.error = fmt::format("ptrace: {}", std::strerror(errno));
    }

    if (::ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(std::intptr_t{signal})) !=
        0) {
        // Only a thread that was killed while stopped cannot be detached: reap it.
        wait_for(tid);
        a.sp.reset();
        a.gone = true;
    }
    return a;
}

#else

Attempt from_registers(pid_t) {
    Attempt a;
    a.error = "ptrace: reading registers is not supported on this architecture";
    return a;
}

#endif

}  // namespace

std::optional<Addr> parse_syscall_stack_pointer(std::string_view text) {
    const std::vector<std::string_view> words = split_words(text);
    // "nr a1..a6 sp pc" or "-1 sp pc".
    if (words.size() != 9 && words.size() != 3) return std::nullopt;
    // The syscall number, or -1 outside a system call: a long.
    const bool minus = words.front().starts_with('-');
    const text::Number nr = text::parse_decimal(words.front().substr(minus ? 1 : 0));
    if (!nr.ok() || nr.value > std::uint64_t{LONG_MAX} + minus) return std::nullopt;
    if ((minus && nr.value != 0) != (words.size() == 3)) return std::nullopt;
    for (std::size_t i = 1; i < words.size(); ++i)
        if (!parse_hex(words[i])) return std::nullopt;
    return parse_hex(words[words.size() - 2]);
}

Result<std::vector<ThreadInfo>> read_threads(pid_t pid, bool with_names) {
    const std::string dir_path = fmt::format("/proc/{}/task", pid);
    DIR* dir = ::opendir(dir_path.c_str());
    if (!dir) {
        const int err = errno;
        if (err == ENOENT)
            return make_error(ErrorKind::NoSuchProcess, fmt::format("no process has PID {}", pid));
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("cannot list {}: {}", dir_path, std::strerror(err)));
    }
    std::vector<pid_t> tids;
    while (const dirent* e = ::readdir(dir)) {
        const text::Number tid = text::parse_decimal(e->d_name);
        if (tid.ok() && tid.value > 0 && tid.value <= INT_MAX)
            tids.push_back(static_cast<pid_t>(tid.value));
    }
    ::closedir(dir);
    if (tids.empty())
        return make_error(ErrorKind::ProcessExited,
                          fmt::format("process {} exited while its threads were listed", pid));
    std::sort(tids.begin(), tids.end());

    std::vector<ThreadInfo> threads;
    threads.reserve(tids.size());
    for (const pid_t tid : tids) {
        ThreadInfo t;
        t.tid = tid;
        if (with_names) {
            auto comm = read_proc_file(task_path(pid, tid, "comm"));
            if (!comm) continue;  // comm is readable by all: the thread has exited
            t.name = std::move(*comm);
            while (!t.name.empty() && t.name.back() == '\n') t.name.pop_back();
        }

        Attempt a = from_syscall_file(pid, tid);
        if (a.gone) continue;
        if (a.sp) {
            t.sp = a.sp;
            t.sp_source = StackPointerSource::Syscall;
        } else {
            Attempt r = from_registers(tid);
            if (r.gone) continue;
            if (r.sp) {
                t.sp = r.sp;
                t.sp_source = StackPointerSource::Registers;
            } else {
                t.sp_error = fmt::format("{}; {}", a.error, r.error);
                // Both need ptrace's attach access, which Yama may restrict: say so where it
                // does (never on a kernel without it).
                if (a.denied || r.denied)
                    if (const std::string yama = yama_ptrace_note(); !yama.empty())
                        t.sp_error += "; " + yama;
            }
        }
        threads.push_back(std::move(t));
    }
    return threads;
}

std::string yama_ptrace_note(const std::string& sysctl) {
    const auto text = read_proc_file(sysctl);
    if (!text || text->empty() || (*text)[0] < '0' || (*text)[0] > '9') return {};
    const unsigned scope = static_cast<unsigned>((*text)[0] - '0');
    std::string_view meaning;
    switch (scope) {
        case 0:
            return {};  // classic ptrace permissions: Yama adds nothing
        case 1:
            meaning = "only a process's ancestors, or CAP_SYS_PTRACE, may attach";
            break;
        case 2:
            meaning = "only CAP_SYS_PTRACE may attach";
            break;
        default:
            meaning = "no process may attach";
            break;
    }
    return fmt::format("Yama's ptrace_scope is {} ({}: {})", scope, sysctl, meaning);
}

}  // namespace vmatlas
