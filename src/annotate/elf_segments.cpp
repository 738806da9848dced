// The ELF segment-name stage: which program header each file-backed row came from, and so what it
// holds (text, rodata, relro, data, headers), plus the rows the loader made around an object (the
// `---p` gap between two segments, the anonymous bss after the last one). The objects, their
// headers and load biases are objects.hpp's.
#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "annotate/objects.hpp"
#include "annotate/stages.hpp"
#include "model/checked.hpp"

namespace vmatlas {

namespace {

std::string_view inferred_name(const ObjectLayout& lay, const Load& l, const Mapping& m,
                               std::uint64_t vstart, std::uint64_t vend) {
    // The part of a data segment that the loader made read-only after relocating.
    if ((l.ph->flags & PF_W) && lay.relro && !m.perms.writable() && vstart >= lay.relro->first &&
        vend <= lay.relro->second)
        return "relro";
    return elf::load_segment_name(lay.object, *l.ph);
}

// The sections whose addresses meet [lo, hi), in address order.
std::string sections_in(const ObjectLayout& lay, std::uint64_t lo, std::uint64_t hi) {
    std::string out;
    auto first = std::upper_bound(lay.max_end.begin(), lay.max_end.end(), lo);
    for (std::size_t k = first - lay.max_end.begin(); k < lay.sections.size(); ++k) {
        const elf::Section* s = lay.sections[k];
        if (s->addr >= hi) break;
        if (s->addr + s->size <= lo) continue;
        if (!out.empty()) out += ' ';
        out += s->name.empty() ? fmt::format("[{}]", s->index) : s->name;
    }
    return out;
}

// A `---p` row wholly between two segments, overlapping none: the loader's reservation.
bool is_gap(const ObjectLayout& lay, std::uint64_t vstart, std::uint64_t vend) {
    bool below = false, above = false;
    for (const Load& l : lay.loads) {
        if (l.mem_lo < vend && vstart < l.mem_hi) return false;
        if (l.mem_hi <= vstart) below = true;
        if (l.mem_lo >= vend) above = true;
    }
    return below && above;
}

void name_object(const AddressSpace& space, const MappedObject& obj, bool want_sections,
                 ObjectTable& table, Annotations& notes) {
    if (!obj.layout || !obj.bias) return;
    const ObjectLayout& lay = *obj.layout;
    for (std::size_t i : obj.rows) {
        const Mapping& m = space[i];
        std::uint64_t vstart = m.start - *obj.bias;  // modulo 2^64, like the bias
        auto vend = checked_add(vstart, m.size());
        if (!vend) continue;
        if (m.perms.none() && is_gap(lay, vstart, *vend)) {
            notes.labels[i] = {"gap", NameSource::Elf, kNoPath};
            continue;
        }
        const Load* load = obj.load_at_bias(m);
        const bool moved = load == nullptr;
        if (moved) {
            // Part of the file mapped again away from where the loader put it: named by the
            // file offsets it maps.
            load = obj.moved_load(m);
            if (load == nullptr) continue;  // a row that no segment explains keeps its label
            vstart = ObjectLayout::vaddr_of(*load, raw(m.offset));
            vend = checked_add(vstart, m.size());
            if (!vend) continue;
        }
        const std::string& given = load->ph->name;
        notes.labels[i] = {
            given.empty() ? std::string(inferred_name(lay, *load, m, vstart, *vend)) : given,
            NameSource::Elf, kNoPath};
        if (want_sections) notes.sections[i] = sections_in(lay, vstart, *vend);
        if (moved) continue;

        // The anonymous row that starts where a writable segment's file part ends, when its
        // p_memsz goes on past that page: the bss. It may run past p_memsz: the kernel merges it
        // with an anonymous mapping of the same permissions made right after it (glibc's
        // allocations often land there after a dlopen), and the row still begins with the bss.
        if (!(load->ph->flags & PF_W) || *vend != load->file_mem_hi ||
            load->mem_hi == load->file_mem_hi || i + 1 >= space.size())
            continue;
        const Mapping& next = space[i + 1];
        if (next.path != kNoPath || next.inode != 0 || next.start != m.end) continue;
        notes.labels[i + 1] = {"bss", NameSource::Elf, m.path};
        table.attach(i + 1, obj);
        if (const auto hi = checked_add(*vend, next.size()); want_sections && hi)
            notes.sections[i + 1] = sections_in(lay, *vend, *hi);
    }
}

}  // namespace

void stages::name_elf_segments(const AddressSpace& space, ObjectTable& objects, bool want_sections,
                               Annotations& notes) {
    for (const MappedObject& obj : objects.objects)
        name_object(space, obj, want_sections, objects, notes);
}

}  // namespace vmatlas
