// The digest behind AddressSpace::generation(), shared with the live map walk (map_walk.hpp) so
// that a walk's generation and a read map's generation are the same number for the same map.
// Stable across runs and machines (std::hash is not): FxHash's one multiply per 8-byte word.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "vmatlas/mapping.hpp"

namespace vmatlas::detail {

class RowDigest {
  public:
    // Adds one row: start, end, offset, inode, device, perms and flags, then its path (a file or
    // a kernel name, without " (deleted)": the flags say it).
    void add_row(const Mapping& m, std::string_view path) {
        add_u64(m.start);
        add_u64(m.end);
        add_u64(raw(m.offset));
        add_u64(m.inode);
        add_u64((std::uint64_t{m.dev_major} << 32) | m.dev_minor);
        add_u64((std::uint64_t{m.perms.bits()} << 8) | m.flags);
        add_u64(path.size());
        add_bytes(path.data(), path.size());
    }
    std::uint64_t value() const { return h_; }

  private:
    void add_u64(std::uint64_t v) { h_ = (((h_ << 5) | (h_ >> 59)) ^ v) * 0x517cc1b727220a95ull; }
    void add_bytes(const char* p, std::size_t n) {
        for (; n >= 8; n -= 8, p += 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            add_u64(w);
        }
        std::uint64_t tail = 0;
        std::memcpy(&tail, p, n);
        add_u64(tail);
    }
    std::uint64_t h_ = 0;
};

}  // namespace vmatlas::detail
