// The parts every JSON view shares: the name of its schema, where the map came from, how its rows
// were accounted for, and the source's warnings.
#pragma once

#include <string_view>

#include "render/json_writer.hpp"
#include "vmatlas/address_space.hpp"

namespace vmatlas {

// The schema of each JSON document vmatlas writes, "vmatlas.<view>/<version>": the value of its
// first key, "schema". A version holds while keys are only added; removing, renaming or retyping
// a key takes the next one (docs/json.md). Each has its JSON Schema in
// docs/schema/<view>.schema.json. A snapshot's is kSnapshotSchema (vmatlas/snapshot.hpp), beside
// its format and version.
namespace schema {
inline constexpr std::string_view kMap = "vmatlas.map/1";
inline constexpr std::string_view kGaps = "vmatlas.gaps/1";
inline constexpr std::string_view kSummary = "vmatlas.summary/1";
inline constexpr std::string_view kPmap = "vmatlas.pmap/1";
inline constexpr std::string_view kMappings = "vmatlas.mappings/1";
inline constexpr std::string_view kWhere = "vmatlas.where/1";
inline constexpr std::string_view kElf = "vmatlas.elf/1";
inline constexpr std::string_view kDiff = "vmatlas.diff/1";
inline constexpr std::string_view kTrace = "vmatlas.trace/1";
}  // namespace schema

// Opens a document's top-level object and writes its "schema" key, the first.
void begin_document(JsonWriter& w, std::string_view schema_name);

// "source", "generation", "partial" and "rows" keys of the open top-level object.
void json_preamble(JsonWriter& w, const AddressSpace& space);

// The "warnings" key: every diagnostic of the source, then `extra` (annotators' warnings).
void json_warnings(JsonWriter& w, const AddressSpace& space,
                   const std::vector<std::string>& extra = {});

}  // namespace vmatlas
