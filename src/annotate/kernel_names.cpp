#include <fmt/format.h>

#include "vmatlas/annotations.hpp"

namespace vmatlas {

std::string_view to_string(NameSource s) {
    switch (s) {
        case NameSource::None:
            return "";
        case NameSource::Kernel:
            return "kernel";
        case NameSource::Elf:
            return "elf";
        case NameSource::Registers:
            return "registers";
        case NameSource::Heuristic:
            return "heuristic";
    }
    return "";
}

std::string_view to_string(Role r) {
    switch (r) {
        case Role::Other:
            return "other";
        case Role::Stack:
            return "stack";
        case Role::Heap:
            return "heap";
        case Role::Code:
            return "code";
        case Role::Data:
            return "data";
        case Role::Rwx:
            return "rwx";
        case Role::Rodata:
            return "rodata";
        case Role::Guard:
            return "guard";
    }
    return "other";
}

bool is_kernel_name(std::string_view path) {
    return path.size() >= 2 && path.front() == '[' && path.back() == ']';
}

std::string anon_name(Addr start) {
    return fmt::format("[anon_{:x}]", start >> 12);
}

namespace {

Role role_of(const Mapping& m, std::string_view name) {
    if (m.perms.none()) return Role::Guard;
    if (name.starts_with("[stack")) return Role::Stack;
    if (name == "[heap]") return Role::Heap;
    if (m.perms.writable() && m.perms.executable()) return Role::Rwx;
    if (m.perms.executable()) return Role::Code;
    if (m.perms.writable()) return Role::Data;
    if (m.perms.readable()) return Role::Rodata;
    return Role::Other;
}

}  // namespace

Annotations annotate_kernel_names(const AddressSpace& space) {
    Annotations a;
    a.labels.resize(space.size());
    a.roles.resize(space.size());
    for (std::size_t i = 0; i < space.size(); ++i) {
        const Mapping& m = space[i];
        const std::string_view path = space.path(m);
        Label& label = a.labels[i];
        if (is_kernel_name(path)) {
            label = {std::string(path), NameSource::Kernel};
        } else if (path.empty()) {
            label = {anon_name(m.start), NameSource::Heuristic};
        }
        a.roles[i] = role_of(m, label.name);
    }
    return a;
}

}  // namespace vmatlas
