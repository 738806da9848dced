// Facts of the model that render/ reads here and nowhere else, so that a change of their types
// changes this file only: a source's kind, a row's role, a row's label.
#pragma once

#include <cstddef>
#include <string_view>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"

namespace vmatlas {

// What kind of source the map was read from: "procfs", "core", "maps text", ...
std::string_view source_kind(const AddressSpace& space);
// The map was read from a core file.
bool is_core(const AddressSpace& space);

// What row i is to the default colours: stack, heap, code, ...
inline Role role_of(const Annotations& notes, std::size_t i) {
    return notes.roles[i];
}

// An empty label: no name, from nowhere.
const Label& no_label();

// Row i's label; no_label() when the annotations hold no labels (a diff's may not).
inline const Label& label_at(const Annotations& notes, std::size_t i) {
    return notes.labels.empty() ? no_label() : notes.labels[i];
}

}  // namespace vmatlas
