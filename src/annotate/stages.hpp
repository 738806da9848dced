// The annotator stages, in the order annotate() runs them. Each adds names and never changes an
// address; a later stage may replace a name an earlier one gave (an ELF "bss" beats pwndbg's
// "[anon_...]", a thread's "stack tid=N" beats a guess).
#pragma once

#include "vmatlas/annotations.hpp"

namespace vmatlas::stages {

// kernel_names.cpp: [heap], [stack], [vdso], [anon:NAME], ...; [anon_<start>>12>] for the rest.
void name_kernel(const AddressSpace& space, Annotations& notes);

// roles.cpp: the colour role of every row, from its permissions and final name.
void assign_roles(const AddressSpace& space, Annotations& notes);

}  // namespace vmatlas::stages
