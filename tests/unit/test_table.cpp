// The table writer: typed cells (hex, decimal, escaped text) give the same text in every way a
// table is filled: buffered, streamed in two passes, and streamed after widen().
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "render/table.hpp"

namespace vmatlas {
namespace {

struct Row {
    std::uint64_t address, size, count;
    std::string_view name, file;
};

const std::vector<Row> kRows = {
    {0x400000, 0x1000, 7, "text", "/bin/prog"},
    {0x7fffffffe000, 0x21000, 123456, "[stack]", ""},
    {0, 0, 0, "", "a\x1b[31mred\nline"},  // escaped: \x1b and \n
    {0xffffffffffffffff, 0xffffffffffffffff, 18446744073709551615u, "wide \\ name", "last"},
};

std::vector<Column> columns() {
    return {{"Start"}, {"Size"}, {"Count"}, {"Name", Align::Left}, {"File", Align::Left}};
}

// Fills a table with emit both ways, buffered and streamed in two passes, and checks that both
// give `expected`.
template <typename Emit>
void expect_both_ways(const std::vector<Column>& cols, Emit&& emit, std::string_view reset,
                      std::string_view expected, const std::string& context = "") {
    Table buffered(cols);
    emit(buffered);
    std::string out;
    buffered.render(out, reset);
    EXPECT_EQ(out, expected) << "buffered " << context;
    Table streamed(cols);
    std::string out2;
    streamed.stream(out2, reset, emit);
    EXPECT_EQ(out2, expected) << "streamed " << context;
}

void emit(Table& t) {
    for (const Row& r : kRows) {
        t.begin_row();
        t.hex_cell(r.address, {.prefix = true});
        t.hex_cell(r.size);
        t.decimal_cell(r.count);
        t.text_cell(r.name);
        t.text_cell(r.file);
    }
}

// What the columns must look like, written by hand.
constexpr std::string_view kExpected =
    "             Start             Size                Count Name         File\n"
    "          0x400000             1000                    7 text         /bin/prog\n"
    "    0x7fffffffe000            21000               123456 [stack]\n"
    "               0x0                0                    0              a\\x1b[31mred\\nline\n"
    "0xffffffffffffffff ffffffffffffffff 18446744073709551615 wide \\\\ name last\n";

TEST(Table, TypedCellsBufferedAndStreamedInTwoPasses) {
    expect_both_ways(columns(), emit, "", kExpected);
}

TEST(Table, TypedCellsStreamedAfterWiden) {
    Table t(columns());
    t.widen(0, 18);
    t.widen(1, 16);
    t.widen(2, 20);
    t.widen(3, 12);  // "wide \\\\ name": the backslash escaped
    std::string out;
    t.stream_measured(out, "", emit);
    EXPECT_EQ(out, kExpected);
}

// The styles pmap uses: upper-case, zero-padded addresses and sizes with a suffix ("K", "*").
TEST(Table, HexStylesAndSuffixes) {
    auto emit_styled = [](Table& t) {
        t.begin_row();
        t.hex_cell(0x7ffdabc000, {.upper = true, .min_digits = 16});
        t.decimal_cell(388, "K");
        t.hex_cell(0x2000, {}, "*");
        t.decimal_cell(0, "K*");
        t.begin_row();
        t.hex_cell(0x1000, {.upper = true, .min_digits = 16});
        t.decimal_cell(4, "K");
        t.hex_cell(0x1f, {.prefix = true, .min_digits = 4});
        t.decimal_cell(12);
    };
    constexpr std::string_view kStyled =
        "               A    B      C   D\n"
        "0000007FFDABC000 388K  2000* 0K*\n"
        "0000000000001000   4K 0x001f  12\n";
    expect_both_ways({{"A"}, {"B"}, {"C"}, {"D"}}, emit_styled, "", kStyled);
}

TEST(Table, StreamedFlushesEveryChunk) {
    Table t({{"N"}, {"Text", Align::Left}});
    const std::string text(1000, 'x');
    std::size_t flushed = 0, calls = 0;
    std::string out;
    t.stream(
        out, "",
        [&](Table& table) {
            for (int i = 0; i < 3000; ++i) {
                table.begin_row();
                table.decimal_cell(static_cast<std::uint64_t>(i));
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

// The layout rules, the same whichever way the table is filled: no blanks at the end of a line
// (an empty left-aligned cell last, or left-aligned blanks before nothing), an empty
// right-aligned cell keeps its blanks, notes after the last column, a cell whose bytes outnumber
// its width (escaped or UTF-8 text), and cells wider than their column.
TEST(Table, LayoutRules) {
    const std::vector<Column> cols = {{"R"}, {"Left", Align::Left}, {"Last", Align::Left}};
    auto emit = [&](Table& t) {
        t.begin_row();  // a left-aligned cell, then nothing: its blanks are dropped
        t.cell("1");
        t.cell("ab");
        t.cell("");
        t.begin_row();  // an empty right-aligned cell last: its blanks stay
        t.cell("");
        t.begin_row();  // notes: after one blank; an empty one adds nothing
        t.cell("2");
        t.cell("x");
        t.cell("y");
        t.cell("");
        t.cell("note");
        t.begin_row();  // three bytes, one column wide
        t.cell("3");
        t.cell("\u25ba", 1);
        t.cell("z");
        t.begin_row("<c>");  // coloured: the reset ends the row
        t.cell("4");
        t.line("a line of its own");
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
    expect_both_ways(cols, emit, "</c>", kExpected);
}

// A streamed cell with no row open (the first, or one after a line) starts a row, with the
// room a row needs, instead of writing where no room was taken.
TEST(Table, StreamedCellWithoutARowStartsOne) {
    Table t({{"N"}, {"Name", Align::Left}});
    t.hide_header();
    std::string out;
    t.stream_measured(out, "", [](Table& table) {
        table.decimal_cell(1);
        table.text_cell("one");
        table.line("between");
        table.hex_cell(0x2);
        table.text_cell("two");
    });
    EXPECT_EQ(out, "1 one\nbetween\n2 two\n");
}

// Padding of every length, past the 32 blanks written at a time and exactly 32, before a
// right-aligned cell and after a left-aligned one, with a note after the last column.
TEST(Table, PaddingOfEveryLength) {
    for (std::size_t width = 1; width <= 80; ++width) {
        const std::string wide(width, 'w');
        auto emit = [&](Table& t) {
            t.begin_row();
            t.cell(wide);
            t.cell(wide);
            t.cell("z");
            t.begin_row();
            t.cell("1");
            t.cell("2");
            t.cell("3");
            t.cell("note");
        };
        const std::string pad(width - 1, ' ');
        const std::string expected = std::string(width - 1, ' ') + "R L" + pad + " Z\n" + wide +
                                     " " + wide + " z\n" + pad + "1 2" + pad + " 3 note\n";
        expect_both_ways({{"R"}, {"L", Align::Left}, {"Z", Align::Left}}, emit, "", expected,
                         "width " + std::to_string(width));
    }
}

// A cell wider than its column, in bytes or in width, as a caller that measured too little
// would give it, or the last column's long text: the row grows past the room it was given,
// never past the buffer (the sanitizer build sees a write past the string's allocation).
TEST(Table, CellsWiderThanTheirColumn) {
    const std::string long_text(300, 'z');
    Table narrow({{"R"}, {"L", Align::Left}, {"Z", Align::Left}});
    narrow.hide_header();
    std::string out;
    narrow.stream_measured(out, "", [&](Table& t) {
        for (int i = 0; i < 100; ++i) {
            t.begin_row();
            t.cell(long_text);
            t.cell(long_text, 1);
            t.text_cell(long_text);
            t.cell("note");
        }
    });
    const std::string row = long_text + " " + long_text + " " + long_text + " note\n";
    ASSERT_EQ(out.size(), 100 * row.size());
    EXPECT_EQ(out.substr(0, row.size()), row);
    EXPECT_EQ(out.substr(99 * row.size()), row);
}

// Rows are written in place (the columns blanked at once, each cell at its column) until a cell
// does not fit: from there on, cell after cell. Both give the same text: a first or a middle
// cell wider than its column moves the rest of the row, and so does one with more bytes than
// columns; an empty right-aligned cell keeps its blanks; a short row ends at its last text.
TEST(Table, RowsInPlaceUntilACellDoesNotFit) {
    Table t({{"A"}, {"B", Align::Left}, {"C"}, {"D", Align::Left}});
    t.hide_header();
    t.widen(0, 3);
    t.widen(1, 3);
    t.widen(2, 3);
    std::string out;
    t.stream_measured(out, "</c>", [](Table& table) {
        auto row = [&](std::initializer_list<std::string_view> cells) {
            table.begin_row();
            for (const std::string_view c : cells) table.cell(c);
        };
        row({"1", "b", "2", "d"});
        row({"12345", "b", "2", "d"});
        row({"1", "b", "23456", "d"});
        table.begin_row();
        table.cell("1");
        table.cell("\u00e9", 1);
        table.cell("2");
        table.cell("d");
        row({"1", "b"});
        row({"1", "", ""});
        table.begin_row("<c>");
        table.decimal_cell(1);
        table.text_cell("b");
        row({"1", "b", "2", "d", "note"});
        row({"1", "bbb", "222", "d"});
    });
    EXPECT_EQ(out,
              "  1 b     2 d\n"
              "12345 b     2 d\n"
              "  1 b   23456 d\n"
              "  1 \u00e9     2 d\n"
              "  1 b\n"
              "  1        \n"  // 3 + 1 + 3 + 1 + 3 columns
              "<c>  1 b</c>\n"
              "  1 b     2 d note\n"
              "  1 bbb 222 d\n");
}

// write_row(): the cells placed in their columns by hand give what the typed cells give; a
// cell that does not fit (escaped text, or wider than measured) hands the row, from that column
// on, to the general path; put_in_place() refuses a call out of place.
TEST(Table, RowsWrittenInPlaceGiveWhatTheTypedCellsGive) {
    auto place_row = [](Table& t, const Row& r) {
        auto put_hex = [&](std::size_t c, std::uint64_t v, bool prefix) {
            const std::size_t digits = static_cast<std::size_t>(hex_digits(v));
            return t.put_in_place(c, digits + (prefix ? 2 : 0), [&](char* at) {
                if (prefix) at[0] = '0', at[1] = 'x', at += 2;
                put_hex_before(at + digits, v, static_cast<int>(digits));
            });
        };
        auto put_text = [&](std::size_t c, std::string_view s) {
            return is_plain_text(s) && t.put_in_place(c, s.size(), [&](char* at) {
                std::memcpy(at, s.data(), s.size());
            });
        };
        t.write_row<5>(
            [&](auto c) {
                if constexpr (c == 0) return put_hex(c, r.address, true);
                if constexpr (c == 1) return put_hex(c, r.size, false);
                if constexpr (c == 2) {
                    const int digits = decimal_digits(r.count);
                    return t.put_in_place(c, static_cast<std::size_t>(digits), [&](char* at) {
                        put_decimal_before(at + digits, r.count, digits);
                    });
                }
                if constexpr (c == 3) return put_text(c, r.name);
                return false;
            },
            [&](std::size_t c) {
                switch (c) {
                    case 0:
                        return t.hex_cell(r.address, {.prefix = true});
                    case 1:
                        return t.hex_cell(r.size);
                    case 2:
                        return t.decimal_cell(r.count);
                    case 3:
                        return t.text_cell(r.name);
                    default:
                        return t.text_cell(r.file);
                }
            });
    };
    for (const std::size_t name_width : {12u, 4u}) {  // 4: "[stack]" and two more do not fit
        Table t(columns());
        t.widen(0, 18);
        t.widen(1, 16);
        t.widen(2, 20);
        t.widen(3, name_width);
        std::string out, typed;
        t.stream_measured(out, "", [&](Table& table) {
            for (const Row& r : kRows) {
                table.begin_row();
                place_row(table, r);
            }
        });
        Table u(columns());
        u.widen(0, 18);
        u.widen(1, 16);
        u.widen(2, 20);
        u.widen(3, name_width);
        u.stream_measured(typed, "", emit);
        EXPECT_EQ(out, typed) << name_width;
        if (name_width == 12) EXPECT_EQ(out, kExpected);
    }
    Table t(columns());
    std::string out;
    bool placed = true;
    t.stream_measured(out, "", [&](Table& table) {
        placed = table.put_in_place(0, 1, [](char*) {});  // no row begun
        table.begin_row();
        placed = placed || table.put_in_place(4, 1, [](char*) {});  // the last column
        table.text_cell("x");
    });
    EXPECT_FALSE(placed);
    EXPECT_EQ(out, "Start Size Count Name File\n    x\n");
}

}  // namespace
}  // namespace vmatlas
