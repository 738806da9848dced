#include "render/default_view.hpp"

#include <fmt/format.h>

#include "render/map_view.hpp"
#include "sources/text.hpp"
#include "vmatlas/query.hpp"
#include "vmatlas/where.hpp"

namespace vmatlas {

std::optional<Error> check_request(const DefaultViewRequest& request) {
    if (request.gaps && (request.writable_only || request.executable_only))
        return make_error(ErrorKind::Usage, "--gaps shows the whole map: it takes no -w or -x");
    return std::nullopt;
}

std::optional<Error> render_default_view(const NamedMap& map, const DefaultViewRequest& request,
                                         Format format, const Palette& palette, std::string& out,
                                         const Flush& flush) {
    const std::string& filter_text = request.filter;
    FilterSpec filter{.writable_only = request.writable_only,
                      .executable_only = request.executable_only};
    // A number is an address; MODULE+OFFSET, SYMBOL+OFFSET and NAME+OFFSET are resolved on the
    // map; a word alone is text, or a symbol or name when no row matches it (or with --gaps).
    const auto expr = filter_text.empty() ? std::nullopt : text::parse_address_expr(filter_text);
    if (!filter_text.empty()) {
        filter.address = parse_address(filter_text);
        if (!filter.address && !(expr && expr->has_offset) && !request.gaps)
            filter.text = filter_text;
    }
    const bool symbolic = !filter_text.empty() && !filter.address;
    const AddressSpace& space = map.space;
    const Annotations& notes = map.notes;
    if (symbolic && (filter.text.empty() || select_rows(space, notes, filter).match_count == 0)) {
        Locator where(map, {.lines = false});
        auto resolved = where.resolve(filter_text);
        if (resolved) {
            filter.address = *resolved;
            filter.text.clear();
        } else if (filter.text.empty()) {
            return resolved.error();
        }
    }
    // pwndbg shows one row either side of an address by default; a name filter shows its rows.
    const unsigned dflt = filter.address ? 1 : 0;
    filter.before = request.before.value_or(request.context.value_or(dflt));
    filter.after = request.after.value_or(request.context.value_or(dflt));

    if (request.gaps) {
        const GapReport all = compute_gaps(space);
        render_gaps(
            space, notes,
            filter.address ? gaps_around(all, *filter.address, filter.before, filter.after) : all,
            format, palette, out);
        return std::nullopt;
    }
    const Selection sel = select_rows(space, notes, filter);
    render_map(space, notes, sel, filter, format, palette, out, flush);
    if (!sel.filtered || sel.match_count > 0) return std::nullopt;
    if (filter.address && space.find(*filter.address))
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("the mapping that contains {:#x} is hidden by {}",
                                      *filter.address, filter.writable_only ? "-w" : "-x"));
    if (filter.address)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("no mapping contains {:#x}", *filter.address));
    return make_error(ErrorKind::UnreadableInput,
                      fmt::format("no mapping matches '{}'", filter_text));
}

}  // namespace vmatlas
