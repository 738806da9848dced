#include "render/save_snapshot.hpp"

#include <fmt/format.h>

#include "vmatlas/snapshot.hpp"
#include "vmatlas/threads.hpp"

namespace vmatlas {

SavedSnapshot save_snapshot(TargetKind kind, const AddressSpace& space, const Annotations& notes,
                            ProcessFacts facts) {
    SavedSnapshot saved;
    if (kind == TargetKind::Process && !facts.has_threads) {
        const int pid = space.source().pid;
        if (auto threads = read_threads(pid)) {
            facts.has_threads = true;
            facts.threads = std::move(*threads);
        } else {
            saved.warnings.push_back(fmt::format("the threads of process {} are not saved: {}", pid,
                                                 threads.error().message));
        }
    }
    saved.text = write_snapshot(space, notes, facts, snapshot_stamp_now());
    return saved;
}

}  // namespace vmatlas
