// ObjectReader: how the ELF segment-name stage gets the headers of a mapped object when the
// target, not this machine's files, decides what the process mapped (a core file).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "vmatlas/annotations.hpp"
#include "vmatlas/elf.hpp"

namespace vmatlas {

// The headers of one object, and where they came from.
struct ObjectHeaders {
    elf::ElfObject object;
    // The file on this machine they were read from, when it is the one the process mapped (its
    // build-id matched, or nothing could be checked); empty when they came from the target.
    std::string file;
};

class ObjectReader {
  public:
    virtual ~ObjectReader() = default;

    // The headers of the object mapped by `rows` (indices into space, in address order, all with
    // one path). Nothing when the object is not ELF or cannot be read; what went wrong, if worth
    // a word, is appended to warnings (one sentence, starting with the path).
    virtual std::optional<ObjectHeaders> read(const AddressSpace& space,
                                              const std::vector<std::size_t>& rows,
                                              std::vector<std::string>& warnings) const = 0;

    // Called once after the last read: warnings about many objects at once, said once.
    virtual void finish(std::vector<std::string>& warnings) const { (void)warnings; }
};

}  // namespace vmatlas
