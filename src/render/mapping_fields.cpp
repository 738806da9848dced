#include "render/mapping_fields.hpp"

#include "model/number_text.hpp"

namespace vmatlas {

namespace {

// The file of the ELF object a row without a file belongs to (a bss row), else "".
std::string_view object_path(const AddressSpace& space, const Label& label) {
    return label.object == kNoPath ? std::string_view{} : space.paths().get(label.object);
}

// A row's own file: its path unless that is a kernel name ("[heap]"), else "".
std::string_view own_path(const AddressSpace& space, const Mapping& m) {
    const std::string_view path = space.path(m);
    return is_kernel_name(path) ? std::string_view{} : path;
}

std::string_view basename_of(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

void append_mapped_file(std::string& out, const AddressSpace& space, const Annotations& notes,
                        std::size_t i, bool basenames, bool no_segment_names) {
    const Mapping& m = space[i];
    const Label& label = label_at(notes, i);
    std::string_view name = label.name;
    if (no_segment_names && label.source == NameSource::Elf) name = {};
    std::string_view path = own_path(space, m);
    const bool own = !path.empty();
    // A row without a file of its own (bss) names its object's file, while its name is shown.
    if (!own && !name.empty()) path = object_path(space, label);

    // pwndbg's [anon_<start>>12>] is a handle for filters; this layout says what the row is.
    if (label.source == NameSource::Heuristic && name.starts_with("[anon_")) name = "anon";
    if (name.empty() && path.empty()) name = "anon";
    const bool named = !name.empty();  // "[]" is a name: "[  ]"
    if (named && is_kernel_name(name)) name = name.substr(1, name.size() - 2);
    if (basenames) path = basename_of(path);
    using namespace std::string_view_literals;
    const std::string_view deleted = m.deleted() && own ? " (deleted)"sv : ""sv;
    // "[ name ] path (deleted)": one allocation at most, then copies.
    out.reserve(out.size() + name.size() + 5 + path.size() + deleted.size());
    if (named) {
        out.append("[ "sv).append(name).append(" ]"sv);
        if (!path.empty()) out.push_back(' ');
    }
    if (!path.empty()) out.append(path).append(deleted);
}

std::string mapped_file(const AddressSpace& space, const Annotations& notes, std::size_t i,
                        bool basenames, bool no_segment_names) {
    std::string out;
    append_mapped_file(out, space, notes, i, basenames, no_segment_names);
    return out;
}

namespace mapping_values {

Value dev(const MappingRow& r) {
    r.scratch.clear();
    append_hex(r.scratch, r.m.dev_major, 2);
    r.scratch.push_back(':');
    append_hex(r.scratch, r.m.dev_minor, 2);
    return {.s = r.scratch};
}

Value file(const MappingRow& r) {
    std::string_view path = own_path(r.space, r.m);
    const bool own = !path.empty();
    if (!own) path = object_path(r.space, r.label);
    if (r.basenames) path = basename_of(path);
    if (!own || !r.m.deleted()) return {.s = path};
    r.scratch.assign(path);
    r.scratch += " (deleted)";
    return {.s = r.scratch};
}

Value path(const MappingRow& r) {
    return {.s = own_path(r.space, r.m)};
}

Value object(const MappingRow& r) {
    return {.s = object_path(r.space, r.label)};
}

Value in_core(const MappingRow& r) {
    if (!is_core(r.space)) return {};
    const std::uint32_t flags = r.m.flags;
    return {.s = (flags & kNotDumped) ? "none" : (flags & kPartlyDumped) ? "part" : "all"};
}

Value mapped_file(const MappingRow& r) {
    r.scratch.clear();
    append_mapped_file(r.scratch, r.space, r.notes, r.i, r.basenames, r.no_segment_names);
    return {.s = r.scratch};
}

Value section_names(const MappingRow& r) {
    if (r.label.source == NameSource::Layout) return {.known = false};
    return {.s = r.notes.sections[r.i]};
}

Value thp_eligible(const MappingRow& r) {
    if (!r.figures) return {.known = false};
    return {.n = r.figures->thp_eligible};
}

Value vm_flags(const MappingRow& r) {
    if (!r.figures) return {.known = false};
    return {.s = r.figures->vm_flags};
}

}  // namespace mapping_values

}  // namespace vmatlas
