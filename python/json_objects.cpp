#include "json_objects.hpp"

namespace py = pybind11;

namespace vmatlas::python {

pybind11::object parse_json(std::string_view text) {
    // Python's own parser: the objects are those json.loads makes of the command's output (big
    // integers exact, keys in document order), and it is the fastest way to make them.
    // Kept, never released: the interpreter may be finalized before static objects are.
    static const py::handle loads = py::object(py::module_::import("json").attr("loads")).release();
    return loads(py::str(text.data(), text.size()));
}

}  // namespace vmatlas::python
