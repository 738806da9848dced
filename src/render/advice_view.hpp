// `vmatlas advise`'s table: the rows of Solaris pmap (seed 001: address, size, mode, mapped
// file), each followed by "  <= ADVICE" when it has some, as pmadvise -v shows them:
//
//   12345: ./prog
//   000055D0C0A4F000      132K rw-p [ heap ]  <= pageout
//
// The address is upper-case hex, 16 digits; the size in K. marks runs parallel to the rows; an
// empty mark leaves the row as pmap shows it.
#pragma once

#include <string>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"

namespace vmatlas {

void render_advice_rows(const AddressSpace& space, const Annotations& notes,
                        const std::vector<std::string>& marks, std::string& out);

// The advice a row already carries, from smaps' VmFlags: "random", "sequential", "hugepage",
// "nohugepage", "dontdump", "mergeable", "dontfork", "wipeonfork", joined by ", "; "" for none.
std::string advice_in_vm_flags(std::string_view vm_flags);

}  // namespace vmatlas
