// Checked arithmetic on untrusted offsets and sizes: every sum or bound a file or a process
// gives is computed through these, so that a hostile value cannot wrap around.
#pragma once

#include <cstdint>
#include <optional>

namespace vmatlas {

// a + b, or nothing when the sum would wrap.
constexpr std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) {
    if (a > UINT64_MAX - b) return std::nullopt;
    return a + b;
}

// Whether [offset, offset + size) lies inside [0, limit), without computing offset + size.
constexpr bool fits(std::uint64_t offset, std::uint64_t size, std::uint64_t limit) {
    return offset <= limit && limit - offset >= size;
}

}  // namespace vmatlas
