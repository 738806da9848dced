// What the object readers of cores and gdbserver targets share: an object's headers read from a
// regular file on this machine, and whether two objects load the same way.
#pragma once

#include <optional>
#include <string>

#include "vmatlas/elf.hpp"

namespace vmatlas {

// The headers (with sections and build-id) of the ELF file at `path`: nothing when it is no
// regular file (a device or a FIFO is never opened: checked before opening, and again on what
// was opened), cannot be read, or is no ELF file.
std::optional<elf::ElfObject> read_regular_elf(const std::string& path);

// Whether two objects have the same PT_LOAD headers (offset, address, sizes, flags), in order:
// what says two objects without build-ids are one.
bool same_loads(const elf::ElfObject& a, const elf::ElfObject& b);

}  // namespace vmatlas
