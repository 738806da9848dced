// The layout stage: the gap and the bss of an object whose ELF headers could not be read (a map
// saved on another machine, a file gone), told from the rows alone. The loader leaves the same
// structure whatever the object: a `---p` reservation between two of its segments, and the
// anonymous continuation of its last writable segment (seed 003 explains both). Names given here
// say so (NameSource::Layout), and are given only around an object with code whose file could not
// be read: never to a row of an object the ELF stage named, nor around a file that is not ELF.
#include "annotate/objects.hpp"
#include "annotate/stages.hpp"

namespace vmatlas {

namespace {

// What -v's Sections column says of a row named from the layout: no headers were read, so its
// sections are not known, and its name is the layout's.
constexpr std::string_view kNoHeaders = "(layout)";

bool anonymous(const AddressSpace& space, const Mapping& m) {
    return m.path == kNoPath && m.inode == 0 && space.path(m).empty();
}

// A row no stage gave a name of substance: unnamed, or only pwndbg's [anon_...].
bool unnamed(const Label& label) {
    return label.source == NameSource::None || label.source == NameSource::Heuristic;
}

// An object whose headers could not be read, and whose rows look like an ELF object's (it has
// code): a data file mapped writable is no object with a bss.
bool looks_unread_elf(const AddressSpace& space, const MappedObject& obj,
                      const Annotations& notes) {
    if (obj.not_elf) return false;
    bool code = false;
    for (std::size_t i : obj.rows) {
        if (notes.labels[i].source == NameSource::Elf) return false;
        code = code || space[i].perms.executable();
    }
    return code;
}

}  // namespace

void stages::name_by_layout(const AddressSpace& space, ObjectTable& objects, Annotations& notes) {
    for (const MappedObject& obj : objects.objects) {
        if (!looks_unread_elf(space, obj, notes)) continue;
        // The gap: a `---p` row of the file, or anonymous, right between two rows of the file.
        for (std::size_t before : obj.rows) {
            const std::size_t i = before + 1;
            if (i + 1 >= space.size()) continue;
            const Mapping& m = space[i];
            if (!m.perms.none() || !unnamed(notes.labels[i])) continue;
            if (objects.object_of(i + 1) != &obj) continue;
            if (space[before].end != m.start || m.end != space[i + 1].start) continue;
            const bool own = objects.object_of(i) == &obj;
            if (!own && !anonymous(space, m)) continue;
            notes.labels[i] = {"gap", NameSource::Layout, own ? kNoPath : obj.key.path};
            objects.attach(i, obj);
            if (!notes.sections.empty()) notes.sections[i] = kNoHeaders;
        }
        // The bss: the anonymous writable row that starts where its last writable row ends.
        std::size_t last = SIZE_MAX;
        for (std::size_t i : obj.rows)
            if (space[i].perms.writable()) last = i;
        if (last == SIZE_MAX || last + 1 >= space.size()) continue;
        const Mapping& next = space[last + 1];
        if (next.start != space[last].end || !anonymous(space, next) || !next.perms.writable() ||
            next.perms.shared() || !unnamed(notes.labels[last + 1]))
            continue;
        notes.labels[last + 1] = {"bss", NameSource::Layout, obj.key.path};
        objects.attach(last + 1, obj);
        if (!notes.sections.empty()) notes.sections[last + 1] = kNoHeaders;
    }
}

}  // namespace vmatlas
