// The Python module `vmatlas` (docs/python.md): one definition of each name it has.
#include <pybind11/pybind11.h>

#include "errors.hpp"
#include "functions.hpp"
#include "map.hpp"

namespace py = pybind11;

PYBIND11_MODULE(vmatlas, m) {
    using namespace vmatlas::python;
    m.doc() =
        "vmatlas: the memory map of a process, a core file or a saved map, named and queried as "
        "the vmatlas command does it (docs/python.md).";
    add_error_class(m);
    add_map(m);
    m.def("where", &where, py::arg("target"), py::arg("addresses"),
          "What is at each address: a list of dicts, one an address, == the objects `vmatlas "
          "where --json TARGET ADDR...` writes. target is a PID, a str as the command's TARGET, "
          "or a Map; an address an int or a str (an address expression: 'malloc+16', "
          "'libc.so.6+0x1234', '[heap]').");
    m.def("diff", &diff, py::arg("a"), py::arg("b"),
          "What changed from Map a to Map b: == json.loads(`vmatlas diff --json A B`).");
}
