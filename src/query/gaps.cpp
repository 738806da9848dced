#include "vmatlas/query.hpp"

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

}  // namespace vmatlas
