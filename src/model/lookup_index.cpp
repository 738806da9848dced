// AddressSpace's look-up index (lookup_index.hpp).
#include "model/lookup_index.hpp"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace vmatlas::detail {

namespace {

using Leaf = LookupIndex::Leaf;
using Node = LookupIndex::Node;
constexpr std::size_t kFan = 16;
constexpr Addr kPad = ~Addr{0};
// Distances from a leaf's last end are at most this; a larger one is clamped to kFar.
constexpr Addr kFar = 0xffffffff;

}  // namespace

LookupIndex LookupIndex::build(const std::vector<Mapping>& mappings) {
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
    return index;
}

namespace {

using Found = LookupIndex::Found;

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

LookupIndex::Found LookupIndex::search(const std::vector<Mapping>& mappings, Addr a) const {
    return g_search(*this, mappings, a);
}

std::size_t LookupIndex::memory_bytes() const {
    return nodes.capacity() * sizeof(Node) + levels.capacity() * sizeof(std::size_t) +
           leaves.capacity() * sizeof(Leaf);
}

}  // namespace vmatlas::detail
