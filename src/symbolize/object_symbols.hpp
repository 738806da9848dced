// One ELF object's symbols, sections, source lines and inlined-call ranges, read once through
// elfutils (libdwfl finds the separate debug file and the MiniDebugInfo; libdw reads DWARF) and
// kept as sorted arrays, so that a look-up is a binary search. Addresses here are the object's
// own (p_vaddr's), not the process's. Internal to the library.
//
// The look-ups come in two steps, so that a batch can be searched in address order and answered
// in another: *_index(vaddr) searches and returns a small index (0: nothing), and the other
// functions turn an index into the answer without searching. Each search starts from where the
// last one ended (addresses in order are found in a step or two), so an ObjectSymbols is not to
// be searched from two threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/where.hpp"

namespace vmatlas::symbolize {

class ObjectSymbols {
  public:
    // The object in `file` (what this machine opens it by), named `path` in the map (its
    // directory is where .gnu_debuglink files are looked for). Nothing when it is not ELF or
    // cannot be read; the reason is in `why`.
    static std::unique_ptr<ObjectSymbols> open(const std::string& file, std::string_view path,
                                               std::string& why);
    ~ObjectSymbols();
    ObjectSymbols(const ObjectSymbols&) = delete;
    ObjectSymbols& operator=(const ObjectSymbols&) = delete;

    // ---- symbols (read when the object is opened) ----
    std::uint32_t symbol_index(std::uint64_t vaddr) const;
    // The symbol behind an index, with the match and offset for vaddr.
    WhereSymbol symbol(std::uint32_t index, std::uint64_t vaddr) const;
    // A symbol's vaddr by name: a global or weak one, or (when not global_only) a local one.
    std::optional<std::uint64_t> find_symbol(std::string_view name, bool global_only) const;

    // ---- sections (the allocated ones of the object's own file) ----
    std::uint32_t section_index(std::uint64_t vaddr) const;
    std::string_view section_name(std::uint32_t index) const;
    std::uint64_t section_addr(std::uint32_t index) const;
    bool section_is_code(std::uint32_t index) const;  // SHF_EXECINSTR; false for index 0

    // ---- lines and inlined calls (DWARF, read the first time one is asked for) ----
    // Reads the DWARF now, if not yet; false when the object has none.
    bool load_lines();
    std::uint32_t line_index(std::uint64_t vaddr) const;   // after load_lines()
    std::uint32_t scope_index(std::uint64_t vaddr) const;  // after load_lines()
    // Frames, innermost first, for a line and scope index; cleared first.
    void frames(std::uint32_t line, std::uint32_t scope, std::vector<SourceFrame>& out) const;
    // The subprogram that holds a scope, as a symbol when no ELF symbol covers vaddr.
    WhereSymbol dwarf_symbol(std::uint32_t scope, std::uint64_t vaddr) const;

    std::string_view build_id() const { return build_id_; }  // lower-case hex
    std::string_view debug_file() const { return debug_file_; }

  private:
    struct Impl;
    explicit ObjectSymbols(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    std::string build_id_, debug_file_;
};

}  // namespace vmatlas::symbolize
