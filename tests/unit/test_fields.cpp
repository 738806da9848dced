// The field layer: every spelling of every kind of value in a table, JSON and CSV, written by
// hand; the width of an ASCII cell, found before it is written, against what is written; a
// field list's table (FieldTable, compiled for the list) against the plain way, table_cell() of
// each field in turn.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "render/fields.hpp"

namespace vmatlas {
namespace {

constexpr std::uint64_t kMax = ~std::uint64_t{0};

std::string cell_text(Spelling spelling, const Value& v, const TableStyle& style = {},
                      Type type = Type::Number) {
    std::string out;
    const std::size_t width = append_cell(out, type, spelling, v, style);
    if (is_ascii_cell(spelling, v)) {
        EXPECT_EQ(width, out.size()) << out;
        EXPECT_EQ(width, ascii_width(spelling, v, style)) << out;
    }
    return out;
}

TEST(Fields, TableSpellings) {
    EXPECT_EQ(cell_text(Spelling::PrefixedHex, {.n = 0}), "0x0");
    EXPECT_EQ(cell_text(Spelling::PrefixedHex, {.n = 0x7f35f0a00000}), "0x7f35f0a00000");
    EXPECT_EQ(cell_text(Spelling::PrefixedHex, {.n = kMax}), "0xffffffffffffffff");
    EXPECT_EQ(cell_text(Spelling::Hex, {.n = 0}), "0");
    EXPECT_EQ(cell_text(Spelling::Hex, {.n = 0x21000}), "21000");
    EXPECT_EQ(cell_text(Spelling::PaddedHex, {.n = 0x7ffdabc000}, {.address_digits = 16}),
              "0000007FFDABC000");
    EXPECT_EQ(cell_text(Spelling::PaddedHex, {.n = 0x1000}, {.address_digits = 8}), "00001000");
    EXPECT_EQ(cell_text(Spelling::PaddedHex, {.n = 0x123456789}, {.address_digits = 8}),
              "123456789");  // wider than the padding: every digit
    EXPECT_EQ(cell_text(Spelling::Decimal, {.n = 0}), "0");
    EXPECT_EQ(cell_text(Spelling::Decimal, {.n = kMax}), "18446744073709551615");
    EXPECT_EQ(cell_text(Spelling::KiB, {.n = 1023}), "0K");
    EXPECT_EQ(cell_text(Spelling::KiB, {.n = 388 * 1024 + 5}), "388K");
    EXPECT_EQ(cell_text(Spelling::KiBOrDash, {.n = 0}), "-");
    EXPECT_EQ(cell_text(Spelling::KiBOrDash, {.n = 1023}), "-");
    EXPECT_EQ(cell_text(Spelling::KiBOrDash, {.n = 4096}), "4");
    EXPECT_EQ(cell_text(Spelling::YesNo, {.n = 1}, {}, Type::Bool), "yes");
    EXPECT_EQ(cell_text(Spelling::YesNo, {.n = 0}, {}, Type::Bool), "no");
    EXPECT_EQ(cell_text(Spelling::OneZero, {.n = 1}, {}, Type::Bool), "1");
    EXPECT_EQ(cell_text(Spelling::OneZero, {.n = 0}, {}, Type::Bool), "0");
    EXPECT_EQ(cell_text(Spelling::Plain, {.s = "r-xp"}, {}, Type::Text), "r-xp");
    EXPECT_EQ(cell_text(Spelling::Text, {.s = "/lib/a b.so"}, {}, Type::Text), "/lib/a b.so");
    EXPECT_EQ(cell_text(Spelling::Text, {.s = "a\x1b[31m\\"}, {}, Type::Text), "a\\x1b[31m\\\\");
}

// A text cell's width is its width on a terminal, not its bytes.
TEST(Fields, TextWidthIsColumns) {
    std::string out;
    EXPECT_EQ(append_cell(out, Type::Text, Spelling::Text, {.s = "\u00e9t\u00e9"}, {}), 3u);
    EXPECT_EQ(out, "\u00e9t\u00e9");
}

TEST(Fields, ElfdumpSpelling) {
    EXPECT_EQ(cell_text(Spelling::Elfdump, {.n = 0}), "0");
    EXPECT_EQ(cell_text(Spelling::Elfdump, {.n = 0x1000}), "0x1000");
    EXPECT_EQ(cell_text(Spelling::Elfdump, {.n = 0}, {}, Type::Address), "0");
    EXPECT_EQ(cell_text(Spelling::Elfdump, {.n = 0x400040}, {}, Type::Address), "0x400040");
    EXPECT_EQ(cell_text(Spelling::Elfdump, {.s = "PT_LOAD"}, {}, Type::Text), "[ PT_LOAD ]");
    EXPECT_EQ(cell_text(Spelling::Elfdump, {.s = "PF_X PF_R"}, {}, Type::Words), "[ PF_X PF_R ]");
    EXPECT_EQ(cell_text(Spelling::Elfdump, {.s = ""}, {}, Type::Words), "[ 0 ]");
}

// '*' marks a marked value only in a view that explains the mark; a value the target does not
// have is the view's word for it, whatever the spelling.
TEST(Fields, MarksAndUnknownValues) {
    const TableStyle marking{.marks = true};
    EXPECT_EQ(cell_text(Spelling::Hex, {.n = 0x1000, .marked = true}, marking), "1000*");
    EXPECT_EQ(cell_text(Spelling::Hex, {.n = 0x1000, .marked = true}), "1000");
    EXPECT_EQ(cell_text(Spelling::KiB, {.n = 4096, .marked = true}, marking), "4K*");
    EXPECT_EQ(cell_text(Spelling::KiBOrDash, {.n = 0, .marked = true}, marking), "-*");
    EXPECT_EQ(cell_text(Spelling::KiBOrDash, {.n = 8192, .marked = true}, marking), "8*");
    EXPECT_EQ(cell_text(Spelling::PaddedHex, {.n = 1, .marked = true},
                        {.address_digits = 8, .marks = true}),
              "00000001*");
    for (const Spelling s : {Spelling::Hex, Spelling::KiBOrDash, Spelling::Text, Spelling::OneZero,
                             Spelling::Elfdump}) {
        EXPECT_EQ(cell_text(s, {.known = false}), "?");
        EXPECT_EQ(cell_text(s, {.known = false}, {.unknown = "-"}), "-");
    }
}

// For every ASCII spelling and numbers of every length, marked or not: the width found before
// writing is the number of bytes written, each one column wide.
TEST(Fields, WidthsWithoutWriting) {
    std::vector<std::uint64_t> numbers = {0, 1, 9, 10, 1023, 1024, 1025, kMax};
    for (int bit = 1; bit < 64; ++bit) {
        const std::uint64_t p = std::uint64_t{1} << bit;
        numbers.insert(numbers.end(), {p - 1, p, p + 1, p * 10 / 8});
    }
    for (std::uint64_t p = 10; p < kMax / 10; p *= 10) numbers.insert(numbers.end(), {p - 1, p});
    const Spelling kAscii[] = {Spelling::PrefixedHex, Spelling::Hex,    Spelling::PaddedHex,
                               Spelling::Decimal,     Spelling::KiB,    Spelling::KiBOrDash,
                               Spelling::YesNo,       Spelling::OneZero};
    for (const Spelling s : kAscii) {
        for (const std::uint64_t n : numbers) {
            for (const bool marked : {false, true}) {
                const Value v{.n = n, .marked = marked};
                const TableStyle style{.address_digits = 8, .marks = true};
                std::string out;
                const std::size_t width = append_cell(out, Type::Number, s, v, style);
                ASSERT_EQ(width, out.size()) << out;
                ASSERT_EQ(width, ascii_width(s, v, style)) << out;
                ASSERT_EQ(out.find('\0'), std::string::npos) << static_cast<int>(s) << " " << n;
            }
        }
    }
}

std::string json_of(Type type, const Value& v) {
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    json_value(w, type, v);
    w.end_array();
    return out;
}

TEST(Fields, JsonValues) {
    EXPECT_EQ(json_of(Type::Address, {.n = 0x7f35f0a00000}), "[\"0x7f35f0a00000\"]");
    EXPECT_EQ(json_of(Type::Address, {.n = kMax}), "[\"0xffffffffffffffff\"]");
    EXPECT_EQ(json_of(Type::Number, {.n = kMax}), "[18446744073709551615]");
    EXPECT_EQ(json_of(Type::Bool, {.n = 1}), "[true]");
    EXPECT_EQ(json_of(Type::Bool, {.n = 0}), "[false]");
    EXPECT_EQ(json_of(Type::Text, {.s = "a\"b\n"}), "[\"a\\\"b\\n\"]");
    EXPECT_EQ(json_of(Type::Text, {.s = ""}), "[\"\"]");
    EXPECT_EQ(json_of(Type::OptText, {.s = ""}), "[null]");
    EXPECT_EQ(json_of(Type::OptText, {.s = "elf"}), "[\"elf\"]");
    EXPECT_EQ(json_of(Type::Words, {.s = "PF_X PF_R"}), "[[\"PF_X\",\"PF_R\"]]");
    EXPECT_EQ(json_of(Type::Words, {.s = ""}), "[[]]");
    for (const Type t :
         {Type::Address, Type::Number, Type::Bool, Type::Text, Type::OptText, Type::Words})
        EXPECT_EQ(json_of(t, {.n = 1, .s = "x", .known = false}), "[null]");
}

std::string csv_of(Type type, const Value& v) {
    std::string out;
    csv_value(out, type, v);
    return out;
}

TEST(Fields, CsvValues) {
    EXPECT_EQ(csv_of(Type::Address, {.n = 0}), "0x0");
    EXPECT_EQ(csv_of(Type::Address, {.n = 0x7f35f0a00000}), "0x7f35f0a00000");
    EXPECT_EQ(csv_of(Type::Number, {.n = 155648}), "155648");
    EXPECT_EQ(csv_of(Type::Bool, {.n = 1}), "true");
    EXPECT_EQ(csv_of(Type::Bool, {.n = 0}), "false");
    EXPECT_EQ(csv_of(Type::Text, {.s = "/lib/a.so"}), "/lib/a.so");
    EXPECT_EQ(csv_of(Type::Text, {.s = "a,\"b\""}), "\"a,\"\"b\"\"\"");
    EXPECT_EQ(csv_of(Type::OptText, {.s = "a\x1b"}), "a\\x1b");
    EXPECT_EQ(csv_of(Type::Words, {.s = "PF_X PF_R"}), "PF_X PF_R");
    for (const Type t :
         {Type::Address, Type::Number, Type::Bool, Type::Text, Type::OptText, Type::Words})
        EXPECT_EQ(csv_of(t, {.n = 1, .s = "x", .known = false}), "");
}

// ---- A list of fields ---------------------------------------------------------------------

struct TestRow {
    std::uint64_t address, size;
    std::string_view name;
    bool known = true;    // the size
    bool marked = false;  // the size
    bool deleted = false;
};

using TestField = Field<TestRow>;

constexpr TestField kAddress{.header = "Address",
                             .key = "address",
                             .type = Type::Address,
                             .spelling = Spelling::PrefixedHex,
                             .get = [](const TestRow& r) { return Value{.n = r.address}; }};
constexpr TestField kSize{.header = "Size",
                          .key = "size",
                          .type = Type::Number,
                          .spelling = Spelling::KiBOrDash,
                          .get = [](const TestRow& r) {
                              return Value{.n = r.size, .known = r.known, .marked = r.marked};
                          }};
constexpr TestField kName{.header = "Name",
                          .key = "name",
                          .align = Align::Left,
                          .type = Type::OptText,
                          .spelling = Spelling::Text,
                          .get = [](const TestRow& r) { return Value{.s = r.name}; }};
constexpr TestField kDeleted{.header = "Deleted",
                             .key = "deleted",
                             .align = Align::Left,
                             .type = Type::Bool,
                             .spelling = Spelling::YesNo,
                             .get = [](const TestRow& r) { return Value{.n = r.deleted}; }};

// A table and data fields in another order, as views have them.
constexpr TestField kFields[] = {kName.only(kInData),
                                 kAddress,
                                 kSize.spelled(Spelling::Hex).titled("Hex"),
                                 kSize,
                                 kDeleted,
                                 kSize.spelled(Spelling::Decimal).only(kInTable),
                                 kName.only(kInTable)};

const std::vector<TestRow> kRows = {
    {0x400000, 0x1000, "text"},
    {0x7fffffffe000, 0x21000, "[stack]", true, true, true},
    {0, 0, "", false},
    {kMax, kMax, "a\x1b[31mred", true, false, false},  // escaped in a middle column
    {0x10, 512, "\u00e9t\u00e9"},
};

TEST(Fields, ListsShowEachFieldWhereItIs) {
    std::vector<std::string_view> headers;
    for (const Column& c : table_columns(kFields)) headers.push_back(c.header);
    EXPECT_EQ(headers,
              (std::vector<std::string_view>{"Address", "Hex", "Size", "Deleted", "Size", "Name"}));
    std::string csv;
    csv_header(csv, kFields);
    csv += '\n';
    csv_fields(csv, kFields, kRows[1]);
    csv += '\n';
    csv_fields(csv, kFields, kRows[2]);
    EXPECT_EQ(csv,
              "name,address,size,size,deleted\n"
              "[stack],0x7fffffffe000,135168,135168,true\n"
              ",0x0,,,false");
    std::string json;
    JsonWriter w(json);
    w.begin_object();
    json_fields(w, kFields, kRows[2]);
    w.end_object();
    EXPECT_EQ(json,
              "{\"name\":null,\"address\":\"0x0\",\"size\":null,\"size\":null,"
              "\"deleted\":false}");
}

// The plain way to write the rows: table_cell() of each field in the table, in a loop.
std::string plain_table(const std::vector<TestRow>& rows, const TableStyle& style) {
    Table t(table_columns(kFields));
    std::string out;
    t.write(out, "", [&](Table& table) {
        for (const TestRow& r : rows) {
            table.begin_row();
            for (const TestField& f : kFields)
                if (f.in_table()) table_cell(table, f.type, f.spelling, f.get(r), style);
        }
    });
    return out;
}

std::string field_table(const std::vector<TestRow>& rows, const TableStyle& style) {
    Table t(table_columns(kFields));
    std::string out;
    t.write(out, "", [&](Table& table) {
        for (const TestRow& r : rows) {
            table.begin_row();
            FieldTable<kFields>::row(table, r, style);
        }
    });
    return out;
}

TEST(FieldTable, RowsAsThePlainWayWritesThem) {
    const TableStyle marking{.marks = true};
    EXPECT_EQ(field_table(kRows, marking),
              "           Address              Hex              Size Deleted                 Size"
              " Name\n"
              "          0x400000             1000                 4 no                      4096"
              " text\n"
              "    0x7fffffffe000           21000*              132* yes                  135168*"
              " [stack]\n"
              "               0x0                ?                 ? no                         ?\n"
              "0xffffffffffffffff ffffffffffffffff 18014398509481983 no      18446744073709551615"
              " a\\x1b[31mred\n"
              "              0x10              200                 - no                       512"
              " \u00e9t\u00e9\n");
    for (const TableStyle& style : {TableStyle{}, marking, TableStyle{.unknown = "-"}}) {
        EXPECT_EQ(field_table(kRows, style), plain_table(kRows, style));
        for (std::size_t k = 0; k < kRows.size(); ++k) {
            const std::vector<TestRow> one = {kRows[k]};
            EXPECT_EQ(field_table(one, style), plain_table(one, style)) << k;
        }
    }
}

// A table's own cells before and after the fields' (a marker, a note).
TEST(FieldTable, AfterAViewsOwnColumn) {
    std::vector<Column> columns{{"", Align::Left}};
    for (const Column& c : table_columns(kFields)) columns.push_back(c);
    Table t(std::move(columns));
    std::string out;
    t.write(out, "", [&](Table& table) {
        table.begin_row();
        table.cell("\u25ba", 1);
        FieldTable<kFields>::row(table, kRows[0], {});
        table.cell(" +0x10");
    });
    EXPECT_EQ(out,
              "   Address  Hex Size Deleted Size Name\n"
              "\u25ba 0x400000 1000    4 no      4096 text  +0x10\n");
}

}  // namespace
}  // namespace vmatlas
