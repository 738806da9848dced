// Addresses and address ranges as a person types them (vmatlas/query.hpp); the number grammars
// are text.hpp's.
#include "sources/text.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas {

namespace {

// One end of a range: hex, 1 to 16 digits, "0x" or not.
std::optional<Addr> range_end(std::string_view s) {
    return text::parse_hex(s, text::HexPrefix::Optional, 16).optional();
}

}  // namespace

std::optional<Addr> parse_address(std::string_view s) {
    return text::parse_user_address(s);
}

std::optional<AddrRange> parse_addr_range(std::string_view spec) {
    const std::size_t comma = spec.find(',');
    AddrRange range;
    if (comma == std::string_view::npos) {
        const auto lo = range_end(spec);
        if (!lo) return std::nullopt;
        range.lo = *lo;
        range.hi = *lo == ~Addr{0} ? *lo : *lo + 1;  // the row that contains lo
        if (range.hi == range.lo) return std::nullopt;
        return range;
    }
    const std::string_view lo_text = spec.substr(0, comma), hi_text = spec.substr(comma + 1);
    if (lo_text.empty() && hi_text.empty()) return std::nullopt;
    if (!lo_text.empty()) {
        const auto lo = range_end(lo_text);
        if (!lo) return std::nullopt;
        range.lo = *lo;
    }
    if (!hi_text.empty()) {
        const auto hi = range_end(hi_text);
        if (!hi) return std::nullopt;
        range.hi = *hi;
    }
    if (range.hi <= range.lo) return std::nullopt;
    return range;
}

std::vector<std::size_t> rows_in_range(const AddressSpace& space,
                                       const std::optional<AddrRange>& range) {
    std::vector<std::size_t> rows;
    if (!range) {
        rows.resize(space.size());
        for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
        return rows;
    }
    for (std::size_t i = space.lower_bound(range->lo);
         i < space.size() && space[i].start < range->hi; ++i)
        rows.push_back(i);
    return rows;
}

}  // namespace vmatlas
