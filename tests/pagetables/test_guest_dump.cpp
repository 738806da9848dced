// QEMU guest memory dumps (src/sources/guest_dump.hpp): dumps built by the test
// (guest_dump_file.hpp) read back as physical memory and CPU states, walked, and damaged.
#include <gtest/gtest.h>

#include <elf.h>

#include <string>
#include <vector>

#include "pagetables/guest_dump_file.hpp"
#include "sources/guest_dump.hpp"
#include "support/files.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/target.hpp"

namespace {

using vmatlas::guest::GuestDump;
using vmatlas::paging::Half;
using vmatlas::paging::PageRun;
using vmtest::GuestCpu;
using vmtest::GuestDumpSpec;
using vmtest::GuestRam;

constexpr std::uint64_t P = 1, W = 2, U = 4, PS = 0x80, G = 0x100, NX = 1ULL << 63;
constexpr std::uint64_t kCr0 = 0x80050033;  // PG, WP, NE, ET, MP, PE: a Linux guest's
constexpr std::uint64_t kCr4 = 0x3506f0;    // PAE and more, LA57 clear

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    vmtest::write_text(path, std::string(bytes.begin(), bytes.end()));
}

// RAM with two address spaces: CR3 0x1000 maps a user page at 0x400000 and a kernel 2 MB page at
// 0xffffffff81000000; CR3 0x5000 shares the kernel half and the user page, and has a PD outside
// the dump. The tables fill 0x1000-0x9000; the pages they map are outside the dump, as device
// memory or RAM left out of a dump is.
GuestRam two_processes() {
    GuestRam ram;
    // Kernel half: PML4[511] -> PDPT 0x3000 [510] -> PD 0x4000 [8]: 2 MB at 0xffffffff81000000.
    ram.set(0x3000, 510, 0x4000 | P | W);
    ram.set(0x4000, 8, 0x1000000 | P | W | PS | G);
    for (std::uint64_t pml4 : {0x1000, 0x5000}) ram.set(pml4, 511, 0x3000 | P | W);
    // Process 1: PML4 0x1000 [0] -> PDPT 0x2000 [0] -> PD 0x6000 [2] -> PT 0x7000 [0].
    ram.set(0x1000, 0, 0x2000 | P | W | U);
    ram.set(0x2000, 0, 0x6000 | P | W | U);
    ram.set(0x6000, 2, 0x7000 | P | W | U);
    ram.set(0x7000, 0, 0x200000 | P | U);
    // Process 2: PML4 0x5000 [0] -> PDPT 0x8000: [0] -> process 1's PD, [1] -> out of the dump.
    ram.set(0x5000, 0, 0x8000 | P | W | U);
    ram.set(0x8000, 0, 0x6000 | P | W | U);
    ram.set(0x8000, 1, 0x20000000 | P | W | U);  // a PD past the dumped RAM
    return ram;
}

GuestDumpSpec spec_of(const GuestRam& ram, std::vector<GuestCpu> cpus) {
    GuestDumpSpec spec;
    spec.cpus = std::move(cpus);
    spec.ram = ram.blocks();
    return spec;
}

PageRun run(std::uint64_t start, std::uint64_t size, std::uint64_t paddr, bool w, bool u, bool x,
            std::uint8_t sizes, Half half, bool global) {
    return PageRun{start, size, paddr, true, half, w, u, x, global, sizes};
}

TEST(GuestDump, CpusAndMemoryAndTheWalk) {
    vmtest::TempDir dir;
    const std::string path = dir / "guest.core";
    const GuestRam ram = two_processes();
    write_file(path, make_guest_dump(
                         spec_of(ram, {GuestCpu{{kCr0, 0, 0, 0x1000, kCr4}, 0xffffffff81000010},
                                       GuestCpu{{kCr0, 0, 0, 0x5000 | 0x3, kCr4}, 0x400000}})));
    EXPECT_TRUE(vmatlas::guest::has_qemu_note(path));
    auto dump = GuestDump::open(path);
    ASSERT_TRUE(dump.ok()) << dump.error().message;
    GuestDump& d = **dump;
    EXPECT_TRUE(d.problems().empty());
    ASSERT_EQ(d.cpus().size(), 2u);
    EXPECT_EQ(d.cpus()[0].cr, (std::array<std::uint64_t, 5>{kCr0, 0, 0, 0x1000, kCr4}));
    EXPECT_EQ(d.cpus()[0].rip, 0xffffffff81000010u);
    EXPECT_EQ(d.cpus()[0].version, 1u);
    EXPECT_EQ(d.cpus()[1].cr[3], 0x5003u);
    ASSERT_EQ(d.segments().size(), 1u);
    EXPECT_EQ(d.segments()[0].paddr, 0x1000u);
    EXPECT_EQ(d.segments()[0].size, 0x8000u);

    // Reads: inside the block, at its edges, and across them.
    std::uint64_t entry = 0;
    ASSERT_TRUE(d.read(0x1000 + 511 * 8, &entry, 8));
    EXPECT_EQ(entry, 0x3000 | P | W);
    ASSERT_TRUE(d.read(0x8ff8, &entry, 8));
    EXPECT_FALSE(d.read(0x8ffc, &entry, 8));
    EXPECT_FALSE(d.read(0xffc, &entry, 8));
    EXPECT_FALSE(d.read(0, &entry, 8));

    const auto kernel = run(0xffffffff81000000, 0x200000, 0x1000000, true, false, true,
                            vmatlas::paging::kPage2M, Half::Kernel, true);
    auto first = vmatlas::paging::walk_page_tables(d, vmatlas::guest::walk_input(d.cpus()[0]));
    EXPECT_EQ(first.runs, (std::vector<PageRun>{run(0x400000, 0x1000, 0x200000, false, true, true,
                                                    vmatlas::paging::kPage4K, Half::User, false),
                                                kernel}));
    EXPECT_TRUE(first.problems.empty());
    auto second = vmatlas::paging::walk_page_tables(d, vmatlas::guest::walk_input(d.cpus()[1]));
    EXPECT_EQ(second.runs, (std::vector<PageRun>{run(0x400000, 0x1000, 0x200000, false, true, true,
                                                     vmatlas::paging::kPage4K, Half::User, false),
                                                 kernel}));
    ASSERT_EQ(second.problems.size(), 1u);
    EXPECT_EQ(second.problems[0].message,
              "the PD at physical address 0x20000000 is not in the memory: "
              "0x40000000-0x80000000 is left out");
    auto user =
        vmatlas::paging::walk_page_tables(d, vmatlas::guest::walk_input(d.cpus()[0], Half::Kernel));
    EXPECT_EQ(user.runs, (std::vector<PageRun>{kernel}));
}

TEST(GuestDump, AsATarget) {
    vmtest::TempDir dir;
    const std::string path = dir / "guest.core";
    write_file(path,
               make_guest_dump(spec_of(two_processes(), {GuestCpu{{kCr0, 0, 0, 0x5000, kCr4}}})));
    auto t = vmatlas::open_target(path);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->kind, vmatlas::TargetKind::GuestDump);
    EXPECT_EQ(t->space.source().kind, vmatlas::SourceKind::GuestDump);
    EXPECT_EQ(vmatlas::check_invariants(t->space), std::vector<std::string>{});
    ASSERT_EQ(t->space.size(), 2u);
    EXPECT_EQ(t->space.path(t->space[0]), "[user]");
    EXPECT_EQ(t->space[0].perms.view(), "r-xp");
    EXPECT_EQ(t->space.path(t->space[1]), "[supervisor]");
    EXPECT_EQ(t->space[1].perms.view(), "rwxp");
    ASSERT_TRUE(t->names);
    EXPECT_EQ(t->names->pages, (std::vector<std::string>{"user 4K phys=0x200000 contiguous",
                                                         "supervisor global 2M phys=0x1000000 "
                                                         "contiguous"}));
    // The PD outside the dump: the map is partial, and says why.
    EXPECT_EQ(t->space.loss(), vmatlas::Loss::Input);
    ASSERT_EQ(t->space.diagnostics().size(), 1u);
    EXPECT_EQ(t->space.diagnostics()[0].message,
              "the PD at physical address 0x20000000 is not in the memory: "
              "0x40000000-0x80000000 is left out");
    ASSERT_TRUE(t->names.has_value());
    EXPECT_EQ(t->names->labels.size(), 2u);
}

TEST(GuestDump, SeveralBlocks) {
    vmtest::TempDir dir;
    const std::string path = dir / "guest.core";
    GuestRam ram;
    // The PML4 at 0x1000, its PDPT at 4 GB + 0x2000 (a second block), a 1 GB page.
    ram.set(0x1000, 0, 0x100002000 | P | W | U);
    ram.set(0x100002000, 3, 0xC0000000 | P | W | U | PS | NX);
    write_file(path, make_guest_dump(spec_of(ram, {GuestCpu{{kCr0, 0, 0, 0x1000, kCr4}}})));
    auto dump = GuestDump::open(path);
    ASSERT_TRUE(dump.ok()) << dump.error().message;
    EXPECT_EQ((*dump)->segments().size(), 2u);
    auto r =
        vmatlas::paging::walk_page_tables(**dump, vmatlas::guest::walk_input((*dump)->cpus()[0]));
    EXPECT_EQ(r.runs,
              (std::vector<PageRun>{run(0xC0000000, 0x40000000, 0xC0000000, true, true, false,
                                        vmatlas::paging::kPage1G, Half::User, false)}));
}

TEST(GuestDump, RefusedWithASentence) {
    vmtest::TempDir dir;
    const GuestRam ram = two_processes();
    const std::vector<GuestCpu> cpus{GuestCpu{{kCr0, 0, 0, 0x1000, kCr4}}};

    // A guest not in long mode.
    GuestDumpSpec i386 = spec_of(ram, cpus);
    i386.machine = EM_386;
    write_file(dir / "i386", make_guest_dump(i386));
    auto r = GuestDump::open(dir / "i386");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, vmatlas::ErrorKind::Unsupported);
    EXPECT_EQ(r.error().message, dir / "i386" +
                                     " is a dump of machine 3, not x86-64 in long mode: its page "
                                     "tables are not walked");
    EXPECT_TRUE(vmatlas::guest::has_qemu_note(dir / "i386"));

    // A core with no QEMU note: a process's.
    write_file(dir / "process", make_guest_dump(spec_of(ram, {})));
    EXPECT_FALSE(vmatlas::guest::has_qemu_note(dir / "process"));
    r = GuestDump::open(dir / "process");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message,
              dir / "process" + " has no QEMU note: not a QEMU guest memory dump");

    // Cut inside the ELF header; not ELF; a missing file.
    const auto whole = make_guest_dump(spec_of(ram, cpus));
    write_file(dir / "cut", std::vector<std::uint8_t>(whole.begin(), whole.begin() + 40));
    r = GuestDump::open(dir / "cut");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, vmatlas::ErrorKind::MalformedInput);
    EXPECT_EQ(r.error().message, dir / "cut" + ": 40 bytes, too few for an ELF64 header");
    vmtest::write_text(dir / "text", "00400000-00401000 r-xp 00000000 00:00 0\n");
    EXPECT_FALSE(vmatlas::guest::has_qemu_note(dir / "text"));
    r = GuestDump::open(dir / "missing");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, vmatlas::ErrorKind::NoSuchProcess);

    // Program headers past the end of the file.
    write_file(dir / "headers", std::vector<std::uint8_t>(whole.begin(), whole.begin() + 100));
    r = GuestDump::open(dir / "headers");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, dir / "headers" +
                                     ": the file ends at offset 0x64, but its 2 program headers "
                                     "of 56 bytes run from 0x40");
}

TEST(GuestDump, DamageIsSaidAndTheRestRead) {
    vmtest::TempDir dir;
    const GuestRam ram = two_processes();
    // Two CPUs whose QEMU notes are too short: both left out, the dump still opens.
    GuestDumpSpec short_notes = spec_of(ram, {GuestCpu{{kCr0, 0, 0, 0x1000, kCr4}}});
    short_notes.qemu_desc_size = 400;
    write_file(dir / "short", make_guest_dump(short_notes));
    auto r = GuestDump::open(dir / "short");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE((*r)->cpus().empty());
    ASSERT_EQ((*r)->problems().size(), 1u);
    EXPECT_EQ((*r)->problems()[0],
              "the QEMU note at offset 0x214 holds 400 bytes and says 440, too few for the "
              "control registers (which end at 432): CPU 0 is left out");

    // Cut inside the RAM: the tables before the cut are read, those after it are not.
    const auto whole = make_guest_dump(spec_of(ram, {GuestCpu{{kCr0, 0, 0, 0x1000, kCr4}}}));
    const std::size_t ram_at = 0x1000;  // the first page boundary after the notes
    write_file(dir / "cut",
               std::vector<std::uint8_t>(whole.begin(), whole.begin() + ram_at + 0x5800));
    r = GuestDump::open(dir / "cut");
    ASSERT_TRUE(r.ok()) << r.error().message;
    GuestDump& d = **r;
    ASSERT_EQ(d.problems().size(), 1u);
    EXPECT_EQ(d.problems()[0],
              "the file ends at offset 0x6800: the contents of 1 segment of guest memory are cut "
              "short or missing");
    EXPECT_EQ(d.segments()[0].size, 0x5800u);
    auto walk = vmatlas::paging::walk_page_tables(d, vmatlas::guest::walk_input(d.cpus()[0]));
    // PD 0x6000 is cut: the user page is gone; the kernel's tables (0x3000, 0x4000) are whole.
    ASSERT_EQ(walk.runs.size(), 1u);
    EXPECT_EQ(walk.runs[0].start, 0xffffffff81000000u);
    ASSERT_EQ(walk.problems.size(), 1u);
    EXPECT_EQ(walk.problems[0].message,
              "the PD at physical address 0x6000 is not in the memory: 0x0-0x40000000 is left out");

    // Cut inside the QEMU note: still a QEMU dump, its CPU left out.
    write_file(dir / "notes", std::vector<std::uint8_t>(whole.begin(), whole.begin() + 0x278));
    EXPECT_TRUE(vmatlas::guest::has_qemu_note(dir / "notes"));
    r = GuestDump::open(dir / "notes");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE((*r)->cpus().empty());
    EXPECT_TRUE((*r)->segments().empty());
    EXPECT_EQ(
        (*r)->problems(),
        (std::vector<std::string>{
            "the file ends at offset 0x278, inside the notes that run from 0xb0 to 0x3e0: "
            "the notes after it are not read",
            "the QEMU note at offset 0x214 runs past the end of its segment (5 bytes of "
            "name, 440 of descriptor): CPU 0 is left out, and the notes after it are not "
            "read",
            "the file ends at offset 0x278: the contents of 1 segment of guest memory are cut "
            "short or missing",
        }));
    // Cut before the QEMU note's name: no QEMU note is seen.
    write_file(dir / "before", std::vector<std::uint8_t>(whole.begin(), whole.begin() + 0x218));
    EXPECT_FALSE(vmatlas::guest::has_qemu_note(dir / "before"));
}

}  // namespace
