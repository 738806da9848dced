// A QEMU user-mode guest (qemu-x86_64, qemu-aarch64, ... running a program of another
// architecture, or of this one) as the map the guest program sees, read from the QEMU process
// that runs it (docs/qemu-user.md). QEMU maps every page of the guest into its own address space
// at the guest address plus the guest base; this source picks the rows that hold the guest's
// memory out of QEMU's /proc/PID/maps and moves them down by the base. QEMU's gdbstub is not
// used: QEMU 7.2's serves no files and takes one client, the debugger's.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas::qemu_user {

// What QEMU's command line (and environment) says of its guest.
struct Invocation {
    std::string program;                 // the guest program as given: the first non-option
    std::vector<std::string> arguments;  // the guest's own arguments, after the program
    std::optional<Addr> guest_base;      // -B ADDRESS, or QEMU_GUEST_BASE
    std::optional<Addr> reserved;        // -R SIZE, or QEMU_RESERVED_VA (k, M, G suffixes)
};

// Reads QEMU 7.2's user-mode options (linux-user/main.c): those that take a value (-L, -s, -cpu,
// -E, -U, -0, -r, -g, -B, -R, -d, -D, -dfilter, -p, -seed, -trace, -plugin) are skipped with it,
// others alone, each with one dash or two; the first argument that is no option is the program.
// `argv` is QEMU's, its own name first; `environment` its NAME=VALUE strings. Nothing when no
// program is named, or -B, -R or their variables are no number.
std::optional<Invocation> parse_invocation(const std::vector<std::string>& argv,
                                           const std::vector<std::string>& environment);

// What is known of the guest before its rows are found.
struct GuestFacts {
    std::string qemu;              // QEMU's executable, as its rows name it (/proc/PID/exe)
    std::string program;           // the guest program's absolute path, as its rows name it
    std::string program_as_given;  // as QEMU's command line gives it: the stack ends with it
    bool wide = true;              // a 64-bit guest (ELFCLASS64)
    bool x86_64 = false;           // an x86-64 guest: QEMU serves it a [vsyscall] page
    std::optional<Addr> guest_base;
    std::optional<Addr> reserved;  // -R: the guest's space is one reservation of this size
    // The last `n` bytes of QEMU's memory before host address `end`, or fewer (none when they
    // cannot be read): how the guest's stack is recognized.
    std::function<std::string(Addr end, std::size_t n)> read_before;
    std::string memory_error;  // why QEMU's memory cannot be read, when it cannot
};

// The guest's rows in QEMU's map, and how they were told from QEMU's own.
struct GuestWindow {
    Addr base = 0;   // guest address = QEMU's address - base
    Addr begin = 0;  // QEMU's addresses [begin, end) hold the guest's rows
    Addr end = 0;
    // A 32-bit guest's address space is one reservation of QEMU's, and its PROT_NONE rows are
    // QEMU's filler: a guest mapping without access cannot be told from them and is left out.
    bool reserved = false;
    std::string how;  // one sentence: the base, and how the rows were found
};

// Finds the guest in QEMU's map. A 64-bit guest's rows are those below QEMU's own (its
// executable, any row QEMU may execute, its [heap], [stack], [vdso] and [vvar]): QEMU places the
// guest's mappings upward from a fixed low address (0x4000000000 for x86-64, 0x5500000000 for
// aarch64) and never gives guest pages execute permission, while Linux places QEMU's own
// executable (or, for a statically linked QEMU, its [heap]) at 0x555555554000 and up and its
// mappings from the top down. The base is the one QEMU was given, else 0, QEMU's choice for a
// 64-bit guest on a 64-bit host. A 32-bit guest (or one given -R) lies in one reservation of
// QEMU's: the unbroken run of rows that holds the guest program, at most the reservation's size,
// its start the base (or from the base QEMU was given). An error when the guest program's rows
// are not found, or the reservation cannot be told from its neighbours.
Result<GuestWindow> find_guest(const AddressSpace& qemu, const GuestFacts& facts);

// The guest's map: QEMU's rows in the window, at guest addresses, with their files, offsets and
// QEMU's permissions (and figures, when QEMU's map has them), but for a row with no access at
// guest address 0, which is QEMU's (a guest cannot map page 0); the row that ends with the guest
// program's name (QEMU's copy of it at the top of the guest stack, as Linux lays a stack out) named
// [stack]; an x86-64 guest's [vsyscall] page. A diagnostic says when QEMU's memory could not be
// read to find the stack.
AddressSpace guest_map(const AddressSpace& qemu, const GuestFacts& facts, const GuestWindow& window,
                       SourceInfo source);

// "qemu-user:PID" (or a process name): the guest of that QEMU process, as guest_map() gives it,
// with figures from QEMU's smaps when options.live_figures asks. The map's origin is
// "qemu-user:PID"; its method says how the guest's rows were found. A usage error when the
// process is no QEMU user-mode emulator.
Result<Target> open_qemu_user_target(std::string_view spec, const TargetOptions& options);

}  // namespace vmatlas::qemu_user
