#include "trace/trace_map.hpp"

#include "vmatlas/procfs.hpp"

#include <cstdint>
#include <fstream>
#include <string>

namespace vmatlas::trace {

namespace {

// /proc/PID/comm without its newline; empty when it cannot be read.
std::string read_comm(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string comm;
    std::getline(in, comm);
    return comm;
}

}  // namespace

bool TraceMap::check_changed() {
    auto text = read_proc_file("/proc/" + std::to_string(pid_) + "/maps");
    if (!text || *text == text_) return false;
    text_ = std::move(*text);
    ++generation_;
    stale_ = true;
    return true;
}

Result<bool> TraceMap::refresh() {
    if (!stale_) return false;
    const bool first = !map_;
    if (first) {
        auto text = read_proc_file("/proc/" + std::to_string(pid_) + "/maps");
        if (text) text_ = std::move(*text);
    }
    auto map = open_named_map(std::to_string(pid_));
    if (!map) return map.error();
    // The locator points into the map: drop it before the map it was made from.
    locator_.reset();
    map_ = std::move(*map);
    locator_ = std::make_unique<Locator>(*map_, LocatorOptions{.lines = false});
    comm_ = read_comm(pid_);
    stale_ = false;
    if (first) ++generation_;
    return first;
}

void TraceMap::describe(Addr pc, TraceRow& row) {
    row.generation = generation_;
    row.process = comm_;
    if (!locator_) return;
    locator_->locate(pc, answer_);
    row.image_name = answer_.image_name;
    row.image_path = answer_.image_path;
    row.image_base = answer_.image_base;
    row.segment =
        answer_.row ? std::string_view(map_->notes.labels[*answer_.row].name) : std::string_view();
    row.symbol = answer_.symbol.name;
    row.symbol_offset = answer_.symbol.offset;
}

std::optional<Addr> TraceMap::resolve(const Point& point) {
    if (point.kind == Point::Kind::Address) return point.value;
    if (!locator_) return std::nullopt;
    if (point.kind == Point::Kind::Symbol) {
        auto a = locator_->resolve(point.symbol);
        return a ? std::optional<Addr>(*a) : std::nullopt;
    }
    // OBJECT+OFFSET: the offset is PANDA's number (octal with a leading 0), added here.
    auto base = locator_->resolve(point.object + "+0");
    if (!base || *base > UINT64_MAX - point.value) return std::nullopt;
    return *base + point.value;
}

}  // namespace vmatlas::trace
