// The breakpoints of one traced address space. The first four addresses use the CPU's debug
// registers: nothing in the tracee's memory changes, so a tracee that reads or checksums its own
// code, or maps the same file again, sees its own bytes. Beyond four, an int3 (0xCC) is written
// over the instruction's first byte through /proc/PID/mem, which copies the page on write: the
// file and every other private mapping of it keep their bytes (a shared, writable mapping of the
// code, as some JITs make, would show the int3 to its other mappings too). The original byte is
// kept and written back when the point is lifted (to step over it) and when the trace ends, only
// where the int3 still is.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "vmatlas/mapping.hpp"

namespace vmatlas::trace {

class Breakpoints {
  public:
    static constexpr std::size_t kDebugRegisters = 4;
    static constexpr std::uint8_t kInt3 = 0xCC;

    explicit Breakpoints(int pid) : pid_(pid) {}
    ~Breakpoints();
    Breakpoints(const Breakpoints&) = delete;
    Breakpoints& operator=(const Breakpoints&) = delete;

    // A fork's copy: the same points, for the child `pid`, whose memory holds the parent's int3s.
    Breakpoints copy_for(int pid) const;
    Breakpoints(Breakpoints&&) noexcept;

    // Arms a point at a. A debug register while one is free (the threads then need apply()),
    // else an int3, written now when a is mapped and later by rewrite() when it is not.
    void arm(Addr a);
    void disarm(Addr a);
    bool armed(Addr a) const;
    bool in_memory(Addr a) const;  // an int3 is there now
    std::vector<Addr> addresses() const;

    // Sets a stopped thread's debug registers to the hardware points. False when the kernel
    // refused (the thread is gone).
    bool apply(int tid) const;

    // The instruction's own byte back at an int3 point (to step over it), and the int3 again.
    bool lift(Addr a);
    bool lower(Addr a);

    // After the map changed: an int3 the new mapping replaced (or a point newly mapped) is
    // written again, over the byte now there.
    void rewrite();

    // Every int3 written back to the instruction's own byte; the points stay known (lower() or
    // rewrite() puts them back).
    void remove_from_memory();

  private:
    struct Software {
        std::uint8_t original = 0;
        bool written = false;
    };
    bool read_byte(Addr a, std::uint8_t& b);
    // Writes the instruction's own byte back where our int3 still is. False when it could not.
    bool restore(Addr a, std::uint8_t original);
    bool write_byte(Addr a, std::uint8_t b);

    int pid_;
    int mem_ = -1;
    std::array<std::optional<Addr>, kDebugRegisters> hardware_{};
    std::map<Addr, Software> software_;
};

}  // namespace vmatlas::trace
