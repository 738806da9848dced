// Internal to the sources: a running QEMU guest read through QEMU's gdbstub (`-s`, or `-gdb
// tcp::PORT`, of qemu-system-x86_64): a CPU's control registers and the guest's physical memory,
// for the page-table walk (docs/page-tables.md).
//
// The stub is told from a gdbserver by `qqemu.PhyMemMode`, which only QEMU's system-mode stub
// answers. The control registers are read from QEMU's own monitor, `info registers -a` sent as
// qRcmd: its names are QEMU's, where the target description QEMU 7.2 serves numbers the registers
// after gs differently from its 'p' packets (it lists ss_base, ds_base and es_base, which 'p' does
// not count), so that a register read by its described number is another one. Physical memory is
// read with 'm' in the stub's physical-memory mode, which is put back as it was before the
// connection ends.
//
// What the guest sees: QEMU stops the guest when a client connects, as it does for gdb; the
// packets sent are queries, the monitor's `info registers`, memory reads, and the
// physical-memory mode switch. The connection ends with 'D', as gdb's detach does, and the guest
// runs on (the stub cannot tell whether it was paused before the connection: a guest paused in
// QEMU's monitor runs on too).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sources/page_table_target.hpp"
#include "sources/page_tables.hpp"
#include "sources/remote_protocol.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas::guest {

// Whether the stub is QEMU's system-mode gdbstub (it answers qqemu.PhyMemMode with 0 or 1).
Result<bool> is_qemu_system_stub(remote::RemoteConnection& stub);

// Whether the stub is QEMU's user-mode gdbstub: QEMU's (it answers qqemu.sstepbits with its
// single-step flags, "ENABLE=1,NOIRQ=2,NOTIMER=4"), not system mode's. It reads no files.
Result<bool> is_qemu_user_stub(remote::RemoteConnection& stub);

// What QEMU's `info registers -a` prints: per CPU a "CPU#N" line, then its registers as KEY=HEX
// ("CR0=80050033 CR2=... CR3=0000000002824000 CR4=00751ef0", "EFER=0000000000000d01").
struct MonitorRegisters {
    std::size_t cpus = 0;  // the "CPU#N" sections seen
    // CPU cpu's CR0, CR3, CR4 and EFER, when its section has the first three.
    std::optional<paging::CpuRegisters> registers;
};
MonitorRegisters parse_info_registers(std::string_view text, std::size_t cpu);

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
