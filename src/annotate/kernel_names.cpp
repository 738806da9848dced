#include <algorithm>

#include "model/number_text.hpp"

#include "annotate/stages.hpp"

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
        case NameSource::Layout:
            return "layout";
    }
    return "";
}

bool is_kernel_name(std::string_view path) {
    return path.size() >= 2 && path.front() == '[' && path.back() == ']';
}

// pwndbg drops the last three hex digits of the start as the kernel prints it (at least eight
// digits), so a 32-bit 0x267000 is "[anon_00267]" there too.
ShortText anon_name(Addr start) {
    const Addr page = start >> 12;
    const int digits = std::max(hex_digits(page), 5);
    char text[6 + 16 + 1] = "[anon_";
    put_hex_before(text + 6 + digits, page, digits);
    text[6 + digits] = ']';
    return std::string_view(text, static_cast<std::size_t>(6 + digits + 1));
}

void stages::name_kernel(const AddressSpace& space, Annotations& notes) {
    for (std::size_t i = 0; i < space.size(); ++i) {
        const Mapping& m = space[i];
        const std::string_view path = space.path(m);
        Label& label = notes.labels[i];
        if (label.source != NameSource::None || !label.name.empty()) continue;
        if (is_kernel_name(path)) {
            label = {path, NameSource::Kernel};
        } else if (path.empty()) {
            label = {anon_name(m.start), NameSource::Heuristic};
        }
    }
}

}  // namespace vmatlas
