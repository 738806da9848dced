#include <algorithm>

#include "vmatlas/query.hpp"

namespace vmatlas {

Selection select_rows(const AddressSpace& space, const Annotations& notes, const FilterSpec& spec) {
    // Candidates: the rows -w and -x let through. Context counts candidates, not all rows.
    std::vector<std::size_t> cand;
    cand.reserve(space.size());
    for (std::size_t i = 0; i < space.size(); ++i) {
        const Perms p = space[i].perms;
        if (spec.writable_only && !p.writable()) continue;
        if (spec.executable_only && !p.executable()) continue;
        cand.push_back(i);
    }

    Selection sel;
    sel.filtered = spec.address.has_value() || !spec.text.empty();
    if (!sel.filtered) {
        sel.rows = std::move(cand);
        sel.matched.assign(sel.rows.size(), false);
        return sel;
    }

    std::vector<std::uint8_t> take(cand.size(), 0);           // 0 no, 1 context, 2 match
    std::size_t hole_pos = 0;                                 // candidates below the hole
    auto mark_around = [&](std::size_t lo, std::size_t hi) {  // [lo, hi] in cand, with context
        const std::size_t from = lo >= spec.before ? lo - spec.before : 0;
        const std::size_t to = std::min(cand.size() - 1, hi + spec.after);
        for (std::size_t k = from; k <= to; ++k) take[k] = std::max<std::uint8_t>(take[k], 1);
    };

    if (spec.address) {
        const Addr a = *spec.address;
        // First candidate whose end is above a: it contains a, or it is the next one up.
        const auto it = std::upper_bound(cand.begin(), cand.end(), a,
                                         [&](Addr x, std::size_t i) { return x < space[i].end; });
        const std::size_t pos = static_cast<std::size_t>(it - cand.begin());
        if (pos < cand.size() && space[cand[pos]].contains(a)) {
            mark_around(pos, pos);
            take[pos] = 2;
        } else {
            // No shown row holds a: its neighbours are the nearest context on each side. The
            // hole is one only when no row at all holds a (-w or -x may hide the one that does),
            // and its bounds are those of all rows, hidden or not.
            for (std::size_t k = pos >= spec.before ? pos - spec.before : 0; k < pos; ++k)
                take[k] = 1;
            for (std::size_t k = pos; k < cand.size() && k < pos + spec.after; ++k) take[k] = 1;
            hole_pos = pos;
            if (!space.find(a)) {
                const std::size_t next = space.lower_bound(a);
                Selection::Hole hole;
                hole.start = next > 0 ? space[next - 1].end : 0;
                hole.end = next < space.size() ? space[next].start : UINT64_MAX;
                sel.hole = hole;
            }
        }
    } else {
        for (std::size_t k = 0; k < cand.size(); ++k) {
            const std::size_t i = cand[k];
            const Label& label = notes.labels[i];
            const std::string_view object =
                label.object == kNoPath ? std::string_view{} : space.paths().get(label.object);
            const bool hit = space.path(space[i]).find(spec.text) != std::string_view::npos ||
                             label.name.find(spec.text) != std::string::npos ||
                             object.find(spec.text) != std::string_view::npos;
            if (hit) {
                mark_around(k, k);
                take[k] = 2;
            }
        }
    }

    for (std::size_t k = 0; k < cand.size(); ++k) {
        if (!take[k]) continue;
        if (sel.hole && k < hole_pos) sel.hole->before_row = sel.rows.size() + 1;
        sel.rows.push_back(cand[k]);
        sel.matched.push_back(take[k] == 2);
        sel.match_count += take[k] == 2;
    }
    return sel;
}

}  // namespace vmatlas
