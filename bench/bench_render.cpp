// Micro benchmarks of the stages after parsing, on the synthetic 60,000-row map:
//
//   BM_Annotate    annotate() with no process and no files to read (the synthetic paths do not
//                  exist): kernel names, pwndbg names, heuristics, roles: sec_per_row
//   BM_RenderMap   render_map() of every row as a table (0), JSON (1) or CSV (2), the text
//                  flushed a megabyte at a time as the CLI writes it: sec_per_row
#include <benchmark/benchmark.h>

#include "render/map_view.hpp"
#include "synthetic_maps.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/query.hpp"

namespace {

using namespace vmatlas::bench;

const vmatlas::AddressSpace& space_60k() {
    static const vmatlas::AddressSpace space =
        vmatlas::parse_maps_text(maps_60k(), vmatlas::SourceInfo{vmatlas::SourceKind::MapsText, "synthetic"});
    return space;
}

void per_row(benchmark::State& state) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
    state.counters["sec_per_row"] = benchmark::Counter(
        static_cast<double>(kRows),
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Annotate(benchmark::State& state) {
    const vmatlas::AddressSpace& space = space_60k();
    for (auto _ : state) {
        vmatlas::Annotations notes = vmatlas::annotate(space, vmatlas::AnnotateContext{});
        benchmark::DoNotOptimize(notes);
    }
    per_row(state);
}
BENCHMARK(BM_Annotate)->Unit(benchmark::kMillisecond);

void BM_RenderMap(benchmark::State& state) {
    const vmatlas::AddressSpace& space = space_60k();
    const vmatlas::Annotations notes = vmatlas::annotate(space, vmatlas::AnnotateContext{});
    const vmatlas::FilterSpec filter;
    const vmatlas::Selection sel = vmatlas::select_rows(space, notes, filter);
    const auto format = static_cast<vmatlas::Format>(state.range(0));
    std::size_t bytes = 0;
    std::string out;
    const vmatlas::Flush flush = [&](std::string& text) {
        bytes += text.size();
        text.clear();
    };
    for (auto _ : state) {
        render_map(space, notes, sel, filter, format, vmatlas::Palette{}, out, flush);
        flush(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    per_row(state);
}
BENCHMARK(BM_RenderMap)->ArgName("format")->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
