// Colours by role, as pwndbg's vmmap uses them, and the decision whether to use them at all.
#pragma once

#include <string_view>

#include "vmatlas/annotations.hpp"

namespace vmatlas {

enum class ColorMode { Auto, Always, Never };

// Auto: only when fd is a terminal and NO_COLOR is unset or empty (https://no-color.org).
bool use_color(ColorMode mode, int fd);

struct Palette {
    bool on = false;
    std::string_view start(Role r) const;  // "" when off or the role has no colour
    std::string_view reset() const { return on ? "\x1b[0m" : ""; }
};

// "LEGEND: STACK | HEAP | CODE | DATA | RWX | RODATA | GUARD", each word in its colour.
std::string legend(const Palette& p);

}  // namespace vmatlas
