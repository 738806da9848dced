// glibc malloc arenas of threads other than the main one. Such an arena lives in "heaps" that
// glibc's new_heap() (malloc/arena.c) reserves as HEAP_MAX_SIZE bytes of PROT_NONE aligned to
// HEAP_MAX_SIZE, and then opens for reading and writing from the bottom up as the arena grows.
// In the map that is an anonymous rw-p row starting on a HEAP_MAX_SIZE boundary, followed by the
// anonymous ---p rest of the reservation; the two never span more than HEAP_MAX_SIZE. A heap
// that has grown to the whole reservation is a lone aligned rw-p row of exactly HEAP_MAX_SIZE.
//
// Names: "heap" for the rw-p part (the same word the main arena's "[heap]" uses, so that the
// filter "heap" finds every arena) and "heap (reserved)" for the ---p rest.
#include "annotate/stages.hpp"

namespace vmatlas {

namespace {

// HEAP_MAX_SIZE: 2 * DEFAULT_MMAP_THRESHOLD_MAX, which is 4 MiB * sizeof(long) on 64-bit
// targets and 512 KiB on 32-bit ones.
constexpr Addr kHeapMax64 = 2 * 4 * 1024 * 1024 * 8;
constexpr Addr kHeapMax32 = 2 * 512 * 1024;

// A 64-bit process always has something above 4 GiB (its stack, [vsyscall]); a map that does
// not is a 32-bit one.
Addr heap_max_size(const AddressSpace& space) {
    const bool wide = !space.empty() && space.mappings().back().end > (Addr{1} << 32);
    return wide ? kHeapMax64 : kHeapMax32;
}

bool anonymous_private(const AddressSpace& space, const Mapping& m) {
    return space.path(m).empty() && !m.perms.shared();
}

// Names that come from facts (ELF headers, a thread's registers) or from an object's own layout
// beat this guess.
bool may_rename(const Label& label) {
    return !names_segment(label.source) && label.source != NameSource::Registers;
}

}  // namespace

void stages::name_heaps(const AddressSpace& space, Annotations& notes) {
    const Addr max = heap_max_size(space);
    for (std::size_t i = 0; i < space.size(); ++i) {
        const Mapping& m = space[i];
        const bool rw = m.perms.readable() && m.perms.writable() && !m.perms.executable();
        if (!rw || !anonymous_private(space, m) || m.start % max != 0 || m.size() > max ||
            !may_rename(notes.labels[i]))
            continue;
        const bool has_tail = i + 1 < space.size() && space[i + 1].start == m.end &&
                              space[i + 1].perms.none() && anonymous_private(space, space[i + 1]) &&
                              space[i + 1].end - m.start <= max;
        if (!has_tail && m.size() != max) continue;
        notes.labels[i] = {"heap", NameSource::Heuristic};
        if (has_tail && may_rename(notes.labels[i + 1]))
            notes.labels[i + 1] = {"heap (reserved)", NameSource::Heuristic};
    }
}

}  // namespace vmatlas
