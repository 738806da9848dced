// MapWalk (vmatlas/map_walk.hpp): entries from PROCMAP_QUERY, or from the maps text on a kernel
// without it; the generation is model/row_digest.hpp's digest over the whole walk.
#include "vmatlas/map_walk.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "model/row_digest.hpp"
#include "sources/proc_stream.hpp"
#include "sources/procmap_query.hpp"
#include "vmatlas/procfs.hpp"

namespace vmatlas {

namespace {

std::uint64_t digest(const std::vector<WalkEntry>& entries) {
    detail::RowDigest d;
    for (const WalkEntry& e : entries) d.add_row(e.mapping, e.name);
    return d.value();
}

WalkEntry to_entry(ProcmapQuery::Vma&& v) {
    WalkEntry e{v.mapping, std::move(v.name)};
    e.mapping.path = kNoPath;
    return e;
}

// A walk that found nothing: the process exited, is a zombie or a kernel thread, or ran exec
// (the descriptor still names the map it had when opened, which is gone).
Error no_entries(pid_t pid) {
    Error e = explain_missing_map(pid);
    if (e.kind == ErrorKind::UnreadableInput)
        return make_error(
            ErrorKind::ProcessExited,
            fmt::format("process {} ran exec: the map that was watched is gone", pid));
    return e;
}

// A process whose map reads as nothing has exited, is a zombie, is a kernel thread or ran exec:
// the sentence says which.
Error no_map(pid_t pid, const Error& error) {
    if (error.kind == ErrorKind::ProcessExited) return no_entries(pid);
    return error;
}

}  // namespace

bool is_gate_area(std::string_view name) {
    return name == "[vsyscall]";
}

std::uint64_t walk_generation(const AddressSpace& space) {
    detail::RowDigest d;
    for (const Mapping& m : space.mappings())
        if (!is_gate_area(space.path(m))) d.add_row(m, space.path(m));
    return d.value();
}

struct MapWalk::State {
    pid_t pid = 0;
    std::optional<ProcmapQuery> query;  // none: the kernel has no PROCMAP_QUERY
    // The map the current walk started under; its generation names the walk.
    WalkedMap started;
    bool walking = false;

    // Every entry, in address order, by PROCMAP_QUERY or from the text.
    Result<std::vector<WalkEntry>> read_entries() {
        std::vector<WalkEntry> entries;
        if (query) {
            Addr at = 0;
            for (;;) {
                auto vma = query->query(at, ProcmapQuery::Find::CoveringOrNext);
                if (!vma) {
                    if (vma.error().kind != ErrorKind::Unsupported) return no_map(pid, vma.error());
                    query.reset();
                    return read_entries();
                }
                if (!*vma) break;
                entries.push_back(to_entry(std::move(**vma)));
                at = entries.back().mapping.end;
                if (at == 0) break;  // a mapping that ends at the top of the address space
            }
            if (entries.empty()) return no_entries(pid);
            return entries;
        }
        auto space = read_process_maps(pid);
        if (!space) return space.error();
        if (space->loss() == Loss::Exited) return explain_missing_map(pid);
        entries.reserve(space->size());
        for (const Mapping& m : space->mappings()) {
            if (is_gate_area(space->path(m))) continue;
            WalkEntry e{m, std::string(space->path(m))};
            e.mapping.path = kNoPath;
            entries.push_back(std::move(e));
        }
        return entries;
    }

    // The entry of the live map that ends above a, or none; for the text, the started map's.
    Result<std::optional<WalkEntry>> entry_after(Addr a) {
        if (query) {
            auto vma = query->query(a, ProcmapQuery::Find::CoveringOrNext);
            if (!vma) return no_map(pid, vma.error());
            if (!*vma) return std::optional<WalkEntry>();
            return std::optional<WalkEntry>(to_entry(std::move(**vma)));
        }
        const auto* e = started_entry_after(a);
        return e ? std::optional<WalkEntry>(*e) : std::nullopt;
    }

    const WalkEntry* started_entry_after(Addr a) const {
        const auto& es = started.entries;
        const auto it = std::upper_bound(
            es.begin(), es.end(), a, [](Addr x, const WalkEntry& e) { return x < e.mapping.end; });
        return it == es.end() ? nullptr : &*it;
    }

    Result<WalkStep> changed() {
        walking = false;
        auto now = read_entries();
        if (!now) return now.error();
        WalkStep step;
        step.status = WalkStatus::Changed;
        step.generation = digest(*now);
        return step;
    }
};

MapWalk::MapWalk(std::unique_ptr<State> state) : state_(std::move(state)) {}
MapWalk::MapWalk(MapWalk&&) noexcept = default;
MapWalk& MapWalk::operator=(MapWalk&&) noexcept = default;
MapWalk::~MapWalk() = default;

Result<MapWalk> MapWalk::open(pid_t pid) {
    auto query = ProcmapQuery::open(pid);
    if (!query) return query.error();
    auto state = std::make_unique<State>();
    state->pid = pid;
    state->query.emplace(std::move(*query));
    return MapWalk(std::move(state));
}

pid_t MapWalk::pid() const {
    return state_->pid;
}

bool MapWalk::uses_procmap_query() const {
    return state_->query.has_value();
}

Result<WalkedMap> MapWalk::read_all() {
    auto entries = state_->read_entries();
    if (!entries) return entries.error();
    WalkedMap map;
    map.generation = digest(*entries);
    map.entries = std::move(*entries);
    return map;
}

Result<std::uint64_t> MapWalk::generation() {
    auto map = read_all();
    if (!map) return map.error();
    return map->generation;
}

Result<WalkStep> MapWalk::next(const WalkCursor& cursor) {
    State& s = *state_;
    Addr from = cursor.next;
    if (!cursor.generation) {
        auto map = read_all();
        if (!map) return map.error();
        s.started = std::move(*map);
        s.walking = true;
        from = 0;
    } else if (!s.walking || *cursor.generation != s.started.generation) {
        return s.changed();
    }
    auto live = s.entry_after(from);
    if (!live) return live.error();
    const WalkEntry* expected = s.started_entry_after(from);
    if (live->has_value() != (expected != nullptr) || (expected && **live != *expected))
        return s.changed();
    WalkStep step;
    step.generation = s.started.generation;
    if (!expected) {
        // The end: only when the map is still the one the walk started under.
        auto now = read_all();
        if (!now) return now.error();
        s.walking = false;
        if (now->generation != s.started.generation) {
            step.status = WalkStatus::Changed;
            step.generation = now->generation;
        }
        return step;
    }
    step.status = WalkStatus::Entry;
    step.entry = std::move(**live);
    step.cursor = {step.entry.mapping.end, s.started.generation};
    return step;
}

}  // namespace vmatlas
