// vmatlas save TARGET [-o FILE]: the target's annotated map as a JSON snapshot (docs/snapshot.md),
// which every view then reads as a target, as it would the target itself.
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "vmatlas/snapshot.hpp"
#include "vmatlas/threads.hpp"

namespace vmatlas::cli {

namespace {

Error write_error(const std::string& file, int err) {
    return {
        err == EACCES || err == EPERM ? ErrorKind::PermissionDenied : ErrorKind::UnreadableInput,
        fmt::format("cannot write the snapshot to {}: {}", file, std::strerror(err))};
}

// Writes text to FILE.tmp and renames it to FILE once it is all there, so that FILE is never a
// half-written snapshot (a full disk, a signal) and an older FILE stays until the new one is whole.
std::optional<Error> write_file(const std::string& file, std::string_view text) {
    const std::string tmp = file + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return write_error(tmp, errno);
    int err = 0;
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
            break;
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    if (err == 0 && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err == 0 && ::rename(tmp.c_str(), file.c_str()) != 0) {
        err = errno;
        ::unlink(tmp.c_str());
        return write_error(file, err);
    }
    if (err != 0) {
        ::unlink(tmp.c_str());
        return write_error(tmp, err);
    }
    return std::nullopt;
}

}  // namespace

int run_save(int argc, char** argv) {
    ArgParser app{
        "Save the target's annotated map as a JSON snapshot: rows, names, roles, sections, smaps "
        "figures and threads (docs/snapshot.md). Every view reads a snapshot as a TARGET and shows "
        "it as it showed the target.",
        "vmatlas save"};
    app.footer(
        "Exit status: 0 ok, 2 usage, 3 no such process or file, 4 permission denied,\n"
        "5 process exited, 6 kernel thread, 7 bad input or FILE cannot be written,\n"
        "8 ambiguous name, 9 partial input (the snapshot is written, and says so).");
    TargetArgs args;
    std::string output;
    args.add_to(app);
    app.add_option("-o,--output FILE", output,
                   "write to FILE (through FILE.tmp, renamed when complete) instead of standard "
                   "output");
    if (const auto status = app.parse(argc, argv)) return *status;

    // Figures and sections too, so that pmap -x/-X, summary and -v work from the snapshot.
    auto loaded = load(args, {.figures = true, .sections = true});
    if (!loaded) return loaded.error();
    ProcessFacts facts = loaded->facts;
    // A live process's threads are read by the annotators and not kept: read them again, for
    // the snapshot to say which threads there were and where their stacks were.
    if (loaded->kind == TargetKind::Process && !facts.has_threads) {
        const int pid = loaded->space.source().pid;
        if (auto threads = read_threads(pid)) {
            facts.has_threads = true;
            facts.threads = std::move(*threads);
        } else {
            report_warning(fmt::format("the threads of process {} are not saved: {}", pid,
                                       threads.error().message));
        }
    }
    const std::string text =
        write_snapshot(loaded->space, loaded->notes, facts, snapshot_stamp_now());
    if (output.empty() || output == "-") {
        if (!write_stdout(text))
            return report({ErrorKind::UnreadableInput,
                           fmt::format("cannot write the snapshot to standard output: {}",
                                       std::strerror(errno))});
    } else if (const auto err = write_file(output, text)) {
        return report(*err);
    }
    return keep_until_exit(loaded);
}

}  // namespace vmatlas::cli
