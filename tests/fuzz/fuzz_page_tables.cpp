// Fuzz target of the x86-64 page-table walk (src/sources/page_tables.cpp). The input is a header
// and a physical memory:
//   bytes 0-7    CR3, little endian
//   byte  8      bit 0: CR4.LA57; bit 1: EFER.NXE; bit 2: CR4.PAE clear; bits 3-4: the half
//                (1 user, 2 kernel, else both); bits 5-7: max_physical_bits - 45
//   bytes 16-    the memory: 4 KB page k (zero-filled at the end) at every physical address
//                below 4 GB whose page number is k modulo the number of pages; nothing above
// so that every entry below 4 GB names a table, and loops and shared tables come easily. For any
// bytes:
// - the rows are sorted, non-overlapping, non-empty, whole 4 KB pages, canonical, in the half
//   their address says and the half asked for, with a page size;
// - two rows that touch differ in a bit they are merged by;
// - the bounds on tables read and rows hold.
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "sources/page_tables.hpp"

namespace {

using vmatlas::paging::Half;
using vmatlas::paging::PageRun;

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "fuzz_page_tables: %s\n", why.c_str());
    std::abort();
}

constexpr std::size_t kHeader = 16;
constexpr std::uint64_t kPage = 4096;

struct MirroredMemory : vmatlas::paging::PhysicalMemory {
    const std::uint8_t* bytes;
    std::size_t size;  // of the memory, past the header
    std::size_t pages;

    bool read(std::uint64_t paddr, void* out, std::size_t n) override {
        if (pages == 0 || n != kPage || paddr % kPage != 0 || paddr >= (1ULL << 32)) return false;
        const std::size_t at = static_cast<std::size_t>((paddr / kPage) % pages) * kPage;
        const std::size_t have = std::min<std::size_t>(kPage, size - at);
        std::memcpy(out, bytes + at, have);
        std::memset(static_cast<std::uint8_t*>(out) + have, 0, kPage - have);
        return true;
    }
};

bool canonical(std::uint64_t a, unsigned top_bit) {
    const std::uint64_t high = a >> top_bit;
    return high == 0 || high == (~0ULL >> top_bit);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < kHeader) return 0;
    vmatlas::paging::WalkInput in;
    std::memcpy(&in.cr3, data, 8);
    const std::uint8_t flags = data[8];
    const bool la57 = flags & 1;
    in.cr4 = (la57 ? vmatlas::paging::kCr4La57 : 0) | (flags & 4 ? 0 : vmatlas::paging::kCr4Pae);
    in.nxe = flags & 2;
    const unsigned half = (flags >> 3) & 3;
    in.half = half == 1 ? Half::User : half == 2 ? Half::Kernel : Half::Both;
    in.max_physical_bits = 45 + (flags >> 5);
    in.max_tables = 256;
    in.max_rows = 4096;
    MirroredMemory memory;
    memory.bytes = data + kHeader;
    memory.size = size - kHeader;
    memory.pages = (memory.size + kPage - 1) / kPage;

    const auto r = vmatlas::paging::walk_page_tables(memory, in);
    if (r.tables_read > in.max_tables) fail("more tables read than the bound");
    if (r.runs.size() > in.max_rows) fail("more rows than the bound");
    if (!(in.cr4 & vmatlas::paging::kCr4Pae) && (!r.runs.empty() || r.problems.size() != 1))
        fail("a walk without PAE was not refused");
    const unsigned top_bit = la57 ? 56 : 47;
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
        const PageRun& run = r.runs[i];
        const std::string at = fmt::format("row {} at {:#x}", i, run.start);
        if (run.size == 0 || run.size % kPage != 0 || run.start % kPage != 0)
            fail(at + ": not whole pages");
        if (run.start + run.size < run.start || run.start + run.size == 0)
            fail(at + ": wraps around");
        if (!canonical(run.start, top_bit) || !canonical(run.start + run.size - 1, top_bit))
            fail(at + ": not canonical");
        const Half h = (run.start >> top_bit) & 1 ? Half::Kernel : Half::User;
        if (run.half != h) fail(at + ": in the wrong half");
        if (((run.start + run.size - 1) >> top_bit & 1) != (run.start >> top_bit & 1))
            fail(at + ": crosses the halves");
        if (in.half != Half::Both && run.half != in.half) fail(at + ": not in the half asked for");
        if (run.page_sizes == 0 || run.page_sizes > 7) fail(at + ": no page size");
        if (!in.nxe && !run.executable) fail(at + ": not executable without NXE");
        if (i == 0) continue;
        const PageRun& prev = r.runs[i - 1];
        if (prev.start + prev.size > run.start) fail(at + ": overlaps or is out of order");
        if (prev.start + prev.size == run.start && prev.half == run.half &&
            prev.writable == run.writable && prev.user == run.user &&
            prev.executable == run.executable && prev.global == run.global)
            fail(at + ": not merged with the row before it");
    }
    for (const auto& p : r.problems)
        if (p.message.empty()) fail("a problem without a sentence");
    return 0;
}
