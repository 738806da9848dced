#include "render/pmap_view.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "render/json_common.hpp"
#include "render/json_writer.hpp"
#include "render/number_text.hpp"
#include "render/safe_text.hpp"
#include "render/table.hpp"

namespace vmatlas {

namespace {

// ---- The field lists ------------------------------------------------------------------------

// How a field's value is written. Sizes (Bytes, Figure) are summed into the totals; page sizes
// and flags are numbers that mean nothing added up. Text is untrusted and escaped; Plain is
// vmatlas's own printable ASCII (permissions), written as it is.
enum class Type { Addr, Bytes, Figure, PageSize, Flag, Text, Plain, OptText, Bool };

// Where a field appears: the table, JSON and CSV ("data"), or both.
enum Where : std::uint8_t { kTable = 1, kData = 2, kBoth = 3 };

struct Value {
    std::uint64_t n = 0;
    std::string_view s;
    bool b = false;
    bool known = true;    // false: a figure of a target without smaps figures
    bool marked = false;  // a size whose bytes are not all in the core file: '*' in the table
};

struct RowCtx {
    const AddressSpace& space;
    const Annotations& notes;
    std::size_t i;
    const Mapping& m;
    const Figures* fig;  // null when the target has no figures
    bool basenames, no_segment_names;
    std::string& scratch;
};

// What a field reads from a row (see value_of). A switch rather than a function pointer: where
// the field is known at compile time (table_row, measure_row), it folds to the one case.
enum class Get : std::uint8_t {
    Figure,  // Field::figure of the row's Figures
    Start,
    End,
    Size,
    InCore,
    Perms,
    MappedFile,
    Name,
    NameSource,
    Path,
    Deleted,
    Thp,
    VmFlags,
};

struct Field {
    std::string_view header;  // the table's column header (may be empty: pmap has none)
    std::string_view key;     // JSON/CSV key
    Align align;
    Type type;
    std::uint8_t where;
    Get get = Get::Figure;
    std::uint64_t Figures::*figure = nullptr;  // what Get::Figure reads

    constexpr bool summed() const { return type == Type::Bytes || type == Type::Figure; }
    constexpr Field titled(std::string_view h) const {
        Field f = *this;
        f.header = h;
        return f;
    }
    constexpr Field data_only() const {
        Field f = *this;
        f.where = kData;
        return f;
    }
};

[[gnu::always_inline]] inline Value value_of(const Field& f, const RowCtx& r) {
    const Mapping& m = r.m;
    switch (f.get) {
        case Get::Figure:
            if (!r.fig) return {.known = false};
            return {r.fig->*f.figure};
        case Get::Start:
            return {m.start};
        case Get::End:
            return {m.end};
        case Get::Size:
            return {.n = m.size(), .marked = m.contents_missing()};
        case Get::InCore:  // how much of the row a core file holds; null for other targets
            if (r.space.source().kind != SourceKind::Core) return {};
            return {0, (m.flags & kNotDumped)      ? "none"
                       : (m.flags & kPartlyDumped) ? "part"
                                                   : "all"};
        case Get::Perms:
            return {0, m.perms.view()};
        case Get::MappedFile:
            r.scratch.clear();
            append_mapped_file(r.scratch, r.space, r.notes, r.i, r.basenames, r.no_segment_names);
            return {0, r.scratch};
        case Get::Name:
            return {0, r.notes.labels[r.i].name};
        case Get::NameSource:
            return {0, to_string(r.notes.labels[r.i].source)};
        case Get::Path: {
            const std::string_view p = r.space.path(m);
            return {0, is_kernel_name(p) ? std::string_view{} : p};
        }
        case Get::Deleted:
            return {0, {}, m.deleted()};
        case Get::Thp:
            if (!r.fig) return {.known = false};
            return {0, {}, r.fig->thp_eligible};
        case Get::VmFlags:
            if (!r.fig) return {.known = false};
            return {0, r.fig->vm_flags};
    }
    return {};
}

// clang-format off
constexpr Field kStart      {"", "start",       Align::Left,  Type::Addr,    kBoth, Get::Start};
constexpr Field kEnd        {"", "end",         Align::Right, Type::Addr,    kData, Get::End};
constexpr Field kSize       {"", "size",        Align::Right, Type::Bytes,   kBoth, Get::Size};
constexpr Field kPerms      {"", "perms",       Align::Left,  Type::Plain,   kBoth, Get::Perms};
constexpr Field kMappedFile {"", "mapped_file", Align::Left,  Type::Text,    kBoth, Get::MappedFile};
// The raw facts behind Mapped File, for scripts.
constexpr Field kName       {"", "name",        Align::Left,  Type::OptText, kData, Get::Name};
constexpr Field kNameSource {"", "name_source", Align::Left,  Type::OptText, kData, Get::NameSource};
constexpr Field kPath       {"", "path",        Align::Left,  Type::OptText, kData, Get::Path};
constexpr Field kDeleted    {"", "deleted",     Align::Left,  Type::Bool,    kData, Get::Deleted};
constexpr Field kInCore     {"", "in_core",     Align::Left,  Type::OptText, kData, Get::InCore};
constexpr Field kThp        {"THPeligible", "thp_eligible", Align::Right, Type::Flag, kBoth, Get::Thp};
constexpr Field kVmFlags    {"VmFlags", "vm_flags", Align::Left, Type::OptText, kBoth, Get::VmFlags};
// clang-format on

// A figure read straight from Figures.
constexpr Field figure(std::string_view header, std::string_view key,
                       std::uint64_t Figures::*member, Type type = Type::Figure) {
    return Field{header, key, Align::Right, type, kBoth, Get::Figure, member};
}

// vmatlas pmap: Solaris 11.4's layout has no column header.
constexpr Field kPmapFields[] = {kStart, kEnd,        kSize, kPerms,   kMappedFile,
                                 kName,  kNameSource, kPath, kDeleted, kInCore};

// vmatlas pmap -x: Solaris's -x columns.
constexpr Field kPmapXFields[] = {
    kStart.titled("Address"),
    kEnd,
    kSize.titled("Kbytes"),
    figure("RSS", "rss", &Figures::rss),
    figure("Anon", "anonymous", &Figures::anonymous),
    figure("Locked", "locked", &Figures::locked),
    kPerms.titled("Mode"),
    kMappedFile.titled("Mapped File"),
    kName,
    kNameSource,
    kPath,
    kDeleted,
    kInCore,
};

// vmatlas pmap -X: every smaps figure, under the kernel's own names.
constexpr Field kPmapXXFields[] = {
    kStart.titled("Address"),
    kEnd,
    kSize.titled("Kbytes"),
    figure("KernelPageSize", "kernel_page_size", &Figures::kernel_page_size, Type::PageSize),
    figure("MMUPageSize", "mmu_page_size", &Figures::mmu_page_size, Type::PageSize),
    figure("Rss", "rss", &Figures::rss),
    figure("Pss", "pss", &Figures::pss),
    figure("Pss_Dirty", "pss_dirty", &Figures::pss_dirty),
    figure("Shared_Clean", "shared_clean", &Figures::shared_clean),
    figure("Shared_Dirty", "shared_dirty", &Figures::shared_dirty),
    figure("Private_Clean", "private_clean", &Figures::private_clean),
    figure("Private_Dirty", "private_dirty", &Figures::private_dirty),
    figure("Referenced", "referenced", &Figures::referenced),
    figure("Anonymous", "anonymous", &Figures::anonymous),
    figure("KSM", "ksm", &Figures::ksm),
    figure("LazyFree", "lazy_free", &Figures::lazy_free),
    figure("AnonHugePages", "anon_huge_pages", &Figures::anon_huge),
    figure("ShmemPmdMapped", "shmem_pmd_mapped", &Figures::shmem_pmd),
    figure("FilePmdMapped", "file_pmd_mapped", &Figures::file_pmd),
    figure("Shared_Hugetlb", "shared_hugetlb", &Figures::shared_hugetlb),
    figure("Private_Hugetlb", "private_hugetlb", &Figures::private_hugetlb),
    figure("Swap", "swap", &Figures::swap),
    figure("SwapPss", "swap_pss", &Figures::swap_pss),
    figure("Locked", "locked", &Figures::locked),
    kThp,
    kPerms.titled("Mode"),
    kVmFlags,
    kMappedFile.titled("Mapped File"),
    kName,
    kNameSource,
    kPath,
    kDeleted,
    kInCore,
};

// vmatlas mappings: mdb's ::mappings.
constexpr Field kMappingsFields[] = {
    {"BASE", "start", Align::Right, Type::Addr, kBoth, Get::Start},
    {"LIMIT", "end", Align::Right, Type::Addr, kBoth, Get::End},
    kSize.titled("SIZE"),
    kPerms.data_only(),
    kMappedFile.titled("NAME"),
    kName,
    kNameSource,
    kPath,
    kDeleted,
    kInCore,
};

// ---- How each view writes its table --------------------------------------------------------

enum class Style {
    Pmap,      // "00007FF6E8200000", "388K"
    PmapX,     // "00007FF6E8200000", "388", "-" for 0
    Mappings,  // "7ff6e8200000", sizes in hex
};

// The sums of the summed fields over the shown rows: bytes for JSON, and the K values the table
// shows, added, for the table (so that its totals are the sums of its own rows).
struct Sum {
    std::uint64_t bytes = 0, kib = 0;
};

// Writes a row's cells into a table being written (see table_row).
using RowWriter = void (*)(Table&, const RowCtx&, int digits);
// Adds a row to the widths of the table's columns and the sums of its summed fields (see
// measure_row).
using RowMeasurer = void (*)(const RowCtx&, int digits, std::size_t* widths, Sum* sums);

struct View {
    std::string_view name;  // JSON "view"
    std::span<const Field> fields;
    Style style;
    bool column_header;  // a line of column headers
    bool totals;         // a totals line (and a "totals" object in JSON)
    bool title;          // the "PID: name" line
    // The fields shown in the table, in order (indices into fields), and the table's passes,
    // compiled for them: see make_view.
    std::span<const std::size_t> columns;
    RowWriter table_row;
    RowMeasurer measure_row;
};

// Hex digits of an address column: Solaris pads to the data model.
int address_digits(const AddressSpace& space) {
    return !space.empty() && space.mappings().back().end > (Addr{1} << 32) ? 16 : 8;
}

// Appends kib as pmap -x shows it: "-" for none.
void format_kib(std::string& s, std::uint64_t kib, Style style) {
    if (style == Style::PmapX && kib == 0)
        s.push_back('-');
    else
        append_decimal(s, kib);
}

// The width of v's cell in the table (what put_cell() writes; escaped text as text_cell() writes
// it), found without formatting it: the table's widths come from one pass over the values
// instead of a pass that formats every cell only to measure it.
[[gnu::always_inline]] inline std::size_t cell_width(const Field& f, const Value& v, Style style,
                                                     int digits) {
    if (!v.known) return 1;  // "?"
    switch (f.type) {
        case Type::Addr:
            return static_cast<std::size_t>(
                style == Style::Mappings ? hex_digits(v.n) : std::max(hex_digits(v.n), digits));
        case Type::Bytes:
        case Type::Figure:
        case Type::PageSize: {
            const std::size_t mark = v.marked ? 1 : 0;
            if (style == Style::Mappings) return static_cast<std::size_t>(hex_digits(v.n)) + mark;
            const std::uint64_t kib = v.n / 1024;
            if (style == Style::Pmap)
                return static_cast<std::size_t>(decimal_digits(kib)) + 1 + mark;
            return (kib == 0 ? 1 : static_cast<std::size_t>(decimal_digits(kib))) + mark;
        }
        case Type::Flag:
            return 1;
        case Type::Bool:
            return v.b ? 3 : 2;
        case Type::Plain:
            return v.s.size();
        case Type::Text:
        case Type::OptText:
            return safe_width(v.s);
    }
    return 0;
}

// The widest cell that is not text: 20 decimal digits, "K" and the '*' mark.
constexpr std::size_t kCellBytes = 24;

constexpr bool is_text(Type t) {
    return t == Type::Plain || t == Type::Text || t == Type::OptText;
}

// Writes v's cell, as the table shows it, at `at`: `width` bytes, the width cell_width() gives
// v. Not for known text, which the table writes itself (text_cell, place_text).
[[gnu::always_inline]] inline void put_cell(char* at, const Field& f, const Value& v, Style style,
                                            std::size_t width) {
    auto copy = [&](std::string_view s) {
        if (!s.empty()) std::memcpy(at, s.data(), s.size());
    };
    if (!v.known) return copy("?");
    char* end = at + width;
    switch (f.type) {
        case Type::Addr:  // Solaris's upper case, padded to the data model (cell_width)
            return put_hex_before(end, v.n, static_cast<int>(width), style != Style::Mappings);
        case Type::Bytes:
        case Type::Figure:
        case Type::PageSize: {
            if (v.marked) *--end = '*';
            if (style == Style::Mappings)
                return put_hex_before(end, v.n, static_cast<int>(end - at));
            const std::uint64_t kib = v.n / 1024;
            if (style == Style::Pmap)
                *--end = 'K';  // "388K"
            else if (kib == 0)
                return copy("-");  // pmap -x's none
            return put_decimal_before(end, kib, static_cast<int>(end - at));
        }
        case Type::Flag:
            return copy(v.b ? "1" : "0");
        case Type::Bool:
            return copy(v.b ? "yes" : "no");
        case Type::Plain:
        case Type::Text:
        case Type::OptText:
            return;
    }
}

// One cell added to the table the general way: text escaped, anything else formatted by
// put_cell().
void table_cell(Table& t, const Field& f, const Value& v, Style style, int digits) {
    if (v.known && (f.type == Type::Text || f.type == Type::OptText)) return t.text_cell(v.s);
    if (v.known && f.type == Type::Plain) return t.cell(v.s);
    char text[kCellBytes];
    const std::size_t width = cell_width(f, v, style, digits);
    put_cell(text, f, v, style, width);
    t.cell(std::string_view(text, width));
}

// Puts column c's cell of a row in place (Table::put_in_place); false, and nothing written, when
// it is text that needs escaping or wider than its column.
[[gnu::always_inline]] inline bool put_in_place(Table& t, std::size_t c, const Field& f,
                                                const RowCtx& r, Style style, int digits) {
    const Value v = value_of(f, r);
    if (v.known && is_text(f.type)) return t.place_text(c, v.s);
    const std::size_t width = cell_width(f, v, style, digits);
    return t.put_in_place(c, width, [&](char* at) { put_cell(at, f, v, style, width); });
}

[[gnu::noinline]] void add_cell(Table& t, const Field& f, const RowCtx& r, Style style,
                                int digits) {
    table_cell(t, f, value_of(f, r), style, digits);
}

// Where the table columns are in a field list: the fields shown in the table, in order.
template <const auto& kFields>
constexpr auto kColumnsOf = [] {
    constexpr std::size_t n = static_cast<std::size_t>(std::count_if(
        std::begin(kFields), std::end(kFields), [](const Field& f) { return f.where & kTable; }));
    std::array<std::size_t, n> columns{};
    std::size_t c = 0;
    for (std::size_t k = 0; k < std::size(kFields); ++k)
        if (kFields[k].where & kTable) columns[c++] = k;
    return columns;
}();

// A row of a view's table, compiled for the view's fields: the loop over the columns is
// unrolled (Table::write_row) and everything it calls is inlined (flatten) but add_cell, the
// general path, kept out of line on purpose; so what each cell reads and how it is written fold
// to straight code, as if the row had been written out by hand. The cells before the last column go
// straight into their columns: the pass over the values measured each with cell_width(), so each
// fits. From the first that does not (text that needs escaping) on, and the last column, cells are
// added the general way.
template <const auto& kFields, Style kStyle>
[[gnu::flatten]] void table_row(Table& t, const RowCtx& r, int digits) {
    static constexpr auto& kColumns = kColumnsOf<kFields>;
    t.write_row<kColumns.size()>(
        [&](auto c) { return put_in_place(t, c, kFields[kColumns[c]], r, kStyle, digits); },
        [&](std::size_t c) { add_cell(t, kFields[kColumns[c]], r, kStyle, digits); });
}

// Table column c's part in measure_row(): field k of the view, n columns in all.
[[gnu::always_inline]] inline void measure_cell(const RowCtx& r, std::size_t c, std::size_t n,
                                                const Field& f, std::size_t k, Style style,
                                                int digits, std::size_t* widths, Sum* sums) {
    const bool measured = c + 1 < n;  // the last column's width never matters
    if (!measured && !f.summed()) return;
    const Value v = value_of(f, r);
    if (measured) widths[c] = std::max(widths[c], cell_width(f, v, style, digits));
    if (f.summed()) {
        sums[k].bytes += v.n;
        sums[k].kib += v.n / 1024;
    }
}

// A row's part in the pass over the values before the table is written, compiled for the view's
// fields as table_row() is: the widths of the table's columns but the last (widths[c]), and the
// sums of its summed columns (sums[k] for field k). The table's totals are those of its own
// columns: each value is read once for both.
template <const auto& kFields, Style kStyle>
void measure_row(const RowCtx& r, int digits, std::size_t* widths, Sum* sums) {
    static constexpr auto& kColumns = kColumnsOf<kFields>;
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        (measure_cell(r, C, kColumns.size(), kFields[kColumns[C]], kColumns[C], kStyle, digits,
                      widths, sums),
         ...);
    }
    (std::make_index_sequence<kColumns.size()>{});
}

// A view of a field list, with its table's passes compiled for it.
template <const auto& kFields, Style kStyle>
constexpr View make_view(std::string_view name, bool column_header, bool totals, bool title) {
    return {name,
            kFields,
            kStyle,
            column_header,
            totals,
            title,
            kColumnsOf<kFields>,
            &table_row<kFields, kStyle>,
            &measure_row<kFields, kStyle>};
}

void json_value(JsonWriter& w, const Field& f, const Value& v) {
    if (!v.known) {
        w.null();
        return;
    }
    switch (f.type) {
        case Type::Addr:
            w.hex(v.n);
            break;
        case Type::Bytes:
        case Type::Figure:
        case Type::PageSize:
            w.number(v.n);
            break;
        case Type::Flag:
        case Type::Bool:
            w.boolean(v.b);
            break;
        case Type::Text:
        case Type::Plain:
            w.string(v.s);
            break;
        case Type::OptText:
            if (v.s.empty())
                w.null();
            else
                w.string(v.s);
            break;
    }
}

void csv_value(std::string& out, const Field& f, const Value& v) {
    if (!v.known) return;  // an empty cell
    switch (f.type) {
        case Type::Addr:
            fmt::format_to(std::back_inserter(out), "{:#x}", v.n);
            break;
        case Type::Bytes:
        case Type::Figure:
        case Type::PageSize:
            fmt::format_to(std::back_inserter(out), "{}", v.n);
            break;
        case Type::Flag:
        case Type::Bool:
            out += v.b ? "true" : "false";
            break;
        case Type::Text:
        case Type::Plain:
        case Type::OptText:
            append_csv_field(out, v.s);
            break;
    }
}

std::string title_line(const AddressSpace& space) {
    const SourceInfo& src = space.source();
    std::string line;
    if (src.pid > 0) {
        fmt::format_to(std::back_inserter(line), "{}:", src.pid);
        if (!src.process_name.empty()) {
            line.push_back(' ');
            append_safe(line, src.process_name);
        }
    } else {
        append_safe(line, src.origin);
    }
    line.push_back('\n');
    return line;
}

struct Shown {
    std::span<const std::size_t> rows;
    std::optional<AddrRange> range;
    bool quiet = false;
    bool basenames = false, no_segment_names = false;
};

void render_view(const AddressSpace& space, const Annotations& notes, const View& view,
                 const Shown& shown, Format format, const Palette& palette, std::string& out,
                 const Flush& flush) {
    const bool has_figures = !space.figures().empty();
    std::string scratch;
    std::vector<Sum> sums(view.fields.size());
    auto row_ctx = [&](std::size_t i) {
        return RowCtx{space,
                      notes,
                      i,
                      space[i],
                      has_figures ? &space.figures()[i] : nullptr,
                      shown.basenames,
                      shown.no_segment_names,
                      scratch};
    };
    auto add_to_sums = [&](const RowCtx& r) {
        for (std::size_t k = 0; k < view.fields.size(); ++k) {
            const Field& f = view.fields[k];
            if (!f.summed()) continue;
            const Value v = value_of(f, r);
            sums[k].bytes += v.n;
            sums[k].kib += v.n / 1024;
        }
    };
    // A total is unknown when the figures behind it are.
    auto total_known = [&](const Field& f) { return f.type != Type::Figure || has_figures; };

    if (format == Format::Json) {
        JsonWriter w(out);
        w.begin_object();
        json_preamble(w, space);
        w.key("view").string(view.name);
        if (shown.range) {
            w.key("range").begin_object();
            w.key("lo").hex(shown.range->lo);
            w.key("hi").hex(shown.range->hi);
            w.end_object();
        }
        w.key("mappings").begin_array();
        for (const std::size_t i : shown.rows) {
            const RowCtx r = row_ctx(i);
            w.begin_object();
            for (const Field& f : view.fields) {
                if (!(f.where & kData)) continue;
                w.key(f.key);
                json_value(w, f, value_of(f, r));
            }
            w.end_object();
            add_to_sums(r);
        }
        w.end_array();
        if (view.totals) {
            w.key("totals").begin_object();
            w.key("count").number(shown.rows.size());
            for (std::size_t k = 0; k < view.fields.size(); ++k) {
                const Field& f = view.fields[k];
                if (!f.summed()) continue;
                w.key(f.key);
                if (total_known(f))
                    w.number(sums[k].bytes);
                else
                    w.null();
            }
            w.end_object();
        }
        json_warnings(w, space, notes.warnings);
        w.end_object();
        w.finish();
        return;
    }

    if (format == Format::Csv) {
        bool first = true;
        for (const Field& f : view.fields) {
            if (!(f.where & kData)) continue;
            if (!first) out.push_back(',');
            first = false;
            out += f.key;
        }
        out.push_back('\n');
        for (const std::size_t i : shown.rows) {
            const RowCtx r = row_ctx(i);
            first = true;
            for (const Field& f : view.fields) {
                if (!(f.where & kData)) continue;
                if (!first) out.push_back(',');
                first = false;
                csv_value(out, f, value_of(f, r));
            }
            out.push_back('\n');
        }
        return;
    }

    const int digits = address_digits(space);
    // The table's columns are the ones its compiled passes were made for.
    const std::span<const std::size_t> table_fields = view.columns;  // indices into view.fields
    std::vector<Column> columns;
    for (const std::size_t k : table_fields)
        columns.push_back({view.fields[k].header, view.fields[k].align});
    Table table(std::move(columns));
    if (!view.column_header || shown.quiet) table.hide_header();
    // One pass for the sums and the widths of every column but the last (whose width never
    // matters), from the values: see cell_width().
    bool marked = false;  // a row whose bytes are not all in the core: footnoted
    const std::size_t measured = table_fields.empty() ? 0 : table_fields.size() - 1;
    std::vector<std::size_t> widths(table_fields.size());
    for (const std::size_t i : shown.rows) {
        const RowCtx r = row_ctx(i);
        marked = marked || r.m.contents_missing();
        view.measure_row(r, digits, widths.data(), sums.data());
    }
    for (std::size_t c = 0; c < measured; ++c) table.widen(c, widths[c]);

    // The totals line ends at the last summed column.
    std::size_t last = 0;
    for (std::size_t c = 0; c < table_fields.size(); ++c)
        if (view.fields[table_fields[c]].summed()) last = c;
    auto total_text = [&](std::size_t k) -> std::string {
        if (!total_known(view.fields[k])) return "?";
        if (view.style == Style::Pmap) return fmt::format("{}K", sums[k].kib);
        std::string s;
        format_kib(s, sums[k].kib, view.style);
        return s;
    };
    const std::string_view label = view.style == Style::Pmap ? " total" : "total Kb";
    auto emit_totals = [&](Table& t) {
        if (view.style == Style::PmapX) {
            // Dashes as wide as each column will be: totals are the widest numbers.
            t.begin_row();
            for (std::size_t c = 0; c <= last; ++c) {
                const Field& f = view.fields[table_fields[c]];
                std::size_t width = 0;
                if (f.type == Type::Addr)
                    width = std::max<std::size_t>(
                        {static_cast<std::size_t>(digits), f.header.size(), label.size()});
                else if (f.summed())
                    width = std::max(f.header.size(), total_text(table_fields[c]).size());
                t.cell(std::string(width, '-'));
            }
        }
        t.begin_row();
        for (std::size_t c = 0; c <= last; ++c) {
            const Field& f = view.fields[table_fields[c]];
            if (f.type == Type::Addr)
                t.cell(label);
            else if (f.summed())
                t.cell(total_text(table_fields[c]));
            else
                t.cell("");
        }
    };
    // The totals are measured as they are written: the only cells the pass above did not see.
    if (view.totals && !shown.quiet) {
        for (std::size_t c = 0; c <= last && c < table_fields.size(); ++c) {
            const Field& f = view.fields[table_fields[c]];
            if (f.type == Type::Addr) {
                table.widen(c, label.size());
                if (view.style == Style::PmapX) table.widen(c, static_cast<std::size_t>(digits));
            } else if (f.summed()) {
                table.widen(c, total_text(table_fields[c]).size());
            }
        }
    }
    auto emit = [&](Table& t) {
        for (const std::size_t i : shown.rows) {
            const RowCtx r = row_ctx(i);
            t.begin_row(palette.start(notes.roles[i]));
            view.table_row(t, r, digits);
        }
        if (view.totals && !shown.quiet) emit_totals(t);
    };

    if (palette.on && !shown.quiet) {
        out += legend(palette);
        out.push_back('\n');
    }
    if (view.title && !shown.quiet) out += title_line(space);
    table.stream_measured(out, palette.reset(), emit, flush);
    if (marked && !shown.quiet) out += "* the core file holds only part or none of these bytes\n";
}

std::string_view basename_of(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

void append_mapped_file(std::string& out, const AddressSpace& space, const Annotations& notes,
                        std::size_t i, bool basenames, bool no_segment_names) {
    const Mapping& m = space[i];
    const Label& label = notes.labels[i];
    std::string_view name = label.name;
    if (no_segment_names && label.source == NameSource::Elf) name = {};
    std::string_view path = space.path(m);
    if (is_kernel_name(path)) path = {};
    const bool own_path = !path.empty();
    // A row without a file of its own (bss) names its object's file, while its name is shown.
    if (!own_path && !name.empty() && label.object != kNoPath)
        path = space.paths().get(label.object);

    // pwndbg's [anon_<start>>12>] is a handle for filters; this layout says what the row is.
    if (label.source == NameSource::Heuristic && name.starts_with("[anon_")) name = "anon";
    if (name.empty() && path.empty()) name = "anon";
    const bool named = !name.empty();  // "[]" is a name: "[  ]"
    if (named && is_kernel_name(name)) name = name.substr(1, name.size() - 2);
    if (basenames) path = basename_of(path);
    using namespace std::string_view_literals;
    const std::string_view deleted = m.deleted() && own_path ? " (deleted)"sv : ""sv;
    // "[ name ] path (deleted)": one allocation at most, then copies.
    out.reserve(out.size() + name.size() + 5 + path.size() + deleted.size());
    if (named) {
        out.append("[ "sv).append(name).append(" ]"sv);
        if (!path.empty()) out.push_back(' ');
    }
    if (!path.empty()) out.append(path).append(deleted);
}

std::string mapped_file(const AddressSpace& space, const Annotations& notes, std::size_t i,
                        bool basenames, bool no_segment_names) {
    std::string out;
    append_mapped_file(out, space, notes, i, basenames, no_segment_names);
    return out;
}

void render_pmap(const AddressSpace& space, const Annotations& notes, const PmapOptions& options,
                 Format format, const Palette& palette, std::string& out, const Flush& flush) {
    const std::vector<std::size_t> rows = rows_in_range(space, options.range);
    View view;
    switch (options.mode) {
        case PmapMode::Basic:
            view = make_view<kPmapFields, Style::Pmap>("pmap", false, true, true);
            break;
        case PmapMode::Extended:
            view = make_view<kPmapXFields, Style::PmapX>("pmap -x", true, true, true);
            break;
        case PmapMode::Smaps:
            view = make_view<kPmapXXFields, Style::PmapX>("pmap -X", true, true, true);
            break;
    }
    // Solaris and procps show basenames under -x.
    const bool basenames = options.basenames || options.mode != PmapMode::Basic;
    render_view(space, notes, view,
                {rows, options.range, options.quiet, basenames, options.no_segment_names}, format,
                palette, out, flush);
}

void render_mappings(const AddressSpace& space, const Annotations& notes,
                     const MappingsOptions& options, Format format, const Palette& palette,
                     std::string& out, const Flush& flush) {
    const std::vector<std::size_t> rows = rows_in_range(space, std::nullopt);
    constexpr View view =
        make_view<kMappingsFields, Style::Mappings>("mappings", true, false, false);
    render_view(space, notes, view,
                {rows, std::nullopt, false, options.basenames, options.no_segment_names}, format,
                palette, out, flush);
}

}  // namespace vmatlas
