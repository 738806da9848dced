// vmatlas trace's rows: PANDA memorymap's line of key=value pairs (its nine fields in its order,
// "(unknown)" for what is not known, as memorymap writes it), then vmatlas's own; or one JSON
// object a line (schema vmatlas.trace/1, null for what is not known). Every field is defined once
// (trace_view.cpp), on the field layer (render/fields.hpp).
#pragma once

#include <string>

#include "trace/trace_row.hpp"

namespace vmatlas {

enum class TraceStyle : std::uint8_t { Pairs, Json };

// Appends the row, and its newline, to out.
void write_trace_row(const trace::TraceRow& row, TraceStyle style, std::string& out);

}  // namespace vmatlas
