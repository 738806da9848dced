#include "targets.hpp"

#include <cstdint>

#include <fmt/format.h>

namespace py = pybind11;

namespace vmatlas::python {

namespace {

bool is_int(py::handle h) {
    return py::isinstance<py::int_>(h) && !py::isinstance<py::bool_>(h);
}

std::string fs_bytes(py::handle path) {
    // Kept, never released: the interpreter may be finalized before static objects are.
    static const py::handle fsencode =
        py::object(py::module_::import("os").attr("fsencode")).release();
    return fsencode(path).cast<std::string>();
}

}  // namespace

std::string target_text(py::handle target) {
    if (is_int(target)) return py::str(target).cast<std::string>();
    if (py::isinstance<py::str>(target) || py::isinstance<py::bytes>(target) ||
        py::hasattr(target, "__fspath__"))
        return fs_bytes(target);
    throw py::type_error("a target is a PID (int) or a str: 'self', a process name or a path");
}

std::string path_text(py::handle path) {
    if (py::isinstance<py::str>(path) || py::isinstance<py::bytes>(path) ||
        py::hasattr(path, "__fspath__"))
        return fs_bytes(path);
    throw py::type_error("a path is a str, bytes or os.PathLike");
}

std::vector<std::string> paths(py::handle list) {
    if (py::isinstance<py::str>(list) || py::isinstance<py::bytes>(list))
        throw py::type_error("add is a list of paths, not one path");
    std::vector<std::string> out;
    for (py::handle p : list) out.push_back(path_text(p));
    return out;
}

std::string address_text(py::handle address) {
    if (is_int(address)) {
        const unsigned long long a = PyLong_AsUnsignedLongLong(address.ptr());
        if (PyErr_Occurred()) {
            PyErr_Clear();
            throw py::value_error(fmt::format("{} is no address: an address is 0 to 2**64 - 1",
                                              py::repr(address).cast<std::string>()));
        }
        return fmt::format("{:#x}", static_cast<std::uint64_t>(a));
    }
    if (py::isinstance<py::str>(address)) return address.cast<std::string>();
    throw py::type_error("an address is an int or a str (an address expression)");
}

}  // namespace vmatlas::python
