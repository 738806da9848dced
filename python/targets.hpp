// Targets and addresses as Python gives them, turned into the text the command would be given.
#pragma once

#include <string>
#include <vector>

#include <pybind11/pybind11.h>

namespace vmatlas::python {

// A target: an int is a PID; a str, bytes or os.PathLike is what the command's TARGET is ("self",
// a process name, a path), its bytes those the file system sees (os.fsencode).
std::string target_text(pybind11::handle target);

// A path: a str, bytes or os.PathLike, as the file system sees it.
std::string path_text(pybind11::handle path);

// Targets of --add: a list of paths.
std::vector<std::string> paths(pybind11::handle list);

// An address: an int (0 to 2^64 - 1) is written in hex, "0x7f35f0a1c2d0"; a str is taken as it
// is, an address expression or a filter as the command takes it ("malloc+16", "[heap]", "libc").
std::string address_text(pybind11::handle address);

}  // namespace vmatlas::python
