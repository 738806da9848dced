#include "render/trace_view.hpp"

#include "render/fields.hpp"
#include "render/json_common.hpp"

namespace vmatlas {

namespace {

using trace::TraceRow;
using TraceField = Field<TraceRow>;

Value text(std::string_view s) {
    return Value{.s = s, .known = !s.empty()};
}

// vmatlas's own words, written as they are.
constexpr TraceField word(std::string_view key, TraceField::Getter get) {
    return TraceField::text(key, key, get).spelled(Spelling::Plain);
}

constexpr TraceField kFields[] = {
    TraceField::address("pc", "pc", [](const TraceRow& r) { return Value{.n = r.pc}; }),
    TraceField::number("instr_count", "instr_count", Spelling::Decimal,
                       [](const TraceRow& r) {
                           return Value{.n = r.instr_count.value_or(0),
                                        .known = r.instr_count.has_value()};
                       }),
    TraceField::text("process", "process", [](const TraceRow& r) { return text(r.process); }),
    TraceField::number(
        "pid", "pid", Spelling::Decimal,
        [](const TraceRow& r) { return Value{.n = static_cast<std::uint64_t>(r.pid)}; }),
    TraceField::number(
        "tid", "tid", Spelling::Decimal,
        [](const TraceRow& r) { return Value{.n = static_cast<std::uint64_t>(r.tid)}; }),
    TraceField{"in_kernel", "in_kernel", Align::Left, Type::Bool, Spelling::Plain,
               [](const TraceRow& r) {
                   return Value{.n = r.in_kernel, .s = r.in_kernel ? "true" : "false"};
               }},
    TraceField::text("image_name", "image_name",
                     [](const TraceRow& r) { return text(r.image_name); }),
    TraceField::text("image_path", "image_path",
                     [](const TraceRow& r) { return text(r.image_path); }),
    TraceField::address("image_base", "image_base",
                        [](const TraceRow& r) {
                            return Value{.n = r.image_base.value_or(0),
                                         .known = r.image_base.has_value()};
                        }),
    // vmatlas's own.
    TraceField::text("segment", "segment", [](const TraceRow& r) { return text(r.segment); }),
    TraceField::text("symbol", "symbol", [](const TraceRow& r) { return text(r.symbol); }),
    TraceField::number(
        "symbol_offset", "symbol_offset", Spelling::PrefixedHex,
        [](const TraceRow& r) { return Value{.n = r.symbol_offset, .known = !r.symbol.empty()}; }),
    word("syscall", [](const TraceRow& r) { return text(r.syscall); }),
    TraceField::number("generation", "generation", Spelling::Decimal,
                       [](const TraceRow& r) { return Value{.n = r.generation}; }),
};

// PANDA's nine: in every line, "(unknown)" when not known. vmatlas's own: when known.
bool panda_field(std::size_t index) {
    return index < 9;
}

const TableStyle& pair_style() {
    static const TableStyle style{.unknown = "(unknown)"};
    return style;
}

}  // namespace

void write_trace_row(const TraceRow& row, TraceStyle style, std::string& out) {
    if (style == TraceStyle::Json) {
        JsonWriter w(out);
        begin_document(w, schema::kTrace);
        for (const TraceField& f : kFields) {
            w.key(f.key);
            json_value(w, f.type, f.get(row));
        }
        w.end_object();
        out.push_back('\n');
        return;
    }
    for (std::size_t i = 0; i < std::size(kFields); ++i) {
        const TraceField& f = kFields[i];
        const Value v = f.get(row);
        if (v.known || panda_field(i)) append_pair(out, f.key, f.type, f.spelling, v, pair_style());
    }
    out.push_back('\n');
}

}  // namespace vmatlas
