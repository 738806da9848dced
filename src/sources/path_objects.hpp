// The ObjectReader of a map that names its files but not their device and inode (gdb's text):
// each mapped ELF object's headers are read from the file at its path on this machine, as it is
// now. Nothing can check that it is the file the process mapped; finish() says so once.
#pragma once

#include <memory>

#include "sources/object_reader.hpp"

namespace vmatlas {

std::shared_ptr<const ObjectReader> make_path_object_reader();

}  // namespace vmatlas
