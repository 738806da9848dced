// The lists `vmatlas trace` is given, in the syntax of PANDA's memorymap plugin: where to show the
// map (--pcs: "a dash delimited list of guest instruction addresses") and after how many
// instructions (--counts: "a dash delimited list of instruction counts").
//
// Syntax: items separated by commas or dashes. A number is written as in C and PANDA: "0x" or
// "0X" and hex digits, a leading 0 and octal digits ("0" alone is zero), else decimal digits
// (text::parse_user_address). A point is also OBJECT+OFFSET (the last '+'; OBJECT a file name or a
// path, OFFSET a number) or SYMBOL (letters, digits and _ . @ $ :, not starting with a digit).
// Object names hold dashes ("ld-linux-x86-64.so.2+0x1000"), so the list is cut at commas first,
// and a comma's piece at its dashes only when every part between them is a number. Blanks around
// an item are not part of it.
//
// Contract: either every item is read, or the error (kind Usage) is one sentence that names the
// first bad item; no exception leaves these functions but std::bad_alloc. Internal to the trace
// stage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/result.hpp"

namespace vmatlas::trace {

struct Point {
    enum class Kind { Address, ObjectOffset, Symbol };
    Kind kind = Kind::Address;
    std::uint64_t value = 0;  // the address, or the offset into the object
    std::string object;       // ObjectOffset: the object's file name or path
    std::string symbol;       // Symbol
    std::string text;         // the item as written, without the blanks around it
    bool operator==(const Point&) const = default;
};

// The points of --pcs, in the order written.
Result<std::vector<Point>> parse_points(std::string_view list);

// The instruction counts of --counts: numbers of at least 1, ascending, each once.
Result<std::vector<std::uint64_t>> parse_counts(std::string_view list);

}  // namespace vmatlas::trace
