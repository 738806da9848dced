#include "trace/tracer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "trace/breakpoints.hpp"
#include "trace/seccomp_filter.hpp"
#include "trace/syscall_table.hpp"
#include "trace/trace_map.hpp"

namespace vmatlas::trace {

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
// The first process, interrupted by stop() so that a wait already under way returns at once.
volatile pid_t g_first_pid = 0;

// The length of the instructions that enter the kernel (syscall, sysenter, int 0x80): a call's
// row is at the instruction, two bytes before the pc the kernel reports.
constexpr Addr kSyscallInstruction = 2;

bool is_stopping_signal(int sig) {
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

// The thread group a thread belongs to (/proc/TID/status's Tgid); 0 when it cannot be read.
pid_t thread_group_of(pid_t tid) {
    std::ifstream in("/proc/" + std::to_string(tid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("Tgid:")) return static_cast<pid_t>(std::stol(line.substr(5)));
    return 0;
}

// Whether a thread can no longer run: a zombie (a leader that called pthread_exit while its
// threads go on), or dead. Such a thread reports no stop until the others have exited.
bool is_zombie(pid_t tid) {
    std::ifstream in("/proc/" + std::to_string(tid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = text.rfind(')');
    return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] == 'Z' ||
           text[paren + 2] == 'X';
}

// Whether this process traces tid already (a thread auto-attached as it was cloned).
bool traced_by_us(pid_t tid) {
    std::ifstream in("/proc/" + std::to_string(tid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("TracerPid:")) return std::stol(line.substr(10)) == ::getpid();
    return false;
}

std::vector<pid_t> tasks_of(pid_t pid) {
    std::vector<pid_t> out;
    DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
    if (dir == nullptr) return out;
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        out.push_back(static_cast<pid_t>(std::atol(e->d_name)));
    }
    ::closedir(dir);
    return out;
}

// One address space: its map, its breakpoints and where each point is in it.
struct Space {
    explicit Space(pid_t pid, std::uint64_t generation = 0)
        : map(pid, generation), breakpoints(pid) {}
    Space(pid_t pid, Breakpoints b) : map(pid), breakpoints(std::move(b)) {}
    TraceMap map;
    Breakpoints breakpoints;
    std::set<Addr> point_addresses;  // where the points are, for the steps' pcs
    std::vector<Addr> point_order;   // the same, each once, in the order given
};

struct Process {
    pid_t pid = 0;
    bool reported = false;       // rows are written for it
    bool first = false;          // the command, or the process attached to
    bool shares_memory = false;  // a vfork child, in its parent's memory until it execs
    std::shared_ptr<Space> space;
};

struct Thread {
    pid_t tid = 0;
    std::shared_ptr<Process> process;
    bool running = false;
    bool starting = false;         // its first stop (of an auto-attach) is still to come
    std::optional<int> pending;    // a stop taken while the others were held, still to handle
    bool map_call = false;         // a map-changing system call is under way
    bool to_syscall_exit = false;  // resumed with PTRACE_SYSCALL once, to see that call return
    bool exec_exit = false;        // that call is an exec: its return is the new image's start
    int deliver = 0;               // the signal to hand over when it resumes
    bool in_vfork = false;         // waits for its vfork child (no stop comes until it is done)
};

}  // namespace

struct Tracer::Impl {
    TraceOptions options;
    bool filtered = false;  // the command runs under the map-change seccomp filter
    bool stepping = false;
    std::size_t next_count = 0;
    std::uint64_t executed = 0;  // instructions single-stepped so far
    std::map<pid_t, Thread> threads;
    std::map<pid_t, int> early;  // stops of new tracees whose parent's event is still to come
    std::shared_ptr<Process> first;
    const RowSink* sink = nullptr;
    bool sink_failed = false;
    TraceEnd end;
    std::set<std::string> warned;
    std::string call_name_buf;

    unsigned long ptrace_options() const;
    void warn(std::string text);

    // ---- rows ----
    void write_row(Thread& t, Addr pc, std::optional<std::uint64_t> count,
                   std::string_view syscall);
    bool fresh(Process& p);
    void update_points(Process& p, Thread* current);
    void sync_breakpoints(Process& p, Thread* current);
    void map_changed(Thread& t);

    // ---- stops ----
    void handle(pid_t tid, int status);
    void gone(Thread& t, int status);
    void on_trap(Thread& t);
    void on_step(Thread& t);
    void at_instruction(Thread& t);
    void on_syscall_stop(Thread& t);
    void on_seccomp(Thread& t);
    std::string_view call_name(long nr, bool other_abi);
    void on_exec(Thread& t);
    void on_new_tracee(Thread& t, int event);
    void adopt(Thread& child);
    void step_over(Thread& t, Addr a);
    void resume(Thread& t);
    std::vector<pid_t> hold_others(pid_t except);
    void release(const std::vector<pid_t>& held);
    void stop_stepping(Thread& current);
    void finish();
};

unsigned long Tracer::Impl::ptrace_options() const {
    unsigned long o = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK |
                      PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACECLONE;
    if (filtered) o |= PTRACE_O_TRACESECCOMP;
    if (options.on_exit == OnExit::Kill) o |= PTRACE_O_EXITKILL;
    return o;
}

void Tracer::Impl::warn(std::string text) {
    if (warned.insert(text).second) end.warnings.push_back(std::move(text));
}

// ---- rows ----

// Reads the map when it may have changed; false when it cannot be read.
bool Tracer::Impl::fresh(Process& p) {
    Space& s = *p.space;
    if (!s.map.stale()) return true;
    auto changed = s.map.refresh();
    if (!changed) {
        warn(fmt::format("the map of process {} could not be read: {}", p.pid,
                         changed.error().message));
        return false;
    }
    return true;
}

void Tracer::Impl::write_row(Thread& t, Addr pc, std::optional<std::uint64_t> count,
                             std::string_view syscall) {
    Process& p = *t.process;
    if (!p.reported || sink_failed) return;
    fresh(p);
    TraceRow row;
    row.pc = pc;
    row.instr_count = count;
    row.pid = p.pid;
    row.tid = t.tid;
    row.in_kernel = !syscall.empty();
    row.syscall = syscall;
    p.space->map.describe(pc, row);
    if (!(*sink)(row)) sink_failed = true;
}

// Where each point is in the process's map now; the breakpoints follow.
void Tracer::Impl::update_points(Process& p, Thread* current) {
    if (options.points.empty() || !p.reported) return;
    if (!fresh(p)) return;
    Space& s = *p.space;
    s.point_addresses.clear();
    s.point_order.clear();
    for (const Point& point : options.points) {
        const std::optional<Addr> a = s.map.resolve(point);
        if (a && s.point_addresses.insert(*a).second) s.point_order.push_back(*a);
    }
    sync_breakpoints(p, current);
}

// Arms the resolved points, in the order given (the first four get the debug registers), and
// disarms the others; none while single-stepping (then each step's pc is compared). A change of
// the debug registers is made in every thread of the process, the others held stopped meanwhile.
void Tracer::Impl::sync_breakpoints(Process& p, Thread* current) {
    Space& s = *p.space;
    Breakpoints& b = s.breakpoints;
    const std::vector<Addr> before = b.addresses();
    const std::set<Addr> wanted = stepping ? std::set<Addr>{} : s.point_addresses;
    for (const Addr a : before)
        if (!wanted.contains(a)) b.disarm(a);
    if (!stepping)
        for (const Addr a : s.point_order) b.arm(a);
    b.rewrite();
    std::vector<Addr> after = b.addresses();
    if (after == before) return;
    const std::vector<pid_t> held = hold_others(current ? current->tid : 0);
    for (auto& [tid, t] : threads)
        if (t.process->space.get() == &s && !t.running && !t.starting) b.apply(tid);
    release(held);
}

// A map-changing system call returned: when the map did change, a new generation, and the named
// map is read again now when points may have moved or an int3 been replaced, else before the
// next row.
void Tracer::Impl::map_changed(Thread& t) {
    Process& p = *t.process;
    if (!p.reported || !p.space->map.check_changed() || options.points.empty()) return;
    update_points(p, &t);
}

// ---- stops ----

void Tracer::Impl::resume(Thread& t) {
    int request = PTRACE_CONT;
    if (t.to_syscall_exit)
        request = PTRACE_SYSCALL;
    else if (stepping && t.process->reported)
        request = PTRACE_SINGLESTEP;
    else if (!filtered && t.process->reported)
        request = PTRACE_SYSCALL;
    const int sig = std::exchange(t.deliver, 0);
    if (::ptrace(static_cast<__ptrace_request>(request), t.tid, nullptr,
                 reinterpret_cast<void*>(static_cast<long>(sig))) == 0)
        t.running = true;
    // ESRCH: it was killed meanwhile; its exit is still to be waited for.
}

// Stops every running thread but `except`, for as long as a breakpoint is lifted or the debug
// registers change. A thread that stops for another reason first keeps that stop, to be handled
// after. Returns the threads held by this call, to release().
std::vector<pid_t> Tracer::Impl::hold_others(pid_t except) {
    std::vector<pid_t> asked;
    for (auto& [tid, t] : threads) {
        // A vfork parent and a zombie leader cannot run, and would not stop until the threads
        // held here go on: they are left as they are.
        if (tid == except || !t.running || t.in_vfork || is_zombie(tid)) continue;
        if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) == 0) asked.push_back(tid);
    }
    std::vector<pid_t> held;
    for (const pid_t tid : asked) {
        int status = 0;
        pid_t r;
        do r = ::waitpid(tid, &status, __WALL);
        while (r < 0 && errno == EINTR);
        auto it = threads.find(tid);
        if (it == threads.end()) continue;
        it->second.running = false;
        if (r != tid) continue;
        const bool interrupt = WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP &&
                               !is_stopping_signal(WSTOPSIG(status));
        if (interrupt)
            held.push_back(tid);
        else
            it->second.pending = status;
    }
    return held;
}

void Tracer::Impl::release(const std::vector<pid_t>& held) {
    for (const pid_t tid : held) {
        auto it = threads.find(tid);
        if (it != threads.end() && !it->second.pending && !it->second.running) resume(it->second);
    }
}

void Tracer::Impl::handle(pid_t tid, int status) {
    auto it = threads.find(tid);
    if (it == threads.end()) {
        // A new thread or process whose parent's event has not been seen yet.
        if (WIFSTOPPED(status)) early[tid] = status;
        return;
    }
    Thread& t = it->second;
    t.running = false;
    if (WIFEXITED(status) || WIFSIGNALED(status)) return gone(t, status);
    const int sig = WSTOPSIG(status);
    const int event = status >> 16;
    if (t.starting) {
        // Its first stop: the debug registers are set before it runs an instruction. A signal
        // that came before it is handed over.
        t.starting = false;
        if (event == 0) t.deliver = sig;
        return adopt(t);
    }
    if (sig == (SIGTRAP | 0x80)) return on_syscall_stop(t);
    switch (event) {
        case PTRACE_EVENT_SECCOMP:
            return on_seccomp(t);
        case PTRACE_EVENT_EXEC:
            return on_exec(t);
        case PTRACE_EVENT_VFORK_DONE:
            t.in_vfork = false;
            return resume(t);
        case PTRACE_EVENT_FORK:
        case PTRACE_EVENT_VFORK:
        case PTRACE_EVENT_CLONE:
            on_new_tracee(t, event);
            t.in_vfork = event == PTRACE_EVENT_VFORK;
            if (threads.contains(t.tid) && !t.running && !t.pending) resume(t);
            return;
        case PTRACE_EVENT_STOP:
            if (is_stopping_signal(sig)) {
                // A group-stop: it stays stopped until SIGCONT, as without a tracer.
                if (::ptrace(PTRACE_LISTEN, tid, nullptr, nullptr) == 0) t.running = true;
                return;
            }
            return resume(t);  // an interrupt whose reason was handled already
        default:
            break;
    }
    if (sig == SIGTRAP && event == 0) return on_trap(t);
    t.deliver = sig;  // the tracee's own signal
    resume(t);
}

void Tracer::Impl::gone(Thread& t, int status) {
    std::shared_ptr<Process> p = t.process;
    if (t.tid == p->pid && p->first && !end.status)
        end.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    threads.erase(t.tid);
}

void Tracer::Impl::on_trap(Thread& t) {
    if (stepping && t.process->reported) return on_step(t);
    siginfo_t info{};
    ::ptrace(PTRACE_GETSIGINFO, t.tid, nullptr, &info);
    user_regs_struct regs{};
    if (::ptrace(PTRACE_GETREGS, t.tid, nullptr, &regs) != 0) return;  // killed meanwhile
    Breakpoints& b = t.process->space->breakpoints;
    if (info.si_code == SI_KERNEL && b.in_memory(regs.rip - 1)) {
        // An int3 of ours: the pc goes back to the instruction, which runs with its own byte.
        const Addr a = regs.rip - 1;
        regs.rip = a;
        ::ptrace(PTRACE_SETREGS, t.tid, nullptr, &regs);
        write_row(t, a, std::nullopt, {});
        step_over(t, a);
        if (threads.contains(t.tid) && !t.pending) resume(t);
        return;
    }
    if (info.si_code == TRAP_HWBKPT && b.armed(regs.rip)) {
        // The kernel sets the resume flag: the instruction runs when the thread resumes.
        write_row(t, regs.rip, std::nullopt, {});
        return resume(t);
    }
    if (info.si_code == TRAP_TRACE || info.si_code == TRAP_BRKPT) {
        // A single step begun before the stepping ended; a call it ran may have changed the map.
        if (t.map_call) {
            t.map_call = false;
            map_changed(t);
        }
        return resume(t);
    }
    t.deliver = SIGTRAP;  // the tracee's own (its int3, a kill)
    resume(t);
}

// The pc after one single step of a reported thread.
void Tracer::Impl::on_step(Thread& t) {
    if (!filtered) {
        // Without the filter, a step that ran a system call is told by its trap's code.
        siginfo_t info{};
        ::ptrace(PTRACE_GETSIGINFO, t.tid, nullptr, &info);
        if (info.si_code == TRAP_BRKPT) {
            user_regs_struct regs{};
            ::ptrace(PTRACE_GETREGS, t.tid, nullptr, &regs);
            const long nr = static_cast<long>(regs.orig_rax);
            if (options.syscalls)
                write_row(t, regs.rip - kSyscallInstruction, executed + 1, call_name(nr, false));
            if (changes_map(nr)) t.map_call = true;
        }
    }
    ++executed;
    if (t.map_call) {
        t.map_call = false;
        map_changed(t);
    }
    at_instruction(t);
    if (threads.contains(t.tid) && !t.running && !t.pending) resume(t);
}

// A reported thread stopped before the instruction numbered executed + 1: its row, when that
// number or its pc was asked for, or every instruction was.
void Tracer::Impl::at_instruction(Thread& t) {
    const std::uint64_t number = executed + 1;
    const bool counted = next_count < options.counts.size() && options.counts[next_count] == number;
    if (counted) ++next_count;
    const bool points = !t.process->space->point_addresses.empty();
    if (counted || options.every_instruction || points) {
        user_regs_struct regs{};
        if (::ptrace(PTRACE_GETREGS, t.tid, nullptr, &regs) == 0) {
            const bool at_point = points && t.process->space->point_addresses.contains(regs.rip);
            if (counted || options.every_instruction || at_point)
                write_row(t, regs.rip, number, {});
        }
    }
    if (stepping && !options.every_instruction && next_count == options.counts.size())
        stop_stepping(t);
}

// The last count was reached: the threads run free from here, the points as breakpoints.
void Tracer::Impl::stop_stepping(Thread& current) {
    stepping = false;
    std::set<Space*> done;
    for (auto& [tid, t] : threads) {
        Process& p = *t.process;
        if (!p.reported || !done.insert(p.space.get()).second) continue;
        sync_breakpoints(p, &current);
    }
}

void Tracer::Impl::on_syscall_stop(Thread& t) {
    __ptrace_syscall_info info{};
    if (::ptrace(PTRACE_GET_SYSCALL_INFO, t.tid, reinterpret_cast<void*>(sizeof info), &info) <= 0)
        return resume(t);
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
        const long nr = static_cast<long>(info.entry.nr);
        if (!filtered && options.syscalls)
            write_row(t, info.instruction_pointer - kSyscallInstruction,
                      stepping ? std::optional<std::uint64_t>(executed + 1) : std::nullopt,
                      call_name(nr, false));
        if (changes_map(nr)) t.map_call = true;
    } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
        t.to_syscall_exit = false;
        if (t.map_call) {
            t.map_call = false;
            map_changed(t);
        }
        if (std::exchange(t.exec_exit, false) && stepping && t.process->reported) {
            ++executed;  // the exec's own instruction, as a single step would have counted it
            at_instruction(t);
        }
    }
    if (threads.contains(t.tid) && !t.running) resume(t);
}

void Tracer::Impl::on_seccomp(Thread& t) {
    __ptrace_syscall_info info{};
    if (::ptrace(PTRACE_GET_SYSCALL_INFO, t.tid, reinterpret_cast<void*>(sizeof info), &info) <= 0)
        return resume(t);
    unsigned long why = 0;
    ::ptrace(PTRACE_GETEVENTMSG, t.tid, nullptr, &why);
    // A call of another convention (i386, x32) is taken as one that may change the map.
    const bool other_abi = why == kStopOtherAbi;
    const long nr = static_cast<long>(info.seccomp.nr);
    if (options.syscalls)
        write_row(t, info.instruction_pointer - kSyscallInstruction,
                  stepping && t.process->reported ? std::optional<std::uint64_t>(executed + 1)
                                                  : std::nullopt,
                  call_name(nr, other_abi));
    if ((other_abi || changes_map(nr)) && t.process->reported) {
        t.map_call = true;
        // Stepping, the step that ends with the call's return says so; running, its exit stop.
        if (!stepping) t.to_syscall_exit = true;
    }
    resume(t);
}

// The name of a system call for its row: "mmap"; "syscall 512" for a number without one, and
// "i386 syscall 90" for another convention's.
std::string_view Tracer::Impl::call_name(long nr, bool other_abi) {
    const std::string_view name = other_abi ? std::string_view() : syscall_name(nr);
    if (!name.empty()) return name;
    call_name_buf = fmt::format("{}syscall {}", other_abi ? "i386 " : "", nr);
    return call_name_buf;
}

void Tracer::Impl::on_exec(Thread& t) {
    std::shared_ptr<Process> p = t.process;
    // Every other thread of the process is gone. The one that ran exec now has the pid as its
    // tid: the leader's entry stands for it, with nothing of the old leader's state kept.
    for (auto it = threads.begin(); it != threads.end();) {
        if (it->second.process == p && it->first != t.tid)
            it = threads.erase(it);
        else
            ++it;
    }
    Thread& self = threads.at(t.tid);
    self.map_call = false;
    self.to_syscall_exit = false;
    self.pending.reset();
    self.deliver = 0;
    self.in_vfork = false;
    if (!p->reported && !filtered) {
        // A child not followed, kept only until its exec (a vfork shares its parent's int3s).
        ::ptrace(PTRACE_DETACH, self.tid, nullptr, nullptr);
        threads.erase(self.tid);
        return;
    }
    p->shares_memory = false;
    p->space = std::make_shared<Space>(p->pid, p->space->map.generation());
    p->space->breakpoints.apply(self.tid);  // no hardware point in the new image yet
    if (p->reported) {
        fresh(*p);
        update_points(*p, &self);
    }
    // The exec's own return comes next: the new image's first instruction is the next one run.
    self.to_syscall_exit = true;
    self.exec_exit = true;
    if (threads.contains(self.tid) && !self.running && !self.pending) resume(self);
}

void Tracer::Impl::on_new_tracee(Thread& t, int event) {
    unsigned long message = 0;
    ::ptrace(PTRACE_GETEVENTMSG, t.tid, nullptr, &message);
    const auto child = static_cast<pid_t>(message);
    Process& parent = *t.process;
    Thread c;
    c.tid = child;
    c.starting = true;
    if (event == PTRACE_EVENT_CLONE && thread_group_of(child) == parent.pid) {
        c.process = t.process;  // a thread
    } else {
        auto p = std::make_shared<Process>();
        p->pid = child;
        p->reported = parent.reported && options.follow_forks;
        p->shares_memory = event == PTRACE_EVENT_VFORK;
        if (p->shares_memory) {
            // A vfork child runs in its parent's memory, among its int3s, until it execs.
            p->space = parent.space;
        } else {
            // A fork's memory is a copy of its parent's, int3s included.
            p->space = std::make_shared<Space>(child, parent.space->breakpoints.copy_for(child));
            p->space->point_addresses = parent.space->point_addresses;
            p->space->point_order = parent.space->point_order;
        }
        c.process = p;
    }
    threads[child] = std::move(c);
    if (auto e = early.find(child); e != early.end()) {
        const int status = e->second;
        early.erase(e);
        handle(child, status);
    }
}

// A new tracee's first stop: a thread gets its process's debug registers; a child process not
// followed gets its memory's int3s written back (a fork's copy of its parent's) and is let go,
// unless the filter it inherited needs a tracer to the end.
void Tracer::Impl::adopt(Thread& child) {
    Process& p = *child.process;
    if (p.pid == child.tid && !p.reported && !p.shares_memory) {
        p.space->breakpoints.remove_from_memory();
        p.space->point_addresses.clear();
        p.space->point_order.clear();
        if (!filtered) {
            ::ptrace(PTRACE_DETACH, child.tid, nullptr,
                     reinterpret_cast<void*>(static_cast<long>(child.deliver)));
            threads.erase(child.tid);
            return;
        }
    }
    if (p.reported) {
        p.space->breakpoints.apply(child.tid);
        if (stepping) at_instruction(child);  // its first instruction, before it runs
    }
    if (threads.contains(child.tid) && !child.running) resume(child);
}

// Runs the instruction at an int3 point with its own byte, every other thread held meanwhile.
void Tracer::Impl::step_over(Thread& t, Addr a) {
    Breakpoints& b = t.process->space->breakpoints;
    const std::vector<pid_t> held = threads.size() > 1 ? hold_others(t.tid) : std::vector<pid_t>{};
    b.lift(a);
    bool done = false;
    int deferred = 0;
    while (!done) {
        if (::ptrace(PTRACE_SINGLESTEP, t.tid, nullptr, nullptr) != 0) break;
        int status = 0;
        pid_t r;
        do r = ::waitpid(t.tid, &status, __WALL);
        while (r < 0 && errno == EINTR);
        if (r != t.tid) break;
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            t.pending = status;
            break;
        }
        const int sig = WSTOPSIG(status);
        const int event = status >> 16;
        if (event == PTRACE_EVENT_SECCOMP) {
            __ptrace_syscall_info info{};
            if (::ptrace(PTRACE_GET_SYSCALL_INFO, t.tid, reinterpret_cast<void*>(sizeof info),
                         &info) > 0 &&
                changes_map(static_cast<long>(info.seccomp.nr)))
                t.map_call = true;
            continue;
        }
        if (sig == SIGTRAP && event == 0) {
            done = true;
        } else if (event == 0) {
            deferred = sig;  // a signal that came first: handed over when it resumes
        } else if (event == PTRACE_EVENT_STOP && !is_stopping_signal(sig)) {
            continue;  // an interrupt asked for earlier, still owed: the step is asked again
        } else {
            t.pending = status;  // an event of the instruction (fork, exec): handled next
            break;
        }
    }
    b.lower(a);
    if (deferred) t.deliver = deferred;
    if (t.map_call && !t.pending) {
        t.map_call = false;
        map_changed(t);
    }
    release(held);
}

void Tracer::Impl::finish() {
    // Everything stopped, every breakpoint out of every process, then killed or let go.
    g_first_pid = 0;
    hold_others(0);
    // A thread whose stop still to handle is one of our int3s is put back on its instruction.
    for (auto& [tid, t] : threads) {
        if (!t.pending || !WIFSTOPPED(*t.pending) || WSTOPSIG(*t.pending) != SIGTRAP ||
            (*t.pending >> 16) != 0)
            continue;
        user_regs_struct regs{};
        if (::ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0) continue;
        if (!t.process->space->breakpoints.in_memory(regs.rip - 1)) continue;
        regs.rip -= 1;
        ::ptrace(PTRACE_SETREGS, tid, nullptr, &regs);
        t.pending.reset();
    }
    std::set<Space*> cleaned;
    for (auto& [tid, t] : threads) {
        Space& s = *t.process->space;
        if (cleaned.insert(&s).second) s.breakpoints.remove_from_memory();
        Breakpoints none(t.process->pid);
        none.apply(tid);
    }
    if (options.on_exit == OnExit::Kill) {
        std::set<pid_t> processes;
        for (auto& [tid, t] : threads) processes.insert(t.process->pid);
        for (const pid_t pid : processes) ::kill(pid, SIGKILL);
        while (!threads.empty()) {
            int status = 0;
            const pid_t r = ::waitpid(-1, &status, __WALL);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) break;
            if (WIFEXITED(status) || WIFSIGNALED(status)) threads.erase(r);
        }
        return;
    }
    for (auto& [tid, t] : threads) {
        // A signal the tracee was about to receive is handed over; a trap of ours is not.
        int sig = t.deliver;
        if (t.pending && WIFSTOPPED(*t.pending) && (*t.pending >> 16) == 0 &&
            WSTOPSIG(*t.pending) != SIGTRAP && WSTOPSIG(*t.pending) != (SIGTRAP | 0x80))
            sig = WSTOPSIG(*t.pending);
        ::ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
    }
    threads.clear();
}

// ---- start ----

namespace {

// The sentence for a command that could not be run, as a shell says it.
Error exec_error(const std::string& command, int err) {
    return make_error(ErrorKind::Usage, fmt::format("{}: {}", command, std::strerror(err)));
}

}  // namespace

Result<std::unique_ptr<Tracer>> Tracer::start(const TraceOptions& options, int* exec_errno) {
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->stepping = options.every_instruction || !options.counts.empty();
    // A filter outlives a detach (its calls would then fail with ENOSYS): only for a command
    // that is killed at the end.
    impl->filtered = !options.command.empty() && options.on_exit == OnExit::Kill;
    auto first = std::make_shared<Process>();
    first->reported = true;
    first->first = true;

    if (!options.command.empty()) {
        const std::vector<sock_filter> program = trace_filter(options.syscalls);
        std::vector<char*> argv;
        for (const std::string& a : options.command) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        int go[2] = {-1, -1}, failed[2] = {-1, -1};
        auto close_all = [&] {
            for (const int fd : {go[0], go[1], failed[0], failed[1]})
                if (fd >= 0) ::close(fd);
        };
        if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(failed, O_CLOEXEC) != 0) {
            const int err = errno;
            close_all();
            return make_error(ErrorKind::Unsupported, fmt::format("pipe: {}", std::strerror(err)));
        }
        const pid_t child = ::fork();
        if (child < 0) {
            const int err = errno;
            close_all();
            return make_error(ErrorKind::Unsupported, fmt::format("fork: {}", std::strerror(err)));
        }
        if (child == 0) {
            // Waits until the tracer holds it, so that the exec is its first traced event.
            char c;
            ::close(go[1]);
            while (::read(go[0], &c, 1) < 0 && errno == EINTR) {
            }
            // The command starts with the disposition vmatlas was started with.
            ::signal(SIGPIPE, options.command_ignores_sigpipe ? SIG_IGN : SIG_DFL);
            int err = 0;
            if (impl->filtered) err = install_filter_quietly(program).error;
            if (err == 0) {
                ::execvp(argv[0], argv.data());
                err = errno;
            }
            [[maybe_unused]] auto n = ::write(failed[1], &err, sizeof err);
            ::_exit(127);
        }
        ::close(go[0]);
        ::close(failed[1]);
        first->pid = child;
        const bool seized = ::ptrace(PTRACE_SEIZE, child, nullptr,
                                     reinterpret_cast<void*>(impl->ptrace_options())) == 0;
        const int seize_errno = errno;
        [[maybe_unused]] auto n = ::write(go[1], "g", 1);
        ::close(go[1]);
        if (!seized) {
            ::kill(child, SIGKILL);
            ::waitpid(child, nullptr, 0);
            ::close(failed[0]);
            return make_error(ErrorKind::PermissionDenied,
                              fmt::format("ptrace: {}", std::strerror(seize_errno)));
        }
        // Up to the exec: the filter's stop at execve is let through.
        for (;;) {
            int status = 0;
            const pid_t r = ::waitpid(child, &status, __WALL);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0 || WIFEXITED(status) || WIFSIGNALED(status)) {
                int err = 0;
                const bool said = ::read(failed[0], &err, sizeof err) == sizeof err;
                ::close(failed[0]);
                if (!said) err = ENOEXEC;
                if (exec_errno) *exec_errno = err;
                return exec_error(options.command[0], err);
            }
            if ((status >> 16) == PTRACE_EVENT_EXEC) break;
            const int sig =
                (status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP ? WSTOPSIG(status) : 0;
            ::ptrace(PTRACE_CONT, child, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
        }
        ::close(failed[0]);
        // On to the exec's return: the first instruction of the new image is the next one run.
        for (bool returned = false; !returned;) {
            if (::ptrace(PTRACE_SYSCALL, child, nullptr, nullptr) != 0)
                return make_error(ErrorKind::ProcessExited,
                                  fmt::format("{} was killed as it started", options.command[0]));
            int status = 0;
            pid_t r;
            do r = ::waitpid(child, &status, __WALL);
            while (r < 0 && errno == EINTR);
            if (r < 0 || !WIFSTOPPED(status))
                return make_error(ErrorKind::ProcessExited,
                                  fmt::format("{} was killed as it started", options.command[0]));
            returned = WSTOPSIG(status) == (SIGTRAP | 0x80);
        }
        first->space = std::make_shared<Space>(child);
        Thread t;
        t.tid = child;
        t.process = first;
        impl->threads[child] = std::move(t);
    } else {
        const pid_t pid = options.pid;
        first->pid = pid;
        first->space = std::make_shared<Space>(pid);
        // Every thread, seized and stopped; threads started meanwhile are found by listing again.
        for (bool more = true; more;) {
            more = false;
            const std::vector<pid_t> tasks = tasks_of(pid);
            if (tasks.empty() && impl->threads.empty())
                return make_error(ErrorKind::NoSuchProcess,
                                  fmt::format("no process has PID {}", pid));
            for (const pid_t tid : tasks) {
                if (impl->threads.contains(tid)) continue;
                if (::ptrace(PTRACE_SEIZE, tid, nullptr,
                             reinterpret_cast<void*>(impl->ptrace_options())) != 0) {
                    // Gone, or cloned by a thread seized already: its clone event brings it.
                    if (errno == ESRCH || traced_by_us(tid)) continue;
                    const int err = errno;
                    impl->finish();
                    if (err == EPERM)
                        return make_error(
                            ErrorKind::PermissionDenied,
                            fmt::format("process {} may not be traced: ptrace: {} (run as its "
                                        "user or as root, with ptrace allowed)",
                                        pid, std::strerror(err)));
                    return make_error(ErrorKind::PermissionDenied,
                                      fmt::format("ptrace: {}", std::strerror(err)));
                }
                more = true;
                Thread t;
                t.tid = tid;
                t.process = first;
                t.running = true;
                impl->threads[tid] = std::move(t);
            }
        }
        const std::vector<pid_t> held = impl->hold_others(0);
        (void)held;
    }
    impl->first = first;
    return std::unique_ptr<Tracer>(new Tracer(std::move(impl)));
}

Tracer::Tracer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tracer::~Tracer() {
    // A trace not run to its end (run() not called, or left by an exception) leaves nothing.
    if (impl_ && !impl_->threads.empty()) impl_->finish();
}

pid_t Tracer::pid() const {
    return impl_->first->pid;
}

void Tracer::stop(int signal) {
    g_stop_signal = signal;
    // A stop of the tracee wakes the tracer's wait, even one that began just before the flag.
    if (g_first_pid > 0) ::ptrace(PTRACE_INTERRUPT, g_first_pid, nullptr, nullptr);
}

TraceEnd Tracer::run(const RowSink& sink, const std::function<void()>& idle) {
    Impl& m = *impl_;
    m.sink = &sink;
    // Every thread is stopped: the first reading of the map, the points armed, the row of the
    // first instruction when it is asked for.
    Process& first = *m.first;
    m.fresh(first);
    Thread& lead = m.threads.begin()->second;
    m.update_points(first, &lead);
    for (auto& [tid, t] : m.threads) {
        first.space->breakpoints.apply(tid);
        if (m.stepping) m.at_instruction(t);
    }
    g_first_pid = first.pid;
    for (auto& [tid, t] : m.threads)
        if (!t.running && !t.pending) m.resume(t);

    while (!m.threads.empty() && !m.sink_failed && g_stop_signal == 0) {
        pid_t tid = 0;
        int status = 0;
        auto pending = std::find_if(m.threads.begin(), m.threads.end(),
                                    [](const auto& e) { return e.second.pending.has_value(); });
        if (pending != m.threads.end()) {
            tid = pending->first;
            status = *std::exchange(pending->second.pending, std::nullopt);
        } else {
            // Nothing to do until the next stop: the rows so far go out first.
            tid = ::waitpid(-1, &status, __WALL | WNOHANG);
            if (tid == 0) {
                if (idle) idle();
                tid = ::waitpid(-1, &status, __WALL);
            }
            if (tid < 0) {
                if (errno == EINTR) continue;
                break;  // ECHILD: nothing left to wait for
            }
        }
        m.handle(tid, status);
    }
    if (g_stop_signal != 0) m.end.stopped_by_signal = g_stop_signal;
    if (!m.threads.empty()) m.finish();
    return std::move(m.end);
}

}  // namespace vmatlas::trace
