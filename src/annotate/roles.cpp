#include "vmatlas/annotate.hpp"

namespace vmatlas {

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

namespace {

Role role_of(const Mapping& m, std::string_view name) {
    if (m.perms.none()) return Role::Guard;
    if (name.starts_with("[stack") || name.starts_with("stack")) return Role::Stack;
    if (name == "[heap]" || name == "heap") return Role::Heap;
    if (m.perms.writable() && m.perms.executable()) return Role::Rwx;
    if (m.perms.executable()) return Role::Code;
    if (m.perms.writable()) return Role::Data;
    if (m.perms.readable()) return Role::Rodata;
    return Role::Other;
}

}  // namespace

void assign_roles(const AddressSpace& space, Annotations& notes) {
    notes.roles.resize(space.size());
    for (std::size_t i = 0; i < space.size(); ++i)
        notes.roles[i] = role_of(space[i], notes.labels[i].name);
}

}  // namespace vmatlas
