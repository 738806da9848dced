// The regions source (include/vmatlas/regions.hpp has the grammar). Lines are read by position,
// like maps text: a field is the bytes up to the next blank, and the name is the rest of the line.
#include "vmatlas/regions.hpp"

#include <iterator>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "model/checked.hpp"
#include "sources/maps_row.hpp"
#include "sources/regions_lines.hpp"
#include "sources/text.hpp"
#include "sources/text_input.hpp"

namespace vmatlas {

namespace {

using text::is_blank;
using text::is_digit;

std::size_t skip_blanks(std::string_view line, std::size_t pos) {
    while (pos < line.size() && is_blank(line[pos])) ++pos;
    return pos;
}

std::size_t token_end(std::string_view line, std::size_t pos) {
    while (pos < line.size() && !is_blank(line[pos])) ++pos;
    return pos;
}

// Where a region's first field begins, or nothing for a blank line or a comment.
std::optional<std::size_t> region_begin(std::string_view line) {
    const std::size_t pos = skip_blanks(line, 0);
    if (pos == line.size() || line[pos] == '#') return std::nullopt;
    return pos;
}

// A token that a person meant as a number, well-formed or not ("0x0800000g" is a typo in a
// regions file): it begins with a digit and holds no '-', which a maps row's "start-end" does.
bool meant_as_number(std::string_view token) {
    return !token.empty() && is_digit(token[0]) && token.find('-') == std::string_view::npos;
}

// A token quoted in a message: at most 24 bytes of it, as the maps-text parser quotes.
std::string_view quoted(std::string_view token) {
    return token.substr(0, 24);
}

// PERMS as a regions file spells it: pwndbg vmmap-add's flags (the letters r, w and x, each at
// most once, in any order: "rw", "xr", "x"), or the kernel's positions ("r-x", "---", "rw-s").
// Only the four-character form says shared or private; every other spelling is private, as a
// pwndbg page always is. (A PERMS left out is no access: read_region's decision.)
std::optional<Perms> region_perms(std::string_view token) {
    if (token.size() <= 3 && token.find('-') == std::string_view::npos) {
        std::uint8_t bits = 0;
        for (const char c : token) {
            const std::uint8_t bit = c == 'r'   ? Perms::kRead
                                     : c == 'w' ? Perms::kWrite
                                     : c == 'x' ? Perms::kExec
                                                : 0;
            if (bit == 0 || (bits & bit) != 0) return std::nullopt;
            bits |= bit;
        }
        if (!token.empty()) return Perms(bits);
    }
    return text::parse_perms(token, text::PermsForm::Regions);
}

struct LineError {
    std::size_t column = 0;  // 1-based
    std::string message;
};

struct Region {
    Mapping m;
    std::string_view name;
    std::size_t start_column = 0, size_column = 0;  // 1-based
};

// Reads one region line (not blank, not a comment) whose first field begins at pos.
std::optional<Region> read_region(std::string_view line, std::size_t pos, LineError& err) {
    Region r;
    auto fail = [&](std::size_t at, std::string message) {
        err = {at + 1, std::move(message)};
        return std::nullopt;
    };
    // A number field at pos: its value, or the error that names the field.
    auto number = [&](std::string_view field, std::uint64_t& value) -> bool {
        if (pos == line.size()) {
            fail(pos, fmt::format("missing {}", field));
            return false;
        }
        const std::string_view token = line.substr(pos, token_end(line, pos) - pos);
        const text::Number n = text::parse_regions_number(token);
        switch (n.error) {
            case text::NumberError::None:
                value = n.value;
                pos += token.size();
                return true;
            case text::NumberError::Bad:
                fail(pos, fmt::format("bad {} '{}' (0x-hex or decimal)", field, quoted(token)));
                return false;
            case text::NumberError::Ambiguous:
                fail(pos, fmt::format("ambiguous {} '{}': write hex with 0x, decimal without a "
                                      "leading zero",
                                      field, quoted(token)));
                return false;
            case text::NumberError::TooLarge:
                fail(pos, fmt::format("{} '{}' does not fit in 64 bits", field, quoted(token)));
                return false;
        }
        return false;
    };

    std::uint64_t start = 0, size = 0, offset = 0;
    r.start_column = pos + 1;
    if (!number("start address", start)) return std::nullopt;
    pos = skip_blanks(line, pos);
    r.size_column = pos + 1;
    if (!number("size", size)) return std::nullopt;
    pos = skip_blanks(line, pos);
    // PERMS left out (the line ends, or a comment begins) is no access, as pwndbg's vmmap-add
    // without flags.
    const bool no_perms = pos == line.size() || (line[pos] == '#' && is_blank(line[pos - 1]));
    if (!no_perms) {
        const std::string_view perms = line.substr(pos, token_end(line, pos) - pos);
        const auto parsed_perms = region_perms(perms);
        if (!parsed_perms)
            return fail(pos, fmt::format("bad permissions '{}' (r, w and x each at most once: "
                                         "rw, rx; or r-x, rw-p, rw-s)",
                                         quoted(perms)));
        r.m.perms = *parsed_perms;
        pos = skip_blanks(line, pos + perms.size());
    }
    // A token that begins with a digit is the offset, even when it is not a good number: a
    // mistyped offset must not silently become the name.
    if (pos < line.size() && is_digit(line[pos])) {
        if (!number("offset", offset)) return std::nullopt;
        pos = skip_blanks(line, pos);
    }
    if (pos < line.size() && line[pos] != '#') {
        // As in /etc/hosts, a comment may follow the fields: "#" after a blank begins it.
        std::size_t end = pos;
        while (end < line.size() && !(line[end] == '#' && is_blank(line[end - 1]))) ++end;
        while (end > pos && is_blank(line[end - 1])) --end;
        r.name = line.substr(pos, end - pos);
    }

    if (size == 0) return fail(r.size_column - 1, "size is 0");
    const auto end = checked_add(start, size);
    if (!end)
        return fail(r.size_column - 1,
                    fmt::format("start {:#x} + size {:#x} ends past the top of the 64-bit address "
                                "space",
                                start, size));
    r.m.start = start;
    r.m.end = *end;
    r.m.offset = FileOffset{offset};
    return r;
}

}  // namespace

// The regions kept so far, by start: to refuse a region that overlaps one of them.
class detail::RegionLines::Kept {
  public:
    // The kept region that [start, end) overlaps: its start, end and line.
    struct Hit {
        Addr start, end;
        std::size_t line;
    };
    std::optional<Hit> overlap(Addr start, Addr end) const {
        // They do not overlap each other, so only the neighbours of start can overlap.
        auto next = by_start_.upper_bound(start);
        if (next != by_start_.begin()) {
            const auto prev = std::prev(next);
            if (prev->second.first > start)
                return Hit{prev->first, prev->second.first, prev->second.second};
        }
        if (next != by_start_.end() && next->first < end)
            return Hit{next->first, next->second.first, next->second.second};
        return std::nullopt;
    }
    void add(Addr start, Addr end, std::size_t line) {
        by_start_.emplace(start, std::pair{end, line});
    }

  private:
    std::map<Addr, std::pair<Addr, std::size_t>> by_start_;
};

namespace {}  // namespace

namespace detail {

RegionLines::RegionLines(AddressSpaceBuilder& out, const AddressSpace* existing, std::string note)
    : out_(out), existing_(existing), note_(std::move(note)), kept_(std::make_unique<Kept>()) {}

RegionLines::~RegionLines() = default;

void RegionLines::feed(std::string_view piece) {
    text::feed_lines(
        carry_, piece, [&](std::string_view l) { line(l); },
        [&](std::size_t length) { long_line(length); });
}

void RegionLines::finish() {
    text::finish_lines(
        carry_, [&](std::string_view l) { line(l); },
        [&](std::size_t length) { long_line(length); });
}

void RegionLines::long_line(std::size_t length) {
    out_.reject({++line_no_, 1, fmt::format("{}{}", long_line_sentence(length), note_)});
}

void RegionLines::line(std::string_view line) {
    ++line_no_;
    const auto begin = region_begin(line);
    if (!begin) return;
    LineError err;
    auto region = read_region(line, *begin, err);
    if (!region) {
        out_.reject({line_no_, err.column, fmt::format("{}{}", err.message, note_)});
        return;
    }
    const Mapping& m = region->m;
    auto refuse = [&](std::string what) {
        out_.reject({line_no_, region->start_column,
                     fmt::format("region {:#x}-{:#x} overlaps {}{}", m.start, m.end, what, note_)});
    };
    if (existing_) {
        const std::size_t i = existing_->lower_bound(m.start);
        if (i < existing_->size() && (*existing_)[i].start < m.end) {
            const Mapping& row = (*existing_)[i];
            const std::string_view path = existing_->path(row);
            refuse(fmt::format("the target's {:#x}-{:#x}{}{}", row.start, row.end,
                               path.empty() ? "" : " ", path));
            return;
        }
    }
    if (const auto hit = kept_->overlap(m.start, m.end)) {
        refuse(fmt::format("{:#x}-{:#x} from line {}", hit->start, hit->end, hit->line));
        return;
    }
    kept_->add(m.start, m.end, line_no_);
    Mapping row = m;
    row.path = out_.intern(region->name);
    out_.add(row);
}

}  // namespace detail

namespace {

// Parses every region of text into out. Regions that overlap a row of existing (when not null)
// are refused too; note is appended to every diagnostic (" (in FILE)").
void parse_into(std::string_view text, AddressSpaceBuilder& out, const AddressSpace* existing,
                std::string_view note) {
    detail::RegionLines lines(out, existing, std::string(note));
    lines.feed(text);
    lines.finish();
}

// Inserts the added rows' entries into a vector parallel to old's rows, in merged order.
template <typename T>
void merge_parallel(std::vector<T>& old_entries, std::vector<T> added_entries,
                    const AddressSpace& old, const AddressSpace& merged) {
    std::vector<T> out;
    out.reserve(merged.size());
    std::size_t i = 0, j = 0;
    for (const Mapping& m : merged.mappings()) {
        if (i < old.size() && old[i].start == m.start)
            out.push_back(std::move(old_entries[i++]));
        else
            out.push_back(std::move(added_entries[j++]));
    }
    old_entries = std::move(out);
}

}  // namespace

bool looks_like_regions(std::string_view text) {
    bool comment = false, regions = false;
    bool too_long = false;  // a line no regions file holds: not one
    text::for_each_line(
        text,
        [&](std::string_view line) {
            if (too_long) return false;
            const std::size_t pos = skip_blanks(line, 0);
            if (pos == line.size()) return true;
            if (line[pos] == '#') {
                comment = true;
                return true;
            }
            const std::size_t first_end = token_end(line, pos);
            const std::size_t second = skip_blanks(line, first_end);
            regions = meant_as_number(line.substr(pos, first_end - pos)) && second > first_end &&
                      meant_as_number(line.substr(second, token_end(line, second) - second));
            comment = false;
            return false;
        },
        [&](std::size_t) { too_long = true; });
    return !too_long && (regions || comment);
}

AddressSpace parse_regions_text(std::string_view text, SourceInfo source) {
    AddressSpaceBuilder builder(std::move(source));
    parse_into(text, builder, nullptr, "");
    return std::move(builder).build();
}

Target regions_target(std::string_view text, std::string origin) {
    Target t;
    t.kind = TargetKind::Regions;
    t.space = parse_regions_text(text, SourceInfo{SourceKind::Regions, std::move(origin)});
    return t;
}

namespace {

// Adds the regions parsed from origin (against the target's rows) to the target.
RegionsAdded merge_regions(Target& target, const AddressSpace& regions, std::string_view origin) {
    const AddressSpace& old = target.space;
    AddressSpaceBuilder b(old.source());
    // Old's strings first, in id order, so that every PathId the target holds (rows, labels'
    // objects, an ObjectReader's) keeps its meaning.
    for (std::size_t id = 1; id < old.paths().size(); ++id)
        b.intern(old.paths().get(static_cast<PathId>(id)));
    b.reserve(old.size() + regions.size());
    b.carry(old.rows(), old.diagnostics(), old.loss());
    const bool figures = !old.figures().empty();
    for (std::size_t i = 0; i < old.size(); ++i) {
        if (figures)
            b.add(old[i], old.figures()[i]);
        else
            b.add(old[i]);
    }
    for (const Mapping& m : regions.mappings()) {
        Mapping row = m;
        row.path = b.intern(regions.path(m));
        b.add(row);  // zero figures when the target has figures
    }
    // The lines the regions text rejected count as the target's rejected rows.
    b.carry({.rejected = regions.rows().rejected}, regions.diagnostics(), regions.loss());
    if (regions.rows().read == 0) b.warn({0, 0, fmt::format("{} holds no regions", origin)});
    AddressSpace merged = std::move(b).build();

    if (target.names) {
        Annotations& names = *target.names;
        // The added rows get no name here: naming the rows is the annotators' work.
        if (names.labels.size() == old.size())
            merge_parallel(names.labels, std::vector<Label>(regions.size()), old, merged);
        if (names.roles.size() == old.size())
            merge_parallel(names.roles, std::vector<Role>(regions.size()), old, merged);
        if (!names.sections.empty() && names.sections.size() == old.size())
            merge_parallel(names.sections, std::vector<std::string>(regions.size()), old, merged);
        if (!names.pages.empty() && names.pages.size() == old.size())
            merge_parallel(names.pages, std::vector<std::string>(regions.size()), old, merged);
    }
    const RegionsAdded result{regions.size(), regions.rows().rejected};
    target.space = std::move(merged);
    return result;
}

}  // namespace

RegionsAdded add_regions_text(Target& target, std::string_view text, std::string_view origin) {
    AddressSpaceBuilder parsed(SourceInfo{SourceKind::Regions, std::string(origin)});
    parse_into(text, parsed, &target.space, fmt::format(" (in {})", origin));
    return merge_regions(target, std::move(parsed).build(), origin);
}

Result<RegionsAdded> add_regions_file(Target& target, const std::string& path) {
    auto in = TextInput::open(path);
    if (!in) return in.error();
    auto head = in->head(4);
    if (!head) return head.error();
    if (head->starts_with("\x7f"
                          "ELF"))
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("{} is an ELF file, not a regions file (give it as the "
                                      "target to see the map it would create)",
                                      path));
    AddressSpaceBuilder parsed(SourceInfo{SourceKind::Regions, path});
    detail::RegionLines lines(parsed, &target.space, fmt::format(" (in {})", path));
    if (auto failed = read_rows(
            *in, parsed, "a regions file", [&](std::string_view piece) { lines.feed(piece); },
            [&] { lines.finish(); }))
        return *failed;
    return merge_regions(target, std::move(parsed).build(), path);
}

}  // namespace vmatlas
