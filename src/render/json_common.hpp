// The parts every JSON view shares: where the map came from, how its rows were accounted for,
// and the source's warnings.
#pragma once

#include "render/json_writer.hpp"
#include "vmatlas/address_space.hpp"

namespace vmatlas {

// "source", "generation", "partial" and "rows" keys of the open top-level object.
void json_preamble(JsonWriter& w, const AddressSpace& space);

// The "warnings" key: every diagnostic of the source, then `extra` (annotators' warnings).
void json_warnings(JsonWriter& w, const AddressSpace& space,
                   const std::vector<std::string>& extra = {});

}  // namespace vmatlas
