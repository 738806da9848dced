// Internal to the sources: a QEMU guest memory dump (the ELF core `dump-guest-memory` writes) read
// as a guest's physical memory and the control registers of its CPUs.
//
// Such a dump is an ELF64 ET_CORE file of machine EM_X86_64 (QEMU writes EM_X86_64 when the guest
// was in long mode, EM_386 otherwise). Its PT_LOAD segments hold guest RAM: p_paddr is the guest
// physical address, p_filesz bytes at p_offset the contents (p_vaddr is 0, or a virtual address
// when QEMU was asked for paging, and is not read). Its notes hold, per CPU, a "CORE" NT_PRSTATUS
// and a "QEMU" note of type 0, QEMU's QEMUCPUState: version, size, the general registers, rip,
// rflags, ten segment descriptors, then cr[0..4] at offset 392.
//
// Contract: open() checks every offset and size against the file before it reads, reads notes
// only inside their segment, and refuses what is not such a dump with a sentence. read() answers
// only from bytes the file holds: a physical range that is not wholly inside the dumped part of
// PT_LOAD segments is not in the memory. What could not be used (a note cut short, a segment that
// runs past the end of the file) is in problems(), and the rest is still read.
//
// QEMUCPUState holds no EFER: the walk assumes EFER.NXE = 1. An OS that runs without NXE never
// sets bit 63 of an entry (every access through it would fault), so for every table such an OS
// writes, the walk gives what the CPU would.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sources/page_table_target.hpp"
#include "sources/page_tables.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas::guest {

// The state of one CPU, from its "QEMU" note; CPUs are numbered from 0 in the notes' order.
struct CpuState {
    std::array<std::uint64_t, 5> cr{};  // CR0 to CR4
    std::uint64_t rip = 0;
    std::uint32_t version = 0;  // QEMUCPUState's
};

// One PT_LOAD's dumped bytes: [paddr, paddr + size) at offset in the file.
struct PhysicalSegment {
    std::uint64_t paddr = 0;
    std::uint64_t size = 0;
    std::uint64_t offset = 0;
};

class GuestDump final : public paging::PhysicalMemory {
  public:
    static Result<std::unique_ptr<GuestDump>> open(const std::string& path);
    ~GuestDump() override;
    GuestDump(const GuestDump&) = delete;
    GuestDump& operator=(const GuestDump&) = delete;

    bool read(std::uint64_t paddr, void* out, std::size_t n) override;

    const std::vector<CpuState>& cpus() const { return cpus_; }
    const std::vector<PhysicalSegment>& segments() const { return segments_; }  // by paddr
    // What could not be read, one sentence each; the rest of the dump is still used.
    const std::vector<std::string>& problems() const { return problems_; }

  private:
    explicit GuestDump(int fd) : fd_(fd) {}

    int fd_;
    std::vector<CpuState> cpus_;
    std::vector<PhysicalSegment> segments_;
    std::vector<std::string> problems_;
};

// Whether an ELF core file holds a "QEMU" note, looking no further than its program headers and
// notes. False for any file it cannot read so.
bool has_qemu_note(const std::string& path);

// The registers a CPU's note gives; EFER is not among them (see above).
paging::CpuRegisters registers_of(const CpuState& cpu);

// The walk of a CPU's own tables, of one half or both.
paging::WalkInput walk_input(const CpuState& cpu, paging::Half half = paging::Half::Both);

// The dump as a target: the rows the page tables of the CPU options.cpu (the notes' order, from
// 0) make, both halves, as page_table_target() names them. What the dump could not give (a
// note or a segment cut short) is a loss of Input: the map is partial.
Result<Target> read_guest_dump(const std::string& path, const PageTableOptions& options = {});

}  // namespace vmatlas::guest
