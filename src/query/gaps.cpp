#include "vmatlas/query.hpp"

#include <algorithm>

namespace vmatlas {

std::string_view to_string(GapEntry::Kind k) {
    switch (k) {
        case GapEntry::Kind::Mapped:
            return "mapped";
        case GapEntry::Kind::Guard:
            return "guard";
        case GapEntry::Kind::Hole:
            return "hole";
    }
    return "mapped";
}

GapReport compute_gaps(const AddressSpace& space) {
    GapReport r;
    r.mapping_count = space.size();
    for (std::size_t i = 0; i < space.size(); ++i) {
        const Mapping& m = space[i];
        r.total_mapped += m.size();
        if (i > 0 && space[i - 1].end < m.start) {
            const Addr lo = space[i - 1].end;
            r.entries.push_back({GapEntry::Kind::Hole, lo, m.start, 0, i});
            if (m.start <= kKernelHalf) r.largest_hole = std::max(r.largest_hole, m.start - lo);
        }
        const auto kind = m.perms.none() ? GapEntry::Kind::Guard : GapEntry::Kind::Mapped;
        GapEntry* last = r.entries.empty() ? nullptr : &r.entries.back();
        if (kind == GapEntry::Kind::Mapped && last && last->kind == kind && last->end == m.start) {
            last->end = m.end;
            ++last->count;
        } else {
            r.entries.push_back({kind, m.start, m.end, 1, i});
        }
    }
    return r;
}

GapReport gaps_around(const GapReport& all, Addr a, unsigned before, unsigned after) {
    GapReport out = all;
    std::vector<GapEntry>& e = out.entries;
    // Below the first mapping and above the last, the hole is not an entry of the layout: the
    // address's is made.
    if (e.empty() || a < e.front().start) {
        e.insert(e.begin(),
                 {GapEntry::Kind::Hole, 0, e.empty() ? UINT64_MAX : e.front().start, 0, 0});
    } else if (a >= e.back().end) {
        e.push_back({GapEntry::Kind::Hole, e.back().end, UINT64_MAX, 0, all.mapping_count});
    }
    // The entries tile the space from the first mapping to the last: the first that ends above
    // the address holds it.
    const auto at =
        std::partition_point(e.begin(), e.end(), [&](const GapEntry& g) { return g.end <= a; });
    const std::size_t k = static_cast<std::size_t>(at - e.begin());
    const std::size_t from = k >= before ? k - before : 0;
    const std::size_t to = std::min(e.size(), k + std::size_t{after} + 1);
    e = std::vector<GapEntry>(e.begin() + static_cast<std::ptrdiff_t>(from),
                              e.begin() + static_cast<std::ptrdiff_t>(to));
    return out;
}

}  // namespace vmatlas
