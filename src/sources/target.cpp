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
#include "sources/guest_dump.hpp"
#include "sources/path_objects.hpp"
#include "sources/qemu_user.hpp"
#include "sources/regions_lines.hpp"
#include "sources/remote_files.hpp"
#include "sources/smaps_lines.hpp"
#include "sources/text_input.hpp"
#include "vmatlas/core.hpp"
#include "vmatlas/elf_image.hpp"
#include "vmatlas/gdb_text.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/procfs.hpp"
#include "vmatlas/regions.hpp"
#include "vmatlas/smaps.hpp"
#include "vmatlas/snapshot.hpp"

namespace vmatlas {

namespace {

// What is read of a text target before it is recognized: enough for an ELF header, and for the
// first rows of a smaps text (a smaps row is some 1,000 bytes).
constexpr std::size_t kHeadBytes = 64 * 1024;

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

// The rows of a text target, read as a stream into the parser its first bytes call for: gdb's
// text first (the lines gdb prints before its tables can look like regions), then regions (a
// regions line never looks like a maps row, but the maps parser would take a regions file for bad
// rows), then smaps, then maps text.
Result<Target> from_text(TextInput& in, std::string_view head, const std::string& origin) {
    Target t;
    std::optional<Error> failed;
    if (looks_like_gdb_text(head)) {
        // A map like maps text, named by the same stages; its files are read by their paths, as
        // it has no device and inode to check them by.
        t.kind = TargetKind::MapsText;
        t.objects = make_path_object_reader();
        AddressSpaceBuilder builder(SourceInfo{SourceKind::MapsText, origin});
        GdbTextParser parser(builder);
        failed = read_rows(
            in, builder, "a memory map", [&](std::string_view piece) { parser.feed(piece); },
            [&] { parser.finish(); });
        t.space = std::move(builder).build();
        if (!failed && t.space.empty() && t.space.rows().rejected == 0 &&
            parser.sections_without_core())
            return make_error(ErrorKind::UnreadableInput,
                              fmt::format("{} holds gdb's maintenance info sections of objects, "
                                          "which are sections, not the process's mappings: save "
                                          "gdb's info proc mappings, or its sections of a core "
                                          "file",
                                          in.name()));
    } else if (looks_like_regions(head)) {
        t.kind = TargetKind::Regions;
        AddressSpaceBuilder builder(SourceInfo{SourceKind::Regions, origin});
        detail::RegionLines lines(builder, nullptr, "");
        failed = read_rows(
            in, builder, "a regions file", [&](std::string_view piece) { lines.feed(piece); },
            [&] { lines.finish(); });
        t.space = std::move(builder).build();
    } else if (looks_like_smaps(head)) {
        t.kind = TargetKind::MapsText;
        AddressSpaceBuilder builder(SourceInfo{SourceKind::SmapsText, origin});
        builder.reserve(in.size() / 700);  // about 25 lines of some 30 bytes a row
        detail::SmapsStream smaps(builder);
        failed = read_rows(
            in, builder, "a memory map", [&](std::string_view piece) { smaps.feed(piece); },
            [&] { smaps.finish(); });
        t.space = std::move(builder).build();
        if (!smaps.saw_figures()) t.space.set_figures({});
    } else {
        t.kind = TargetKind::MapsText;
        AddressSpaceBuilder builder(SourceInfo{SourceKind::MapsText, origin});
        builder.reserve(in.size() / 64);
        MapsTextParser parser(builder);
        failed = read_rows(
            in, builder, "a memory map", [&](std::string_view piece) { parser.feed(piece); },
            [&] { parser.finish(); });
        t.space = std::move(builder).build();
    }
    if (failed) return *failed;
    if (t.space.empty() && t.space.rows().rejected == 0)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("{} holds no memory map rows", in.name()));
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

// A file, a FIFO, a device or standard input ("-"), recognized by its first bytes.
Result<Target> open_input(const std::string& name, const TargetOptions& options) {
    auto in = TextInput::open(name);
    if (!in) return in.error();
    auto head = in->head(kHeadBytes);
    if (!head) return head.error();
    if (is_elf(*head)) {
        // libelf reads an ELF file where it likes: it must be a file it can seek in.
        if (!in->regular_file())
            return make_error(ErrorKind::Unsupported,
                              fmt::format("{} holds an ELF file: give core files and ELF images "
                                          "as files, not through a pipe or standard input",
                                          in->name()));
        if (is_core(*head))
            return guest::has_qemu_note(name) ? guest::read_guest_dump(name, options.page_tables)
                                              : read_core(name);
        return open_elf_file(name, options);
    }
    if (looks_like_snapshot(*head))
        return read_snapshot_input(*in, name);  // no map text starts
                                                // with '{'

    return from_text(*in, *head, name);
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
        case TargetKind::GuestDump:
            return "guest dump";
        case TargetKind::LiveGuest:
            return "live guest";
        case TargetKind::QemuUser:
            return "qemu user guest";
    }
    return "";
}

Result<Target> open_target(std::string_view spec, const TargetOptions& options) {
    if (spec.empty()) return make_error(ErrorKind::Usage, "the target is empty");
    if (spec == "-") return open_input("-", options);
    // Always a gdbserver: a file of that name is given as ./tcp:..., a process by its PID.
    if (spec.starts_with("tcp:")) return remote::open_remote_target(spec, options);
    if (spec.starts_with("qemu-user:"))
        return qemu_user::open_qemu_user_target(spec.substr(10), options);
    if (looks_like_pid(spec)) return open_process(spec, options.live_figures);
    const std::string name(spec);
    struct stat st;
    // A name that is no file is a process's name, unless it has a slash or names a link.
    if (name.find('/') == std::string::npos && ::lstat(name.c_str(), &st) != 0 && errno == ENOENT)
        return open_process(spec, options.live_figures);
    return open_input(name, options);
}

}  // namespace vmatlas
