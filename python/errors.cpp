#include "errors.hpp"

#include "render/safe_text.hpp"

namespace py = pybind11;

namespace vmatlas::python {

namespace {

constexpr const char* kErrorDoc =
    "A failure of vmatlas: str(e) is the command's sentence for it, e.kind the kind of error "
    "(\"no_such_process\", \"ambiguous_target\", \"permission_denied\", \"process_exited\", "
    "\"kernel_thread\", \"unreadable_input\", \"malformed_input\", \"unsupported\", \"usage\", "
    "\"no_match\"), "
    "e.status the command's exit status for it (docs/exit-status.md), e.warnings the "
    "warnings the command printed before it, and e.output what it printed on standard output "
    "(for \"no_match\", from render(strict=True)).";

// The class, made once by add_error_class and kept for the life of the interpreter.
PyObject* g_error_class = nullptr;

}  // namespace

void add_error_class(py::module_& m) {
    g_error_class = PyErr_NewExceptionWithDoc("vmatlas.Error", kErrorDoc, PyExc_Exception, nullptr);
    if (g_error_class == nullptr) throw py::error_already_set();
    py::handle cls(g_error_class);
    // What an Error made by hand (vmatlas.Error("...")) has.
    cls.attr("kind") = py::none();
    cls.attr("status") = py::none();
    cls.attr("warnings") = py::tuple();
    cls.attr("output") = "";
    m.add_object("Error", cls);
}

namespace {

// Raises a vmatlas.Error with these attributes.
[[noreturn]] void raise_with(const Error& error, std::string kind, int status,
                             const std::vector<std::string>& warnings, std::string output) {
    // The sentence as the command prints it: names a process chose are escaped.
    std::string message;
    append_safe(message, error.message);
    py::object e = py::handle(g_error_class)(message);
    e.attr("kind") = std::move(kind);
    e.attr("status") = status;
    py::list said;
    for (const std::string& w : warnings) said.append(w);
    e.attr("warnings") = said;
    e.attr("output") = std::move(output);
    PyErr_SetObject(g_error_class, e.ptr());
    throw py::error_already_set();
}

}  // namespace

void raise(const Error& error, int status, std::vector<std::string> warnings) {
    raise_with(error, std::string(to_string(error.kind)), status, warnings, "");
}

void raise_no_match(const Error& error, std::string output) {
    raise_with(error, "no_match", kNoMatch, {}, std::move(output));
}

}  // namespace vmatlas::python
