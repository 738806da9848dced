// A JSON document the library wrote, as Python objects: what json.loads gives for the command's
// output, so that a row of the module is == the row a script reads from `vmatlas --json`.
#pragma once

#include <string_view>

#include <pybind11/pybind11.h>

namespace vmatlas::python {

pybind11::object parse_json(std::string_view text);

}  // namespace vmatlas::python
