#include "render/color.hpp"

#include <unistd.h>
#include <cstdlib>
#include <string>

namespace vmatlas {

bool use_color(ColorMode mode, int fd) {
    if (mode != ColorMode::Auto) return mode == ColorMode::Always;
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    const char* term = std::getenv("TERM");
    if (term && std::string_view(term) == "dumb") return false;
    return ::isatty(fd) == 1;
}

std::string_view Palette::start(Role r) const {
    if (!on) return "";
    switch (r) {
        case Role::Stack:
            return "\x1b[33m";  // yellow
        case Role::Heap:
            return "\x1b[34m";  // blue
        case Role::Code:
            return "\x1b[31m";  // red
        case Role::Data:
            return "\x1b[35m";  // magenta
        case Role::Rwx:
            return "\x1b[4;31m";  // underlined red: writable and executable
        case Role::Guard:
            return "\x1b[2m";  // dim
        case Role::Rodata:
            return "";  // plain
        case Role::Other:
            return "";
    }
    return "";
}

std::string legend(const Palette& p) {
    static constexpr std::pair<Role, std::string_view> kEntries[] = {
        {Role::Stack, "STACK"}, {Role::Heap, "HEAP"}, {Role::Code, "CODE"},
        {Role::Data, "DATA"},   {Role::Rwx, "RWX"},   {Role::Rodata, "RODATA"},
        {Role::Guard, "GUARD"},
    };
    std::string out = "LEGEND: ";
    bool first = true;
    for (const auto& [role, word] : kEntries) {
        if (!first) out += " | ";
        first = false;
        out += p.start(role);
        out += word;
        if (!p.start(role).empty()) out += p.reset();
    }
    return out;
}

}  // namespace vmatlas
