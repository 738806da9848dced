#include "vmatlas/diff.hpp"

#include <algorithm>

namespace vmatlas {

namespace {

struct RowName {
    std::string_view text;
    NameSource source = NameSource::None;
};

// The name compared for a row: its label, or without labels the kernel's name in its path.
RowName name_of(const AddressSpace& space, const Annotations& notes, std::size_t i,
                const DiffOptions& options) {
    if (!notes.labels.empty()) {
        const Label& l = notes.labels[i];
        if (!options.segment_names && names_segment(l.source)) return {};
        return {l.name, l.source};
    }
    const std::string_view path = space.path(space[i]);
    if (is_kernel_name(path)) return {path, NameSource::Kernel};
    return {};
}

// The file a row maps: the path, unless it is a kernel name (which is compared as the name).
std::string_view file_of(const AddressSpace& space, const Mapping& m) {
    const std::string_view path = space.path(m);
    return is_kernel_name(path) ? std::string_view{} : path;
}

// Only what both targets know can differ: a core knows r, w and x but not p or s, and a row it
// names without describing ("????") knows neither.
bool perms_differ(Perms a, Perms b) {
    if (a.access_known() && b.access_known()) {
        constexpr std::uint8_t kAccess = Perms::kRead | Perms::kWrite | Perms::kExec;
        if ((a.bits() & kAccess) != (b.bits() & kAccess)) return true;
    }
    return a.sharing_known() && b.sharing_known() && a.shared() != b.shared();
}

bool names_differ(const RowName& a, const RowName& b) {
    // A kernel name is a fact about the map; an inferred one is comparable only with a name
    // inferred the same way (see the header).
    const bool comparable =
        a.source == b.source || a.source == NameSource::Kernel || b.source == NameSource::Kernel;
    return comparable && a.text != b.text;
}

// The rows of `other` that share addresses with [start, end): [first, first + count).
void find_overlaps(const AddressSpace& other, Addr start, Addr end, DiffEntry& e) {
    std::size_t k = other.lower_bound(start);
    e.overlap_first = k;
    while (k < other.size() && other[k].start < end) ++k;
    e.overlap_count = k - e.overlap_first;
    if (e.overlap_count == 0) e.overlap_first = 0;
}

}  // namespace

std::string_view to_string(Change c) {
    switch (c) {
        case Change::Unchanged:
            return "unchanged";
        case Change::Added:
            return "added";
        case Change::Removed:
            return "removed";
        case Change::Changed:
            return "changed";
    }
    return "unchanged";
}

DiffFields compare_rows(const AddressSpace& a, const Annotations& a_notes, std::size_t i,
                        const AddressSpace& b, const Annotations& b_notes, std::size_t j,
                        const DiffOptions& options) {
    const Mapping& x = a[i];
    const Mapping& y = b[j];
    DiffFields f = 0;
    if (perms_differ(x.perms, y.perms)) f |= kDiffPerms;
    if (x.end != y.end) f |= kDiffEnd;
    if (x.offset != y.offset) f |= kDiffOffset;
    if (x.inode != 0 && y.inode != 0) {  // a core has no device or inode for its files
        if (x.dev_major != y.dev_major || x.dev_minor != y.dev_minor) f |= kDiffDev;
        if (x.inode != y.inode) f |= kDiffInode;
    }
    if (file_of(a, x) != file_of(b, y)) f |= kDiffPath;
    if (x.deleted() != y.deleted()) f |= kDiffDeleted;
    if (names_differ(name_of(a, a_notes, i, options), name_of(b, b_notes, j, options)))
        f |= kDiffName;
    return f;
}

MapDiff diff_maps(const AddressSpace& a, const Annotations& a_notes, const AddressSpace& b,
                  const Annotations& b_notes, const DiffOptions& options) {
    MapDiff d;
    d.entries.reserve(std::max(a.size(), b.size()));
    // Both maps are sorted by start and non-overlapping, so starts are unique on each side and
    // one merge walk pairs them.
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        DiffEntry e;
        if (j == b.size() || (i < a.size() && a[i].start < b[j].start)) {
            e.change = Change::Removed;
            e.a = i++;
            find_overlaps(b, a[e.a].start, a[e.a].end, e);
            ++d.counts.removed;
        } else if (i == a.size() || b[j].start < a[i].start) {
            e.change = Change::Added;
            e.b = j++;
            find_overlaps(a, b[e.b].start, b[e.b].end, e);
            ++d.counts.added;
        } else {
            e.a = i++;
            e.b = j++;
            e.fields = compare_rows(a, a_notes, e.a, b, b_notes, e.b, options);
            e.change = e.fields ? Change::Changed : Change::Unchanged;
            ++(e.fields ? d.counts.changed : d.counts.unchanged);
        }
        d.entries.push_back(e);
    }
    return d;
}

}  // namespace vmatlas
