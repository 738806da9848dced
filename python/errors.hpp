// vmatlas.Error: the exception every failure of the module raises, carrying what the command
// says and does for it: str() is the command's sentence (without "vmatlas: "), .kind names the
// library's ErrorKind ("no_such_process"), .status is the command's exit status
// (docs/exit-status.md), and .warnings what the command printed as warnings before it (the
// rows of a file that could not be read).
#pragma once

#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "vmatlas/exit_statuses.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas::python {

// Adds the Error class to the module.
void add_error_class(pybind11::module_& m);

// Raises vmatlas.Error for error, with the command's status for it unless another is given.
[[noreturn]] void raise(const Error& error, int status, std::vector<std::string> warnings = {});
[[noreturn]] inline void raise(const Error& error) {
    raise(error, exit_status(error.kind));
}

}  // namespace vmatlas::python
