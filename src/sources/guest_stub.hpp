// Internal to the sources: a running QEMU guest read through QEMU's gdbstub (`-s`, or `-gdb
// tcp::PORT`, of qemu-system-x86_64): a CPU's control registers and the guest's physical memory,
// for the page-table walk (docs/page-tables.md).
//
// The stub is told from a gdbserver by `qqemu.PhyMemMode`, which only QEMU's system-mode stub
// answers. Registers are found by name in the target description the stub serves
// (qXfer:features:read, includes followed), and read with 'p' from the thread of the CPU asked
// for (each CPU is a thread, in qfThreadInfo's order). Physical memory is read with 'm' in the
// stub's physical-memory mode, which is put back as it was before the connection ends.
//
// What the guest sees: QEMU stops the guest when a client connects, as it does for gdb; the
// packets sent are queries, register and memory reads, and the physical-memory mode switch.
// The connection ends with 'D', as gdb's detach does, and the guest runs on (the stub cannot
// tell whether it was paused before the connection: a guest paused in QEMU's monitor runs on too).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sources/page_tables.hpp"
#include "sources/remote_protocol.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas::guest {

// Whether the stub is QEMU's system-mode gdbstub (it answers qqemu.PhyMemMode with 0 or 1).
Result<bool> is_qemu_system_stub(remote::RemoteConnection& stub);

// A register of the target description: its number for 'p', and its size.
struct StubRegister {
    std::string name;
    unsigned number = 0;
    unsigned bits = 0;
};

// The <reg> elements of a target description, in document order, numbered as gdb numbers them
// (from 0, or from a regnum attribute, each next one the number after). <xi:include href="X"/>
// is replaced by what include(X) gives; includes are followed at most 8 deep.
Result<std::vector<StubRegister>> parse_target_description(
    std::string_view xml, const std::function<Result<std::string>(std::string_view)>& include);

// The guest's physical memory through the stub's 'm' packets in physical-memory mode, in reads
// of at most chunk bytes. A read the stub refuses is not in the memory.
class StubPhysicalMemory final : public paging::PhysicalMemory {
  public:
    StubPhysicalMemory(remote::RemoteConnection& stub, std::size_t chunk)
        : stub_(stub), chunk_(chunk) {}
    bool read(std::uint64_t paddr, void* out, std::size_t n) override;
    // The connection's error, when a read failed because the stub went away.
    const std::optional<Error>& failure() const { return failure_; }

  private:
    remote::RemoteConnection& stub_;
    std::size_t chunk_;
    std::optional<Error> failure_;
};

// The live guest as a target: the page tables of CPU options.cpu, as page_table_target() makes
// and names them. Detaches from the stub when done (see above).
Result<Target> read_live_guest(remote::RemoteConnection& stub, const PageTableOptions& options);

}  // namespace vmatlas::guest
