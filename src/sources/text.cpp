// The grammars of text.hpp.
#include "sources/text.hpp"

namespace vmatlas::text {

namespace {

// A run that is all of s, as a Number.
Number whole(const DigitRun& run, std::string_view s) {
    if (run.length == 0 || run.length != s.size() || run.too_long) return {};
    if (run.overflow) return {0, NumberError::TooLarge};
    return {run.value, NumberError::None};
}

}  // namespace

Number parse_hex(std::string_view s, HexPrefix prefix, std::size_t max_digits) {
    if (has_hex_prefix(s) && prefix != HexPrefix::None)
        s.remove_prefix(2);
    else if (prefix == HexPrefix::Required)
        return {};
    return whole(scan_hex(s, max_digits), s);
}

Number parse_decimal(std::string_view s, std::size_t max_digits) {
    return whole(scan_decimal(s, max_digits), s);
}

std::optional<std::uint64_t> parse_user_address(std::string_view s) {
    if (has_hex_prefix(s)) return parse_hex(s, HexPrefix::Required, 16).optional();
    if (s.size() > 1 && s[0] == '0') {
        // Octal: 22 digits reach 2^66; the top digit may be 1 at most.
        std::uint64_t v = 0;
        for (std::size_t k = 1; k < s.size(); ++k) {
            if (s[k] < '0' || s[k] > '7' || v >> 61 != 0) return std::nullopt;
            v = v << 3 | static_cast<std::uint64_t>(s[k] - '0');
        }
        return v;
    }
    return parse_decimal(s, 20).optional();
}

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

std::optional<AddressExpr> parse_address_expr(std::string_view s) {
    s = trim_blanks(s);
    if (s.empty()) return std::nullopt;
    if (const auto a = parse_user_address(s)) return AddressExpr{{}, *a, false};
    // Only the last '+' can be followed by a number: any other has a '+' after it.
    const std::size_t plus = s.rfind('+');
    if (plus == std::string_view::npos) return AddressExpr{s, 0, false};
    const auto offset = parse_user_address(trim_blanks(s.substr(plus + 1)));
    const std::string_view term = trim_blanks(s.substr(0, plus));
    if (!offset || term.empty()) return AddressExpr{s, 0, false};
    if (const auto base = parse_user_address(term)) {
        if (*base > UINT64_MAX - *offset) return std::nullopt;
        return AddressExpr{{}, *base + *offset, false};
    }
    return AddressExpr{term, *offset, true};
}

Number parse_regions_number(std::string_view s) {
    if (has_hex_prefix(s)) return parse_hex(s, HexPrefix::Required);
    const Number n = parse_decimal(s);
    if (n.error == NumberError::Bad) return n;
    if (s.size() > 1 && s[0] == '0') return {0, NumberError::Ambiguous};
    return n;
}

std::optional<Perms> parse_perms(std::string_view s, PermsForm form) {
    const bool three = form == PermsForm::Regions && s.size() == 3;
    if (s.size() != 4 && !three) return std::nullopt;
    std::uint8_t bits = 0;
    if (form == PermsForm::Snapshot && s.substr(0, 3) == "???") {
        bits |= Perms::kAccessUnknown;
    } else {
        constexpr char kOn[] = {'r', 'w', 'x'};
        constexpr std::uint8_t kBits[] = {Perms::kRead, Perms::kWrite, Perms::kExec};
        for (std::size_t k = 0; k < 3; ++k) {
            if (s[k] == kOn[k])
                bits |= kBits[k];
            else if (s[k] != '-')
                return std::nullopt;
        }
    }
    if (three) return Perms(bits);
    switch (s[3]) {
        case 'p':
            break;
        case 's':
            bits |= Perms::kShared;
            break;
        case '?':
            if (form != PermsForm::Snapshot) return std::nullopt;
            bits |= Perms::kSharingUnknown;
            break;
        default:
            return std::nullopt;
    }
    return Perms(bits);
}

DeviceRun scan_device(std::string_view s, std::size_t max_digits) {
    DeviceRun dev;
    auto number = [&](std::size_t at, std::uint32_t& out) {
        const DigitRun run = scan_hex(s.substr(at), max_digits);
        if (!run.ok() || run.value > UINT32_MAX) return std::size_t{0};
        out = static_cast<std::uint32_t>(run.value);
        return run.length;
    };
    const std::size_t major = number(0, dev.major);
    if (major == 0 || major == s.size() || s[major] != ':') {
        dev.bad = DeviceRun::Part::Major;
        return dev;
    }
    dev.minor_at = major + 1;
    const std::size_t minor = number(dev.minor_at, dev.minor);
    if (minor == 0) {
        dev.bad = DeviceRun::Part::Minor;
        return dev;
    }
    dev.length = dev.minor_at + minor;
    return dev;
}

std::optional<DeviceRun> parse_device(std::string_view s, std::size_t max_digits) {
    const DeviceRun dev = scan_device(s, max_digits);
    if (dev.bad != DeviceRun::Part::None || dev.length != s.size()) return std::nullopt;
    return dev;
}

}  // namespace vmatlas::text
