// Recognizes a target by what it is and hands it to its source.
#include "vmatlas/target.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "vmatlas/maps_text.hpp"
#include "vmatlas/procfs.hpp"
#include "vmatlas/smaps.hpp"

namespace vmatlas {

namespace {

Result<std::string> read_input(const std::string& name) {
    if (name == "-") {
        std::string text;
        char buf[64 * 1024];
        for (;;) {
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0)
                return make_error(
                    ErrorKind::UnreadableInput,
                    fmt::format("cannot read standard input: {}", std::strerror(errno)));
            if (n == 0) break;
            text.append(buf, static_cast<std::size_t>(n));
        }
        return text;
    }
    auto text = read_proc_file(name);
    if (!text) return text.error();
    return text;
}

Result<AddressSpace> open_maps_text(const std::string& name) {
    auto text = read_input(name);
    if (!text) return text.error();
    if (text->starts_with("\x7f"
                          "ELF"))
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{} is an ELF file: core files and ELF images are not "
                                      "supported as targets yet",
                                      name));
    AddressSpace space = looks_like_smaps(*text)
                             ? parse_smaps_text(*text, SourceInfo{"smaps text", name, 0, ""})
                             : parse_maps_text(*text, SourceInfo{"maps text", name, 0, ""});
    if (space.empty() && space.rows().rejected == 0)
        return make_error(
            ErrorKind::UnreadableInput,
            fmt::format("{} holds no memory map rows", name == "-" ? "standard input" : name));
    return space;
}

Result<AddressSpace> open_process(std::string_view spec, bool live_figures) {
    auto proc = resolve_process(spec);
    if (!proc) return proc.error();
    return live_figures ? read_process_smaps(proc->pid) : read_process_maps(proc->pid);
}

}  // namespace

Result<AddressSpace> open_target(std::string_view spec, const TargetOptions& options) {
    if (spec.empty()) return make_error(ErrorKind::Usage, "the target is empty");
    if (spec == "-") return open_maps_text("-");
    if (looks_like_pid(spec)) return open_process(spec, options.live_figures);
    const std::string name(spec);
    struct stat st;
    if (::stat(name.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return make_error(ErrorKind::UnreadableInput, fmt::format("{} is a directory", name));
        return open_maps_text(name);
    }
    if (name.find('/') != std::string::npos)
        return make_error(ErrorKind::NoSuchProcess, fmt::format("no such file: {}", name));
    return open_process(spec, options.live_figures);
}

}  // namespace vmatlas
