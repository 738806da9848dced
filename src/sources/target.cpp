// Recognizes a target by what it is and hands it to its source.
#include "vmatlas/target.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "sources/file_error.hpp"
#include "vmatlas/core.hpp"
#include "vmatlas/elf_image.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/procfs.hpp"
#include "vmatlas/regions.hpp"
#include "vmatlas/smaps.hpp"
#include "vmatlas/snapshot.hpp"

namespace vmatlas {

namespace {

std::string_view display_name(std::string_view name) {
    return name == "-" ? "standard input" : name;
}

Result<std::string> read_stdin() {
    std::string text;
    char buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return make_error(ErrorKind::UnreadableInput,
                              fmt::format("cannot read standard input: {}", std::strerror(errno)));
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text;
}

// The first bytes of a file: enough to tell an ELF file's type from text.
Result<std::string> read_head(const std::string& name, std::size_t limit) {
    const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return file_error(name, errno);
    std::string head(limit, '\0');
    ssize_t n;
    do n = ::pread(fd, head.data(), limit, 0);
    while (n < 0 && errno == EINTR);
    const int err = errno;
    ::close(fd);
    if (n < 0) return file_error(name, err);
    head.resize(static_cast<std::size_t>(n));
    return head;
}

bool is_elf(std::string_view bytes) {
    return bytes.size() >= SELFMAG && bytes.substr(0, SELFMAG) == std::string_view(ELFMAG, SELFMAG);
}

// e_type sits at the same offset, 16, in both classes; EI_DATA says its byte order.
bool is_core(std::string_view bytes) {
    if (!is_elf(bytes) || bytes.size() < EI_NIDENT + 2) return false;
    const auto lo = static_cast<unsigned char>(bytes[EI_NIDENT]);
    const auto hi = static_cast<unsigned char>(bytes[EI_NIDENT + 1]);
    const unsigned type = bytes[EI_DATA] == ELFDATA2MSB ? (lo << 8 | hi) : (hi << 8 | lo);
    return type == ET_CORE;
}

// Regions, maps or smaps text, in memory. Regions first: a regions line never looks like a maps
// row (no "start-end"), but the maps parser would take a regions file for bad rows.
Result<Target> from_text(const std::string& text, const std::string& name) {
    if (looks_like_snapshot(text)) return read_snapshot(text, name);  // no map text starts with '{'
    Target t;
    if (looks_like_regions(text)) {
        t = regions_target(text, name);
    } else {
        t.kind = TargetKind::MapsText;
        t.space = looks_like_smaps(text) ? parse_smaps_text(text, SourceInfo{SourceKind::SmapsText, name})
                                         : parse_maps_text(text, SourceInfo{SourceKind::MapsText, name});
    }
    if (t.space.empty() && t.space.rows().rejected == 0)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("{} holds no memory map rows", display_name(name)));
    return t;
}

Result<Target> open_elf_file(const std::string& name, const TargetOptions& options) {
    ElfImageOptions image_options;
    image_options.base = options.base;
    image_options.by_sections = options.by_sections;
    auto image = load_elf_image(name, image_options);
    if (!image) return image.error();
    Target t;
    t.kind = TargetKind::ElfImage;
    t.space = std::move(image->space);
    t.names = std::move(image->notes);
    return t;
}

Result<Target> open_file(const std::string& name, const TargetOptions& options) {
    auto head = read_head(name, 64);
    if (!head) return head.error();
    if (is_core(*head)) return read_core(name);
    if (is_elf(*head)) return open_elf_file(name, options);
    auto text = read_proc_file(name);
    if (!text) return text.error();
    return from_text(*text, name);
}

Result<Target> open_stdin() {
    auto text = read_stdin();
    if (!text) return text.error();
    if (is_elf(*text))
        return make_error(ErrorKind::Unsupported,
                          "standard input holds an ELF file: give core files and ELF images as "
                          "files, not on standard input");
    return from_text(*text, "-");
}

Result<Target> open_process(std::string_view spec, bool live_figures) {
    auto proc = resolve_process(spec);
    if (!proc) return proc.error();
    auto space = live_figures ? read_process_smaps(proc->pid) : read_process_maps(proc->pid);
    if (!space) return space.error();
    Target t;
    t.kind = TargetKind::Process;
    t.space = std::move(*space);
    return t;
}

}  // namespace

std::string_view to_string(TargetKind kind) {
    switch (kind) {
        case TargetKind::Process:
            return "process";
        case TargetKind::MapsText:
            return "maps text";
        case TargetKind::Core:
            return "core";
        case TargetKind::Snapshot:
            return "snapshot";
        case TargetKind::ElfImage:
            return "elf image";
        case TargetKind::Regions:
            return "regions";
    }
    return "";
}

Result<Target> open_target(std::string_view spec, const TargetOptions& options) {
    if (spec.empty()) return make_error(ErrorKind::Usage, "the target is empty");
    if (spec == "-") return open_stdin();
    if (looks_like_pid(spec)) return open_process(spec, options.live_figures);
    const std::string name(spec);
    struct stat st;
    if (::stat(name.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return make_error(ErrorKind::UnreadableInput, fmt::format("{} is a directory", name));
        return open_file(name, options);
    }
    if (name.find('/') != std::string::npos)
        return make_error(ErrorKind::NoSuchProcess, fmt::format("no such file: {}", name));
    return open_process(spec, options.live_figures);
}

}  // namespace vmatlas
