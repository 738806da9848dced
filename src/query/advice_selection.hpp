// Which bytes of a map each pmadvise-style selector picks, and which selector wins where several
// pick the same bytes. A query: it reads the named map and never changes it (nor the process).
//
// Selectors, as `vmatlas advise -o SELECTOR=ADVICE` takes them:
//   ADDR[:LEN]    ADDR in hex (as pmap shows it, with or without 0x), a multiple of the page
//                 size; LEN in bytes, with a K, M or G suffix, rounded up to whole pages (as
//                 madvise(2) rounds). Without LEN, the whole row that holds ADDR. With it,
//                 [ADDR, ADDR+LEN) where it is mapped. A selector that starts with a digit is
//                 an address.
//   heap, stack   the rows the kernel names [heap] and [stack] (pmadvise's heap and stack).
//   private,      the rows mapped private or shared (the fourth character of the mode).
//   shared
//   any other     a name as the default view shows it: "[anon_7f35f09a3]", "[vdso]",
//                 "stack tid=5", "heap"; a segment name ("text", "data", "bss", "relro", ...)
//                 alone picks that segment of the program (the object of the map's first row);
//                 OBJECT:SEGMENT picks the segment of the object whose file's last component is
//                 OBJECT ("libc.so.6:data").
// Rows with no access (guard pages, ---p) and rows above user space ([vsyscall]) and [vvar] are
// never picked: the kernel advises neither. Precedence, as pmadvise's: an address range wins over a
// name (heap, stack and the vmatlas names), which wins over private/shared; between selectors of
// the same kind, the later one in the list wins. Each byte gets the advice of exactly one selector,
// or none.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

struct AdviceSelector {
    enum class Kind : std::uint8_t { Sharing, Name, Address };  // in rising precedence
    Kind kind = Kind::Name;
    std::string text;         // as given
    bool shared = false;      // Sharing: shared (true) or private (false)
    Addr start = 0, end = 0;  // Address with a length: [start, end)
    bool whole_row = false;   // Address without a length: the row that holds start
};

// The selector text means, or a Usage error that says what is wrong with it ("'0x1001' is not a
// multiple of the page size (4096)").
Result<AdviceSelector> parse_advice_selector(std::string_view text, std::uint64_t page_size);

// A run of bytes within one row given to one selector.
struct AdvicePiece {
    Addr start = 0, end = 0;
    std::size_t row = 0;       // index into the address space
    std::size_t selector = 0;  // index into the selectors given
};

struct AdvicePlan {
    std::vector<AdvicePiece> pieces;           // in address order; adjacent pieces of one selector
                                               // within a row are one piece
    std::vector<std::size_t> matched_nothing;  // selectors that pick no byte of the map
};

AdvicePlan plan_advice(const AddressSpace& space, const Annotations& notes,
                       const std::vector<AdviceSelector>& selectors);

}  // namespace vmatlas
