// The changes between two readings of a live map, as `vmatlas watch` reports them: one event per
// fact, in address order, from the library's comparison (vmatlas/diff.hpp: rows matched by
// start address).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "vmatlas/diff.hpp"
#include "vmatlas/named_map.hpp"

namespace vmatlas::cli {

enum class WatchEvent { Mapped, Unmapped, Protected, Grew, Shrank, Renamed, Changed };

// "mapped", "unmapped", "perms", "grew", "shrank", "renamed", "changed"
std::string_view to_string(WatchEvent e);

struct WatchChange {
    WatchEvent event;
    // The row: of `after`, except for Unmapped (of `before`).
    bool in_after = true;
    std::size_t row = 0;
    std::size_t before_row = kNoRow;  // the same start's row before, for a changed row
};

// A row that kept its start gives one event for each kind of change, in this order: perms,
// grew or shrank, renamed (its file or its kernel name), changed (offset, device, inode). The
// names vmatlas infers are not compared: they follow from the rest.
std::vector<WatchChange> watch_changes(const NamedMap& before, const NamedMap& after);

}  // namespace vmatlas::cli
