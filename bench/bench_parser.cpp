// vmatlas-bench: micro benchmarks of the model and the maps-text source (Google Benchmark).
//
//   BM_ParseMapsText      parse_maps_text on a synthetic 60,000-row maps text: sec_per_row
//   BM_Find               AddressSpace::find, random addresses, 60,000 mappings: items_per_second
//                         (goal: at least 50 M/s)
//   BM_FindSorted         the same addresses sorted, as a batch of `where` is resolved
//   BM_ReadSelfMaps       read_process_maps(getpid()): read(2) of /proc/self/maps plus parsing,
//                         with the process's own rows and with 60,000 extra mappings
//   BM_ReadSelfMapsRaw    the kernel floor for the same: read_proc_file("/proc/self/maps") alone
//
// Every benchmark that builds an address space reports bytes_per_mapping = memory_bytes()/size()
// (goal: well under 100 plus the interned strings) and mappings.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "spaced_pages.hpp"
#include "synthetic_maps.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/procfs.hpp"

namespace {

using namespace vmatlas::bench;

void report_memory(benchmark::State& state, const vmatlas::AddressSpace& space) {
    state.counters["mappings"] = static_cast<double>(space.size());
    state.counters["bytes_per_mapping"] =
        space.empty()
            ? 0.0
            : static_cast<double>(space.memory_bytes()) / static_cast<double>(space.size());
}

void BM_ParseMapsText(benchmark::State& state) {
    const std::string& text = maps_60k();
    vmatlas::MapsTextOptions options;
    options.pasted_rows = state.range(0) != 0;
    std::size_t kept = 0;
    for (auto _ : state) {
        vmatlas::AddressSpaceBuilder builder(
            vmatlas::SourceInfo{vmatlas::SourceKind::MapsText, "synthetic"});
        vmatlas::parse_maps_text(text, builder, options);
        vmatlas::AddressSpace space = std::move(builder).build();
        kept = space.size();
        benchmark::DoNotOptimize(space);
    }
    vmatlas::AddressSpaceBuilder builder(
        vmatlas::SourceInfo{vmatlas::SourceKind::MapsText, "synthetic"});
    vmatlas::parse_maps_text(text, builder, options);
    report_memory(state, std::move(builder).build());
    if (kept != kRows) {
        state.SkipWithError(fmt::format("parsed {} rows, expected {}", kept, kRows).c_str());
        return;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
    state.counters["sec_per_row"] = benchmark::Counter(
        static_cast<double>(kRows),
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ParseMapsText)->ArgName("pasted_rows")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

// Random addresses over the whole span of the map (all_hit false: hits and misses as they fall;
// most of a real map's span is holes) or inside random mappings (every look-up hits), in random
// or in address order.
void find_in_60k(benchmark::State& state, bool all_hit, bool sorted);

void BM_Find(benchmark::State& state) {
    find_in_60k(state, state.range(0) != 0, false);
}
BENCHMARK(BM_Find)->ArgName("all_hit")->Arg(0)->Arg(1);

// The same addresses in address order: a batch sorted as `where` resolves it.
void BM_FindSorted(benchmark::State& state) {
    find_in_60k(state, state.range(0) != 0, true);
}
BENCHMARK(BM_FindSorted)->ArgName("all_hit")->Arg(0)->Arg(1);

void find_in_60k(benchmark::State& state, bool all_hit, bool sorted) {
    static const vmatlas::AddressSpace space = vmatlas::parse_maps_text(
        maps_60k(), vmatlas::SourceInfo{vmatlas::SourceKind::MapsText, "synthetic"});
    if (space.size() != kRows) {
        state.SkipWithError("the synthetic map did not parse");
        return;
    }
    std::mt19937_64 rng(7);
    constexpr std::size_t kAddrs = 1 << 16;
    std::vector<vmatlas::Addr> addrs(kAddrs);
    // The body of the synthetic map: between the executable and [heap] below and [stack],
    // [vvar], [vdso] and [vsyscall] far above it.
    vmatlas::Addr lo = space[2].start, hi = space[space.size() - 5].end;
    for (auto& a : addrs) {
        if (all_hit) {
            const vmatlas::Mapping& m = space[rng() % space.size()];
            a = m.start + rng() % m.size();
        } else {
            a = lo + rng() % (hi - lo);
        }
    }
    if (sorted) std::sort(addrs.begin(), addrs.end());
    std::size_t found = 0;
    for (auto _ : state) {
        for (vmatlas::Addr a : addrs) {
            auto idx = space.find(a);
            found += idx.has_value();
            benchmark::DoNotOptimize(idx);
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kAddrs));
    state.counters["hit_rate"] =
        static_cast<double>(found) / static_cast<double>(state.iterations() * kAddrs);
    report_memory(state, space);
}

void BM_ReadSelfMaps(benchmark::State& state) {
    const auto extra = static_cast<std::size_t>(state.range(0));
    SpacedPages pages(extra);
    if (pages.mapped() != extra) {
        state.SkipWithError("could not map the extra pages (vm.max_map_count?)");
        return;
    }
    std::size_t rows = 0;
    for (auto _ : state) {
        auto space = vmatlas::read_process_maps(getpid());
        if (!space) {
            state.SkipWithError(space.error().message.c_str());
            return;
        }
        rows = space->size();
        benchmark::DoNotOptimize(space);
    }
    if (auto space = vmatlas::read_process_maps(getpid())) report_memory(state, *space);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
    state.counters["sec_per_row"] = benchmark::Counter(
        static_cast<double>(rows),
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ReadSelfMaps)
    ->ArgName("extra_maps")
    ->Arg(0)
    ->Arg(60000)
    ->Unit(benchmark::kMicrosecond);

// The same read without parsing: how much of BM_ReadSelfMaps is the kernel's.
void BM_ReadSelfMapsRaw(benchmark::State& state) {
    const auto extra = static_cast<std::size_t>(state.range(0));
    SpacedPages pages(extra);
    if (pages.mapped() != extra) {
        state.SkipWithError("could not map the extra pages (vm.max_map_count?)");
        return;
    }
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto text = vmatlas::read_proc_file("/proc/self/maps");
        if (!text) {
            state.SkipWithError(text.error().message.c_str());
            return;
        }
        bytes = text->size();
        benchmark::DoNotOptimize(text);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_ReadSelfMapsRaw)
    ->ArgName("extra_maps")
    ->Arg(0)
    ->Arg(60000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
