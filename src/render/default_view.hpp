// The default view as `vmatlas [-w] [-x] [-B N] [-A N] [-C N] [--gaps] TARGET [FILTER]` shows a
// named map: FILTER read as an address, as an expression resolved on the map (MODULE+OFFSET,
// SYMBOL[+OFFSET], NAME+OFFSET) or as text, the context rows around its matches, or the layout
// (--gaps). The command and the Python module (Map.render, Map.rows) show a map through it, so
// that they show the same thing.
#pragma once

#include <optional>
#include <string>

#include "render/color.hpp"
#include "render/format.hpp"
#include "vmatlas/named_map.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

struct DefaultViewRequest {
    std::string filter;  // FILTER as typed; empty: every row
    bool writable_only = false, executable_only = false;
    // Rows of context before and after each match (-B, -A, and -C for both). None: one row either
    // side of an address (pwndbg's default), none around text.
    std::optional<unsigned> before, after, context;
    bool gaps = false;  // the layout: runs, guards, holes and totals
};

// A mistake in the request itself, found before any map is read: a Usage error (--gaps with -w).
std::optional<Error> check_request(const DefaultViewRequest& request);

// Appends the view of map to out (flush as render_map's). When the filter matched no row, or is
// no address and nothing of the map, returns the sentence that says so (the command then exits
// with kNoMatch); out then holds what the command shows on standard output, maybe nothing.
std::optional<Error> render_default_view(const NamedMap& map, const DefaultViewRequest& request,
                                         Format format, const Palette& palette, std::string& out,
                                         const Flush& flush = {});

}  // namespace vmatlas
