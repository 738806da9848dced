// vmatlas.where and vmatlas.diff: the answers of `vmatlas where --json` and `vmatlas diff --json`.
#pragma once

#include <pybind11/pybind11.h>

#include "map.hpp"

namespace vmatlas::python {

// What is at each address of target (a PID, a str as the command's TARGET, or a Map), in the
// order given: a list of the objects `vmatlas where --json TARGET ADDR...` writes, one an input.
pybind11::list where(pybind11::handle target, pybind11::handle addresses);

// What changed between two maps: the document `vmatlas diff --json A B` writes.
pybind11::object diff(const Map& a, const Map& b);

}  // namespace vmatlas::python
