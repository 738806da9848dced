// AddressSpace's look-up index, internal to the model: what makes AddressSpace::find() answer
// some 50 million look-ups a second against 60,000 mappings (bench/: BM_Find), where a binary
// search over the ends answers about 12 million.
//
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
// be written so; it is marked and searched in the mappings instead: correct, slower, and rare in
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
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "vmatlas/mapping.hpp"

namespace vmatlas::detail {

struct LookupIndex {
    // Two cache lines each, aligned to them.
    struct alignas(64) Node {
        Addr key[16];  // the last end under each child; ~0 past the last child
    };
    struct alignas(64) Leaf {
        // From the leaf's last end down to each mapping's end and start; start_below[0] == 0
        // marks a leaf that spans about 4 GiB or more, which is searched in the mappings.
        std::uint32_t end_below[16];
        std::uint32_t start_below[16];
    };
    std::vector<Node> nodes;          // every level above the leaves, the root first
    std::vector<std::size_t> levels;  // where each level starts in nodes
    std::vector<Leaf> leaves;         // sixteen mappings each, in order

    // The index of sorted, non-overlapping mappings (at least one).
    static LookupIndex build(const std::vector<Mapping>& mappings);

    // Where a look-up landed: the first mapping that ends above the address, and whether it
    // contains the address.
    struct Found {
        std::size_t at;
        bool hit;
    };
    // For an address below the last mapping's end, in the mappings the index was built from.
    Found search(const std::vector<Mapping>& mappings, Addr a) const;

    std::size_t memory_bytes() const;  // of the vectors' room
};

// Which instructions the search counts keys with. The library picks the best the CPU has; the
// tests force each one in turn, so that every path is proven against a plain scan on any machine
// that has it.
enum class LookupIsa { plain, avx2, avx512 };

bool cpu_has(LookupIsa isa);
// What look-ups use unless told otherwise.
LookupIsa best_lookup_isa();
// Every later look-up counts with isa, or plainly when the CPU does not have it. Not while
// another thread looks up.
void use_lookup_isa(LookupIsa isa);

}  // namespace vmatlas::detail
