// vmatlas where's view (where_view.hpp): one list of fields on the field layer, written as a
// block or key=value pairs through append_cell(), as JSON through json_fields() and as CSV through
// csv_header() and csv_fields().
#include "render/where_view.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "render/fields.hpp"
#include "render/json_common.hpp"
#include "render/model_reads.hpp"

namespace vmatlas {

namespace {

// One answer, and the text made for it: demangled names, the chain of inlined calls. `a` is null
// for an input that is no address of the map, and `error` then says why.
struct WhereRow {
    const NamedMap& map;
    std::string_view input;
    const WhereAnswer* a;
    std::string_view error;
    std::string_view symbol, function, inlined;

    const Mapping* mapping() const { return a && a->row ? &map.space[*a->row] : nullptr; }
    const Label* label() const { return a && a->row ? &label_at(map.notes, *a->row) : nullptr; }
    bool in_hole() const { return a && !a->row; }
};

using WhereField = Field<WhereRow>;

// Text is known when it is not empty.
Value text(std::string_view s) {
    return {.s = s, .known = !s.empty()};
}

template <typename T>
Value number(const std::optional<T>& v) {
    return {.n = v ? static_cast<std::uint64_t>(*v) : 0, .known = v.has_value()};
}

Value number_if(bool known, std::uint64_t n) {
    return {.n = known ? n : 0, .known = known};
}

// An optional fact of the answer: unknown for an input that is no address.
template <typename T>
Value answer_number(const WhereRow& r, std::optional<T> WhereAnswer::*member) {
    return r.a ? number(r.a->*member) : Value{.known = false};
}

// An offset: 0x-hex in the block and the key=value line, a number in JSON and CSV.
constexpr WhereField offset(std::string_view header, std::string_view key, WhereField::Getter get) {
    return WhereField::number(header, key, Spelling::PrefixedHex, get);
}

// vmatlas's own words ("r-xp", "elf", "symtab"): written as they are.
constexpr WhereField word(std::string_view header, std::string_view key, WhereField::Getter get) {
    return WhereField::text(header, key, get).spelled(Spelling::Plain);
}

const SourceFrame* innermost(const WhereRow& r) {
    return r.a && !r.a->frames.empty() ? &r.a->frames.front() : nullptr;
}

// PANDA memorymap's four first, then the mapping, the ELF file, the symbol, the source and, for
// an address in no mapping, its hole and neighbours. The input is in JSON and CSV only (the block
// and the line show it for an input that is no address).
constexpr WhereField kFields[] = {
    WhereField::text("Input", "input", [](const WhereRow& r) { return Value{.s = r.input}; })
        .only(kInData),
    WhereField::address("Address", "pc",
                        [](const WhereRow& r) { return number_if(r.a, r.a ? r.a->address : 0); }),
    WhereField::text("Image", "image_name",
                     [](const WhereRow& r) { return text(r.a ? r.a->image_name : ""); }),
    WhereField::text("Image path", "image_path",
                     [](const WhereRow& r) { return text(r.a ? r.a->image_path : ""); }),
    WhereField::address(
        "Image base", "image_base",
        [](const WhereRow& r) { return answer_number(r, &WhereAnswer::image_base); }),
    offset("Image offset", "image_offset",
           [](const WhereRow& r) {
               const bool known = r.a && r.a->image_base && r.a->address >= *r.a->image_base;
               return number_if(known, known ? r.a->address - *r.a->image_base : 0);
           }),
    WhereField::address("Start", "start",
                        [](const WhereRow& r) {
                            const Mapping* m = r.mapping();
                            return number_if(m, m ? m->start : 0);
                        }),
    WhereField::address("End", "end",
                        [](const WhereRow& r) {
                            const Mapping* m = r.mapping();
                            return number_if(m, m ? m->end : 0);
                        }),
    word("Perms", "perms",
         [](const WhereRow& r) {
             const Mapping* m = r.mapping();
             return Value{.s = m ? m->perms.view() : "", .known = m != nullptr};
         }),
    WhereField::text("Name", "name",
                     [](const WhereRow& r) {
                         const Label* l = r.label();
                         return text(l ? std::string_view(l->name) : "");
                     }),
    word("Name source", "name_source",
         [](const WhereRow& r) {
             const Label* l = r.label();
             return text(l ? to_string(l->source) : "");
         }),
    offset("Mapping offset", "mapping_offset",
           [](const WhereRow& r) { return number_if(r.mapping(), r.a ? r.a->mapping_offset : 0); }),
    offset("File offset", "file_offset",
           [](const WhereRow& r) { return answer_number(r, &WhereAnswer::file_offset); }),
    WhereField::address(
        "ELF vaddr", "elf_vaddr",
        [](const WhereRow& r) { return answer_number(r, &WhereAnswer::elf_vaddr); }),
    WhereField::number("Segment", "segment", Spelling::Decimal,
                       [](const WhereRow& r) { return answer_number(r, &WhereAnswer::segment); }),
    offset("Segment offset", "segment_offset",
           [](const WhereRow& r) { return answer_number(r, &WhereAnswer::segment_offset); }),
    WhereField::text("Section", "section",
                     [](const WhereRow& r) { return text(r.a ? r.a->section : ""); }),
    offset("Section offset", "section_offset",
           [](const WhereRow& r) { return answer_number(r, &WhereAnswer::section_offset); }),
    WhereField::text("Symbol", "symbol", [](const WhereRow& r) { return text(r.symbol); }),
    offset("Symbol offset", "symbol_offset",
           [](const WhereRow& r) {
               return number_if(!r.symbol.empty(), r.a ? r.a->symbol.offset : 0);
           }),
    WhereField::number(
        "Symbol size", "symbol_size", Spelling::Decimal,
        [](const WhereRow& r) { return number_if(!r.symbol.empty(), r.a ? r.a->symbol.size : 0); }),
    word("Symbol source", "symbol_source",
         [](const WhereRow& r) {
             return text(r.symbol.empty() ? "" : to_string(r.a->symbol.source));
         }),
    word("Symbol match", "symbol_match",
         [](const WhereRow& r) {
             return text(r.symbol.empty() ? "" : to_string(r.a->symbol.match));
         }),
    WhereField::text("Function", "function", [](const WhereRow& r) { return text(r.function); }),
    // The innermost frame's file; without lines, the STT_FILE a local symbol follows.
    WhereField::text("File", "file",
                     [](const WhereRow& r) {
                         if (const SourceFrame* f = innermost(r)) return text(f->file);
                         return text(r.symbol.empty() ? "" : r.a->symbol.file);
                     }),
    WhereField::number("Line", "line", Spelling::Decimal,
                       [](const WhereRow& r) {
                           const SourceFrame* f = innermost(r);
                           return number_if(f && f->line > 0, f ? f->line : 0);
                       }),
    WhereField::number("Column", "column", Spelling::Decimal,
                       [](const WhereRow& r) {
                           const SourceFrame* f = innermost(r);
                           return number_if(f && f->column > 0, f ? f->column : 0);
                       }),
    WhereField::text("Inlined into", "inlined", [](const WhereRow& r) { return text(r.inlined); }),
    word("Build-id", "build_id", [](const WhereRow& r) { return text(r.a ? r.a->build_id : ""); }),
    WhereField::text("Debug file", "debug_file",
                     [](const WhereRow& r) { return text(r.a ? r.a->debug_file : ""); }),
    WhereField::address(
        "Hole start", "hole_start",
        [](const WhereRow& r) { return number_if(r.in_hole(), r.a ? r.a->hole_start : 0); }),
    WhereField::address(
        "Hole end", "hole_end",
        [](const WhereRow& r) { return number_if(r.in_hole(), r.a ? r.a->hole_end : 0); }),
    WhereField::address("Row below", "below",
                        [](const WhereRow& r) {
                            const bool known = r.in_hole() && r.a->below;
                            return number_if(known, known ? r.map.space[*r.a->below].start : 0);
                        }),
    WhereField::address("Row above", "above",
                        [](const WhereRow& r) {
                            const bool known = r.in_hole() && r.a->above;
                            return number_if(known, known ? r.map.space[*r.a->above].start : 0);
                        }),
    WhereField::text("Error", "error", [](const WhereRow& r) { return text(r.error); }),
};

const WhereField* field_named(std::string_view key) {
    const auto f = std::find_if(std::begin(kFields), std::end(kFields),
                                [&](const WhereField& x) { return x.key == key; });
    return f == std::end(kFields) ? nullptr : &*f;
}

// PANDA's four: always in a line about an address, "(unknown)" when not known, as memorymap
// writes them.
bool panda_field(const WhereField& f) {
    return f.key == "pc" || f.key == "image_name" || f.key == "image_path" || f.key == "image_base";
}

// A C++ name demangled into buf (the _Z names); any other name as it is.
std::string_view demangled(std::string_view name, std::string& buf) {
    if (!name.starts_with("_Z")) return name;
    const std::string copy(name);
    int status = 0;
    char* out = abi::__cxa_demangle(copy.c_str(), nullptr, nullptr, &status);
    if (status != 0 || out == nullptr) return name;
    buf = out;
    std::free(out);
    return buf;
}

}  // namespace

struct WhereView::Impl {
    const NamedMap& map;
    WhereViewOptions options;
    std::vector<WhereField> fields;  // shown, in order
    bool chosen = false;             // --fields: each is written, known or not
    bool wrote_block = false;        // a block was written: the next one follows an empty line
    TableStyle style;
    std::string cell, symbol_buf, function_buf, inlined, scratch;

    void write(const WhereRow& row, std::string& out);
    void write_pairs(const WhereRow& row, std::string& out);
    void write_block(const WhereRow& row, std::string& out);
};

Result<WhereView> WhereView::make(const NamedMap& map, const WhereViewOptions& options) {
    auto impl = std::unique_ptr<Impl>(new Impl{.map = map, .options = options});
    impl->style.unknown = options.style == WhereStyle::Block ? "?" : "(unknown)";
    const bool data = options.style == WhereStyle::Json || options.style == WhereStyle::Csv;
    if (options.fields.empty()) {
        for (const WhereField& f : kFields) {
            // JSON holds the inlined calls as "frames", the data the text of "inlined" is made of.
            if (options.style == WhereStyle::Json && f.key == "inlined") continue;
            if (data ? f.in_data() : f.in_table()) impl->fields.push_back(f);
        }
        return WhereView(std::move(impl));
    }
    impl->chosen = true;
    std::string_view rest = options.fields;
    for (;;) {
        const std::size_t comma = rest.find(',');
        const std::string_view key = rest.substr(0, comma);
        const WhereField* f = field_named(key);
        if (f == nullptr)
            return make_error(
                ErrorKind::Usage,
                fmt::format("--fields: '{}' is no field; the fields are {}", key, keys()));
        // Every field chosen is written, in each format.
        impl->fields.push_back(f->only(kEverywhere));
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
    }
    return WhereView(std::move(impl));
}

WhereView::WhereView(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WhereView::WhereView(WhereView&&) noexcept = default;
WhereView& WhereView::operator=(WhereView&&) noexcept = default;
WhereView::~WhereView() = default;

std::string WhereView::keys() {
    std::string out;
    for (const WhereField& f : kFields) {
        if (!out.empty()) out += ',';
        out += f.key;
    }
    return out;
}

void WhereView::begin(std::string& out) {
    if (impl_->options.style != WhereStyle::Csv) return;
    csv_header(out, impl_->fields);
    out.push_back('\n');
}

void WhereView::answer(std::string_view input, const WhereAnswer& a, std::string& out) {
    Impl& v = *impl_;
    std::string_view symbol = a.symbol.name;
    std::string_view function = a.frames.empty() ? std::string_view() : a.frames.front().function;
    if (v.options.demangle) {
        symbol = demangled(symbol, v.symbol_buf);
        function = demangled(function, v.function_buf);
    }
    // Where each frame was inlined into the next, innermost first: "f at file:line[:column]".
    v.inlined.clear();
    for (std::size_t k = 1; k < a.frames.size(); ++k) {
        const SourceFrame& f = a.frames[k];
        if (!v.inlined.empty()) v.inlined += "; ";
        v.inlined += v.options.demangle ? demangled(f.function, v.scratch) : f.function;
        v.inlined += fmt::format(" at {}:{}", f.file.empty() ? "??" : f.file, f.line);
        if (f.column > 0) v.inlined += fmt::format(":{}", f.column);
    }
    v.write({v.map, input, &a, {}, symbol, function, v.inlined}, out);
}

void WhereView::failed(std::string_view input, std::string_view why, std::string& out) {
    impl_->write({impl_->map, input, nullptr, why, {}, {}, {}}, out);
}

void WhereView::Impl::write(const WhereRow& row, std::string& out) {
    switch (options.style) {
        case WhereStyle::Json: {
            JsonWriter w(out);
            begin_document(w, schema::kWhere);
            json_fields(w, fields, row);
            // The frames, innermost first: the chain addr2line -fi prints.
            if (!chosen) {
                w.key("frames").begin_array();
                if (row.a != nullptr)
                    for (const SourceFrame& f : row.a->frames) {
                        w.begin_object();
                        w.key("function").string(f.function);
                        w.key("file").string(f.file);
                        w.key("line").number(f.line);
                        w.key("column").number(f.column);
                        w.key("inlined").boolean(f.inlined);
                        w.end_object();
                    }
                w.end_array();
            }
            w.end_object();
            w.finish();
            return;
        }
        case WhereStyle::Csv:
            csv_fields(out, fields, row);
            out.push_back('\n');
            return;
        case WhereStyle::Line:
            return write_pairs(row, out);
        case WhereStyle::Block:
            return write_block(row, out);
    }
}

// The fields known, as key=value pairs on one line (PANDA's four always, for an address).
void WhereView::Impl::write_pairs(const WhereRow& row, std::string& out) {
    auto pair = [&](const WhereField& f, const Value& value) {
        append_pair(out, f.key, f.type, f.spelling, value, style);
    };
    if (row.a == nullptr && !chosen) {
        pair(*field_named("input"), Value{.s = row.input});
        pair(*field_named("error"), text(row.error));
    } else {
        for (const WhereField& f : fields) {
            const Value value = f.get(row);
            if (value.known || chosen || (row.a && panda_field(f))) pair(f, value);
        }
    }
    out.push_back('\n');
}

// The fields known, one a line ("Header  value", the values aligned), an empty line between two
// addresses.
void WhereView::Impl::write_block(const WhereRow& row, std::string& out) {
    std::vector<std::pair<const WhereField*, Value>> shown;
    if (row.a == nullptr && !chosen) {
        shown.emplace_back(field_named("input"), Value{.s = row.input});
        shown.emplace_back(field_named("error"), text(row.error));
    } else {
        for (const WhereField& f : fields)
            if (const Value value = f.get(row); value.known || chosen)
                shown.emplace_back(&f, value);
    }
    std::size_t width = 0;
    for (const auto& [f, value] : shown) width = std::max(width, f->header.size());
    if (wrote_block) out.push_back('\n');
    wrote_block = true;
    for (const auto& [f, value] : shown) {
        out += f->header;
        out.append(width - f->header.size() + 2, ' ');
        append_cell(out, f->type, f->spelling, value, style);
        out.push_back('\n');
    }
}

}  // namespace vmatlas
