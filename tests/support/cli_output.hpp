// What the command printed, read back: its JSON, its lines, and the default view's table by the
// table layout contract (columns as wide as their widest cell, one blank between them).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/proc_maps.hpp"
#include "support/run.hpp"

namespace vmtest {

inline nlohmann::json parse_json(const RunResult& r) {
    try {
        return nlohmann::json::parse(r.out);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("not JSON (") + e.what() +
                                 "): " + r.out.substr(0, 400) + " stderr: " + r.err);
    }
}

// True when every warning (a JSON array of strings, or lines of stderr) is the one a saved map
// gives when names end in " (deleted)" (a deleted file, or a file so named: the text cannot say
// which): what every saved map of a process that maps a deleted file says.
inline bool only_marked_names(const std::vector<std::string>& warnings) {
    for (const std::string& w : warnings)
        if (w.find("this row's name") == std::string::npos &&
            w.find("of the NT_FILE note end") == std::string::npos)
            return false;
    return true;
}

inline std::vector<std::string> lines(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        out.emplace_back(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return out;
}

// ---- the default view as a table (--color=never) -------------------------------------------

// Its columns, as the header names them.
inline const std::vector<std::string> kMapColumns = {"Start",  "End",  "Perm", "Size",
                                                     "Offset", "Name", "File"};

// One data line of the table.
struct TableRow {
    bool marked = false;  // starts with "► "
    std::uint64_t start = 0, end = 0;
    std::string perms;
    std::uint64_t size = 0, offset = 0;
    std::string name;                           // the Name column
    std::string file;                           // the File column
    std::optional<std::uint64_t> match_offset;  // the trailing "  +0x..."
};

// Where the Name and File columns start (in bytes, after the marker column): both are
// left-aligned, so their cells start where their headings do.
struct Columns {
    std::size_t name = std::string::npos, file = std::string::npos;
};

// The line without its 2-column marker ("► " or two spaces); nullopt when it has none.
inline std::optional<std::string_view> without_marker(std::string_view line,
                                                      bool* marked = nullptr) {
    static constexpr std::string_view kArrow = "\u25ba ";
    if (marked) *marked = line.starts_with(kArrow);
    if (line.starts_with(kArrow)) return line.substr(kArrow.size());
    if (line.starts_with("  ")) return line.substr(2);
    return std::nullopt;
}

// Cuts the note a matched row ends with ("  +0x1800") off the line, and returns its offset.
inline std::optional<std::uint64_t> cut_match_note(std::string_view& line) {
    std::size_t plus = line.rfind(" +0x");
    if (plus == std::string_view::npos) return std::nullopt;
    try {
        std::uint64_t v = hex(line.substr(plus + 2));
        line = line.substr(0, plus);
        while (line.ends_with(' ')) line.remove_suffix(1);
        return v;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// The first five cells, which hold no spaces; fills pos with where each ends, and returns false
// for lines that are not mapping rows (the header, "no mapping", ...).
inline bool number_cells(std::string_view line, TableRow& r, std::size_t* begins = nullptr,
                         std::size_t* ends = nullptr) {
    std::size_t pos = 0;
    std::string_view cells[5];
    for (int k = 0; k < 5; ++k) {
        cells[k] = next_word(line, pos);
        if (begins) begins[k] = pos - cells[k].size();
        if (ends) ends[k] = pos;
    }
    const std::string_view perms = cells[2];
    if (!cells[0].starts_with("0x") || !cells[1].starts_with("0x") || perms.size() != 4 ||
        std::string_view("r-").find(perms[0]) == std::string_view::npos ||
        std::string_view("ps").find(perms[3]) == std::string_view::npos)
        return false;
    try {
        r.start = hex(cells[0]), r.end = hex(cells[1]), r.size = hex(cells[3]);
        r.offset = hex(cells[4]);
    } catch (const std::exception&) {
        return false;
    }
    r.perms = perms;
    return true;
}

// The text of line[from, to), without the blanks that pad it.
inline std::string padded_cell(std::string_view line, std::size_t from, std::size_t to) {
    if (from >= line.size()) return "";
    std::string_view s = line.substr(from, to - from);
    while (s.ends_with(' ')) s.remove_suffix(1);
    return std::string(s);
}

// Parses a table line; nullopt for lines that are not mapping rows. with_marker: the line
// starts with a 2-column marker ("► " or two spaces), as with an address filter.
inline std::optional<TableRow> parse_table_row(std::string_view line, bool with_marker,
                                               const Columns& cols) {
    TableRow r;
    if (with_marker) {
        auto rest = without_marker(line, &r.marked);
        if (!rest) return std::nullopt;
        line = *rest;
    }
    if (!number_cells(line, r) || cols.name == std::string::npos || cols.file <= cols.name)
        return std::nullopt;
    r.match_offset = cut_match_note(line);
    r.name = padded_cell(line, cols.name, cols.file - 1);
    r.file = padded_cell(line, cols.file, std::string_view::npos);
    return r;
}

struct HeaderWord {
    std::string text;
    std::size_t begin, end;
};

inline std::vector<HeaderWord> header_words(std::string_view header) {
    std::vector<HeaderWord> words;
    std::size_t pos = 0;
    for (std::string_view w; !(w = next_word(header, pos)).empty();)
        words.push_back({std::string(w), pos - w.size(), pos});
    return words;
}

struct Table {
    std::vector<std::string> header;  // the header's words
    Columns columns;
    std::vector<TableRow> rows;
    std::vector<std::string> other;  // lines after the header that are not rows
};

inline Table parse_table(std::string_view text, bool with_marker) {
    Table t;
    auto ls = lines(text);
    if (ls.empty()) return t;
    std::string_view header = ls[0];
    if (with_marker) header = without_marker(header).value_or(header);
    for (const HeaderWord& w : header_words(header)) {
        if (w.text == "Name") t.columns.name = w.begin;
        if (w.text == "File") t.columns.file = w.begin;
        t.header.push_back(w.text);
    }
    for (std::size_t i = 1; i < ls.size(); ++i) {
        if (auto row = parse_table_row(ls[i], with_marker, t.columns))
            t.rows.push_back(*row);
        else
            t.other.push_back(ls[i]);
    }
    return t;
}

// What is wrong with the table's layout, by the contract: no line ends in a blank; one blank
// between two columns; each column as wide as its widest cell (the heading included); numbers and
// their headings right-aligned, Perm, Name and File left-aligned. Empty when nothing is.
inline std::vector<std::string> table_layout_problems(std::string_view text, bool with_marker) {
    std::vector<std::string> problems;
    auto ls = lines(text);
    for (const auto& l : ls)
        if (l.ends_with(' ')) problems.push_back("a trailing blank: '" + l + "'");
    if (ls.empty()) return {"no header"};
    std::string_view header = ls[0];
    if (with_marker) {
        auto rest = without_marker(header);
        if (!rest) return {"no marker column in the header: '" + ls[0] + "'"};
        header = *rest;
    }
    const auto words = header_words(header);
    std::vector<std::string> names;
    for (const auto& w : words) names.push_back(w.text);
    if (names != kMapColumns) return {"not the default view's header: '" + ls[0] + "'"};
    const Columns cols{words[5].begin, words[6].begin};

    // Every cell of each column, [begin, end) in bytes, the heading's first.
    constexpr std::size_t kCols = 7;
    constexpr bool kRight[kCols] = {true, true, false, true, true, false, false};
    std::vector<std::pair<std::size_t, std::size_t>> cells[kCols];
    for (std::size_t k = 0; k < kCols; ++k) cells[k].push_back({words[k].begin, words[k].end});
    for (std::size_t i = 1; i < ls.size(); ++i) {
        std::string_view line = ls[i];
        if (with_marker) {
            auto rest = without_marker(line);
            if (!rest) continue;
            line = *rest;
        }
        TableRow r;
        std::size_t begins[5], ends[5];
        if (!number_cells(line, r, begins, ends)) continue;
        cut_match_note(line);
        for (std::size_t k = 0; k < 5; ++k) cells[k].push_back({begins[k], ends[k]});
        // Name and File: text that starts where its heading does, and is followed by blanks up to
        // the next column.
        for (std::size_t k : {5, 6}) {
            const std::size_t from = k == 5 ? cols.name : cols.file;
            const std::size_t to = k == 5 ? cols.file - 1 : std::string_view::npos;
            if (from >= line.size()) continue;
            const std::string cell = padded_cell(line, from, to);
            if (line[from - 1] != ' ' || cell.starts_with(' '))
                problems.push_back(kMapColumns[k] + " does not start under its heading: '" + ls[i] +
                                   "'");
            if (!cell.empty()) cells[k].push_back({from, from + cell.size()});
            if (k == 5 && to < line.size() && line[to] != ' ')
                problems.push_back("Name runs into File: '" + ls[i] + "'");
        }
        if (ends[4] >= cols.name && ends[4] < line.size())
            problems.push_back("Offset runs into Name: '" + ls[i] + "'");
    }
    std::size_t previous_end = 0;
    for (std::size_t k = 0; k < kCols; ++k) {
        std::size_t lo = std::string::npos, hi = 0;
        for (auto [b, e] : cells[k]) lo = std::min(lo, b), hi = std::max(hi, e);
        for (auto [b, e] : cells[k]) {
            if (kRight[k] && e != hi)
                problems.push_back(kMapColumns[k] + " has a cell that is not right-aligned");
            if (!kRight[k] && b != lo)
                problems.push_back(kMapColumns[k] + " has a cell that is not left-aligned");
        }
        const std::size_t want_lo = k == 0 ? 0 : previous_end + 1;
        if (lo != want_lo)
            problems.push_back(kMapColumns[k] + " starts at byte " + std::to_string(lo) + ", not " +
                               std::to_string(want_lo) +
                               " (one blank after the widest cell of the column before it)");
        previous_end = hi;
    }
    return problems;
}

// ---- the default view as JSON --------------------------------------------------------------

// The keys of a row of mappings[], in order, without a filter (with one, "match" and for an
// address's row "match_offset" follow).
inline const std::vector<std::string> kRowKeys = {
    "start", "end",  "perms",   "size",   "offset",      "dev",  "inode",
    "name",  "path", "deleted", "object", "name_source", "role", "in_core"};

// The keys of each row of mappings[], in the order the CLI wrote them.
inline std::vector<std::vector<std::string>> row_keys(const RunResult& r) {
    std::vector<std::vector<std::string>> out;
    const auto doc = nlohmann::ordered_json::parse(r.out);
    for (const auto& m : doc.at("mappings")) {
        out.emplace_back();
        for (const auto& [key, value] : m.items()) out.back().push_back(key);
    }
    return out;
}

// A row of the JSON's mappings[] holds what /proc/PID/maps said of it.
inline void expect_json_row(const nlohmann::json& m, const ProcRow& p) {
    EXPECT_EQ(m["start"], to_hex(p.start));
    EXPECT_EQ(m["end"], to_hex(p.end));
    EXPECT_EQ(m["perms"], p.perms);
    EXPECT_EQ(m["size"], p.size());
    EXPECT_EQ(m["offset"], p.offset);
    EXPECT_EQ(m["dev"], p.dev);
    EXPECT_EQ(m["inode"], p.inode);
    EXPECT_EQ(m["deleted"], p.deleted);
    EXPECT_EQ(m["path"], p.kernel_name() ? "" : p.path);
}

}  // namespace vmtest
