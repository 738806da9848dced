// Benchmarks of `where`'s library (Google Benchmark), on this process itself:
//
//   BM_WhereLibcLoad      a Locator's first answer in libc: reading libc's symbols, and with
//                         lines:1 its DWARF (libc6-dbg's debug file), once
//   BM_WhereLibcBatch     locate_batch of 1,000,000 random addresses in libc's text, the tables
//                         read already, with and without lines: items_per_second
//   BM_LiveLookup         one live look-up in a process with 200, 2,000 or 60,000 mappings:
//                         PROCMAP_QUERY's ioctl (how:0) against reading and parsing the whole
//                         map and finding the address in it (how:1)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "sources/procmap_query.hpp"
#include "spaced_pages.hpp"
#include "vmatlas/procfs.hpp"
#include "vmatlas/where.hpp"

namespace {

using vmatlas::Addr;

// This process's named map, and the bounds of libc's text in it.
struct Self {
    vmatlas::NamedMap map;
    Addr text_lo = 0, text_hi = 0;
};

const Self& self() {
    static const Self s = [] {
        Self out;
        auto map = vmatlas::open_named_map("self");
        if (!map) return out;
        out.map = std::move(*map);
        const auto& space = out.map.space;
        for (std::size_t i = 0; i < space.size(); ++i)
            if (space.path(space[i]).ends_with("/libc.so.6") && space[i].perms.executable()) {
                out.text_lo = space[i].start;
                out.text_hi = space[i].end;
            }
        return out;
    }();
    return s;
}

std::vector<Addr> libc_addresses(std::size_t n) {
    const Self& s = self();
    std::mt19937_64 rng(11);
    std::vector<Addr> out(n);
    for (Addr& a : out) a = s.text_lo + rng() % (s.text_hi - s.text_lo);
    return out;
}

void BM_WhereLibcLoad(benchmark::State& state) {
    const Self& s = self();
    if (s.text_lo == 0) return state.SkipWithError("no libc text in this process");
    const bool lines = state.range(0) != 0;
    vmatlas::WhereAnswer a;
    for (auto _ : state) {
        vmatlas::Locator where(s.map, {.lines = lines});
        where.locate(s.text_lo + 0x100, a);
        benchmark::DoNotOptimize(a.symbol.name.data());
    }
    state.counters["frames"] = static_cast<double>(a.frames.size());
}
BENCHMARK(BM_WhereLibcLoad)->ArgName("lines")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_WhereLibcBatch(benchmark::State& state) {
    const Self& s = self();
    if (s.text_lo == 0) return state.SkipWithError("no libc text in this process");
    constexpr std::size_t kAddrs = 1'000'000;
    const std::vector<Addr> addrs = libc_addresses(kAddrs);
    vmatlas::Locator where(s.map, {.lines = state.range(0) != 0});
    vmatlas::WhereAnswer warm;
    where.locate(addrs[0], warm);
    std::size_t with_line = 0;
    for (auto _ : state) {
        with_line = 0;
        where.locate_batch(addrs, [&](std::size_t, const vmatlas::WhereAnswer& a) {
            with_line += !a.frames.empty();
            benchmark::DoNotOptimize(a.symbol.name.data());
        });
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kAddrs));
    state.counters["with_line"] = static_cast<double>(with_line) / kAddrs;
}
BENCHMARK(BM_WhereLibcBatch)->ArgName("lines")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_LiveLookup(benchmark::State& state) {
    const auto count = static_cast<std::size_t>(state.range(0));
    const bool text = state.range(1) != 0;
    vmatlas::bench::SpacedPages pages(count);
    if (pages.mapped() != count)
        return state.SkipWithError("could not map the pages (vm.max_map_count?)");
    // A page in the middle of the map.
    const auto target = reinterpret_cast<Addr>(pages.page(count / 2)) + 8;
    auto q = vmatlas::ProcmapQuery::open(getpid());
    if (!q) return state.SkipWithError(q.error().message.c_str());
    if (!text) {
        auto probe = q->query(target, vmatlas::ProcmapQuery::Find::Covering);
        if (!probe) return state.SkipWithError(probe.error().message.c_str());
    }
    for (auto _ : state) {
        if (text) {
            auto space = vmatlas::read_process_maps(getpid());
            if (!space) return state.SkipWithError(space.error().message.c_str());
            benchmark::DoNotOptimize(space->find(target));
        } else {
            auto found = q->query(target, vmatlas::ProcmapQuery::Find::Covering);
            benchmark::DoNotOptimize(found);
        }
    }
}
BENCHMARK(BM_LiveLookup)
    ->ArgNames({"mappings", "text"})
    ->ArgsProduct({{200, 2000, 60000}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
