// The snapshot `vmatlas save TARGET` writes of a named map (vmatlas/snapshot.hpp): the command
// and the Python module's Map.save write it through this.
#pragma once

#include <string>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/process_facts.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas {

struct SavedSnapshot {
    std::string text;
    std::vector<std::string> warnings;  // what could not be saved, once each
};

// The snapshot of a map of this kind, stamped now. A live process's threads are read by the
// annotators and not kept: when facts has none, they are read again here, for the snapshot to
// say which threads there were and where their stacks were (a warning when they cannot be).
SavedSnapshot save_snapshot(TargetKind kind, const AddressSpace& space, const Annotations& notes,
                            ProcessFacts facts);

}  // namespace vmatlas
