#include <algorithm>
#include <cstring>
#include <numeric>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <fmt/format.h>

#include "model/lookup_isa.hpp"
#include "vmatlas/address_space.hpp"

namespace vmatlas {

namespace {

// A 64-bit digest that is stable across runs and machines (std::hash is not): FxHash's one
// multiply per 8-byte word, which is all a change detector needs.
struct Digest {
    std::uint64_t h = 0;
    void add_u64(std::uint64_t v) { h = (((h << 5) | (h >> 59)) ^ v) * 0x517cc1b727220a95ull; }
    void add(const void* data, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (; n >= 8; n -= 8, p += 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            add_u64(w);
        }
        std::uint64_t tail = 0;
        std::memcpy(&tail, p, n);
        add_u64(tail);
    }
};

std::uint64_t digest_rows(const std::vector<Mapping>& rows, const StringPool& paths) {
    Digest d;
    for (const Mapping& m : rows) {
        d.add_u64(m.start);
        d.add_u64(m.end);
        d.add_u64(raw(m.offset));
        d.add_u64(m.inode);
        d.add_u64((std::uint64_t{m.dev_major} << 32) | m.dev_minor);
        d.add_u64((std::uint64_t{m.perms.bits()} << 8) | m.flags);
        const std::string_view p = paths.get(m.path);
        d.add_u64(p.size());
        d.add(p.data(), p.size());
    }
    return d.h;
}

}  // namespace

std::uint64_t AddressSpace::generation() const {
    if (!generation_) generation_ = digest_rows(mappings_, paths_);
    return *generation_;
}

// The look-up index: a static search tree of the end addresses (an "S-tree"), sixteen keys a
// node. The leaves cover sixteen mappings each, in order. Above them, each level holds, for every
// node (or leaf) of the level below, the last end under it, sixteen to a node, up to one root.
// Keys past the last child are the largest address.
//
// A leaf holds no address: it holds how far below the leaf's last end (its key in the parent)
// each mapping ends and starts, in 32 bits. That fits in the 8 bytes a mapping that a plain
// array of ends would take, and a look-up needs no look at the Mappings (2.9 MB for 60,000,
// past L2: reading the start there was a cache miss on every look-up). A leaf whose first start
// is kFar (4 GiB less one byte) or more below its last end, for a huge mapping or hole, cannot
// be written so; it is marked and searched in mappings_ instead: correct, slower, and rare in
// real maps.
//
// A look-up reads one node a level (two cache lines) and counts the keys not above the address,
// without a branch: the count says which child to read. In the leaf, the count of ends not
// above the address is the index of the first mapping that ends above it, and that mapping's
// start says whether it is a hit. The levels above the leaves take 0.5 bytes a mapping and stay
// in cache; the leaves of 60,000 mappings (480 KB) stay in L2.
//
// Counting sixteen keys is most of the work, so it is done with AVX-512 or AVX2 when the CPU has
// them (the build has no -march; SSE2 has no 64-bit compare); the search is written once and
// compiled for each (flatten inlines the counting, which carries the target, into each copy).
namespace {

using detail::LookupIndex;
using Leaf = LookupIndex::Leaf;
using Node = LookupIndex::Node;
constexpr std::size_t kFan = 16;
constexpr Addr kPad = ~Addr{0};
// Distances from a leaf's last end are at most this; a larger one is clamped to kFar.
constexpr Addr kFar = 0xffffffff;

// Out of line, so that a look-up's own code stays small.
// Built whole before it is stored: an allocation that fails half-way leaves `stored` as it was
// (empty: built again on the next look-up), never half built.
[[gnu::noinline]] void build_lookup_index(const std::vector<Mapping>& mappings,
                                          LookupIndex& stored) {
    LookupIndex index;
    const std::size_t n = mappings.size();
    std::vector<Addr> keys((n + kFan - 1) / kFan);  // the last end of every leaf
    index.leaves.resize(keys.size(), Leaf{});
    for (std::size_t j = 0; j < keys.size(); ++j) {
        const std::size_t first = j * kFan, last = std::min(n, first + kFan) - 1;
        keys[j] = mappings[last].end;
        if (keys[j] - mappings[first].start >= kFar) continue;  // left all zero: marked
        for (std::size_t i = first; i <= last; ++i) {
            index.leaves[j].end_below[i - first] =
                static_cast<std::uint32_t>(keys[j] - mappings[i].end);
            index.leaves[j].start_below[i - first] =
                static_cast<std::uint32_t>(keys[j] - mappings[i].start);
        }
    }
    // The levels above, from the bottom up, then stored root first.
    std::vector<std::vector<Node>> levels;
    do {
        std::vector<Node> level((keys.size() + kFan - 1) / kFan);
        std::vector<Addr> above(level.size());
        for (std::size_t j = 0; j < level.size(); ++j) {
            for (std::size_t k = 0; k < kFan; ++k) {
                const std::size_t i = j * kFan + k;
                level[j].key[k] = i < keys.size() ? keys[i] : kPad;
            }
            above[j] = keys[std::min(keys.size(), (j + 1) * kFan) - 1];
        }
        levels.push_back(std::move(level));
        keys = std::move(above);
    } while (keys.size() > 1);
    std::size_t total = 0;
    for (const auto& level : levels) total += level.size();
    index.nodes.reserve(total);
    index.levels.reserve(levels.size());
    for (auto level = levels.rbegin(); level != levels.rend(); ++level) {
        index.levels.push_back(index.nodes.size());
        index.nodes.insert(index.nodes.end(), level->begin(), level->end());
    }
    stored = std::move(index);
}

// Where a look-up landed: the first mapping that ends above the address, and whether it
// contains the address.
struct Found {
    std::size_t at;
    bool hit;
};

// A marked leaf: a scan of its mappings.
[[gnu::noinline]] Found search_mappings(const std::vector<Mapping>& mappings, std::size_t first,
                                        Addr a) {
    std::size_t i = first;
    while (mappings[i].end <= a) ++i;  // the leaf's last end is above a
    return {i, mappings[i].start <= a};
}

// Every caller checked that a is below the last end, so that each count names a real child.
template <class Count>
[[gnu::always_inline]] inline Found search(const LookupIndex& index,
                                           const std::vector<Mapping>& mappings, Addr a) {
    std::size_t pos = 0;  // the child to read, in the level being read
    Addr last_end = kPad;
    for (const std::size_t level : index.levels) {
        const Node& node = index.nodes[level + pos];
        const unsigned below = Count::keys_at_or_below(node, a);
        last_end = node.key[below];
        pos = pos * kFan + below;
    }
    const Leaf& leaf = index.leaves[pos];
    if (leaf.start_below[0] == 0) [[unlikely]]
        return search_mappings(mappings, pos * kFan, a);
    const auto d = static_cast<std::uint32_t>(std::min(last_end - a, kFar));  // at least 1
    const unsigned ended = Count::ends_at_or_below(leaf, d);
    return {pos * kFan + ended, leaf.start_below[ended] >= d};
}

struct PlainCount {
    static unsigned keys_at_or_below(const Node& node, Addr a) {
        unsigned n = 0;
        for (const Addr key : node.key) n += key <= a;
        return n;
    }
    // Ends at or below a, for d = the leaf's last end - a.
    static unsigned ends_at_or_below(const Leaf& leaf, std::uint32_t d) {
        unsigned n = 0;
        for (const std::uint32_t below : leaf.end_below) n += below >= d;
        return n;
    }
};

#if defined(__x86_64__)
// AVX2 compares signed integers only: flipping the top bit of both sides turns that into the
// unsigned compare. The compare masks are packed into one byte mask, two bytes a key.
struct Avx2Count {
    // All ones in each 64-bit lane of p[0..3] above x (whose top bit is flipped already).
    [[gnu::target("avx2")]] static __m256i above(const Addr* p, __m256i x) {
        const __m256i key = _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
        return _mm256_cmpgt_epi64(_mm256_xor_si256(key, _mm256_set1_epi64x(INT64_MIN)), x);
    }
    // All ones in each 32-bit lane of p[0..7] above x (whose top bit is flipped already).
    [[gnu::target("avx2")]] static __m256i above(const std::uint32_t* p, __m256i x) {
        const __m256i below = _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
        return _mm256_cmpgt_epi32(_mm256_xor_si256(below, _mm256_set1_epi32(INT32_MIN)), x);
    }
    [[gnu::target("avx2")]] static unsigned keys_at_or_below(const Node& node, Addr a) {
        const __m256i x = _mm256_set1_epi64x(static_cast<std::int64_t>(a ^ (Addr{1} << 63)));
        const __m256i packed =
            _mm256_packs_epi16(_mm256_packs_epi32(above(node.key, x), above(node.key + 4, x)),
                               _mm256_packs_epi32(above(node.key + 8, x), above(node.key + 12, x)));
        const auto mask = static_cast<unsigned>(_mm256_movemask_epi8(packed));
        return kFan - static_cast<unsigned>(__builtin_popcount(mask)) / 2;
    }
    [[gnu::target("avx2")]] static unsigned ends_at_or_below(const Leaf& leaf, std::uint32_t d) {
        // below >= d is below > d - 1, and d is at least 1.
        const __m256i x = _mm256_set1_epi32(static_cast<int>((d - 1) ^ 0x80000000u));
        const __m256i packed =
            _mm256_packs_epi32(above(leaf.end_below, x), above(leaf.end_below + 8, x));
        const auto mask = static_cast<unsigned>(_mm256_movemask_epi8(packed));
        return static_cast<unsigned>(__builtin_popcount(mask)) / 2;
    }
};

struct Avx512Count {
    [[gnu::target("avx512f")]] static unsigned keys_at_or_below(const Node& node, Addr a) {
        const __m512i x = _mm512_set1_epi64(static_cast<std::int64_t>(a));
        const __mmask8 low = _mm512_cmple_epu64_mask(_mm512_load_si512(node.key), x);
        const __mmask8 high = _mm512_cmple_epu64_mask(_mm512_load_si512(node.key + 8), x);
        return static_cast<unsigned>(
            __builtin_popcount(_cvtmask16_u32(_mm512_kunpackb(high, low))));
    }
    [[gnu::target("avx512f")]] static unsigned ends_at_or_below(const Leaf& leaf, std::uint32_t d) {
        const __m512i x = _mm512_set1_epi32(static_cast<int>(d));
        return static_cast<unsigned>(
            __builtin_popcount(_mm512_cmpge_epu32_mask(_mm512_load_si512(leaf.end_below), x)));
    }
};
#endif

using Search = Found (*)(const LookupIndex&, const std::vector<Mapping>&, Addr);

Found search_plain(const LookupIndex& index, const std::vector<Mapping>& mappings, Addr a) {
    return search<PlainCount>(index, mappings, a);
}
#if defined(__x86_64__)
[[gnu::target("avx2"), gnu::flatten]] Found search_avx2(const LookupIndex& index,
                                                        const std::vector<Mapping>& mappings,
                                                        Addr a) {
    return search<Avx2Count>(index, mappings, a);
}
[[gnu::target("avx512f"), gnu::flatten]] Found search_avx512(const LookupIndex& index,
                                                             const std::vector<Mapping>& mappings,
                                                             Addr a) {
    return search<Avx512Count>(index, mappings, a);
}
#endif

Search search_for(LookupIsa isa) {
    switch (isa) {
#if defined(__x86_64__)
        case LookupIsa::avx512:
            return search_avx512;
        case LookupIsa::avx2:
            return search_avx2;
#endif
        default:
            return search_plain;
    }
}

// Plain until the CPU has been asked, before main: a look-up from another file's static
// initializer may come first.
constinit Search g_search = search_plain;
[[maybe_unused]] const bool g_search_chosen = (g_search = search_for(best_lookup_isa()), true);

}  // namespace

bool cpu_has(LookupIsa isa) {
#if defined(__x86_64__)
    __builtin_cpu_init();  // may run before the constructor that does it
    switch (isa) {
        case LookupIsa::avx512:
            return __builtin_cpu_supports("avx512f");
        case LookupIsa::avx2:
            return __builtin_cpu_supports("avx2");
        case LookupIsa::plain:
            return true;
    }
    return false;
#else
    return isa == LookupIsa::plain;
#endif
}

LookupIsa best_lookup_isa() {
    for (LookupIsa isa : {LookupIsa::avx512, LookupIsa::avx2})
        if (cpu_has(isa)) return isa;
    return LookupIsa::plain;
}

void use_lookup_isa(LookupIsa isa) {
    g_search = search_for(cpu_has(isa) ? isa : LookupIsa::plain);
}

std::size_t AddressSpace::lower_bound(Addr a) const {
    if (mappings_.empty() || a >= mappings_.back().end) return mappings_.size();
    if (index_.leaves.empty()) build_lookup_index(mappings_, index_);
    return g_search(index_, mappings_, a).at;
}

std::optional<std::size_t> AddressSpace::find(Addr a) const {
    if (mappings_.empty() || a >= mappings_.back().end) return std::nullopt;
    if (index_.leaves.empty()) build_lookup_index(mappings_, index_);
    const Found found = g_search(index_, mappings_, a);
    if (found.hit) return found.at;
    return std::nullopt;
}

std::size_t AddressSpace::memory_bytes() const {
    std::size_t n = sizeof(*this) + mappings_.capacity() * sizeof(Mapping) +
                    index_.nodes.capacity() * sizeof(LookupIndex::Node) +
                    index_.levels.capacity() * sizeof(std::size_t) +
                    index_.leaves.capacity() * sizeof(LookupIndex::Leaf) +
                    figures_.capacity() * sizeof(Figures);
    // Each interned string: its bytes, its deque slot, and an index node (key view, id, hash).
    n += paths_.bytes() + paths_.size() * (sizeof(std::string) + sizeof(std::string_view) + 32);
    return n;
}

AddressSpaceBuilder::AddressSpaceBuilder(SourceInfo source) {
    space_.source_ = std::move(source);
}

void AddressSpaceBuilder::add(const Mapping& m, Figures f) {
    if (row_figures_.capacity() < rows_.capacity()) row_figures_.reserve(rows_.capacity());
    row_figures_.resize(rows_.size());
    rows_ready_.before_push(rows_);
    figures_ready_.before_push(row_figures_);
    rows_.push_back(m);
    row_figures_.push_back(std::move(f));
}

void AddressSpaceBuilder::reject(Diagnostic d) {
    ++rejected_;
    space_.diagnostics_.push_back(std::move(d));
}

void AddressSpaceBuilder::carry(const RowAccount& account, std::vector<Diagnostic> diagnostics,
                                bool incomplete) {
    rejected_ += account.rejected;
    carried_superseded_ += account.superseded;
    for (Diagnostic& d : diagnostics) space_.diagnostics_.push_back(std::move(d));
    space_.incomplete_ = space_.incomplete_ || incomplete;
}

AddressSpace AddressSpaceBuilder::build() && {
    RowAccount& acc = space_.rows_;
    acc.read = rows_.size() + rejected_ + carried_superseded_;
    acc.rejected = rejected_;
    acc.superseded = carried_superseded_;

    // Sort by start; among equal starts the row read later comes later. Then sweep: a row that
    // overlaps the one before it replaces it when it was read later, else it is the one dropped.
    // The common case, the kernel's own output: sorted and without overlaps. Keep it as it is.
    bool clean = true;
    for (std::size_t i = 1; i < rows_.size() && clean; ++i)
        clean = rows_[i - 1].end <= rows_[i].start;
    if (clean) {
        space_.mappings_ = std::move(rows_);
        rows_ = {};
        if (!row_figures_.empty()) {
            row_figures_.resize(space_.mappings_.size());
            space_.figures_ = std::move(row_figures_);
            row_figures_ = {};
        }
        acc.kept = space_.mappings_.size();
        return std::move(space_);
    }

    std::vector<std::uint32_t> order(rows_.size());
    std::iota(order.begin(), order.end(), 0u);
    const bool already_sorted =
        std::is_sorted(rows_.begin(), rows_.end(),
                       [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
    if (!already_sorted)
        std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            return rows_[a].start < rows_[b].start;
        });

    std::vector<std::uint32_t> kept;
    kept.reserve(order.size());
    for (std::uint32_t i : order) {
        const Mapping& row = rows_[i];
        bool keep = true;
        while (!kept.empty() && rows_[kept.back()].end > row.start) {
            if (kept.back() < i) {
                kept.pop_back();
            } else {
                keep = false;
                break;
            }
            ++acc.superseded;
        }
        if (keep) {
            kept.push_back(i);
        } else {
            ++acc.superseded;
        }
    }

    space_.mappings_.reserve(kept.size());
    for (std::uint32_t i : kept) space_.mappings_.push_back(rows_[i]);
    if (!row_figures_.empty()) {
        row_figures_.resize(rows_.size());
        space_.figures_.reserve(kept.size());
        for (std::uint32_t i : kept) space_.figures_.push_back(std::move(row_figures_[i]));
        row_figures_ = {};
    }
    acc.kept = space_.mappings_.size();
    if (const std::size_t dropped = acc.superseded - carried_superseded_; dropped > 0)
        space_.diagnostics_.push_back(
            {0, 0,
             space_.source_.kind == "procfs"
                 ? fmt::format("{} row(s) overlapped a row read after them and were dropped (the "
                               "map changed while it was read)",
                               dropped)
                 : fmt::format("{} row(s) overlapped a later row and were dropped", dropped)});
    rows_.clear();
    rows_.shrink_to_fit();
    return std::move(space_);
}

std::vector<std::string> check_invariants(const AddressSpace& space) {
    std::vector<std::string> broken;
    const auto& ms = space.mappings();
    for (std::size_t i = 0; i < ms.size(); ++i) {
        const Mapping& m = ms[i];
        if (m.start >= m.end)
            broken.push_back(
                fmt::format("row {} is empty or inverted: {:#x}-{:#x}", i, m.start, m.end));
        if (i > 0 && ms[i - 1].end > m.start)
            broken.push_back(
                fmt::format("rows {} and {} overlap or are out of order: {:#x}-{:#x} "
                            "then {:#x}-{:#x}",
                            i - 1, i, ms[i - 1].start, ms[i - 1].end, m.start, m.end));
        if (m.path >= space.paths().size())
            broken.push_back(
                fmt::format("row {} names path id {} of {}", i, m.path, space.paths().size()));
    }
    const RowAccount& r = space.rows();
    if (r.kept != ms.size())
        broken.push_back(fmt::format("{} rows kept but {} mappings held", r.kept, ms.size()));
    if (r.read != r.kept + r.superseded + r.rejected)
        broken.push_back(fmt::format("{} rows read but {} kept + {} superseded + {} rejected",
                                     r.read, r.kept, r.superseded, r.rejected));
    if (!space.figures().empty() && space.figures().size() != ms.size())
        broken.push_back(
            fmt::format("{} figure rows for {} mappings", space.figures().size(), ms.size()));
    return broken;
}

}  // namespace vmatlas
