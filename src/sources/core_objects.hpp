// The ObjectReader of a core file: each mapped ELF object's headers come from the file on disk
// when its build-id (or, without one, its program headers) matches the first page of the object
// that the kernel dumped into the core, and from that dumped page otherwise.
#pragma once

#include <memory>

#include "sources/core_memory.hpp"
#include "sources/object_reader.hpp"

namespace vmatlas::core {

std::shared_ptr<const ObjectReader> make_object_reader(std::unique_ptr<Memory> memory);

}  // namespace vmatlas::core
