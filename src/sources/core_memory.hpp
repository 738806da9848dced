// The memory a core file holds: its PT_LOAD segments' dumped bytes, read on demand with pread.
// Shared by the core source (which finds the segments) and its ObjectReader (which reads the
// first page of each mapped ELF object to check it against the file on disk).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vmatlas/mapping.hpp"

namespace vmatlas::core {

struct Segment {
    Addr vaddr = 0;
    std::uint64_t memsz = 0;
    std::uint64_t dumped = 0;  // bytes of it in the file: p_filesz, cut where the file ends
    std::uint64_t offset = 0;  // p_offset
    std::uint32_t flags = 0;   // p_flags
};

class Memory {
  public:
    // Takes ownership of fd.
    explicit Memory(int fd) : fd_(fd) {}
    ~Memory();
    Memory(const Memory&) = delete;
    Memory& operator=(const Memory&) = delete;

    // Up to len bytes from addr on, as far as one segment's dumped bytes go; fewer (or none)
    // when the core does not hold them.
    std::vector<std::uint8_t> read(Addr addr, std::size_t len) const;

    // The PT_LOAD segments, in any order.
    void set_segments(std::vector<Segment> segments);

  private:
    int fd_;
    std::vector<Segment> segments_;  // sorted by vaddr
};

}  // namespace vmatlas::core
