// vmatlas.Error: the exception every failure of the module raises, carrying what the command
// says and does for it: str() is the command's sentence (without "vmatlas: "), .kind names the
// library's ErrorKind ("no_such_process"), .status is the command's exit status
// (docs/exit-status.md), .warnings what the command printed as warnings before it (the rows of
// a file that could not be read), and .output what it printed on standard output (a no-match).
#pragma once

#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "vmatlas/exit_statuses.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas::python {

// Adds the Error class to the module.
void add_error_class(pybind11::module_& m);

// Raises vmatlas.Error for a filter that matched nothing (render(strict=True)): .kind
// "no_match", .status 1 (the command's), .output what the command printed on standard output.
[[noreturn]] void raise_no_match(const Error& error, std::string output);

// Raises vmatlas.Error for error, with the command's status for it unless another is given.
[[noreturn]] void raise(const Error& error, int status, std::vector<std::string> warnings = {});
[[noreturn]] inline void raise(const Error& error) {
    raise(error, exit_status(error.kind));
}

}  // namespace vmatlas::python
