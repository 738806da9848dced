#include "vmatlas/summary.hpp"

#include "vmatlas/query.hpp"

#include "model/checked.hpp"

#include <algorithm>
#include <unordered_map>

namespace vmatlas {

std::string_view to_string(Kind k) {
    static constexpr std::string_view kNames[kKindCount] = {
        "code", "rodata", "relro", "data",  "bss", "heap",     "stack",
        "anon", "file",   "shm",   "guard", "gap", "vdso/vvar"};
    return kNames[static_cast<std::size_t>(k)];
}

namespace {

bool is_vdso_like(std::string_view name) {
    return name == "[vdso]" || name == "[vvar]" || name == "[vvar_vclock]" ||
           name == "[vsyscall]" || name == "[uprobes]";
}

bool is_shared_memory_path(std::string_view path) {
    return path.starts_with("/memfd:") || path.starts_with("/SYSV") ||
           path.starts_with("[anon_shmem:") || path == "/dev/zero";
}

}  // namespace

Kind kind_of(const AddressSpace& space, const Annotations& notes, std::size_t i) {
    const Mapping& m = space[i];
    const Label& label = notes.labels[i];
    const std::string_view name = label.name;
    const std::string_view path = space.path(m);
    if (names_segment(label.source)) {
        if (name == "text") return Kind::Code;
        if (name == "rodata" || name == "headers") return Kind::Rodata;
        if (name == "relro") return Kind::Relro;
        if (name == "data") return Kind::Data;
        if (name == "bss") return Kind::Bss;
        if (name == "gap") return Kind::Gap;
    }
    if (is_vdso_like(name)) return Kind::Vdso;
    if (name == "[heap]" || name.starts_with("heap")) return Kind::Heap;
    if (name.starts_with("[stack") || name.starts_with("stack")) return Kind::Stack;
    if (m.perms.none()) return Kind::Guard;
    if (is_shared_memory_path(path)) return Kind::Shm;
    const bool anonymous = path.empty() || is_kernel_name(path);
    if (anonymous) return m.perms.shared() ? Kind::Shm : Kind::Anon;
    if (m.perms.executable()) return Kind::Code;
    if (m.perms.writable()) return Kind::Data;
    return Kind::File;
}

namespace {

// sum += v, stopping at UINT64_MAX.
void add_saturating(std::uint64_t& sum, std::uint64_t v, bool& saturated) {
    if (const auto total = checked_add(sum, v)) {
        sum = *total;
    } else {
        sum = UINT64_MAX;
        saturated = true;
    }
}

}  // namespace

void Totals::add(const Mapping& m, const Figures* f) {
    add_saturating(virtual_bytes, m.size(), saturated);
    ++count;
    if (!f) return;
    add_saturating(resident, f->rss, saturated);
    add_saturating(dirty, f->shared_dirty, saturated);
    add_saturating(dirty, f->private_dirty, saturated);
    add_saturating(swapped, f->swap, saturated);
}

Summary summarize(const AddressSpace& space, const Annotations& notes) {
    Summary s;
    s.has_figures = !space.figures().empty();
    std::unordered_map<std::string, std::size_t> object_index;
    for (std::size_t i = 0; i < space.size(); ++i) {
        const Mapping& m = space[i];
        const Figures* f = s.has_figures ? &space.figures()[i] : nullptr;
        const Kind kind = kind_of(space, notes, i);
        s.by_kind[static_cast<std::size_t>(kind)].add(m, f);
        s.total.add(m, f);

        std::string_view object = space.path(m);
        if (notes.labels[i].object != kNoPath) object = space.paths().get(notes.labels[i].object);
        std::string key;
        if (object.empty() || is_kernel_name(object)) {
            key.push_back('[');
            key.append(kind == Kind::Anon ? "anon" : to_string(kind));
            key.push_back(']');
        } else {
            key = std::string(object);
        }
        const auto [it, fresh] = object_index.try_emplace(std::move(key), s.by_object.size());
        if (fresh) s.by_object.emplace_back(it->first, Totals{});
        s.by_object[it->second].second.add(m, f);

        if (i > 0 && space[i - 1].end < m.start && m.start < kKernelHalf) {
            const std::uint64_t hole = m.start - space[i - 1].end;
            if (hole > s.largest_hole) {
                s.largest_hole = hole;
                s.largest_hole_start = space[i - 1].end;
            }
        }
    }
    std::stable_sort(s.by_object.begin(), s.by_object.end(), [](const auto& a, const auto& b) {
        return a.second.virtual_bytes > b.second.virtual_bytes;
    });
    return s;
}

}  // namespace vmatlas
