#include "render/json_common.hpp"

#include <fmt/format.h>

#include "render/model_reads.hpp"

namespace vmatlas {

void begin_document(JsonWriter& w, std::string_view schema_name) {
    w.begin_object();
    w.key("schema").string(schema_name);
}

void json_preamble(JsonWriter& w, const AddressSpace& space) {
    const SourceInfo& src = space.source();
    w.key("source").begin_object();
    w.key("kind").string(source_kind(space));
    w.key("origin").string(src.origin);
    w.key("pid");
    if (src.pid > 0)
        w.number(static_cast<std::uint64_t>(src.pid));
    else
        w.null();
    w.key("process").string(src.process_name);
    if (!src.method.empty()) w.key("method").string(src.method);
    w.end_object();
    w.key("generation").hex(space.generation());
    const RowAccount& rows = space.rows();
    w.key("partial").boolean(space.partial());
    w.key("rows").begin_object();
    w.key("read").number(rows.read);
    w.key("kept").number(rows.kept);
    w.key("superseded").number(rows.superseded);
    w.key("rejected").number(rows.rejected);
    w.end_object();
}

void json_warnings(JsonWriter& w, const AddressSpace& space,
                   const std::vector<std::string>& extra) {
    w.key("warnings").begin_array();
    for (const Diagnostic& d : space.diagnostics()) {
        if (d.line)
            w.string(fmt::format("line {}, column {}: {}", d.line, d.column, d.message));
        else
            w.string(d.message);
    }
    for (const std::string& e : extra) w.string(e);
    w.end_array();
}

}  // namespace vmatlas
