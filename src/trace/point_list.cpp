// The --pcs and --counts lists of point_list.hpp.
#include "trace/point_list.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "sources/text.hpp"

namespace vmatlas::trace {

namespace {

// Why a text is not a number of parse_user_address, for the sentence that says so.
enum class NumberProblem { None, NotNumber, TooLarge, TooManyHexDigits, OctalDigit };

struct NumberRead {
    std::uint64_t value = 0;  // when problem is None
    NumberProblem problem = NumberProblem::NotNumber;
    char digit = 0;  // OctalDigit: the first 8 or 9
};

NumberRead read_number(std::string_view s) {
    if (const auto v = text::parse_user_address(s)) return {*v, NumberProblem::None};
    if (text::has_hex_prefix(s)) {
        const std::string_view digits = s.substr(2);
        const text::DigitRun run = text::scan_hex(digits);
        if (digits.empty() || run.length != digits.size()) return {};
        // parse_user_address takes at most 16 digits, leading zeros included.
        return {0, run.overflow ? NumberProblem::TooLarge : NumberProblem::TooManyHexDigits};
    }
    if (s.empty() || !text::is_digit(s[0])) return {};
    if (text::scan_decimal(s).length != s.size()) return {};
    if (s[0] == '0') {
        const auto bad = std::find_if(s.begin(), s.end(), [](char c) { return c > '7'; });
        if (bad != s.end()) return {0, NumberProblem::OctalDigit, *bad};
    }
    // Octal digits past 64 bits, or decimal ones past 20 digits or 2^64 - 1.
    return {0, NumberProblem::TooLarge};
}

// s in double quotes, with control bytes written as \xNN.
std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", u);
            out += hex;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// What is wrong with a number that read_number() did not take, after its item's name.
std::string number_fault(const NumberRead& n) {
    switch (n.problem) {
        case NumberProblem::TooLarge:
            return "is larger than 64 bits";
        case NumberProblem::TooManyHexDigits:
            return "has more than 16 hex digits";
        case NumberProblem::OctalDigit:
            return std::string("has the digit ") + n.digit +
                   " after its leading 0, which makes it octal";
        case NumberProblem::None:
        case NumberProblem::NotNumber:
            break;
    }
    return "is not a number";
}

bool is_symbol(std::string_view s) {
    if (s.empty() || text::is_digit(s[0])) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || text::is_digit(c) || c == '_' ||
               c == '.' || c == '@' || c == '$' || c == ':';
    });
}

// The parts of s between separators (any of `separators`), empty ones included.
std::vector<std::string_view> split(std::string_view s, std::string_view separators) {
    std::vector<std::string_view> parts;
    for (;;) {
        const std::size_t at = s.find_first_of(separators);
        parts.push_back(s.substr(0, at));
        if (at == std::string_view::npos) return parts;
        s.remove_prefix(at + 1);
    }
}

Error usage(std::string message) {
    return make_error(ErrorKind::Usage, std::move(message));
}

Error empty_item(std::string_view option) {
    return usage(std::string(option) + " has an empty item");
}

Error not_a_point(std::string_view item) {
    return usage(quoted(item) + " in --pcs is not a number, OBJECT+OFFSET or symbol");
}

// One item of --pcs, blanks trimmed.
Result<Point> point_of(std::string_view item) {
    if (item.empty()) return empty_item("--pcs");
    const NumberRead n = read_number(item);
    if (n.problem == NumberProblem::None)
        return Point{Point::Kind::Address, n.value, {}, {}, std::string(item)};
    if (n.problem != NumberProblem::NotNumber)
        return usage(quoted(item) + " in --pcs " + number_fault(n));
    if (is_symbol(item))
        return Point{Point::Kind::Symbol, 0, {}, std::string(item), std::string(item)};
    const std::size_t plus = item.rfind('+');
    if (plus == std::string_view::npos) return not_a_point(item);
    const std::string_view object = text::trim_blanks(item.substr(0, plus));
    const NumberRead offset = read_number(text::trim_blanks(item.substr(plus + 1)));
    if (object.empty()) return not_a_point(item);
    if (offset.problem == NumberProblem::None)
        return Point{
            Point::Kind::ObjectOffset, offset.value, std::string(object), {}, std::string(item)};
    if (offset.problem != NumberProblem::NotNumber)
        return usage(quoted(item) + " in --pcs has an offset that " + number_fault(offset));
    return not_a_point(item);
}

}  // namespace

Result<std::vector<Point>> parse_points(std::string_view list) {
    if (text::trim_blanks(list).empty()) return usage("--pcs is empty");
    std::vector<Point> points;
    for (const std::string_view raw_piece : split(list, ",")) {
        const std::string_view piece = text::trim_blanks(raw_piece);
        const std::vector<std::string_view> parts = split(piece, "-");
        const bool numbers =
            parts.size() > 1 && std::all_of(parts.begin(), parts.end(), [](auto p) {
                return read_number(text::trim_blanks(p)).problem == NumberProblem::None;
            });
        if (numbers) {
            for (const std::string_view part : parts) {
                const std::string_view item = text::trim_blanks(part);
                points.push_back(Point{
                    Point::Kind::Address, read_number(item).value, {}, {}, std::string(item)});
            }
            continue;
        }
        auto point = point_of(piece);
        if (point) {
            points.push_back(std::move(*point));
            continue;
        }
        // A list of numbers with a fault in one is told by that one: "0x10--0x20", "1-0x1g".
        const bool meant_numbers =
            parts.size() > 1 && std::all_of(parts.begin(), parts.end(), [](auto p) {
                p = text::trim_blanks(p);
                return p.empty() || text::is_digit(p[0]);
            });
        if (meant_numbers) {
            for (const std::string_view part : parts) {
                const std::string_view item = text::trim_blanks(part);
                const NumberRead n = read_number(item);
                if (item.empty()) return empty_item("--pcs");
                if (n.problem == NumberProblem::NotNumber) return not_a_point(item);
                if (n.problem != NumberProblem::None)
                    return usage(quoted(item) + " in --pcs " + number_fault(n));
            }
        }
        return point.error();
    }
    return points;
}

Result<std::vector<std::uint64_t>> parse_counts(std::string_view list) {
    if (text::trim_blanks(list).empty()) return usage("--counts is empty");
    std::vector<std::uint64_t> counts;
    for (const std::string_view part : split(list, ",-")) {
        const std::string_view item = text::trim_blanks(part);
        if (item.empty()) return empty_item("--counts");
        const NumberRead n = read_number(item);
        if (n.problem == NumberProblem::NotNumber)
            return usage("--counts: " + quoted(item) + " is not an instruction count");
        if (n.problem != NumberProblem::None)
            return usage("--counts: " + quoted(item) + " " + number_fault(n));
        if (n.value == 0) return usage("--counts: instruction counts start at 1, not 0");
        counts.push_back(n.value);
    }
    std::sort(counts.begin(), counts.end());
    counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
    return counts;
}

}  // namespace vmatlas::trace
