// The map of one traced process, read again only when it may have changed: a map-changing system
// call finished, or an exec. Each reading that differs from the one before is a new generation.
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
    explicit TraceMap(int pid) : pid_(pid) {}

    int pid() const { return pid_; }

    // The map is to be read again before its next use.
    void invalidate() { stale_ = true; }
    bool stale() const { return stale_; }

    // Reads the map when stale. True when this reading is a new generation; an error when the
    // process cannot be read (it exited, or we may not).
    Result<bool> refresh();

    std::uint64_t generation() const { return generation_; }
    std::string_view process_name() const { return comm_; }

    // Fills the image, segment, symbol and generation of a row at pc (the map must be fresh).
    void describe(Addr pc, TraceRow& row);

    // Where a point is in this map: its address, or nothing while the object or symbol it names
    // is not mapped. A number is an address in any map.
    std::optional<Addr> resolve(const Point& point);

    // Whether a is in a mapping with execute permission.
    bool executable(Addr a) const;

  private:
    int pid_;
    bool stale_ = true;
    std::optional<NamedMap> map_;
    std::unique_ptr<Locator> locator_;
    std::uint64_t generation_ = 0, digest_ = 0;
    std::string comm_;
    WhereAnswer answer_;
};

}  // namespace vmatlas::trace
