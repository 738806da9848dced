// The field layer. Every column of every view is a Field, defined once: its table header, its
// JSON key (which is also its CSV header), its alignment, the type of its value, how the table
// spells that value, and how the value is read from a row. A view is a list of fields plus what
// is particular to it (a marker column, a totals line, a title).
//
// Values are written here and nowhere else:
//   - in a table: table_cell(), for every field's cell of every table (through FieldTable, the
//     one way a view writes its table); append_cell() for a value's text where it is part of
//     other text (a diff's Detail, elf's program headers);
//   - in JSON: json_value();
//   - in CSV: csv_value().
// Table, JsonWriter and the number and safe-text helpers are the low-level writers underneath.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "model/number_text.hpp"
#include "render/json_writer.hpp"
#include "render/safe_text.hpp"
#include "render/table.hpp"

namespace vmatlas {

// What a value is: how JSON and CSV write it.
enum class Type : std::uint8_t {
    Address,  // JSON "0x7f35f0a00000" (a string: JSON numbers lose 64 bits); CSV 0x7f35f0a00000
    Number,   // JSON number, CSV decimal: sizes, offsets, figures, counts
    Bool,     // JSON and CSV true or false
    Text,     // untrusted text: a JSON string; a CSV field, escaped and quoted where needed
    OptText,  // Text, null in JSON when empty
    Words,    // words separated by blanks: a JSON array of strings; one CSV field
};

// How the table spells a value.
enum class Spelling : std::uint8_t {
    PrefixedHex,  // "0x7f35f0a00000"
    Hex,          // "21000"
    PaddedHex,    // "00007F35F0A00000": zero-padded to TableStyle::address_digits, upper case
                  // unless TableStyle::upper_case_hex is false
    Decimal,      // "42"
    KiB,          // bytes in K: "388K"
    KiBOrDash,    // bytes in K: "388"; "-" for less than 1K
    YesNo,        // "yes", "no"
    OneZero,      // "1", "0"
    Text,         // escaped as append_safe() escapes it
    Plain,        // as it is: vmatlas's own printable ASCII ("r-xp")
    Elfdump,      // as elfdump: a number "0" or "0x1f", text "[ PT_LOAD ]", no words "[ 0 ]"
};

struct Value {
    std::uint64_t n = 0;  // Address, Number, Bool (0 or 1)
    std::string_view s;   // Text, OptText, Words
    bool known = true;    // false: the target does not have it (a smaps figure of a maps text)
    bool marked = false;  // a size whose bytes a core file does not all hold
};

// What a view's totals do with a field.
enum class Total : std::uint8_t {
    None,          // not added up: addresses, page sizes, flags, text
    Sum,           // added up
    SumOfFigures,  // added up; unknown when the target has no smaps figures
};

// Where a view shows a field.
enum Where : std::uint8_t { kInTable = 1, kInData = 2, kEverywhere = 3 };  // data: JSON and CSV

template <typename Row>
struct Field {
    using RowType = Row;
    using Getter = Value (*)(const Row&);

    std::string_view header;  // the table's column header
    std::string_view key;     // the JSON key and CSV column
    Align align = Align::Right;
    Type type = Type::Number;
    Spelling spelling = Spelling::Decimal;
    Getter get = nullptr;
    Total total = Total::None;
    std::uint8_t where = kEverywhere;

    constexpr bool in_table() const { return where & kInTable; }
    constexpr bool in_data() const { return where & kInData; }

    // Untrusted text, left-aligned and escaped in the table.
    static constexpr Field text(std::string_view header, std::string_view key, Getter get) {
        return {header, key, Align::Left, Type::Text, Spelling::Text, get};
    }
    // An address, in 0x-hex everywhere.
    static constexpr Field address(std::string_view header, std::string_view key, Getter get) {
        return {header, key, Align::Right, Type::Address, Spelling::PrefixedHex, get};
    }
    // A number, right-aligned and spelled `spelling` in the table.
    static constexpr Field number(std::string_view header, std::string_view key, Spelling spelling,
                                  Getter get) {
        return {header, key, Align::Right, Type::Number, spelling, get};
    }

    // A copy of the field, retitled, respelled, ... for a view.
    constexpr Field titled(std::string_view h) const {
        return with([&](Field& f) { f.header = h; });
    }
    constexpr Field spelled(Spelling s) const {
        return with([&](Field& f) { f.spelling = s; });
    }
    constexpr Field aligned(Align a) const {
        return with([&](Field& f) { f.align = a; });
    }
    constexpr Field typed(Type t) const {
        return with([&](Field& f) { f.type = t; });
    }
    constexpr Field null_when_empty() const { return typed(Type::OptText); }
    constexpr Field only(Where w) const {
        return with([&](Field& f) { f.where = w; });
    }
    constexpr Field totalled(Total t) const {
        return with([&](Field& f) { f.total = t; });
    }

  private:
    constexpr Field with(auto change) const {
        Field f = *this;
        change(f);
        return f;
    }
};

// The fields of each list in turn, as one list.
template <typename Row, std::size_t... kSizes>
constexpr std::array<Field<Row>, (kSizes + ...)> concat(const Field<Row> (&... lists)[kSizes]) {
    std::array<Field<Row>, (kSizes + ...)> fields{};
    std::size_t k = 0;
    ((std::copy(std::begin(lists), std::end(lists), fields.begin() + k), k += kSizes), ...);
    return fields;
}

// A view's rules for what its fields do not decide.
struct TableStyle {
    int address_digits = 1;          // PaddedHex pads to this many digits
    bool upper_case_hex = true;      // PaddedHex's letters
    std::string_view unknown = "?";  // a value the target does not have
    bool marks = false;              // '*' after a marked value (the view explains it)
};

// ---- The writers of a value -------------------------------------------------------------------

// Appends v as the table spells it; returns its width on a terminal.
std::size_t append_cell(std::string& out, Type type, Spelling spelling, const Value& v,
                        const TableStyle& style);

// Appends " key=value" (no blank before the first pair of a line, when out is empty or ends in a
// newline): the value as append_cell() spells it, in double quotes, each '"' in it written '\"',
// when it holds a blank, '"' or '=' or is empty. The pairs of where's and trace's lines.
void append_pair(std::string& out, std::string_view key, Type type, Spelling spelling,
                 const Value& v, const TableStyle& style);

// Adds v to the current row of t as its next cell, as append_cell() spells it. (Inline, below:
// FieldTable folds it for each field.)
inline void table_cell(Table& t, Type type, Spelling spelling, const Value& v,
                       const TableStyle& style);

void json_value(JsonWriter& w, Type type, const Value& v);

// A value the target does not have is an empty field.
void csv_value(std::string& out, Type type, const Value& v);

// ---- Cells of printable ASCII -----------------------------------------------------------------
// Every cell but escaped text and elfdump's spelling is printable ASCII, each byte one column
// wide: numbers, yes/no, a value the target does not have. Such a cell is measured and written
// where it goes, with no copy: these are what the writers above use for it.

constexpr bool is_ascii_cell(Spelling spelling, const Value& v) {
    return !v.known || (spelling != Spelling::Text && spelling != Spelling::Elfdump);
}

// The width of an ASCII cell.
inline std::size_t ascii_width(Spelling spelling, const Value& v, const TableStyle& style) {
    if (!v.known) return style.unknown.size();
    const std::size_t mark = v.marked && style.marks ? 1 : 0;
    switch (spelling) {
        case Spelling::PrefixedHex:
            return 2 + static_cast<std::size_t>(hex_digits(v.n)) + mark;
        case Spelling::Hex:
            return static_cast<std::size_t>(hex_digits(v.n)) + mark;
        case Spelling::PaddedHex:
            return static_cast<std::size_t>(
                       std::min(std::max(hex_digits(v.n), style.address_digits), 16)) +
                   mark;
        case Spelling::Decimal:
            return static_cast<std::size_t>(decimal_digits(v.n)) + mark;
        case Spelling::KiB:
            return static_cast<std::size_t>(decimal_digits(v.n / 1024)) + 1 + mark;
        case Spelling::KiBOrDash:
            return (v.n < 1024 ? 1 : static_cast<std::size_t>(decimal_digits(v.n / 1024))) + mark;
        case Spelling::YesNo:
            return (v.n ? 3 : 2) + mark;
        case Spelling::OneZero:
            return 1 + mark;
        case Spelling::Plain:
            return v.s.size() + mark;
        case Spelling::Text:
        case Spelling::Elfdump:
            break;
    }
    return 0;
}

// Writes an ASCII cell at `at`: `width` bytes, its ascii_width().
inline void put_ascii(char* at, Spelling spelling, const Value& v, std::size_t width,
                      const TableStyle& style) {
    auto copy = [&](std::string_view s) {
        if (!s.empty()) std::memcpy(at, s.data(), s.size());
    };
    if (!v.known) return copy(style.unknown);
    char* end = at + width;
    if (v.marked && style.marks) *--end = '*';
    const int digits = static_cast<int>(end - at);
    switch (spelling) {
        case Spelling::PrefixedHex:
            at[0] = '0', at[1] = 'x';
            return put_hex_before(end, v.n, digits - 2);
        case Spelling::Hex:
            return put_hex_before(end, v.n, digits);
        case Spelling::PaddedHex:
            return put_hex_before(end, v.n, digits, style.upper_case_hex);
        case Spelling::Decimal:
            return put_decimal_before(end, v.n, digits);
        case Spelling::KiB:
            *--end = 'K';
            return put_decimal_before(end, v.n / 1024, digits - 1);
        case Spelling::KiBOrDash:
            if (v.n < 1024) return copy("-");
            return put_decimal_before(end, v.n / 1024, digits);
        case Spelling::YesNo:
            return copy(v.n ? "yes" : "no");
        case Spelling::OneZero:
            return copy(v.n ? "1" : "0");
        case Spelling::Plain:
            return copy(v.s);
        case Spelling::Text:
        case Spelling::Elfdump:
            return;
    }
}

inline void table_cell(Table& t, Type type, Spelling spelling, const Value& v,
                       const TableStyle& style) {
    if (is_ascii_cell(spelling, v)) {
        const std::size_t width = ascii_width(spelling, v, style);
        return t.ascii_cell(width, [&](char* at) { put_ascii(at, spelling, v, width, style); });
    }
    if (spelling == Spelling::Text) return t.text_cell(v.s);
    std::string& text = t.scratch();
    text.clear();
    const std::size_t width = append_cell(text, type, spelling, v, style);
    t.cell(text, width);
}

// ---- A list of fields ------------------------------------------------------------------------
// `fields` is any range of Field<Row>: an array, a vector, a span.

// The table's columns: the fields in it, in order.
std::vector<Column> table_columns(const auto& fields) {
    std::vector<Column> columns;
    for (const auto& f : fields)
        if (f.in_table()) columns.push_back({f.header, f.align});
    return columns;
}

// The keys and values of a row's data fields, into the open JSON object.
template <typename Row>
void json_fields(JsonWriter& w, const auto& fields, const Row& row) {
    for (const Field<Row>& f : fields) {
        if (!f.in_data()) continue;
        w.key(f.key);
        json_value(w, f.type, f.get(row));
    }
}

// The CSV header of the data fields: their keys, separated by commas.
void csv_header(std::string& out, const auto& fields) {
    bool first = true;
    for (const auto& f : fields) {
        if (!f.in_data()) continue;
        if (!first) out.push_back(',');
        first = false;
        out += f.key;
    }
}

// A row's values of the data fields, separated by commas.
template <typename Row>
void csv_fields(std::string& out, const auto& fields, const Row& row) {
    bool first = true;
    for (const Field<Row>& f : fields) {
        if (!f.in_data()) continue;
        if (!first) out.push_back(',');
        first = false;
        csv_value(out, f.type, f.get(row));
    }
}

// ---- A table --------------------------------------------------------------------------------

// The table of a field list, kFields, a constexpr array of Field<Row>: every view writes its
// table's rows with row(), within Table::write().
//
// row() is compiled for the list: the loop over the columns is unrolled and everything is
// inlined (flatten), so that each field's read and spelling fold into straight code. A row's
// cells are what table_cell() of each field in the table gives, in order
// (tests/render/test_fields.cpp checks it). Sanitizer builds leave the inlining to the compiler:
// it changes no behaviour, and with their instrumentation it costs minutes of compile time per
// view.
#if defined(__SANITIZE_ADDRESS__)
#define VMATLAS_FLATTEN
#else
#define VMATLAS_FLATTEN [[gnu::flatten]]
#endif

template <const auto& kFields>
struct FieldTable {
    using Row = typename std::remove_cvref_t<decltype(kFields[0])>::RowType;

    // The fields in the table, in order: indices into kFields.
    static constexpr auto kColumns = [] {
        constexpr std::size_t n = [] {
            std::size_t count = 0;
            for (const auto& f : kFields) count += f.in_table() ? 1 : 0;
            return count;
        }();
        static_assert(n > 0);
        std::array<std::size_t, n> columns{};
        std::size_t c = 0;
        for (std::size_t k = 0; k < std::size(kFields); ++k)
            if (kFields[k].in_table()) columns[c++] = k;
        return columns;
    }();

    // Adds a row's cells to the current row of t.
    VMATLAS_FLATTEN static void row(Table& t, const Row& row, const TableStyle& style) {
        [&]<std::size_t... C>(std::index_sequence<C...>) {
            (add_cell<kColumns[C]>(t, row, style), ...);
        }
        (std::make_index_sequence<kColumns.size()>{});
    }

  private:
    template <std::size_t kField>
    static void add_cell(Table& t, const Row& row, const TableStyle& style) {
        constexpr const auto& f = kFields[kField];
        table_cell(t, f.type, f.spelling, f.get(row), style);
    }
};

}  // namespace vmatlas
