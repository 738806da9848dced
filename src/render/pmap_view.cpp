#include "render/pmap_view.hpp"

#include <span>
#include <vector>

#include <fmt/format.h>

#include "render/json_common.hpp"
#include "render/safe_text.hpp"

namespace vmatlas {

namespace {

// ---- The field lists ------------------------------------------------------------------------

// pmap's spellings of the mapping fields: Solaris's upper-case addresses, zero-padded to the
// data model and left-aligned; sizes in K.
constexpr MappingField kAddress =
    kStart.titled("Address").aligned(Align::Left).spelled(Spelling::PaddedHex);
constexpr MappingField kKbytes = kSize.titled("Kbytes").spelled(Spelling::KiBOrDash);
constexpr MappingField kMode = kPerms.titled("Mode");
constexpr MappingField kEndData = kEnd.only(kInData);
// The facts behind Mapped File, whose text is the table's alone: last in JSON and CSV, null when
// empty.
constexpr MappingField kRawFacts[] = {kName.null_when_empty().only(kInData), kNameSource,
                                      kPath.null_when_empty(), kFileDeleted, kInCore.only(kInData)};

// vmatlas pmap: Solaris 11.4's layout has no column header.
constexpr auto kPmapFields =
    concat<MappingRow>({kAddress.titled(""), kEndData, kSize.titled("").spelled(Spelling::KiB),
                        kPerms.titled(""), kMappedFile.titled("")},
                       kRawFacts);

// vmatlas pmap -x: Solaris's -x columns.
constexpr auto kPmapXFields =
    concat<MappingRow>({kAddress, kEndData, kKbytes, figure_field<&Figures::rss>("RSS", "rss"),
                        figure_field<&Figures::anonymous>("Anon", "anonymous"),
                        figure_field<&Figures::locked>("Locked", "locked"), kMode, kMappedFile},
                       kRawFacts);

// Solaris -S's Swap: the swap space reserved for the row. Linux's reservation is the commit
// charge (the sum is /proc/meminfo's Committed_AS): the whole of every mapping it accounts,
// VmFlags "ac" (private writable mappings not made with MAP_NORESERVE), none for the others.
// What is swapped out now is another figure: smaps' Swap, under -X. Unknown without smaps.
Value swap_reserved(const MappingRow& r) {
    if (!r.figures) return {.known = false};
    std::string_view flags = r.figures->vm_flags;  // two-letter words: "rd wr mr mw me ac"
    bool accounted = false;
    while (!flags.empty() && !accounted) {
        const std::size_t blank = flags.find(' ');
        accounted = flags.substr(0, blank) == "ac";
        flags = blank == std::string_view::npos ? std::string_view() : flags.substr(blank + 1);
    }
    return {.n = accounted ? r.m.size() : 0};
}

// vmatlas pmap -S: Solaris's -S columns.
constexpr auto kPmapSFields = concat<MappingRow>(
    {kAddress, kEndData, kKbytes,
     MappingField::number("Swap", "swap_reserved", Spelling::KiBOrDash, swap_reserved)
         .totalled(Total::SumOfFigures),
     kMode, kMappedFile},
    kRawFacts);

// vmatlas pmap -X: every smaps figure, under the kernel's own names.
constexpr auto kPmapXXFields = concat<MappingRow>(
    {
        kAddress,
        kEndData,
        kKbytes,
        figure_field<&Figures::kernel_page_size>("KernelPageSize", "kernel_page_size", Total::None),
        figure_field<&Figures::mmu_page_size>("MMUPageSize", "mmu_page_size", Total::None),
        figure_field<&Figures::rss>("Rss", "rss"),
        figure_field<&Figures::pss>("Pss", "pss"),
        figure_field<&Figures::pss_dirty>("Pss_Dirty", "pss_dirty"),
        figure_field<&Figures::shared_clean>("Shared_Clean", "shared_clean"),
        figure_field<&Figures::shared_dirty>("Shared_Dirty", "shared_dirty"),
        figure_field<&Figures::private_clean>("Private_Clean", "private_clean"),
        figure_field<&Figures::private_dirty>("Private_Dirty", "private_dirty"),
        figure_field<&Figures::referenced>("Referenced", "referenced"),
        figure_field<&Figures::anonymous>("Anonymous", "anonymous"),
        figure_field<&Figures::ksm>("KSM", "ksm"),
        figure_field<&Figures::lazy_free>("LazyFree", "lazy_free"),
        figure_field<&Figures::anon_huge>("AnonHugePages", "anon_huge_pages"),
        figure_field<&Figures::shmem_pmd>("ShmemPmdMapped", "shmem_pmd_mapped"),
        figure_field<&Figures::file_pmd>("FilePmdMapped", "file_pmd_mapped"),
        figure_field<&Figures::shared_hugetlb>("Shared_Hugetlb", "shared_hugetlb"),
        figure_field<&Figures::private_hugetlb>("Private_Hugetlb", "private_hugetlb"),
        figure_field<&Figures::swap>("Swap", "swap"),
        figure_field<&Figures::swap_pss>("SwapPss", "swap_pss"),
        figure_field<&Figures::locked>("Locked", "locked"),
        kThpEligible,
        kMode,
        kVmFlags,
        kMappedFile,
    },
    kRawFacts);

// ---- procps pmap -d --------------------------------------------------------------------------
// procps prints each row as "%016lx %7lu %s %016llx %03x:%05x %s" under
// "Address           Kbytes Mode  Offset           Device    Mapping": with 16 lower-case digits
// (TableStyle) the table's widths give the same bytes while Kbytes fits in 7 digits (below 10 GB).

// procps's Mode: the kernel's first three, 's' for shared ('-' for private), and '-' for the
// "R" (no swap reserved) procps never sets.
Value procps_mode(const MappingRow& r) {
    const std::string_view kernel = r.m.perms.view();
    r.scratch.assign(kernel.substr(0, 3));
    r.scratch.push_back(kernel[3] == 'p' ? '-' : kernel[3]);
    r.scratch.push_back('-');
    return {.s = r.scratch};
}

// procps's Device: major and minor in hex, 3 and 5 digits at the least.
Value procps_device(const MappingRow& r) {
    r.scratch.clear();
    fmt::format_to(std::back_inserter(r.scratch), "{:03x}:{:05x}", r.m.dev_major, r.m.dev_minor);
    return {.s = r.scratch};
}

// procps's Mapping: a System V shared memory segment by its id, a file by its last component
// (with the kernel's " (deleted)"), the row that holds the stack "  [ stack ]", and every other
// row, named by the kernel or not, "  [ anon ]". procps finds the stack by the main thread's
// start_stack; the kernel names the row that holds it [stack].
Value procps_mapping(const MappingRow& r) {
    const std::string_view path = r.space.path(r.m);
    r.scratch.clear();
    if (r.m.dev_major == 0 && path.starts_with("/SYSV")) {
        fmt::format_to(std::back_inserter(r.scratch), "  [ shmid=0x{:x} ]", r.m.inode);
    } else if (const std::size_t slash = path.rfind('/'); slash != std::string_view::npos) {
        r.scratch.assign(slash + 1 < path.size() ? path.substr(slash + 1) : path.substr(slash));
        if (r.m.deleted()) r.scratch += " (deleted)";
    } else {
        r.scratch.assign(path == "[stack]" ? "  [ stack ]" : "  [ anon ]");
    }
    return {.s = r.scratch};
}

constexpr auto kPmapDFields = concat<MappingRow>(
    {kAddress, kEndData,
     // A size is whole pages, so never "-"; the blank before "Kbytes" makes the column as wide as
     // procps's %7lu.
     kSize.titled(" Kbytes").spelled(Spelling::KiBOrDash),
     MappingField::text("Mode", "", procps_mode).spelled(Spelling::Plain).only(kInTable),
     kPerms.only(kInData),
     kOffset.titled("Offset").aligned(Align::Left).spelled(Spelling::PaddedHex),
     MappingField::text("Device", "", procps_device).spelled(Spelling::Plain).only(kInTable), kDev,
     kInode, MappingField::text("Mapping", "", procps_mapping).only(kInTable)},
    kRawFacts);

// vmatlas mappings: mdb's ::mappings, in bare lower-case hex.
constexpr auto kMappingsFields = concat<MappingRow>(
    {kStart.titled("BASE").spelled(Spelling::Hex), kEnd.titled("LIMIT").spelled(Spelling::Hex),
     kSize.titled("SIZE"), kPerms.only(kInData), kMappedFile.titled("NAME")},
    kRawFacts);

// ---- The views ------------------------------------------------------------------------------

// The line before the table that names the process.
enum class Title { None, Solaris /* "PID: ARGS" */, Procps /* "PID:   ARGS" */ };

// A view of the pmap family: its fields and what its table has besides them.
struct PmapLayout {
    std::string_view name;  // JSON "view"
    const MappingTable& table;
    bool column_header = true;     // a line of column headers
    Title title = Title::Solaris;  // the line that names the process, first
    std::string_view total_label;  // the totals line's first cell; "" for no totals
    bool dashes = false;           // a line of dashes above the totals
    bool device_footer = false;    // procps -d's "mapped: NK    writeable/private: ..." last
    // The JSON document's "schema": every variant of pmap shares one.
    std::string_view schema = schema::kPmap;
};

constexpr PmapLayout kPmap{.name = "pmap",
                           .table = kMappingTable<kPmapFields>,
                           .column_header = false,
                           .total_label = " total"};
constexpr PmapLayout kPmapX{.name = "pmap -x",
                            .table = kMappingTable<kPmapXFields>,
                            .total_label = "total Kb",
                            .dashes = true};
constexpr PmapLayout kPmapXX{.name = "pmap -X",
                             .table = kMappingTable<kPmapXXFields>,
                             .total_label = "total Kb",
                             .dashes = true};
constexpr PmapLayout kPmapS{.name = "pmap -S",
                            .table = kMappingTable<kPmapSFields>,
                            .total_label = "total Kb",
                            .dashes = true};
constexpr PmapLayout kPmapD{.name = "pmap -d",
                            .table = kMappingTable<kPmapDFields>,
                            .title = Title::Procps,
                            .device_footer = true};
constexpr PmapLayout kMappings{.name = "mappings",
                               .table = kMappingTable<kMappingsFields>,
                               .title = Title::None,
                               .schema = schema::kMappings};

// Hex digits of an address column: Solaris pads to the data model.
int address_digits(const AddressSpace& space) {
    return !space.empty() && space.mappings().back().end > (Addr{1} << 32) ? 16 : 8;
}

// "PID: ARGS", as Solaris pmap (seed 001: "268: /usr/lib/zones/zonestatd"), or "PID:   ARGS",
// as procps: the command line when the source knows it, else the process's name; the origin
// when there is no process.
std::string title_line(const AddressSpace& space, Title title) {
    const SourceInfo& src = space.source();
    std::string line;
    if (src.pid > 0) {
        fmt::format_to(std::back_inserter(line), "{}:", src.pid);
        const std::string& args = src.arguments.empty() ? src.process_name : src.arguments;
        if (!args.empty()) {
            line += title == Title::Procps ? "   " : " ";
            append_safe(line, args);
        }
    } else {
        append_safe(line, src.origin);
    }
    line.push_back('\n');
    return line;
}

// procps -d's totals: every row, the private writable ones, the shared ones; in bytes.
struct DeviceTotals {
    std::uint64_t mapped = 0, writeable_private = 0, shared = 0;
};

DeviceTotals device_totals(const AddressSpace& space, std::span<const std::size_t> rows) {
    DeviceTotals t;
    for (const std::size_t i : rows) {
        const Mapping& m = space[i];
        t.mapped += m.size();
        if (m.perms.shared())
            t.shared += m.size();
        else if (m.perms.view()[3] == 'p' && m.perms.writable())
            t.writeable_private += m.size();
    }
    return t;
}

struct Shown {
    std::span<const std::size_t> rows;
    std::optional<AddrRange> range;
    bool quiet = false;
    RowOptions names;
};

// The totals of the fields that are added up (Field::total), over the rows shown: bytes for
// JSON; for the table, the K values it shows, added, so that its totals are the sums of its rows.
struct PmapTotals {
    struct Sum {
        std::uint64_t bytes = 0, kib = 0;
    };
    std::vector<Sum> sums;    // parallel to the view's fields
    bool any_marked = false;  // a row whose bytes a core file does not all hold
    bool has_figures = false;

    bool known(const MappingField& f) const {
        return f.total != Total::SumOfFigures || has_figures;
    }
    // A total as a value its field's spelling writes: its K, in bytes.
    Value table_value(const PmapLayout& view, std::size_t k) const {
        return {.n = sums[k].kib * 1024, .known = known(view.table.fields[k])};
    }
};

PmapTotals add_up(const AddressSpace& space, const Annotations& notes, const PmapLayout& view,
                  const Shown& shown) {
    PmapTotals t{.sums = std::vector<PmapTotals::Sum>(view.table.fields.size()),
                 .has_figures = !space.figures().empty()};
    std::vector<std::size_t> summed;  // the fields added up
    for (std::size_t k = 0; k < view.table.fields.size(); ++k)
        if (view.table.fields[k].total != Total::None) summed.push_back(k);
    std::string scratch;
    for (const std::size_t i : shown.rows) {
        const MappingRow r = mapping_row(space, notes, i, scratch, shown.names);
        t.any_marked = t.any_marked || r.m.contents_missing();
        for (const std::size_t k : summed) {
            const Value v = view.table.fields[k].get(r);
            t.sums[k].bytes += v.n;
            t.sums[k].kib += v.n / 1024;
        }
    }
    return t;
}

void json_view(const AddressSpace& space, const Annotations& notes, const PmapLayout& view,
               const Shown& shown, std::string& out) {
    JsonWriter w(out);
    begin_document(w, view.schema);
    json_preamble(w, space);
    w.key("view").string(view.name);
    if (shown.range) {
        w.key("range").begin_object();
        w.key("lo").hex(shown.range->lo);
        w.key("hi").hex(shown.range->hi);
        w.end_object();
    }
    w.key("mappings").begin_array();
    std::string scratch;
    for (const std::size_t i : shown.rows) {
        w.begin_object();
        json_fields(w, view.table.fields, mapping_row(space, notes, i, scratch, shown.names));
        w.end_object();
    }
    w.end_array();
    if (view.device_footer) {
        const DeviceTotals t = device_totals(space, shown.rows);
        w.key("totals").begin_object();
        w.key("count").number(shown.rows.size());
        w.key("mapped").number(t.mapped);
        w.key("writeable_private").number(t.writeable_private);
        w.key("shared").number(t.shared);
        w.end_object();
    }
    if (!view.total_label.empty()) {
        const PmapTotals totals = add_up(space, notes, view, shown);
        w.key("totals").begin_object();
        w.key("count").number(shown.rows.size());
        for (std::size_t k = 0; k < view.table.fields.size(); ++k) {
            const MappingField& f = view.table.fields[k];
            if (f.total == Total::None) continue;
            w.key(f.key);
            if (totals.known(f))
                w.number(totals.sums[k].bytes);
            else
                w.null();
        }
        w.end_object();
    }
    json_warnings(w, space, notes.warnings);
    w.end_object();
    w.finish();
}

void csv_view(const AddressSpace& space, const Annotations& notes, const PmapLayout& view,
              const Shown& shown, std::string& out) {
    csv_header(out, view.table.fields);
    out.push_back('\n');
    std::string scratch;
    for (const std::size_t i : shown.rows) {
        csv_fields(out, view.table.fields, mapping_row(space, notes, i, scratch, shown.names));
        out.push_back('\n');
    }
}

void table_view(const AddressSpace& space, const Annotations& notes, const PmapLayout& view,
                const Shown& shown, const Palette& palette, std::string& out, const Flush& flush) {
    // procps prints 16 lower-case digits whatever the data model, and marks nothing.
    const TableStyle style =
        view.device_footer ? TableStyle{.address_digits = 16, .upper_case_hex = false}
                           : TableStyle{.address_digits = address_digits(space), .marks = true};
    const PmapTotals totals = add_up(space, notes, view, shown);
    const bool with_totals = !view.total_label.empty() && !shown.quiet;
    // The table's columns as indices into the fields; the totals line ends at the last column
    // that is added up.
    std::vector<std::size_t> columns;
    std::size_t last = 0;
    for (std::size_t k = 0; k < view.table.fields.size(); ++k) {
        if (!view.table.fields[k].in_table()) continue;
        if (view.table.fields[k].total != Total::None) last = columns.size();
        columns.push_back(k);
    }
    auto total_width = [&](std::size_t k) {
        std::string text;
        const MappingField& f = view.table.fields[k];
        return append_cell(text, f.type, f.spelling, totals.table_value(view, k), style);
    };
    auto emit_totals = [&](Table& t) {
        if (view.dashes) {  // as wide as each column will be: the totals are its widest numbers
            t.begin_row();
            for (std::size_t c = 0; c <= last; ++c) {
                const MappingField& f = view.table.fields[columns[c]];
                std::size_t width = 0;
                if (c == 0)
                    width = std::max<std::size_t>({static_cast<std::size_t>(style.address_digits),
                                                   f.header.size(), view.total_label.size()});
                else if (f.total != Total::None)
                    width = std::max(f.header.size(), total_width(columns[c]));
                t.cell(std::string(width, '-'));
            }
        }
        t.begin_row();
        for (std::size_t c = 0; c <= last; ++c) {
            const MappingField& f = view.table.fields[columns[c]];
            if (c == 0)
                t.cell(view.total_label);
            else if (f.total != Total::None)
                table_cell(t, f.type, f.spelling, totals.table_value(view, columns[c]), style);
            else
                t.cell("");
        }
    };

    Table table(table_columns(view.table.fields));
    if (!view.column_header || shown.quiet) table.hide_header();
    std::string scratch;
    auto emit = [&](Table& t) {
        for (const std::size_t i : shown.rows) {
            t.begin_row(palette.start(role_of(notes, i)));
            view.table.row(t, mapping_row(space, notes, i, scratch, shown.names), style);
        }
        if (with_totals) emit_totals(t);
    };
    if (palette.on && !shown.quiet) {
        out += legend(palette);
        out.push_back('\n');
    }
    // procps's -q keeps the line that names the process; Solaris's drops it.
    if (view.title == Title::Procps || (view.title == Title::Solaris && !shown.quiet))
        out += title_line(space, view.title);
    table.write(out, palette.reset(), emit, flush);
    if (view.device_footer && !shown.quiet) {
        const DeviceTotals t = device_totals(space, shown.rows);
        fmt::format_to(std::back_inserter(out),
                       "mapped: {}K    writeable/private: {}K    shared: {}K\n", t.mapped >> 10,
                       t.writeable_private >> 10, t.shared >> 10);
    }
    if (totals.any_marked && !shown.quiet && !view.device_footer)
        out += "* the core file holds only part or none of these bytes\n";
}

void render_view(const AddressSpace& space, const Annotations& notes, const PmapLayout& view,
                 const Shown& shown, Format format, const Palette& palette, std::string& out,
                 const Flush& flush) {
    switch (format) {
        case Format::Json:
            return json_view(space, notes, view, shown, out);
        case Format::Csv:
            return csv_view(space, notes, view, shown, out);
        case Format::Table:
            return table_view(space, notes, view, shown, palette, out, flush);
    }
}

}  // namespace

void render_pmap(const AddressSpace& space, const Annotations& notes, const PmapOptions& options,
                 Format format, const Palette& palette, std::string& out, const Flush& flush) {
    const std::vector<std::size_t> rows = rows_in_range(space, options.range);
    const PmapLayout& view = options.mode == PmapMode::Smaps      ? kPmapXX
                             : options.mode == PmapMode::Extended ? kPmapX
                             : options.mode == PmapMode::Swap     ? kPmapS
                             : options.mode == PmapMode::Device   ? kPmapD
                                                                  : kPmap;
    // Solaris and procps show basenames under -x, -X and -S.
    const bool basenames = options.basenames || options.mode != PmapMode::Basic;
    render_view(space, notes, view,
                {rows, options.range, options.quiet, {basenames, options.no_segment_names}}, format,
                palette, out, flush);
}

void render_mappings(const AddressSpace& space, const Annotations& notes,
                     const MappingsOptions& options, Format format, const Palette& palette,
                     std::string& out, const Flush& flush) {
    const std::vector<std::size_t> rows = rows_in_range(space, std::nullopt);
    render_view(space, notes, kMappings,
                {rows, std::nullopt, false, {options.basenames, options.no_segment_names}}, format,
                palette, out, flush);
}

}  // namespace vmatlas
