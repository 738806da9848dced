// vmatlas trace [OPTIONS] -- CMD [ARGS] | vmatlas trace [OPTIONS] --pid PID: PANDA memorymap's
// rows for a live program under ptrace (trace/tracer.hpp), written as memorymap writes them or as
// JSON Lines (render/trace_view.hpp).
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "args.hpp"
#include "commands.hpp"
#include "exit_status.hpp"
#include "output.hpp"
#include "render/trace_view.hpp"
#include "trace/point_list.hpp"
#include "trace/tracer.hpp"
#include "vmatlas/procfs.hpp"

namespace vmatlas::cli {

namespace {

// Statuses a shell gives a command it could not run.
constexpr int kCommandNotExecutable = 126;
constexpr int kCommandNotFound = 127;

void on_signal(int sig) {
    trace::Tracer::stop(sig);
}

// Ctrl-C, SIGTERM and SIGHUP end the trace (the tracer cleans up and kills or detaches); a
// closed pipe is a failed write, not the end of vmatlas, so that nothing is left behind. Returns
// whether SIGPIPE was ignored before (the command gets that back).
bool catch_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the tracer's wait returns to see the flag
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
    return ::signal(SIGPIPE, SIG_IGN) == SIG_IGN;
}

// The rows, gathered and written in large writes: when 64 KiB are gathered, when the tracee
// runs on without a stop at hand, and at once to a terminal.
class RowWriter {
  public:
    RowWriter(TraceStyle style) : style_(style), terminal_(::isatty(STDOUT_FILENO) == 1) {}
    ~RowWriter() { flush(); }
    bool operator()(const trace::TraceRow& row) {
        write_trace_row(row, style_, out_);
        if (terminal_ || out_.size() >= kBuffer) flush();
        return !stdout_failed();
    }
    void flush() {
        if (!out_.empty()) write_stdout(out_);
        out_.clear();
    }

  private:
    static constexpr std::size_t kBuffer = 1 << 16;
    TraceStyle style_;
    bool terminal_;
    std::string out_;
};

}  // namespace

int run_trace(int argc, char** argv) {
    // Everything after the first "--" is the command, its own options included.
    std::vector<std::string> command;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) != "--") continue;
        command.assign(argv + i + 1, argv + argc);
        argc = i;
        break;
    }
    ArgParser app{
        "PANDA memorymap's rows for a live program: at chosen instructions (by address, "
        "OBJECT+OFFSET or symbol, or by count), the process, thread and image, then the "
        "segment, symbol and the map's generation. Runs CMD under ptrace, or attaches to PID.",
        "vmatlas trace"};
    app.rest("-- CMD [ARGS]", "the program to run and trace, with its arguments (or --pid PID)");
    app.footer(
        "Points (--pcs) are breakpoints: the CPU's debug registers for the first four, an int3\n"
        "for more. Counts (--counts) single-step until the last one; with neither, every\n"
        "instruction is a row (slow: as fast as the machine single-steps, some 15,000 to\n"
        "60,000 a second). The map is read again only after a system call that can change\n"
        "it. Ctrl-C ends the trace without leaving a breakpoint.\n"
        "Exit status: CMD's (or PID's) own, 128+N when it was killed by signal N, 130 after\n"
        "Ctrl-C; before it runs: 2 usage, 3 no such process, 4 permission denied, 126 CMD is\n"
        "not executable, 127 CMD not found, 10 the output cannot be written.");
    std::string pid_text, pcs, counts, on_exit_text;
    bool json = false, follow = false, syscalls = false;
    app.add_option("--pid PID", pid_text, "attach to this process instead of running CMD");
    app.add_option("--pcs LIST", pcs,
                   "instructions to report: addresses (0x hex, 0 octal, decimal), OBJECT+OFFSET "
                   "or SYMBOL, separated by ',' or '-'");
    app.add_option("--counts LIST", counts,
                   "instruction counts to report (user-space instructions since the start)");
    app.add_flag("--syscalls", syscalls, "a row at each system call too, in_kernel=true");
    app.add_flag("--follow-forks", follow, "rows of child processes too");
    app.add_option("--on-exit WHAT", on_exit_text,
                   "kill or detach the tracee when the trace ends early (default: kill a command "
                   "vmatlas started, detach from --pid)");
    app.add_flag("--json", json, "JSON Lines: one object a line, schema vmatlas.trace/1");
    if (const auto status = app.parse(argc, argv)) return *status;

    trace::TraceOptions options;
    options.command = command;
    options.syscalls = syscalls;
    options.follow_forks = follow;
    if (command.empty() == pid_text.empty())
        return usage_error(command.empty() ? "trace takes a command after '--', or --pid PID"
                                           : "trace takes a command or --pid, not both");
    if (!pid_text.empty()) {
        auto process = resolve_process(pid_text);
        if (!process) return report(process.error());
        options.pid = process->pid;
    }
    if (!pcs.empty()) {
        auto points = trace::parse_points(pcs);
        if (!points) return usage_error(points.error().message);
        options.points = std::move(*points);
    }
    if (!counts.empty()) {
        auto numbers = trace::parse_counts(counts);
        if (!numbers) return usage_error(numbers.error().message);
        options.counts = std::move(*numbers);
    }
    options.every_instruction = options.points.empty() && options.counts.empty();
    options.on_exit = command.empty() ? trace::OnExit::Detach : trace::OnExit::Kill;
    if (on_exit_text == "kill")
        options.on_exit = trace::OnExit::Kill;
    else if (on_exit_text == "detach")
        options.on_exit = trace::OnExit::Detach;
    else if (!on_exit_text.empty())
        return usage_error(fmt::format("--on-exit takes kill or detach, not '{}'", on_exit_text));

    options.command_ignores_sigpipe = catch_signals();
    int exec_errno = 0;
    auto tracer = trace::Tracer::start(options, &exec_errno);
    if (!tracer) {
        if (exec_errno == 0) return report(tracer.error());
        fmt::print(stderr, "vmatlas: {}\n", tracer.error().message);
        return exec_errno == ENOENT ? kCommandNotFound : kCommandNotExecutable;
    }
    RowWriter writer(json ? TraceStyle::Json : TraceStyle::Pairs);
    const trace::TraceEnd end = (*tracer)->run(
        [&](const trace::TraceRow& row) { return writer(row); }, [&] { writer.flush(); });
    writer.flush();
    for (const std::string& w : end.warnings) fmt::print(stderr, "vmatlas: warning: {}\n", w);
    int status = end.status.value_or(0);
    if (end.stopped_by_signal != 0) {
        if (end.status)
            fmt::print(stderr, "vmatlas: the trace was stopped ({})\n",
                       strsignal(end.stopped_by_signal));
        else
            fmt::print(stderr, "vmatlas: the trace was stopped ({}); process {} was {}\n",
                       strsignal(end.stopped_by_signal), (*tracer)->pid(),
                       options.on_exit == trace::OnExit::Kill ? "killed" : "detached, unchanged");
        status = 128 + end.stopped_by_signal;
    } else if (!end.status) {
        // The rows' reader went away: the tracee was killed or let go, as --on-exit says.
        status = 128 + SIGPIPE;
    }
    return finish_stdout(status);
}

}  // namespace vmatlas::cli
