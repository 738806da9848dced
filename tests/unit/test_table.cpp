// The table writer: its layout rules, written by hand, and every table it streams (measured in a
// first pass of its rows, written in a second) against the plain way to lay out a table, which
// keeps every cell until all are known (reference() below).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "render/safe_text.hpp"
#include "render/table.hpp"

namespace vmatlas {
namespace {

// A cell as a test gives it: its text and its width on a terminal.
struct TestCell {
    std::string text;
    std::size_t width;
};
TestCell cell_of(std::string text) {
    const std::size_t width = text.size();
    return {std::move(text), width};
}

struct TestRow {
    std::string color;  // "" for none
    std::vector<TestCell> cells;
    bool is_line = false;  // a line() of cells[0]'s text
};

// The plain way: every cell kept; each column as wide as its widest cell and its header, but a
// left-aligned last column, which is as wide as its header (the blanks after its text are
// dropped, and a note after it follows its header's width); one blank between columns; no blanks
// at the end of a line but an empty right-aligned cell's.
std::string reference(const std::vector<Column>& columns, const std::vector<TestRow>& rows,
                      std::string_view reset, bool header = true) {
    const std::size_t n = columns.size();
    std::vector<std::size_t> widths(n);
    for (std::size_t c = 0; c < n; ++c) widths[c] = columns[c].header.size();
    for (const TestRow& r : rows) {
        if (r.is_line) continue;
        for (std::size_t c = 0; c < r.cells.size() && c < n; ++c)
            if (c + 1 < n || columns[c].align == Align::Right)
                widths[c] = std::max(widths[c], r.cells[c].width);
    }
    auto lay_out = [&](const std::vector<TestCell>& cells, std::string_view color) {
        std::string line(color);
        std::size_t content = line.size();
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const TestCell& cell = cells[c];
            if (c >= n) {
                if (!cell.text.empty()) line += ' ' + cell.text, content = line.size();
                continue;
            }
            if (c > 0) line += ' ';
            const std::size_t fill = widths[c] > cell.width ? widths[c] - cell.width : 0;
            if (columns[c].align == Align::Right) {
                line += std::string(fill, ' ') + cell.text;
                content = line.size();
            } else {
                line += cell.text;
                if (!cell.text.empty()) content = line.size();
                line += std::string(fill, ' ');
            }
        }
        line.resize(content);
        if (!color.empty()) line += reset;
        return line + "\n";
    };
    std::string out;
    if (header) {
        std::vector<TestCell> cells;
        for (const Column& c : columns) cells.push_back(cell_of(std::string(c.header)));
        out += lay_out(cells, "");
    }
    for (const TestRow& r : rows)
        out += r.is_line ? r.cells[0].text + "\n" : lay_out(r.cells, r.color);
    return out;
}

// The same rows through Table.
std::string streamed(const std::vector<Column>& columns, const std::vector<TestRow>& rows,
                     std::string_view reset, bool header = true) {
    Table t(columns);
    if (!header) t.hide_header();
    std::string out;
    t.write(out, reset, [&](Table& table) {
        for (const TestRow& r : rows) {
            if (r.is_line) {
                table.line(r.cells[0].text);
                continue;
            }
            table.begin_row(r.color);
            for (const TestCell& c : r.cells) table.cell(c.text, c.width);
        }
    });
    return out;
}

// The layout rules, written by hand: no blanks at the end of a line (an empty left-aligned
// cell last, or left-aligned blanks before nothing), an empty right-aligned cell keeps its
// blanks, notes after the last column, a cell whose bytes outnumber its width (UTF-8), a
// coloured row, a line of its own.
TEST(Table, LayoutRules) {
    const std::vector<Column> cols = {{"R"}, {"Left", Align::Left}, {"Last", Align::Left}};
    const std::vector<TestRow> rows = {
        {"", {cell_of("1"), cell_of("ab"), cell_of("")}},
        {"", {cell_of("")}},
        {"", {cell_of("2"), cell_of("x"), cell_of("y"), cell_of(""), cell_of("note")}},
        {"", {cell_of("3"), {"\u25ba", 1}, cell_of("z")}},
        {"<c>", {cell_of("4")}},
        {"", {cell_of("a line of its own")}, true},
    };
    // "Left" and "Last" are as wide as their headers: the cells are narrower.
    constexpr std::string_view kExpected =
        "R Left Last\n"
        "1 ab\n"
        " \n"
        "2 x    y    note\n"
        "3 \u25ba    z\n"
        "<c>4</c>\n"
        "a line of its own\n";
    EXPECT_EQ(streamed(cols, rows, "</c>"), kExpected);
    EXPECT_EQ(reference(cols, rows, "</c>"), kExpected);
}

// A column is as wide as its widest cell or its header; the last column, left-aligned, is as
// wide as its header, so a note after it stands after the header's width. A right-aligned last
// column is as wide as its widest cell.
TEST(Table, WidthsAndTheLastColumn) {
    const std::vector<Column> cols = {{"Start"}, {"Name", Align::Left}, {"File", Align::Left}};
    const std::vector<TestRow> rows = {
        {"", {cell_of("0x400000"), cell_of("text"), cell_of("/bin/prog")}},
        {"", {cell_of("0x7fffffffe000"), cell_of("[stack]"), cell_of(""), cell_of(" +0x10")}},
        {"", {cell_of("0x0"), cell_of(""), cell_of("/a/much/longer/file"), cell_of(" +0x0")}},
    };
    EXPECT_EQ(streamed(cols, rows, ""),
              "         Start Name    File\n"
              "      0x400000 text    /bin/prog\n"
              "0x7fffffffe000 [stack]       +0x10\n"
              "           0x0         /a/much/longer/file  +0x0\n");
    EXPECT_EQ(
        streamed({{"A", Align::Left}, {"B"}},
                 {{"", {cell_of("x"), cell_of("1")}}, {"", {cell_of("y"), cell_of("1234")}}}, ""),
        "A    B\n"
        "x    1\n"
        "y 1234\n");
}

// A cell with no row open (the first, or one after a line) starts a row.
TEST(Table, CellWithoutARowStartsOne) {
    Table t({{"N"}, {"Name", Align::Left}});
    t.hide_header();
    std::string out;
    t.write(out, "", [](Table& table) {
        table.cell("1");
        table.text_cell("one");
        table.line("between");
        table.cell("2");
        table.text_cell("two");
    });
    EXPECT_EQ(out, "1 one\nbetween\n2 two\n");
}

// ASCII cells written where they go, short (on the stack) and long; untrusted text escaped, its
// width the escaped text's.
TEST(Table, AsciiAndTextCells) {
    const std::string long_cell(100, '7');
    Table t({{"A"}, {"T", Align::Left}, {"Z", Align::Left}});
    std::string out;
    t.write(out, "", [&](Table& table) {
        table.begin_row();
        table.ascii_cell(3, [](char* p) { std::memcpy(p, "123", 3); });
        table.text_cell("a\x1b[31m");
        table.text_cell("z");
        table.begin_row();
        table.ascii_cell(long_cell.size(),
                         [&](char* p) { std::memcpy(p, long_cell.data(), long_cell.size()); });
        table.text_cell("plain");
        table.text_cell("back\\slash");
    });
    EXPECT_EQ(out, std::string(99, ' ') + "A T         Z\n" + std::string(97, ' ') +
                       "123 a\\x1b[31m z\n" + long_cell + " plain     back\\\\slash\n");
}

TEST(Table, FlushesEveryChunk) {
    Table t({{"N"}, {"Text", Align::Left}});
    const std::string text(1000, 'x');
    std::size_t flushed = 0, calls = 0;
    std::string out;
    t.write(
        out, "",
        [&](Table& table) {
            for (int i = 0; i < 3000; ++i) {
                table.begin_row();
                table.cell(std::to_string(i));
                table.text_cell(text);
            }
        },
        [&](std::string& s) {
            ++calls;
            EXPECT_GE(s.size(), Table::kFlushBytes);
            EXPECT_LT(s.size(), Table::kFlushBytes + 1006);  // flushed at the first row past it
            flushed += s.size();
            s.clear();
        });
    // The header, then rows of 1006 bytes; a flush after each row that fills a chunk.
    std::size_t expected_calls = 0, held = std::string_view("   N Text\n").size();
    for (int i = 0; i < 3000; ++i) {
        held += 1006;
        if (held >= Table::kFlushBytes) ++expected_calls, held = 0;
    }
    EXPECT_GT(expected_calls, 2u);
    EXPECT_EQ(calls, expected_calls);
    EXPECT_EQ(out.size(), held);
    EXPECT_EQ(flushed + out.size(),
              std::string_view("   N Text\n").size() + 3000 * (4 + 1 + 1000 + 1));
}

// Padding of every length, before a right-aligned cell and after a left-aligned one, with a
// note after the last column.
TEST(Table, PaddingOfEveryLength) {
    const std::vector<Column> cols = {{"R"}, {"L", Align::Left}, {"Z", Align::Left}};
    for (std::size_t width = 1; width <= 80; ++width) {
        const std::string wide(width, 'w');
        const std::vector<TestRow> rows = {
            {"", {cell_of(wide), cell_of(wide), cell_of("z")}},
            {"", {cell_of("1"), cell_of("2"), cell_of("3"), cell_of("note")}},
        };
        const std::string pad(width - 1, ' ');
        const std::string expected = pad + "R L" + pad + " Z\n" + wide + " " + wide + " z\n" + pad +
                                     "1 2" + pad + " 3 note\n";
        EXPECT_EQ(streamed(cols, rows, ""), expected) << width;
        EXPECT_EQ(reference(cols, rows, ""), expected) << width;
    }
}

// Long cells, and one whose bytes outnumber its width many times over: the text grows past the
// room taken for a row.
TEST(Table, LongCells) {
    const std::string long_text(300, 'z');
    Table t({{"R"}, {"L", Align::Left}, {"Z", Align::Left}});
    t.hide_header();
    std::string out;
    t.write(out, "", [&](Table& table) {
        for (int i = 0; i < 100; ++i) {
            table.begin_row();
            table.cell(long_text);
            table.cell(long_text, 1);
            table.text_cell(long_text);
            table.cell("note");
        }
    });
    const std::string row = long_text + " " + long_text + " " + long_text + " note\n";
    ASSERT_EQ(out.size(), 100 * row.size());
    EXPECT_EQ(out.substr(0, row.size()), row);
    EXPECT_EQ(out.substr(99 * row.size()), row);
}

// Text already in out stays; a table of many rows grows its text well past the first room it
// takes.
TEST(Table, AppendsToTextAlreadyThere) {
    Table t({{"N"}, {"Text", Align::Left}});
    std::string out = "title\n";
    t.write(out, "", [](Table& table) {
        for (int i = 0; i < 20000; ++i) {
            table.begin_row();
            table.cell(std::to_string(i));
            table.cell("row");
        }
    });
    ASSERT_EQ(out.substr(0, 17), "title\n    N Text\n");
    EXPECT_EQ(out.substr(17, 10), "    0 row\n");
    EXPECT_EQ(out.substr(out.size() - 10), "19999 row\n");
    EXPECT_EQ(out.size(), 17 + 20000 * 10u);
}

// Streamed tables of random cells against the plain way: every alignment, empty cells, notes,
// escaped-looking and multi-byte cells, colours and lines between rows.
TEST(Table, StreamedAsThePlainWayLaysOut) {
    std::mt19937 rng(1234);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    const std::vector<TestCell> kinds = {
        cell_of(""),      cell_of("x"),           cell_of("12345"),
        {"\u25ba", 1},    cell_of("a b c d e f"), {"\u00e9t\u00e9", 3},
        cell_of("0x7f00")};
    for (int round = 0; round < 200; ++round) {
        std::vector<Column> cols;
        const std::size_t n = 1 + pick(5);
        for (std::size_t c = 0; c < n; ++c)
            cols.push_back({pick(2) ? "Head" : "", pick(2) ? Align::Left : Align::Right});
        std::vector<TestRow> rows;
        for (std::size_t r = pick(12); r > 0; --r) {
            if (pick(8) == 0) {
                rows.push_back({"", {cell_of("line " + std::to_string(r))}, true});
                continue;
            }
            TestRow row{pick(3) == 0 ? "<c>" : ""};
            for (std::size_t c = 1 + pick(n + 2); c > 0; --c)
                row.cells.push_back(kinds[pick(kinds.size())]);
            rows.push_back(row);
        }
        const bool header = pick(4) != 0;
        ASSERT_EQ(streamed(cols, rows, "</c>", header), reference(cols, rows, "</c>", header))
            << "round " << round;
    }
}

}  // namespace
}  // namespace vmatlas
