#include "query/advice_selection.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "vmatlas/query.hpp"  // kKernelHalf

namespace vmatlas {

namespace {

// Hex digits with an optional 0x or 0X, 1 to 16 of them.
std::optional<Addr> parse_hex(std::string_view s) {
    if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
    if (s.empty() || s.size() > 16) return std::nullopt;
    Addr value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 16);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return value;
}

// A length: decimal, or hex after 0x, with an optional K, M or G (binary) suffix.
std::optional<std::uint64_t> parse_length(std::string_view s) {
    std::uint64_t unit = 1;
    if (!s.empty()) {
        switch (s.back()) {
            case 'K':
            case 'k':
                unit = 1ull << 10;
                break;
            case 'M':
            case 'm':
                unit = 1ull << 20;
                break;
            case 'G':
            case 'g':
                unit = 1ull << 30;
                break;
            default:
                break;
        }
        if (unit != 1) s.remove_suffix(1);
    }
    std::uint64_t value = 0;
    if (s.starts_with("0x") || s.starts_with("0X")) {
        const auto hex = parse_hex(s);
        if (!hex) return std::nullopt;
        value = *hex;
    } else {
        if (s.empty()) return std::nullopt;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 10);
        if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    }
    if (value > std::numeric_limits<std::uint64_t>::max() / unit) return std::nullopt;
    return value * unit;
}

Error bad(std::string message) {
    return Error{ErrorKind::Usage, std::move(message)};
}

Result<AdviceSelector> parse_address_selector(std::string_view text, std::uint64_t page) {
    AdviceSelector s{.kind = AdviceSelector::Kind::Address, .text = std::string(text)};
    const auto colon = text.find(':');
    const auto start = parse_hex(text.substr(0, colon));
    if (!start) return bad(fmt::format("'{}' is no address: ADDR is hex, as pmap shows it", text));
    if (*start % page != 0)
        return bad(fmt::format("'{}' is not a multiple of the page size ({})",
                               text.substr(0, colon), page));
    s.start = *start;
    if (colon == std::string_view::npos) {
        s.whole_row = true;
        return s;
    }
    const auto length = parse_length(text.substr(colon + 1));
    if (!length || *length == 0)
        return bad(
            fmt::format("'{}': LEN is a number of bytes above 0, with an optional K, M or "
                        "G, not '{}'",
                        text, text.substr(colon + 1)));
    const std::uint64_t pages = *length / page + (*length % page != 0);
    if (pages > (~Addr{0} - s.start) / page)
        return bad(fmt::format("'{}' runs past the top of the address space", text));
    s.end = s.start + pages * page;
    return s;
}

std::string_view last_component(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The file a row belongs to: its own, or for a bss row its object's.
PathId object_of(const AddressSpace& space, const Annotations& notes, std::size_t i) {
    if (space[i].path != kNoPath) return space[i].path;
    return i < notes.labels.size() ? notes.labels[i].object : kNoPath;
}

bool name_picks(const AddressSpace& space, const Annotations& notes, std::size_t i,
                std::string_view text) {
    if (i >= notes.labels.size()) return false;
    const Label& label = notes.labels[i];
    const std::string_view name = label.name;
    if (text == "heap" && name == "[heap]") return true;
    if (text == "stack" && name == "[stack]") return true;
    if (names_segment(label.source)) {
        const PathId object = object_of(space, notes, i);
        if (object == kNoPath) return false;
        const auto colon = text.rfind(':');
        if (colon != std::string_view::npos)
            return name == text.substr(colon + 1) &&
                   last_component(space.paths().get(object)) == text.substr(0, colon);
        return name == text && object == object_of(space, notes, 0);
    }
    return name == text;
}

// Whether selector s picks [start, end) of row i, and which part.
bool picks(const AddressSpace& space, const Annotations& notes, std::size_t i,
           const AdviceSelector& s, Addr& start, Addr& end) {
    const Mapping& m = space[i];
    // The kernel refuses a whole process_madvise(2) call for one range above user space
    // ([vsyscall]), and no advice means anything for a row with no access (a guard page).
    // [vvar] is the kernel's own pages (VM_PFNMAP), which it refuses to advise.
    if (m.perms.none() || m.start >= kKernelHalf || space.path(m).starts_with("[vvar"))
        return false;
    start = m.start;
    end = m.end;
    switch (s.kind) {
        case AdviceSelector::Kind::Sharing:
            return m.perms.shared() == s.shared;
        case AdviceSelector::Kind::Name:
            return name_picks(space, notes, i, s.text);
        case AdviceSelector::Kind::Address:
            if (s.whole_row) return m.contains(s.start);
            start = std::max(m.start, s.start);
            end = std::min(m.end, s.end);
            return start < end;
    }
    return false;
}

// What one selector picks of one row.
struct Claim {
    Addr start, end;
    std::size_t selector;
    AdviceSelector::Kind kind;
};

}  // namespace

Result<AdviceSelector> parse_advice_selector(std::string_view text, std::uint64_t page_size) {
    if (text.empty())
        return bad(
            "an empty selector: give heap, stack, private, shared, ADDR[:LEN] "
            "or a name of the map");
    if (text.front() >= '0' && text.front() <= '9') return parse_address_selector(text, page_size);
    AdviceSelector s{.text = std::string(text)};
    if (text == "private" || text == "shared") {
        s.kind = AdviceSelector::Kind::Sharing;
        s.shared = text == "shared";
    }
    return s;
}

AdvicePlan plan_advice(const AddressSpace& space, const Annotations& notes,
                       const std::vector<AdviceSelector>& selectors) {
    AdvicePlan plan;
    std::vector<bool> matched(selectors.size(), false);
    std::vector<Claim> claims;
    std::vector<Addr> cuts;
    for (std::size_t i = 0; i < space.size(); ++i) {
        claims.clear();
        for (std::size_t k = 0; k < selectors.size(); ++k) {
            Addr start, end;
            if (!picks(space, notes, i, selectors[k], start, end)) continue;
            matched[k] = true;
            claims.push_back({start, end, k, selectors[k].kind});
        }
        if (claims.empty()) continue;
        cuts.clear();
        for (const Claim& c : claims) cuts.insert(cuts.end(), {c.start, c.end});
        std::sort(cuts.begin(), cuts.end());
        cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
        for (std::size_t j = 0; j + 1 < cuts.size(); ++j) {
            const Claim* winner = nullptr;
            for (const Claim& c : claims)
                if (c.start <= cuts[j] && cuts[j + 1] <= c.end &&
                    (winner == nullptr || c.kind >= winner->kind))
                    winner = &c;  // claims are in list order: a later one of a kind wins
            if (winner == nullptr) continue;
            AdvicePiece* last = plan.pieces.empty() ? nullptr : &plan.pieces.back();
            if (last && last->row == i && last->selector == winner->selector &&
                last->end == cuts[j])
                last->end = cuts[j + 1];
            else
                plan.pieces.push_back({cuts[j], cuts[j + 1], i, winner->selector});
        }
    }
    for (std::size_t k = 0; k < selectors.size(); ++k)
        if (!matched[k]) plan.matched_nothing.push_back(k);
    return plan;
}

}  // namespace vmatlas
