// Which instructions AddressSpace's look-up index (detail::LookupIndex, address_space.cpp)
// counts keys with. The
// library picks the best the CPU has; the tests force each one in turn, so that every path is
// proven against a plain scan on any machine that has it.
#pragma once

namespace vmatlas {

enum class LookupIsa { plain, avx2, avx512 };

bool cpu_has(LookupIsa isa);
// What look-ups use unless told otherwise.
LookupIsa best_lookup_isa();
// Every later look-up counts with isa, or plainly when the CPU does not have it. Not while
// another thread looks up.
void use_lookup_isa(LookupIsa isa);

}  // namespace vmatlas
