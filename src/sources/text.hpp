// The grammars of the text vmatlas reads, each parsed here and nowhere else: hex and decimal
// numbers, an address as a person types it, the numbers of a regions file, permissions, device
// numbers, blanks, and the lines of text that arrives in pieces. The careful parsers of the
// sources (maps text, smaps, regions, snapshots) and the query layer's address ranges are built
// on these, and say with line and column what is wrong; these say only what was found.
//
// Contract: every function reads only the bytes of the view it is given; no number wraps (a
// value past 2^64 - 1, or past 2^32 - 1 for a device, is reported, never truncated); nothing
// here allocates but the carry of a line that straddles two pieces, and that only up to
// kMaxLineBytes. Internal to the library.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "vmatlas/mapping.hpp"

namespace vmatlas::text {

// ---- Characters -----------------------------------------------------------------------------

// Fields of /proc text, regions files and typed ranges are separated by spaces and tabs.
constexpr bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

namespace detail {
// The value of each byte as a hex digit, or -1.
inline constexpr auto kHexValue = [] {
    std::array<signed char, 256> t{};
    for (auto& v : t) v = -1;
    for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<signed char>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<signed char>(c - 'a' + 10);
    for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<signed char>(c - 'A' + 10);
    return t;
}();
}  // namespace detail

// The value of c as a hex digit ('0'-'9', 'a'-'f', 'A'-'F'), or -1.
inline int hex_digit(char c) {
    return detail::kHexValue[static_cast<unsigned char>(c)];
}

// "0x" or "0X" at the start of s.
constexpr bool has_hex_prefix(std::string_view s) {
    return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

// ---- Numbers at the start of a text ---------------------------------------------------------

inline constexpr std::size_t kAnyLength = SIZE_MAX;

// The run of digits a text begins with.
struct DigitRun {
    std::uint64_t value = 0;  // meaningful when ok()
    std::size_t length = 0;   // the digits read: the whole run, or max_digits + 1 of a longer one
    bool too_long = false;    // more than max_digits digits
    bool overflow = false;    // a value past 2^64 - 1
    bool ok() const { return length > 0 && !too_long && !overflow; }
};

// The hex digits s begins with (no "0x"): at most max_digits of them, any number of leading
// zeros when max_digits allows, the value in 64 bits. Reads at most max_digits + 1 bytes.
inline DigitRun scan_hex(std::string_view s, std::size_t max_digits = kAnyLength) {
    const std::size_t stop = max_digits < s.size() ? max_digits + 1 : s.size();
    std::uint64_t v = 0, lost = 0;
    std::size_t n = 0;
    for (; n < stop; ++n) {
        const int d = hex_digit(s[n]);
        if (d < 0) break;
        lost |= v >> 60;
        v = v << 4 | static_cast<std::uint64_t>(d);
    }
    return {v, n, n > max_digits, lost != 0};
}

// The decimal digits s begins with, as scan_hex.
inline DigitRun scan_decimal(std::string_view s, std::size_t max_digits = kAnyLength) {
    const std::size_t stop = max_digits < s.size() ? max_digits + 1 : s.size();
    std::uint64_t v = 0;
    bool overflow = false;
    std::size_t n = 0;
    for (; n < stop && is_digit(s[n]); ++n) {
        const auto d = static_cast<std::uint64_t>(s[n] - '0');
        // Nineteen digits cannot pass 2^64 - 1; from the twentieth on, each is checked.
        if (n >= 19 && v > (UINT64_MAX - d) / 10) overflow = true;
        v = v * 10 + d;
    }
    return {v, n, n > max_digits, overflow};
}

// ---- Numbers that are all of a text ---------------------------------------------------------

enum class NumberError : std::uint8_t {
    None,
    Bad,        // not the grammar: empty, a byte that is no digit, too many digits
    TooLarge,   // the grammar, but past 2^64 - 1
    Ambiguous,  // regions only: a decimal number with a leading zero ("0800")
};

struct Number {
    std::uint64_t value = 0;  // meaningful when ok()
    NumberError error = NumberError::Bad;
    bool ok() const { return error == NumberError::None; }
    std::optional<std::uint64_t> optional() const {
        return ok() ? std::optional<std::uint64_t>(value) : std::nullopt;
    }
};

enum class HexPrefix : std::uint8_t { None, Optional, Required };  // "0x" or "0X"

// All of s as a hex number: the prefix as asked, then 1 to max_digits hex digits.
Number parse_hex(std::string_view s, HexPrefix prefix = HexPrefix::None,
                 std::size_t max_digits = kAnyLength);

// All of s as a decimal number: 1 to max_digits digits, no sign, no blanks.
Number parse_decimal(std::string_view s, std::size_t max_digits = kAnyLength);

// An address as a person types it (`where`, a filter, --base), in C's and PANDA's convention:
// "0x" or "0X" and 1 to 16 hex digits; a leading '0' and octal digits ("0755"; "0" is zero);
// else 1 to 20 decimal digits ("cafe" is a name, not an address; "08" is nothing).
std::optional<std::uint64_t> parse_user_address(std::string_view s);

// An address expression: a number (parse_user_address), or TERM or TERM+OFFSET where TERM names
// something the map resolves (a module: its image base; a symbol; a vmatlas name: its row's
// start) and OFFSET is a number as above. The '+' is the last one followed by a number, so that
// "libstdc++.so.6+0x10" is libstdc++.so.6 and 0x10; blanks around the whole, the term and the
// offset are not part of them. NUMBER+OFFSET is their sum when it does not wrap.
struct AddressExpr {
    std::string_view term;    // empty: value is the address
    std::uint64_t value = 0;  // the address, or the offset after the term (0 when none)
    bool has_offset = false;  // "+OFFSET" was written
};
// Nothing for an empty (or all blank) text, and for a sum of numbers that wraps.
std::optional<AddressExpr> parse_address_expr(std::string_view s);

// s without the blanks it begins and ends with.
std::string_view trim_blanks(std::string_view s);

// START, SIZE and OFFSET of a regions file: "0x" or "0X" and any number of hex digits, or decimal
// digits without a leading zero ("0" itself is a number). "0800" is octal to C and gdb, hex to
// whoever copied it from a datasheet, decimal to nobody on purpose: Ambiguous, not a guess. Bad
// is found before Ambiguous, and Ambiguous before TooLarge.
Number parse_regions_number(std::string_view s);

// ---- Permissions and devices ----------------------------------------------------------------

enum class PermsForm : std::uint8_t {
    Kernel,    // /proc/PID/maps: "r-xp", [r-][w-][x-][ps]
    Regions,   // a regions file: the kernel's four, or the first three alone (private)
    Snapshot,  // Perms::text(): the kernel's four, "???" for unknown access, '?' for sharing
};

// All of s as permissions of the given form.
std::optional<Perms> parse_perms(std::string_view s, PermsForm form);

// A device number "major:minor" at the start of s, each number 1 to max_digits hex digits with a
// value in 32 bits. When a number is wrong, `bad` says which one; minor_at is where the minor
// number begins once the colon has been found.
struct DeviceRun {
    enum class Part : std::uint8_t { None, Major, Minor };
    std::uint32_t major = 0, minor = 0;
    std::size_t length = 0;  // bytes read, when bad is None
    std::size_t minor_at = 0;
    Part bad = Part::None;
};
DeviceRun scan_device(std::string_view s, std::size_t max_digits);

// All of s as a device number, as scan_device.
std::optional<DeviceRun> parse_device(std::string_view s, std::size_t max_digits);

// ---- Lines ----------------------------------------------------------------------------------

// Text that arrives in pieces (the blocks of a read), cut into lines. A line ends with '\n'; it is
// handed on without the '\n' and without one '\r' before it. A line that straddles pieces is kept
// in a LineCarry (empty at first, the caller's from piece to piece) until its end comes, and handed
// on whole; finish_lines() hands on a last line that has no '\n'.
//
// A line longer than kMaxLineBytes (counted before its '\r' is dropped) is no line of any text
// vmatlas reads: it is handed to on_long(length) instead of on_line, and its bytes are not kept
// while its end is awaited, so that input without newlines costs no memory. Wherever the pieces
// are cut, the same lines go to on_line and the same lengths to on_long.
//
// on_line(std::string_view) returns void, or bool: false stops the text there (feed_lines and
// finish_lines then return false, and the carry holds nothing). on_long(std::size_t) returns void.

// Longer than any row the kernel writes: a maps row is under 200 bytes before its path, and a
// path at most PATH_MAX (4096) bytes, four times that with every byte escaped.
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

// The start of a line whose end is in a later piece.
struct LineCarry {
    std::string bytes;       // its bytes, while it is no longer than kMaxLineBytes
    std::size_t length = 0;  // its length so far, once it is longer (its bytes are dropped)
    bool empty() const { return bytes.empty() && length == 0; }
    void clear() {
        bytes.clear();
        length = 0;
    }
};

// The first '\n' in [p, end), or null.
inline const char* find_newline(const char* p, const char* end) {
    return static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
}

namespace detail {

template <typename OnLine>
bool hand_on(OnLine& on_line, std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if constexpr (std::is_void_v<std::invoke_result_t<OnLine&, std::string_view>>) {
        on_line(line);
        return true;
    } else {
        return on_line(line);
    }
}

// A whole line: to on_line, or its length to on_long when it is too long.
template <typename OnLine, typename OnLong>
bool hand_on_line(OnLine& on_line, OnLong& on_long, std::string_view line) {
    if (line.size() > kMaxLineBytes) {
        on_long(line.size());
        return true;
    }
    return hand_on(on_line, line);
}

// Appends part of a line to the carry, dropping its bytes once the line is too long.
inline void carry_on(LineCarry& carry, const char* p, std::size_t n) {
    if (carry.length == 0 && carry.bytes.size() + n <= kMaxLineBytes) {
        carry.bytes.append(p, n);
        return;
    }
    if (carry.length == 0) {
        carry.length = carry.bytes.size();
        std::string().swap(carry.bytes);  // its memory goes too
    }
    carry.length += n;
}

// The carried line, now whole, handed on; the carry is emptied.
template <typename OnLine, typename OnLong>
bool hand_on_carry(LineCarry& carry, OnLine& on_line, OnLong& on_long) {
    bool go_on = true;
    if (carry.length > 0)
        on_long(carry.length);
    else
        go_on = hand_on(on_line, carry.bytes);
    carry.clear();
    return go_on;
}

}  // namespace detail

// Each line of piece that ends in it. At the start of each line that begins in piece, take(p,
// end) may take whole lines from p on itself: it returns where the first line it did not take
// begins (p when it took none). It is not called while a line is carried.
template <typename OnLine, typename OnLong, typename Take>
bool feed_lines(LineCarry& carry, std::string_view piece, OnLine&& on_line, OnLong&& on_long,
                Take&& take) {
    const char* p = piece.data();
    const char* const end = p + piece.size();
    if (!carry.empty()) {  // the end of the line an earlier piece began
        const char* nl = find_newline(p, end);
        detail::carry_on(carry, p, static_cast<std::size_t>((nl ? nl : end) - p));
        if (!nl) return true;
        if (!detail::hand_on_carry(carry, on_line, on_long)) return false;
        p = nl + 1;
    }
    while (p < end) {
        p = take(p, end);
        if (p == end) break;
        const char* nl = find_newline(p, end);
        if (!nl) {
            detail::carry_on(carry, p, static_cast<std::size_t>(end - p));
            return true;
        }
        if (!detail::hand_on_line(on_line, on_long,
                                  std::string_view(p, static_cast<std::size_t>(nl - p))))
            return false;
        p = nl + 1;
    }
    return true;
}

template <typename OnLine, typename OnLong>
bool feed_lines(LineCarry& carry, std::string_view piece, OnLine&& on_line, OnLong&& on_long) {
    return feed_lines(carry, piece, on_line, on_long, [](const char* p, const char*) { return p; });
}

// The end of the text: what carry holds is its last line, which had no '\n'.
template <typename OnLine, typename OnLong>
bool finish_lines(LineCarry& carry, OnLine&& on_line, OnLong&& on_long) {
    if (carry.empty()) return true;
    return detail::hand_on_carry(carry, on_line, on_long);
}

// Every line of a whole text.
template <typename OnLine, typename OnLong>
bool for_each_line(std::string_view text, OnLine&& on_line, OnLong&& on_long) {
    LineCarry carry;
    return feed_lines(carry, text, on_line, on_long) && finish_lines(carry, on_line, on_long);
}

}  // namespace vmatlas::text
