// Parses /proc/PID/maps text by position. A row is
//
//   start-end perms offset major:minor inode [path]
//
// and the path is the rest of the row: it may hold spaces, and the kernel escapes only '\n' in it
// (as "\012"). Text pasted by people may hold several rows on one line (seed 003); then a path
// ends where the head of the next row begins. The kernel never does that, so the live source turns
// it off: a process must not be able to forge rows by naming a file like one.
#include <optional>

#include <fmt/format.h>

#include "sources/maps_row.hpp"
#include "sources/proc_stream.hpp"
#include "sources/text.hpp"
#include "vmatlas/maps_text.hpp"

namespace vmatlas {

namespace {

constexpr std::string_view kDeletedSuffix = " (deleted)";

using text::is_blank;

// A cursor over one line; every reader advances it only when it succeeds.
struct Cursor {
    std::string_view line;
    std::size_t pos = 0;

    bool at_end() const { return pos >= line.size(); }
    char peek() const { return at_end() ? '\0' : line[pos]; }

    std::string_view rest() const { return line.substr(pos); }

    // A run of 1 to max_digits hex digits.
    bool hex(std::uint64_t& out, std::size_t max_digits) {
        const text::DigitRun run = text::scan_hex(rest(), max_digits);
        if (!run.ok()) return false;
        out = run.value;
        pos += run.length;
        return true;
    }

    // A run of decimal digits whose value fits in 64 bits.
    bool decimal(std::uint64_t& out) {
        const text::DigitRun run = text::scan_decimal(rest());
        if (!run.ok()) return false;
        out = run.value;
        pos += run.length;
        return true;
    }

    bool literal(char c) {
        if (peek() != c) return false;
        ++pos;
        return true;
    }

    // At least one blank.
    bool blanks() {
        const std::size_t p = pos;
        while (!at_end() && is_blank(line[pos])) ++pos;
        return pos > p;
    }

    // The kernel's four characters.
    bool perms(Perms& out) {
        const auto p = text::parse_perms(line.substr(pos, 4), text::PermsForm::Kernel);
        if (!p) return false;
        out = *p;
        pos += 4;
        return true;
    }
};

// The fixed fields of a row, or the column and sentence of the first one that is wrong.
struct RowHead {
    Mapping m;
    std::size_t end_pos = 0;     // just past the inode
    std::size_t end_column = 0;  // where the end address begins
};

struct HeadError {
    std::size_t column = 0;  // 0-based
    std::string message;
};

// Reads the head of a row at c.pos. With err null, returns false without building a message
// (used when probing for pasted rows, where failure is the common case).
bool read_head(Cursor c, RowHead& head, HeadError* err) {
    auto fail = [&](std::string_view what) {
        if (err) {
            const std::size_t end = std::min(c.line.size(), c.pos + 24);
            std::size_t stop = c.pos;
            while (stop < end && !is_blank(c.line[stop])) ++stop;
            err->column = c.pos;
            const std::string_view token = c.line.substr(c.pos, stop - c.pos);
            err->message = token.empty() ? std::string(what) : fmt::format("{} '{}'", what, token);
        }
        return false;
    };
    // A field is missing (the row ends before it) or bad (reported at its first column, whole).
    auto bad = [&](std::size_t at, std::string_view field) {
        c.pos = at;
        return fail(c.at_end() ? fmt::format("missing {}", field) : fmt::format("bad {}", field));
    };
    auto ends_field = [&](char delim) {
        return delim == ' ' ? (c.at_end() || is_blank(c.peek())) : c.peek() == delim;
    };
    // A hex field that must be followed by delim (' ' means blanks or the end of the row).
    auto hex_field = [&](std::uint64_t& out, std::size_t digits, std::string_view field,
                         char delim) {
        const std::size_t at = c.pos;
        if (!c.hex(out, digits) || !ends_field(delim)) return bad(at, field);
        return true;
    };
    auto separator = [&](char delim, std::string_view next_field) {
        if (delim == ' ' ? c.blanks() : c.literal(delim)) return true;
        return bad(c.pos, next_field);
    };
    Mapping& m = head.m;
    std::uint64_t v = 0;
    if (!hex_field(m.start, 16, "start address", '-') || !separator('-', "end address"))
        return false;
    head.end_column = c.pos;
    if (!hex_field(m.end, 16, "end address", ' ') || !separator(' ', "permissions")) return false;
    const std::size_t perms_at = c.pos;
    if (!c.perms(m.perms) || !ends_field(' ')) return bad(perms_at, "permissions");
    if (!separator(' ', "offset") || !hex_field(v, 16, "offset", ' ')) return false;
    m.offset = FileOffset{v};
    if (!separator(' ', "device")) return false;
    const std::size_t dev_at = c.pos;
    const text::DeviceRun dev = text::scan_device(c.rest(), 8);
    if (dev.bad == text::DeviceRun::Part::Major) return bad(dev_at, "device major number");
    if (dev.bad == text::DeviceRun::Part::Minor)
        return bad(dev_at + dev.minor_at, "device minor number");
    c.pos += dev.length;
    if (!ends_field(' ')) return bad(dev_at + dev.minor_at, "device minor number");
    m.dev_major = dev.major;
    m.dev_minor = dev.minor;
    if (!separator(' ', "inode")) return false;
    const std::size_t inode_at = c.pos;
    if (!c.decimal(m.inode) || !ends_field(' ')) return bad(inode_at, "inode");
    head.end_pos = c.pos;
    return true;
}

// Where the head of a pasted row begins in line[from, ...): at `from` itself, or after a blank.
std::size_t next_pasted_row(std::string_view line, std::size_t from) {
    RowHead probe;
    for (std::size_t p = from; p < line.size(); ++p) {
        if (p != from && !is_blank(line[p - 1])) continue;
        if (text::hex_digit(line[p]) < 0) continue;
        if (read_head(Cursor{line, p}, probe, nullptr)) return p;
    }
    return line.size();
}

// The kernel's escape for '\n' in a path.
std::string_view decode_path(std::string_view raw, std::string& scratch) {
    if (raw.find("\\012") == std::string_view::npos) return raw;
    scratch.clear();
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw.compare(i, 4, "\\012") == 0) {
            scratch.push_back('\n');
            i += 3;
        } else {
            scratch.push_back(raw[i]);
        }
    }
    return scratch;
}

// The files of the kernel's own shared memory (memfd_create, SysV shm, shared anonymous
// mappings, huge pages, aio rings): never linked, so always " (deleted)", and in no directory a
// file could be named in.
bool is_kernel_shmem(std::string_view path) {
    return path.starts_with("/memfd:") || path.starts_with("/SYSV") || path == "/dev/zero" ||
           path == "/anon_hugepage" || path == "/[aio]";
}

// One row whose head begins at line[from]: the mapping, its path interned but not yet added, or
// nullopt when the row was rejected. `next` is where the next pasted row begins, or line.size()
// when none does (or when the rest of the line cannot be trusted to start a row).
std::optional<Mapping> read_row(std::string_view line, std::size_t from, bool pasted,
                                std::size_t line_no, AddressSpaceBuilder& out, std::string& scratch,
                                detail::MarkedNames& names, std::size_t& next) {
    Cursor c{line, from};
    RowHead head;
    HeadError err;
    next = line.size();
    if (!read_head(c, head, &err)) {
        out.reject({line_no, err.column + 1, err.message});
        return std::nullopt;
    }
    Mapping& m = head.m;
    c.pos = head.end_pos;
    c.blanks();
    const std::size_t path_begin = c.pos;
    std::size_t path_end = pasted ? next_pasted_row(line, path_begin) : line.size();
    next = path_end;
    if (next < line.size())
        while (path_end > path_begin && is_blank(line[path_end - 1])) --path_end;

    if (m.end <= m.start) {
        out.reject(
            {line_no, head.end_column + 1,
             fmt::format("end address {:#x} is not above start address {:#x}", m.end, m.start)});
        return std::nullopt;
    }
    const std::string_view raw = line.substr(path_begin, path_end - path_begin);
    std::string_view path = decode_path(raw, scratch);
    bool marked = path.size() != raw.size();  // "\012" was decoded
    if (path.size() > kDeletedSuffix.size() && path.ends_with(kDeletedSuffix)) {
        path.remove_suffix(kDeletedSuffix.size());
        m.flags |= kDeleted;
        marked = marked || !is_kernel_shmem(path);
    }
    if (marked) {
        // The kernel's marks or the file's own name: the process can say which.
        if (names.pid > 0) {
            if (const auto truth = read_true_name(names.pid, m.start, m.end)) {
                m.flags = truth->deleted ? (m.flags | kDeleted) : (m.flags & ~kDeleted);
                m.path = out.intern(truth->path);
                return m;
            }
        }
        names.note(line_no, path_begin + 1);
    }
    m.path = out.intern(path);
    return m;
}

void parse_line(std::string_view line, std::size_t line_no, const MapsTextOptions& opts,
                AddressSpaceBuilder& out, std::string& scratch, detail::MarkedNames& names) {
    Cursor c{line, 0};
    c.blanks();
    std::size_t pos = c.pos;
    while (pos < line.size()) {
        std::size_t next = line.size();
        if (auto m = read_row(line, pos, opts.pasted_rows, line_no, out, scratch, names, next))
            out.add(*m);
        pos = next;
    }
}

}  // namespace

std::string detail::long_line_sentence(std::size_t length) {
    return fmt::format("a line of {} bytes, longer than any row ({} bytes at most): skipped",
                       length, text::kMaxLineBytes);
}

void detail::MarkedNames::warn(AddressSpaceBuilder& out) const {
    if (count == 0) return;
    const std::string rows = count == 1
                                 ? std::string("this row's name ends in \" (deleted)\" or holds")
                                 : fmt::format(
                                       "this row's name and {} more end in \" (deleted)\" "
                                       "or hold",
                                       count - 1);
    out.warn(
        {line, column,
         fmt::format("{} a backslash and 012, which the kernel writes for a deleted file and "
                     "a newline but a file's own name may hold: read as the kernel's marks, "
                     "unchecked ({})",
                     rows,
                     pid > 0 ? fmt::format("/proc/{}/map_files, which says, cannot be read", pid)
                             : std::string("the files are not at hand"))});
}

std::optional<Mapping> detail::parse_kernel_maps_row(std::string_view line, std::size_t line_no,
                                                     AddressSpaceBuilder& builder,
                                                     std::string& scratch, MarkedNames& names) {
    Cursor c{line, 0};
    c.blanks();
    std::size_t next = 0;
    return read_row(line, c.pos, false, line_no, builder, scratch, names, next);
}

// What a MapsTextParser keeps from piece to piece.
struct detail::MapsTextState {
    text::LineCarry carry;  // the start of a row whose end is in the next piece
    MarkedNames names;
};

MapsTextParser::MapsTextParser(AddressSpaceBuilder& builder, MapsTextOptions options)
    : out_(builder), options_(options), state_(std::make_unique<detail::MapsTextState>()) {
    state_->names.pid = options.live_pid;
}

MapsTextParser::~MapsTextParser() = default;

void MapsTextParser::feed(std::string_view piece) {
    text::feed_lines(
        state_->carry, piece, [&](std::string_view l) { line(l); },
        [&](std::size_t length) { long_line(length); });
}

void MapsTextParser::finish() {
    text::finish_lines(
        state_->carry, [&](std::string_view l) { line(l); },
        [&](std::size_t length) { long_line(length); });
    state_->names.warn(out_);
    state_->names = detail::MarkedNames{options_.live_pid};
}

void MapsTextParser::line(std::string_view row_text) {
    parse_line(row_text, ++line_no_, options_, out_, scratch_, state_->names);
}

void MapsTextParser::long_line(std::size_t length) {
    out_.reject({++line_no_, 1, detail::long_line_sentence(length)});
}

void parse_maps_text(std::string_view text, AddressSpaceBuilder& builder,
                     const MapsTextOptions& opts) {
    MapsTextParser parser(builder, opts);
    parser.feed(text);
    parser.finish();
}

void parse_maps_text(std::string_view text, AddressSpaceBuilder& builder) {
    parse_maps_text(text, builder, MapsTextOptions{});
}

AddressSpace parse_maps_text(std::string_view text, SourceInfo source) {
    AddressSpaceBuilder builder(std::move(source));
    builder.reserve(text.size() / 64);
    parse_maps_text(text, builder);
    return std::move(builder).build();
}

}  // namespace vmatlas
