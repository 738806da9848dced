// The map of one traced process. Its generation counts its changes: after each map-changing
// system call its text (/proc/PID/maps) is read and compared with the last one's, and a
// difference is a new generation, whatever rows or points are asked for. The named map (names,
// objects, symbols) is read again only when a row or a point needs it after such a change.
// Answers what a trace row says of a pc (its image, row name and symbol) and where a point of
// --pcs is in this map.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "trace/point_list.hpp"
#include "trace/trace_row.hpp"
#include "vmatlas/named_map.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/where.hpp"

namespace vmatlas::trace {

class TraceMap {
  public:
    // generation: the count the first reading follows (an exec's new image goes on counting).
    explicit TraceMap(int pid, std::uint64_t generation = 0) : pid_(pid), generation_(generation) {}

    int pid() const { return pid_; }

    // A map-changing call returned: compares the map's text with the last reading's. True when
    // it changed (a new generation; the named map is then read again before its next use).
    bool check_changed();
    bool stale() const { return stale_; }

    // Reads the named map when stale (the first time: a new generation). An error when the
    // process cannot be read (it exited, or we may not).
    Result<bool> refresh();

    std::uint64_t generation() const { return generation_; }
    std::string_view process_name() const { return comm_; }

    // Fills the image, segment, symbol and generation of a row at pc (the map must be fresh).
    void describe(Addr pc, TraceRow& row);

    // Where a point is in this map: its address, or nothing while the object or symbol it names
    // is not mapped. A number is an address in any map.
    std::optional<Addr> resolve(const Point& point);

  private:
    int pid_;
    bool stale_ = true;
    std::optional<NamedMap> map_;
    std::unique_ptr<Locator> locator_;
    std::uint64_t generation_ = 0;
    std::string text_;  // the maps text of the last reading
    std::string comm_;
    WhereAnswer answer_;
};

}  // namespace vmatlas::trace
