// Internal to the sources: the checks of an ELF file's identification that come before libelf
// (elf_object.cpp), shared with the core reader (core.cpp) so that a file cut inside its header
// is said to be so, with its size, whichever reader meets it.
#pragma once

#include <cstdint>
#include <span>

#include "vmatlas/result.hpp"

namespace vmatlas::elf {

// The ELF class (ELFCLASS32 or ELFCLASS64) of a file of file_size bytes whose first bytes (up to
// EI_NIDENT of them) are ident; else an error that says what is wrong: not ELF (Unsupported), or
// cut inside its identification or its header, or an unknown class or data encoding
// (MalformedInput): "truncated ELF header: 30 bytes, an ELF64 header needs 64".
Result<unsigned> check_ident(std::span<const std::uint8_t> ident, std::uint64_t file_size);

}  // namespace vmatlas::elf
