// open_map_around (vmatlas/where.hpp): for a few addresses of a live process, the rows around
// them from PROCMAP_QUERY, named as the whole map would name them: each address's row, the row
// right below it (whose bss or heap it may continue) and the next one above (the stack a guard
// page guards), so that every stage that looks at a neighbour sees it.
#include <unistd.h>

#include <map>

#include "sources/proc_stream.hpp"
#include "sources/procmap_query.hpp"
#include "sources/text.hpp"
#include "vmatlas/procfs.hpp"
#include "vmatlas/target.hpp"
#include "vmatlas/where.hpp"

namespace vmatlas {

namespace {

// The rows around the addresses, or nothing when an address is in no mapping (then the whole
// map is read: a hole's bounds need every row).
Result<std::optional<AddressSpace>> rows_around(ProcmapQuery& q, std::span<const Addr> addresses) {
    std::map<Addr, ProcmapQuery::Vma> rows;
    using Find = ProcmapQuery::Find;
    auto add = [&](Addr a, Find how) -> Result<std::optional<Addr>> {
        auto found = q.query(a, how);
        if (!found) return found.error();
        if (!*found) return std::optional<Addr>();
        const Mapping m = (*found)->mapping;
        rows.try_emplace(m.start, std::move(**found));
        return std::optional<Addr>(how == Find::Covering ? m.start : m.end);
    };
    for (const Addr a : addresses) {
        auto at = add(a, Find::Covering);
        if (!at) return at.error();
        if (!*at) return std::optional<AddressSpace>();
        const Mapping& m = rows.at(**at).mapping;
        const Addr start = m.start, end = m.end;
        if (start > 0)
            if (auto below = add(start - 1, Find::Covering); !below) return below.error();
        if (auto above = add(end, Find::CoveringOrNext); !above) return above.error();
    }
    AddressSpaceBuilder builder(process_source(q.pid(), "maps"));
    for (auto& [start, vma] : rows) {
        Mapping m = vma.mapping;
        m.path = builder.intern(vma.name);
        builder.add(m);
    }
    return std::optional<AddressSpace>(std::move(builder).build());
}

}  // namespace

bool kernel_has_procmap_query() {
    static const bool has = [] {
        auto q = ProcmapQuery::open(getpid());
        if (!q) return false;
        auto found = q->query(0, ProcmapQuery::Find::CoveringOrNext);
        return found.ok() || found.error().kind != ErrorKind::Unsupported;
    }();
    return has;
}

Result<NamedMap> open_map_around(std::string_view target, std::span<const Addr> addresses,
                                 const NamedMapOptions& options) {
    const bool live = looks_like_pid(target) && options.add.empty() && !options.figures &&
                      !addresses.empty() && kernel_has_procmap_query();
    if (!live) return open_named_map(target, options);
    auto proc = resolve_process(target);
    if (!proc) return proc.error();
    auto q = ProcmapQuery::open(proc->pid);
    if (!q) return q.error();
    auto rows = rows_around(*q, addresses);
    if (!rows) {
        if (rows.error().kind != ErrorKind::Unsupported) return rows.error();
        return open_named_map(target, options);
    }
    Target t;
    t.kind = TargetKind::Process;
    if (*rows) {
        t.space = std::move(**rows);
    } else {
        auto whole = read_process_maps_fd(proc->pid, q->release());
        if (!whole) return whole.error();
        t.space = std::move(*whole);
    }
    return name_target(std::move(t), options.sections);
}

Result<NamedMap> open_map_for(std::string_view target, std::span<const std::string> inputs,
                              const NamedMapOptions& options) {
    std::vector<Addr> numbers;
    for (const std::string& input : inputs)
        if (auto n = text::parse_user_address(input)) numbers.push_back(*n);
    const bool around =
        !inputs.empty() && numbers.size() == inputs.size() && numbers.size() <= kFewAddresses;
    return around ? open_map_around(target, numbers, options) : open_named_map(target, options);
}

}  // namespace vmatlas
