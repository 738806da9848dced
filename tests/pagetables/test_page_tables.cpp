// The x86-64 page-table walk (src/sources/page_tables.hpp) on tables built by hand in a fake
// physical memory: each test writes the entries it needs and checks every row the walk gives.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "sources/page_tables.hpp"

namespace vmatlas::paging {

// Printed by GoogleTest when a row differs.
void PrintTo(const PageRun& r, std::ostream* os) {
    *os << std::hex << "{start 0x" << r.start << " size 0x" << r.size << " paddr 0x" << r.paddr
        << (r.physically_contiguous ? " contiguous" : " scattered")
        << (r.half == Half::Kernel ? " kernel" : " user") << (r.writable ? " w" : " -")
        << (r.user ? " u" : " s") << (r.executable ? " x" : " nx") << (r.global ? " g" : "")
        << " sizes " << int{r.page_sizes} << "}";
}

namespace {

constexpr std::uint64_t P = 1, W = 2, U = 4, PS = 0x80, G = 0x100, NX = 1ULL << 63;
constexpr std::uint64_t kPage = 4096;

// Physical memory of whole 4 KB pages; a page never written is not in it.
struct FakeMemory : PhysicalMemory {
    std::map<std::uint64_t, std::array<std::uint8_t, kPage>> pages;
    std::size_t reads = 0;

    // Makes the table page at paddr exist, all entries clear.
    void table(std::uint64_t paddr) { pages.try_emplace(paddr).first->second; }
    void set(std::uint64_t table_paddr, std::size_t index, std::uint64_t entry) {
        auto& page = pages.try_emplace(table_paddr).first->second;
        std::memcpy(page.data() + index * 8, &entry, 8);
    }
    bool read(std::uint64_t paddr, void* out, std::size_t n) override {
        ++reads;
        auto* to = static_cast<std::uint8_t*>(out);
        while (n > 0) {
            const auto it = pages.find(paddr & ~(kPage - 1));
            if (it == pages.end()) return false;
            const std::size_t at = paddr & (kPage - 1);
            const std::size_t take = std::min(n, kPage - at);
            std::memcpy(to, it->second.data() + at, take);
            to += take, paddr += take, n -= take;
        }
        return true;
    }
};

// A row with the fields a test names; the rest as most rows have them.
PageRun row(std::uint64_t start, std::uint64_t size, std::uint64_t paddr, bool w, bool u, bool x,
            std::uint8_t sizes = kPage4K, Half half = Half::User, bool global = false,
            bool contiguous = true) {
    return PageRun{start, size, paddr, contiguous, half, w, u, x, global, sizes};
}

WalkInput input(std::uint64_t cr3, std::uint64_t cr4 = kCr4Pae, bool nxe = true,
                Half half = Half::Both) {
    WalkInput in;
    in.cr3 = cr3;
    in.cr4 = cr4;
    in.nxe = nxe;
    in.half = half;
    return in;
}

std::vector<std::string> messages(const WalkResult& r) {
    std::vector<std::string> out;
    for (const WalkProblem& p : r.problems) out.push_back(p.message);
    return out;
}

// A user tree of four tables: PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000, all P|W|U.
FakeMemory user_tree() {
    FakeMemory m;
    m.set(0x1000, 0, 0x2000 | P | W | U);
    m.set(0x2000, 0, 0x3000 | P | W | U);
    m.set(0x3000, 0, 0x4000 | P | W | U);
    m.table(0x4000);
    return m;
}

TEST(PageTables, FourLevelSmallPagesMergeAndSplit) {
    FakeMemory m = user_tree();
    m.set(0x4000, 0, 0x100000 | P | W | U);
    m.set(0x4000, 1, 0x101000 | P | W | U);
    m.set(0x4000, 3, 0x200000 | P | U);       // a hole before it, read-only
    m.set(0x4000, 4, 0x201000 | P | U | NX);  // not executable
    m.set(0x4000, 5, 0x202000 | P | U | NX | W);
    m.set(0x4000, 6, 0x500000 | P | U | NX | W);  // physically elsewhere: same row
    const WalkResult r = walk_page_tables(m, input(0x1000));
    EXPECT_EQ(
        r.runs,
        (std::vector<PageRun>{
            row(0x0, 0x2000, 0x100000, true, true, true),
            row(0x3000, 0x1000, 0x200000, false, true, true),
            row(0x4000, 0x1000, 0x201000, false, true, false),
            row(0x5000, 0x2000, 0x202000, true, true, false, kPage4K, Half::User, false, false),
        }));
    EXPECT_TRUE(r.problems.empty()) << testing::PrintToString(messages(r));
    EXPECT_EQ(r.tables_read, 4u);
}

TEST(PageTables, PcidAndHighBitsOfCr3AreIgnored) {
    FakeMemory m = user_tree();
    m.set(0x4000, 0, 0x100000 | P | W | U);
    const std::vector<PageRun> want{row(0x0, 0x1000, 0x100000, true, true, true)};
    EXPECT_EQ(walk_page_tables(m, input(0x1000)).runs, want);
    EXPECT_EQ(walk_page_tables(m, input(0x1000 | 0xABC)).runs, want);
    EXPECT_EQ(walk_page_tables(m, input(0x1000 | 0xFFF | (1ULL << 63))).runs, want);
}

TEST(PageTables, LargePagesAndTheirFrames) {
    FakeMemory m = user_tree();
    // 4 KB pages over the first 2 MB, then a 2 MB page that continues them: one row.
    for (std::size_t i = 0; i < 512; ++i) m.set(0x4000, i, (0x800000 + i * kPage) | P | W | U);
    m.set(0x3000, 1, 0xA00000 | P | W | U | PS);
    // A 2 MB page with its PAT bit (12) set: the frame is bits 51:21.
    m.set(0x3000, 3, 0xE00000 | 0x1000 | P | U | PS);
    // A 1 GB page at 1 GB, global and supervisor.
    m.set(0x2000, 1, 0x80000000 | P | W | PS | G);
    const WalkResult r = walk_page_tables(m, input(0x1000));
    EXPECT_EQ(
        r.runs,
        (std::vector<PageRun>{
            row(0x0, 0x400000, 0x800000, true, true, true, kPage4K | kPage2M),
            row(0x600000, 0x200000, 0xE00000, false, true, true, kPage2M),
            row(0x40000000, 0x40000000, 0x80000000, true, false, true, kPage1G, Half::User, true),
        }));
    EXPECT_TRUE(r.problems.empty()) << testing::PrintToString(messages(r));
}

TEST(PageTables, PermissionsCombineDownTheLevels) {
    FakeMemory m;
    // PML4[0]: read-only; PML4[1]: supervisor; PML4[2]: NX; each over the same kind of subtree,
    // whose lower levels allow everything.
    const std::uint64_t tops[] = {P | U, P | W, P | W | U | NX};
    for (std::size_t i = 0; i < 3; ++i) {
        const std::uint64_t pdpt = 0x10000 + i * 0x3000, pd = pdpt + 0x1000, pt = pd + 0x1000;
        m.set(0x1000, i, pdpt | tops[i]);
        m.set(pdpt, 0, pd | P | W | U);
        m.set(pd, 0, pt | P | W | U);
        m.set(pt, 0, (0x100000 + i * kPage) | P | W | U);
    }
    // PML4[3]: every level allows all but the PD, which is supervisor; the leaf is all.
    m.set(0x1000, 3, 0x20000 | P | W | U);
    m.set(0x20000, 0, 0x21000 | P | W | U);
    m.set(0x21000, 0, 0x22000 | P | W);
    m.set(0x22000, 0, 0x300000 | P | W | U);
    // The leaf alone takes writing away.
    m.set(0x22000, 1, 0x301000 | P);
    const WalkResult r = walk_page_tables(m, input(0x1000));
    constexpr std::uint64_t k512G = 1ULL << 39;
    EXPECT_EQ(r.runs, (std::vector<PageRun>{
                          row(0, kPage, 0x100000, false, true, true),
                          row(k512G, kPage, 0x101000, true, false, true),
                          row(2 * k512G, kPage, 0x102000, true, true, false),
                          row(3 * k512G, kPage, 0x300000, true, false, true),
                          row(3 * k512G + kPage, kPage, 0x301000, false, false, true),
                      }));
    EXPECT_TRUE(r.problems.empty()) << testing::PrintToString(messages(r));
}

TEST(PageTables, NoExecuteOnlyWithEferNxe) {
    FakeMemory m = user_tree();
    m.set(0x4000, 0, 0x100000 | P | W | U | NX);
    m.set(0x4000, 1, 0x101000 | P | W | U);
    const WalkResult with = walk_page_tables(m, input(0x1000, kCr4Pae, true));
    EXPECT_EQ(with.runs, (std::vector<PageRun>{row(0x0, kPage, 0x100000, true, true, false),
                                               row(0x1000, kPage, 0x101000, true, true, true)}));
    EXPECT_TRUE(with.problems.empty());
    // Without NXE, bit 63 is reserved: the CPU faults on every access through the entry.
    const WalkResult without = walk_page_tables(m, input(0x1000, kCr4Pae, false));
    EXPECT_EQ(without.runs, (std::vector<PageRun>{row(0x1000, kPage, 0x101000, true, true, true)}));
    ASSERT_EQ(without.problems.size(), 1u);
    EXPECT_FALSE(without.problems[0].lost);
    EXPECT_EQ(without.problems[0].message,
              "entry 0 of the PT at physical address 0x4000 (0x8000000000100007) has reserved "
              "bits 0x8000000000000000 set: every access to 0x0-0x1000 faults, and it is left "
              "out");
    // An NX bit in a table above the leaf counts too, and is reserved there too without NXE.
    FakeMemory upper = user_tree();
    upper.set(0x2000, 0, 0x3000 | P | W | U | NX);
    upper.set(0x4000, 0, 0x100000 | P | W | U);
    EXPECT_EQ(walk_page_tables(upper, input(0x1000)).runs,
              (std::vector<PageRun>{row(0x0, kPage, 0x100000, true, true, false)}));
    EXPECT_TRUE(walk_page_tables(upper, input(0x1000, kCr4Pae, false)).runs.empty());
}

TEST(PageTables, KernelHalfIsCanonicalAndHalvesAreChosen) {
    FakeMemory m = user_tree();
    m.set(0x4000, 0, 0x100000 | P | W | U);
    // PML4[511] -> PDPT 0x5000; its entry 510 is a 1 GB global kernel page: 0xffffffff80000000.
    m.set(0x1000, 511, 0x5000 | P | W);
    m.set(0x5000, 510, 0x40000000 | P | W | PS | G);
    // PML4[256]: the first kernel address, 0xffff800000000000.
    m.set(0x1000, 256, 0x6000 | P | W);
    m.set(0x6000, 0, 0x7000 | P | W);
    m.set(0x7000, 0, 0x200000 | P | W | PS | NX);
    const PageRun user = row(0x0, kPage, 0x100000, true, true, true);
    const PageRun low_kernel =
        row(0xffff800000000000, 0x200000, 0x200000, true, false, false, kPage2M, Half::Kernel);
    const PageRun text = row(0xffffffff80000000, 0x40000000, 0x40000000, true, false, true, kPage1G,
                             Half::Kernel, true);
    EXPECT_EQ(walk_page_tables(m, input(0x1000)).runs,
              (std::vector<PageRun>{user, low_kernel, text}));
    EXPECT_EQ(walk_page_tables(m, input(0x1000, kCr4Pae, true, Half::User)).runs,
              (std::vector<PageRun>{user}));
    EXPECT_EQ(walk_page_tables(m, input(0x1000, kCr4Pae, true, Half::Kernel)).runs,
              (std::vector<PageRun>{low_kernel, text}));
}

TEST(PageTables, FiveLevelPaging) {
    FakeMemory m;
    // PML5 0x1000: [0] -> PML4 0x2000 -> ... a 4 KB page at 0; [1] -> PML4 0x6000 whose entry 0
    // maps a 1 GB page at 2^48; [511] -> PML4 0x8000 whose entry 511 -> PDPT 0x9000 with a 1 GB
    // page at its entry 510: 0xffffffff80000000.
    m.set(0x1000, 0, 0x2000 | P | W | U);
    m.set(0x2000, 0, 0x3000 | P | W | U);
    m.set(0x3000, 0, 0x4000 | P | W | U);
    m.set(0x4000, 0, 0x5000 | P | W | U);
    m.set(0x5000, 0, 0x100000 | P | U);
    m.set(0x1000, 1, 0x6000 | P | W | U);
    m.set(0x6000, 0, 0x7000 | P | W | U);
    m.set(0x7000, 0, 0xC0000000 | P | W | U | PS);
    m.set(0x1000, 511, 0x8000 | P | W);
    m.set(0x8000, 511, 0x9000 | P | W);
    m.set(0x9000, 510, 0x40000000 | P | W | PS | G);
    // PML5[256]: 0xff00000000000000, the first kernel address with 5 levels.
    m.set(0x1000, 256, 0xA000 | P | W);
    m.set(0xA000, 0, 0xB000 | P | W);
    m.set(0xB000, 0, 0xC000 | P | W);
    m.set(0xC000, 0, 0xD000 | P | W);
    m.set(0xD000, 0, 0x300000 | P | W | NX);
    const WalkResult r = walk_page_tables(m, input(0x1000, kCr4Pae | kCr4La57));
    EXPECT_EQ(
        r.runs,
        (std::vector<PageRun>{
            row(0x0, kPage, 0x100000, false, true, true),
            row(1ULL << 48, 0x40000000, 0xC0000000, true, true, true, kPage1G),
            row(0xff00000000000000, kPage, 0x300000, true, false, false, kPage4K, Half::Kernel),
            row(0xffffffff80000000, 0x40000000, 0x40000000, true, false, true, kPage1G,
                Half::Kernel, true),
        }));
    EXPECT_TRUE(r.problems.empty()) << testing::PrintToString(messages(r));
    EXPECT_EQ(r.tables_read, 13u);
}

TEST(PageTables, ReservedBitsMapNothing) {
    FakeMemory m = user_tree();
    m.set(0x4000, 0, 0x100000 | P | W | U);
    // PS in a PML4 entry is reserved.
    m.set(0x1000, 1, 0x40000000 | P | W | U | PS);
    // A 2 MB page whose frame is not 2 MB aligned: bits 20:13 are reserved.
    m.set(0x3000, 1, 0x202000 | P | W | U | PS);
    // A 1 GB page with bit 13 set (bit 12 is PAT and allowed).
    m.set(0x2000, 1, 0x40002000 | P | W | U | PS);
    m.set(0x2000, 2, 0x80001000 | P | W | U | PS);
    const WalkResult r = walk_page_tables(m, input(0x1000));
    EXPECT_EQ(r.runs, (std::vector<PageRun>{
                          row(0x0, kPage, 0x100000, true, true, true),
                          row(0x80000000, 0x40000000, 0x80000000, true, true, true, kPage1G),
                      }));
    EXPECT_EQ(messages(r), (std::vector<std::string>{
                               "entry 1 of the PD at physical address 0x3000 (0x202087) has "
                               "reserved bits 0x2000 set: every access to 0x200000-0x400000 "
                               "faults, and it is left out",
                               "entry 1 of the PDPT at physical address 0x2000 (0x40002087) has "
                               "reserved bits 0x2000 set: every access to 0x40000000-0x80000000 "
                               "faults, and it is left out",
                               "entry 1 of the PML4 at physical address 0x1000 (0x40000087) has "
                               "reserved bits 0x80 set: every access to 0x8000000000-0x10000000000 "
                               "faults, and it is left out",
                           }));
    // Past MAXPHYADDR: with 40 physical bits, bit 45 of an entry is reserved.
    FakeMemory far = user_tree();
    far.set(0x4000, 0, (1ULL << 45) | P | W | U);
    WalkInput in = input(0x1000);
    EXPECT_EQ(walk_page_tables(far, in).runs,
              (std::vector<PageRun>{row(0x0, kPage, 1ULL << 45, true, true, true)}));
    in.max_physical_bits = 40;
    EXPECT_TRUE(walk_page_tables(far, in).runs.empty());
}

TEST(PageTables, TableOnItsOwnPathIsFollowedAndSaidOnceEach) {
    FakeMemory m;
    // PML4[0] points to the PML4 itself: read as a PDPT, a PD, then a PT, whose entry 0 (the same
    // entry) maps the PML4's own page at address 0.
    m.set(0x1000, 0, 0x1000 | P | W | U);
    // PML4[1] -> PDPT 0x2000 whose entry 0 points back up to the PML4 (as a PD), and so on.
    m.set(0x1000, 1, 0x2000 | P | W | U);
    m.set(0x2000, 0, 0x1000 | P | U);
    const WalkResult r = walk_page_tables(m, input(0x1000));
    // PML4[0] (w): the PML4 as PDPT, [0] as PD, [0] as PT: pages 0x1000 and 0x2000 at 0; the PD's
    // [1] is the PDPT 0x2000 read as a PT: page 0x1000 (read-only) at 2 MB. The PDPT's [1] is the
    // PDPT 0x2000 as a PD, whose read-only [0] is the PML4 as a PT: at 1 GB. PML4[1]: the PDPT
    // 0x2000, whose read-only [0] is the PML4 as a PD, under which the same again at 512 GB.
    EXPECT_EQ(r.runs, (std::vector<PageRun>{
                          row(0x0, 0x2000, 0x1000, true, true, true),
                          row(0x200000, 0x1000, 0x1000, false, true, true),
                          row(0x40000000, 0x2000, 0x1000, false, true, true),
                          row(0x8000000000, 0x2000, 0x1000, false, true, true),
                          row(0x8000200000, 0x1000, 0x1000, false, true, true),
                      }));
    // Two tables are met on their own paths, the PML4 (from itself) and the PDPT 0x2000 (from the
    // PML4 read as a PD under it): each said once, however often it is met again.
    for (const WalkProblem& p : r.problems) EXPECT_FALSE(p.lost) << p.message;
    EXPECT_EQ(messages(r),
              (std::vector<std::string>{
                  "entry 0 of the PML4 at physical address 0x1000 points back to the table at "
                  "0x1000, on its own path from CR3: followed as the CPU follows it, for the "
                  "levels below",
                  "entry 1 of the PD at physical address 0x1000 points back to the table at "
                  "0x2000, on its own path from CR3: followed as the CPU follows it, for the "
                  "levels below",
              }));
}

TEST(PageTables, EveryEntryToItselfStopsAtTheBound) {
    FakeMemory m;
    for (std::size_t i = 0; i < 512; ++i) m.set(0x1000, i, 0x1000 | P | W | U);
    WalkInput in = input(0x1000);
    in.max_tables = 1000;
    const WalkResult r = walk_page_tables(m, in);
    EXPECT_EQ(r.tables_read, 1000u);
    ASSERT_EQ(r.problems.size(), 2u) << testing::PrintToString(messages(r));
    EXPECT_FALSE(r.problems[0].lost);
    EXPECT_TRUE(r.problems[1].lost);
    // Tables read: the PML4; it again as a PDPT; as a PD; 512 times as a PT (515 tables, 1 GB of
    // pages); as the next PD; then 484 more PTs, the last at 0x7c600000.
    EXPECT_EQ(r.problems[1].message,
              "the walk stopped after reading 1000 page tables, its bound: the addresses from "
              "0x7c800000 on are not shown");
    ASSERT_EQ(r.runs.size(), 1u);
    EXPECT_EQ(r.runs[0].start, 0u);
    EXPECT_EQ(r.runs[0].size, 0x7c800000u);
    EXPECT_FALSE(r.runs[0].physically_contiguous);
}

TEST(PageTables, TableOutsideMemoryIsSaidAndSkipped) {
    FakeMemory m = user_tree();
    m.set(0x4000, 0, 0x100000 | P | W | U);
    m.set(0x3000, 1, 0x999000 | P | W | U);  // not in the memory
    m.set(0x3000, 2, 0x999000 | P | W | U);  // the same table: said once
    m.set(0x3000, 3, 0x4000 | P | W | U);    // a table shared by two entries: read twice
    const WalkResult r = walk_page_tables(m, input(0x1000));
    EXPECT_EQ(r.runs, (std::vector<PageRun>{row(0x0, kPage, 0x100000, true, true, true),
                                            row(0x600000, kPage, 0x100000, true, true, true)}));
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_TRUE(r.problems[0].lost);
    EXPECT_EQ(r.problems[0].message,
              "the PT at physical address 0x999000 is not in the memory: 0x200000-0x400000 is "
              "left out");
    // CR3 itself outside the memory.
    const WalkResult none = walk_page_tables(m, input(0x77000));
    EXPECT_TRUE(none.runs.empty());
    ASSERT_EQ(none.problems.size(), 1u);
    EXPECT_EQ(none.problems[0].message,
              "the PML4 at physical address 0x77000, which CR3 names, is not in the memory: "
              "nothing can be shown");
}

TEST(PageTables, LastPageOfTheAddressSpaceIsLeftOut) {
    FakeMemory m;
    m.set(0x1000, 511, 0x2000 | P | W);
    m.set(0x2000, 511, 0x3000 | P | W);
    m.set(0x3000, 511, 0x4000 | P | W);
    m.set(0x4000, 510, 0x100000 | P | W);
    m.set(0x4000, 511, 0x101000 | P | W);
    const WalkResult r = walk_page_tables(m, input(0x1000));
    EXPECT_EQ(r.runs, (std::vector<PageRun>{row(0xffffffffffffe000, kPage, 0x100000, true, false,
                                                true, kPage4K, Half::Kernel)}));
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_TRUE(r.problems[0].lost);
}

TEST(PageTables, RowBoundStopsTheWalk) {
    FakeMemory m = user_tree();
    for (std::size_t i = 0; i < 16; ++i)
        m.set(0x4000, i, (0x100000 + i * kPage) | P | U | (i % 2 ? W : 0));
    WalkInput in = input(0x1000);
    in.max_rows = 3;
    const WalkResult r = walk_page_tables(m, in);
    EXPECT_EQ(r.runs.size(), 3u);
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_EQ(r.problems[0].message,
              "the walk stopped at 3 rows, its bound: the addresses from 0x3000 on are not shown");
}

TEST(PageTables, ManyProblemsAreCounted) {
    FakeMemory m = user_tree();
    for (std::size_t i = 0; i < 100; ++i) m.set(0x3000, i + 1, (0x1000000 + i * kPage) | P | W);
    const WalkResult r = walk_page_tables(m, input(0x1000));
    ASSERT_EQ(r.problems.size(), 33u);
    EXPECT_EQ(r.problems.back().message, "68 more page tables are not in the memory");
}

TEST(PageTables, WalkWithoutPaeIsRefused) {
    FakeMemory m = user_tree();
    const WalkResult r = walk_page_tables(m, input(0x1000, 0));
    EXPECT_TRUE(r.runs.empty());
    EXPECT_EQ(r.tables_read, 0u);
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_EQ(r.problems[0].message,
              "CR4 is 0x0: PAE (bit 5) is clear, so the CPU is not in long mode's 4- or 5-level "
              "paging, the only paging vmatlas walks");
}

}  // namespace
}  // namespace vmatlas::paging
