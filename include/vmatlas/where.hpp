// Where an address is: the mapping that holds it and its name, the object (image) mapped there
// and where it is loaded, the offset into the mapping, the file, the ELF segment and section,
// the symbol, and the source line with the chain of inlined calls when debug information exists.
// PANDA's memorymap, pwndbg's xinfo and a symbolizer, for any target.
//
//   auto map = vmatlas::open_named_map("1234");
//   vmatlas::Locator where(*map);
//   vmatlas::WhereAnswer a;
//   where.locate(0x7f35f0a1c2d0, a);
//   print(a.image_name, a.symbol.name, a.symbol.offset, a.frames);
//
// Contract:
//  - Each object's symbol table, line table and inlined-call ranges are read once per Locator,
//    the first time an address falls in it (symbols of every object when a symbol is asked for
//    by name), and answered from memory after that.
//  - locate_batch() resolves its addresses in address order and answers in the order given.
//  - Symbols come from .symtab, else .dynsym with the MiniDebugInfo of .gnu_debugdata, of the
//    object or of its separate debug file (found by build-id under /usr/lib/debug/.build-id/ or
//    by .gnu_debuglink, through elfutils libdwfl); lines and inlined calls from DWARF (libdw),
//    for addresses in the object's code sections (SHF_EXECINSTR) only.
//    Files are those the map's annotators checked: the file the process mapped (a live process's
//    map_files), a file whose device and inode are the row's, a core's objects whose build-id
//    matched.
//  - At one address several symbols may be aliases: a sized symbol wins, then the largest, then
//    a function over an object over a label, a global over a weak over a local, the fewest
//    leading underscores, the shortest name (as perf chooses), the first in the table.
//    An address past the end of every symbol before it gets the nearest one below, marked
//    Nearest (a stripped object's nearest exported symbol).
//  - Every string_view and span in an answer stays valid as long as the Locator (and the
//    NamedMap it was made from) does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/annotations.hpp"
#include "vmatlas/mapping.hpp"
#include "vmatlas/named_map.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

enum class SymbolSource : std::uint8_t {
    Symtab,         // "symtab": .symtab of the object or of its debug file
    Dynsym,         // "dynsym": .dynsym, what a stripped object exports
    MiniDebugInfo,  // "minidebuginfo": .symtab of the LZMA-compressed ELF in .gnu_debugdata
    Dwarf,          // "dwarf": a DW_TAG_subprogram, when no symbol covers the address
};

enum class SymbolMatch : std::uint8_t {
    Inside,   // "inside": the address is inside the symbol's size
    Label,    // "label": an unsized symbol (an assembler label) is the nearest below
    Nearest,  // "nearest": past the end of the nearest symbol below (a stripped object)
};

std::string_view to_string(SymbolSource s);
std::string_view to_string(SymbolMatch m);

struct WhereSymbol {
    std::string_view name;  // as the table spells it (mangled); empty when there is none
    // The source file a local symbol's STT_FILE symbol names, when there is one: what a
    // symbolizer prints for the file of code without line information.
    std::string_view file;
    Addr value = 0;  // its address in the process
    std::uint64_t offset = 0, size = 0;
    SymbolSource source = SymbolSource::Symtab;
    SymbolMatch match = SymbolMatch::Inside;
    bool found() const { return !name.empty(); }
};

// One frame of the source: innermost first. Frame 0's file and line are the address's own; frame
// k + 1's are where frame k was inlined into it.
struct SourceFrame {
    std::string_view function;  // linkage name when DWARF has one, else DW_AT_name; may be empty
    std::string_view file;
    std::uint32_t line = 0, column = 0;  // 0: unknown
    bool inlined = false;                // frame k is an inlined call (not the last frame)
};

struct WhereAnswer {
    Addr address = 0;
    // The mapping that holds the address, an index into the map; nothing when it falls in a hole.
    std::optional<std::size_t> row;
    // In a hole: its bounds and its neighbours' rows. A hole that reaches the top of the address
    // space ends at 2^64 - 1 (as the default view's hole does).
    Addr hole_start = 0, hole_end = 0;
    std::optional<std::size_t> below, above;

    // The image (PANDA's image_name, image_path, image_base): the object the row is a part of (a
    // bss row is its object's), its base the address where the object's file offset 0 is mapped.
    std::string_view image_name, image_path;
    std::optional<Addr> image_base;

    std::uint64_t mapping_offset = 0;          // address - the mapping's start
    std::optional<std::uint64_t> file_offset;  // the byte of the file mapped there
    std::optional<std::uint64_t> elf_vaddr;    // the address inside the ELF file (p_vaddr's)
    std::optional<std::size_t> segment;        // the PT_LOAD's index in the program headers
    std::optional<std::uint64_t> segment_offset;
    std::string_view section;  // the allocated section that holds elf_vaddr
    std::optional<std::uint64_t> section_offset;
    WhereSymbol symbol;
    std::vector<SourceFrame> frames;  // empty without line information
    std::string_view build_id;        // lower-case hex; empty when unknown
    std::string_view debug_file;      // the separate debug file read, if any
};

struct LocatorOptions {
    bool lines = true;  // read DWARF for source lines and inlined calls
};

namespace detail {
class LocatorImpl;
}

class Locator {
  public:
    // The map must outlive the Locator.
    explicit Locator(const NamedMap& map, LocatorOptions options = {});
    ~Locator();
    Locator(Locator&&) noexcept;
    Locator& operator=(Locator&&) noexcept;

    // Fills `out` (reusing its storage) with everything known about address a.
    void locate(Addr a, WhereAnswer& out);

    // Resolves every address (in address order, each object's tables read once) and calls
    // answer(k, out) for k = 0, 1, ... in the order of `addresses`.
    void locate_batch(std::span<const Addr> addresses,
                      const std::function<void(std::size_t, const WhereAnswer&)>& answer);

    // An address expression (text.hpp's grammar, in the command's help): a number; MODULE+OFFSET
    // (OFFSET from the image base of the object whose path or file name is MODULE, or begins
    // with MODULE and then '.' or '-'); SYMBOL[+OFFSET] (a global symbol of any object, the
    // objects in address order, then a local one); NAME[+OFFSET] (the start of the row a
    // vmatlas name names: "[heap]", "[anon_7ffff7ccd]", "stack tid=1234"). A Usage error says
    // why a text is none of them.
    Result<Addr> resolve(std::string_view expression);

    // What the Locator could not read, once each ("no debug information for ...").
    const std::vector<std::string>& warnings() const;

  private:
    std::unique_ptr<detail::LocatorImpl> impl_;
};

// The named map to answer these addresses of a target from. A live process and a kernel with
// PROCMAP_QUERY (Linux 6.11): the kernel is asked for the mapping that holds each address and for
// its neighbours, and only these rows are named (when an address is in no mapping, the whole map
// is read, so that its hole and neighbours are exact). Otherwise, or for any other target, the
// whole map as open_named_map gives it. A process that exits or runs exec meanwhile is a
// ProcessExited error.
Result<NamedMap> open_map_around(std::string_view target, std::span<const Addr> addresses,
                                 const NamedMapOptions& options = {});

// The named map `vmatlas where TARGET INPUT...` answers its inputs from: when they are at most
// kFewAddresses numbers, open_map_around's rows around them; else (expressions, many addresses,
// none) the whole map as open_named_map gives it.
inline constexpr std::size_t kFewAddresses = 16;
Result<NamedMap> open_map_for(std::string_view target, std::span<const std::string> inputs,
                              const NamedMapOptions& options = {});

// Whether this kernel answers PROCMAP_QUERY (asked once, of this process's own map).
bool kernel_has_procmap_query();

}  // namespace vmatlas
