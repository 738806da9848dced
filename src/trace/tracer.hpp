// The tracer of `vmatlas trace`: runs a command under ptrace (or attaches to a process), follows
// its threads (and its child processes with follow_forks), and writes a row at each chosen
// instruction and, with syscalls, at each system call.
//
// How it stops the tracee:
//  - points of --pcs alone: breakpoints (trace/breakpoints.hpp), the threads otherwise running
//    free; an int3 is stepped over with every other thread of the process stopped, so that none
//    runs past the point while its byte is lifted;
//  - counts, or neither: single steps (PTRACE_SINGLESTEP), each one instruction, until the last
//    count asked for; the points are then matched against each step's pc, and armed as
//    breakpoints once the stepping is over;
//  - map changes: a command vmatlas starts gets a seccomp filter (trace/seccomp_filter.hpp) that
//    stops it only at the system calls that can change its map; a process attached to (or a
//    command to be detached from, which a filter would outlive) is stopped at every system call
//    instead (PTRACE_SYSCALL), or, while single-stepping, each step is asked whether it was a
//    system call. The map is read again only after such a call has returned.
//
// When the trace ends (the last process exited, stop() was called, the row sink failed), no
// breakpoint is left in any process: every int3 is written back and every debug register
// cleared, then each process is detached or killed as on_exit says.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "trace/point_list.hpp"
#include "trace/trace_row.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas::trace {

enum class OnExit { Kill, Detach };

struct TraceOptions {
    std::vector<std::string> command;   // argv of the command to start; or
    pid_t pid = 0;                      // the process to attach to
    std::vector<Point> points;          // --pcs
    std::vector<std::uint64_t> counts;  // --counts: ascending, each once
    bool every_instruction = false;     // neither points nor counts: a row per instruction
    bool syscalls = false;              // a row at each system call's entry too
    bool follow_forks = false;          // rows of child processes too
    OnExit on_exit = OnExit::Kill;
    // Whether the command starts with SIGPIPE ignored: as vmatlas itself was started, before it
    // ignored SIGPIPE for its own writes.
    bool command_ignores_sigpipe = false;
};

// How the trace ended.
struct TraceEnd {
    // The first process's end, when it ended before the trace did: its exit status, or 128 +
    // the signal that killed it.
    std::optional<int> status;
    int stopped_by_signal = 0;  // the signal stop() was called for; 0 when none
    std::vector<std::string> warnings;
};

// Receives each row; returns false to end the trace (its reader went away).
using RowSink = std::function<bool(const TraceRow&)>;

class Tracer {
  public:
    // Starts the command (stopped at its first instruction) or attaches to the process. Errors:
    // the command cannot be run (Usage, and its exec's errno in *exec_errno: ENOENT, EACCES...),
    // the process does not exist (NoSuchProcess), ptrace is refused (PermissionDenied).
    static Result<std::unique_ptr<Tracer>> start(const TraceOptions& options,
                                                 int* exec_errno = nullptr);
    ~Tracer();

    // Traces until the end, writing rows to sink. idle is called whenever the tracer is about
    // to wait for the tracee with no stop at hand (rows gathered so far can go out then).
    TraceEnd run(const RowSink& sink, const std::function<void()>& idle = {});

    // Ends the trace at the next chance (async-signal-safe: sets a flag).
    static void stop(int signal);

    // The first process's pid.
    pid_t pid() const;

    struct Impl;

  private:
    explicit Tracer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace vmatlas::trace
