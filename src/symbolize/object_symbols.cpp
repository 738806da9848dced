// Reading one object's symbols, sections, lines and inlined calls (object_symbols.hpp).
//
// libdwfl opens the object and finds what debugging data it has: its own .symtab, else the
// .symtab of a separate debug file (by build-id under /usr/lib/debug/.build-id/, or by
// .gnu_debuglink), else .dynsym and the MiniDebugInfo in .gnu_debugdata; and the DWARF of the
// object or of its debug file. Everything is copied into sorted arrays once: libdwfl's own
// dwfl_module_addrsym scans every symbol on each call, and dwarf_getscopes walks the DIE tree.
// Strings stay in elfutils' memory, which lives as long as this object.
#include "symbolize/object_symbols.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_map>

#include <fmt/format.h>

namespace vmatlas::symbolize {

namespace {

struct DwflDeleter {
    void operator()(Dwfl* d) const { dwfl_end(d); }
};

char* debuginfo_path = nullptr;  // libdwfl's default: ":.debug:/usr/lib/debug"

const Dwfl_Callbacks kCallbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

struct Symbol {
    std::uint64_t addr = 0, size = 0;
    std::string_view name;
    std::string_view file;    // a local symbol's STT_FILE (its source file), if any
    std::uint32_t order = 0;  // in the table: the last tie-break
    std::uint8_t type_rank = 0, bind_rank = 0;
    SymbolSource source = SymbolSource::Symtab;
    bool global = false;
};

struct SectionRange {
    std::uint64_t addr = 0, size = 0;
    std::string_view name;
    bool code = false;  // SHF_EXECINSTR
};

struct LineRow {
    std::uint64_t addr = 0;
    std::uint32_t file = 0, line = 0, column = 0;
    bool end = false;  // the end of a sequence: no line here
};

struct Scope {
    std::string_view name;
    std::uint32_t parent = 0;  // 1 + index, 0 for none
    std::uint32_t call_file = 0, call_line = 0, call_column = 0;
    bool inlined = false;
};

// A piece of the flattened scope tree: from lo to the next piece's lo, scope (1 + index, 0:
// none) is the innermost.
struct ScopePiece {
    std::uint64_t lo = 0;
    std::uint32_t scope = 0;
};

std::string hex(const unsigned char* bits, int len) {
    std::string out;
    out.reserve(static_cast<std::size_t>(len) * 2);
    for (int k = 0; k < len; ++k) fmt::format_to(std::back_inserter(out), "{:02x}", bits[k]);
    return out;
}

bool has_section_type(Elf* elf, std::uint32_t type) {
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) != nullptr && shdr.sh_type == type) return true;
    }
    return false;
}

std::uint8_t type_rank(unsigned type) {
    switch (type) {
        case STT_FUNC:
        case STT_GNU_IFUNC:
            return 0;
        case STT_OBJECT:
            return 1;
        default:
            return 2;
    }
}

std::uint8_t bind_rank(unsigned bind) {
    switch (bind) {
        case STB_GLOBAL:
            return 0;
        case STB_WEAK:
            return 1;
        default:
            return 2;
    }
}

std::string_view die_string(Dwarf_Die* die, unsigned name) {
    Dwarf_Attribute attr;
    if (dwarf_attr_integrate(die, name, &attr) == nullptr) return {};
    const char* s = dwarf_formstring(&attr);
    return s != nullptr ? std::string_view(s) : std::string_view();
}

std::uint32_t die_number(Dwarf_Die* die, unsigned name) {
    Dwarf_Attribute attr;
    Dwarf_Word value = 0;
    if (dwarf_attr(die, name, &attr) == nullptr || dwarf_formudata(&attr, &value) != 0) return 0;
    return value > UINT32_MAX ? 0 : static_cast<std::uint32_t>(value);
}

// The name a symbolizer prints for a function: its linkage name (what the symbol table holds),
// else its DW_AT_name; through DW_AT_abstract_origin and DW_AT_specification.
std::string_view function_name(Dwarf_Die* die) {
    std::string_view s = die_string(die, DW_AT_linkage_name);
    if (s.empty()) s = die_string(die, DW_AT_MIPS_linkage_name);
    if (s.empty()) s = die_string(die, DW_AT_name);
    return s;
}

// How many of the sorted elements have a key at or below x (std::upper_bound's position), from
// a guess: a batch in address order asks about nearby addresses one after another, so the answer
// is usually the last one or the next; else it is searched for.
template <typename T, typename Key>
std::size_t at_or_below(const std::vector<T>& v, std::uint64_t x, std::size_t& guess, Key key) {
    const std::size_t n = v.size();
    for (std::size_t g = guess; g <= n && g <= guess + 1; ++g)
        if ((g == 0 || key(v[g - 1]) <= x) && (g == n || x < key(v[g]))) return guess = g;
    auto it = std::upper_bound(v.begin(), v.end(), x,
                               [&](std::uint64_t a, const T& e) { return a < key(e); });
    return guess = static_cast<std::size_t>(it - v.begin());
}

}  // namespace

struct ObjectSymbols::Impl {
    std::unique_ptr<Dwfl, DwflDeleter> dwfl;
    Dwfl_Module* module = nullptr;
    std::vector<Symbol> symbols;         // by address, one per address (the preferred alias)
    std::vector<std::uint32_t> covered;  // covered[i]: the sized symbol of [0, i] reaching farthest
    std::vector<Symbol> by_name;         // every symbol, by name
    std::vector<SectionRange> sections;  // by address
    std::vector<std::uint64_t> section_max_end;

    bool lines_tried = false, lines_loaded = false;
    std::vector<std::string_view> files;
    std::deque<std::string> joined;  // the file names made here: files point into them
    std::vector<LineRow> lines;      // by address; at one address, a sequence's end first
    std::vector<Scope> scopes;
    std::vector<ScopePiece> pieces;  // by lo

    // The last answers of at_or_below, one a table.
    std::size_t symbol_guess = 0, section_guess = 0, line_guess = 0, piece_guess = 0;

    void read_symbols(Elf* main_elf);
    void read_sections(Elf* main_elf);
    void read_dwarf(Dwarf* dw, Dwarf_Addr bias);
};

ObjectSymbols::ObjectSymbols(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ObjectSymbols::~ObjectSymbols() = default;

std::unique_ptr<ObjectSymbols> ObjectSymbols::open(const std::string& file, std::string_view path,
                                                   std::string& why) {
    auto impl = std::make_unique<Impl>();
    impl->dwfl.reset(dwfl_begin(&kCallbacks));
    if (!impl->dwfl) {
        why = fmt::format("libdwfl: {}", dwfl_errmsg(-1));
        return nullptr;
    }
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        why = fmt::format("cannot open {}: {}", file, std::strerror(errno));
        return nullptr;
    }
    // Placed at its own addresses (base 0 added to p_vaddr): symbol and DWARF addresses are
    // the object's vaddrs. The fd is libdwfl's from here on.
    const std::string name(path.empty() ? std::string_view(file) : path);
    impl->module = dwfl_report_elf(impl->dwfl.get(), name.c_str(), name.c_str(), fd, 0, true);
    dwfl_report_end(impl->dwfl.get(), nullptr, nullptr);
    if (impl->module == nullptr) {
        why = fmt::format("{}: {}", name, dwfl_errmsg(-1));
        return nullptr;
    }
    GElf_Addr bias = 0;
    Elf* main_elf = dwfl_module_getelf(impl->module, &bias);
    if (main_elf == nullptr) {
        why = fmt::format("{}: {}", name, dwfl_errmsg(-1));
        return nullptr;
    }
    impl->read_symbols(main_elf);
    impl->read_sections(main_elf);
    std::unique_ptr<ObjectSymbols> out(new ObjectSymbols(std::move(impl)));
    const unsigned char* bits = nullptr;
    GElf_Addr id_vaddr = 0;
    if (const int len = dwfl_module_build_id(out->impl_->module, &bits, &id_vaddr); len > 0)
        out->build_id_ = hex(bits, len);
    return out;
}

void ObjectSymbols::Impl::read_symbols(Elf* main_elf) {
    const int count = dwfl_module_getsymtab(module);
    if (count <= 0) return;
    // Where a symbol came from: the main file's .symtab or .dynsym; another file is the
    // separate debug file libdwfl chose for its .symtab, or, when there is none, the
    // MiniDebugInfo it unpacked.
    const bool main_symtab = has_section_type(main_elf, SHT_SYMTAB);
    const char* debug_name = nullptr;
    dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &debug_name);
    std::vector<Symbol> all;
    all.reserve(static_cast<std::size_t>(count));
    // The local symbols after an STT_FILE symbol are of that source file (addr2line and
    // llvm-symbolizer print it when there are no lines).
    std::string_view file;
    Elf* file_from = nullptr;
    for (int k = 0; k < count; ++k) {
        GElf_Sym sym;
        GElf_Addr addr = 0;
        GElf_Word shndx = 0;
        Elf* from = nullptr;
        Dwarf_Addr bias = 0;
        const char* name = dwfl_module_getsym_info(module, k, &sym, &addr, &shndx, &from, &bias);
        if (name == nullptr) continue;
        if (from != file_from) file = {}, file_from = from;
        if (GELF_ST_TYPE(sym.st_info) == STT_FILE) {
            file = name;
            continue;
        }
        if (name[0] == '\0') continue;
        // Undefined, absolute, or in a section not loaded: no address of the object.
        if (shndx == SHN_UNDEF || shndx == SHN_ABS || shndx == static_cast<GElf_Word>(-1)) continue;
        const unsigned type = GELF_ST_TYPE(sym.st_info);
        if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_OBJECT && type != STT_NOTYPE)
            continue;
        Symbol s;
        s.addr = addr;
        s.size = sym.st_size;
        s.name = name;
        s.order = static_cast<std::uint32_t>(k);
        s.type_rank = type_rank(type);
        const unsigned bind = GELF_ST_BIND(sym.st_info);
        s.bind_rank = bind_rank(bind);
        s.global = bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE;
        if (bind == STB_LOCAL) s.file = file;
        if (from == main_elf)
            s.source = main_symtab ? SymbolSource::Symtab : SymbolSource::Dynsym;
        else
            s.source = debug_name != nullptr ? SymbolSource::Symtab : SymbolSource::MiniDebugInfo;
        all.push_back(s);
    }
    by_name = all;
    std::sort(by_name.begin(), by_name.end(), [](const Symbol& a, const Symbol& b) {
        if (a.name != b.name) return a.name < b.name;
        if (a.bind_rank != b.bind_rank) return a.bind_rank < b.bind_rank;
        return a.order < b.order;
    });
    // Aliases: at one address, a sized symbol, then the largest, then a function over an object
    // over a label, a global over a weak over a local, then, as perf chooses, the name with the
    // fewest leading underscores and the shortest ("malloc" over "__libc_malloc"), then the
    // first in the table.
    std::sort(all.begin(), all.end(), [](const Symbol& a, const Symbol& b) {
        if (a.addr != b.addr) return a.addr < b.addr;
        if ((a.size == 0) != (b.size == 0)) return a.size != 0;
        if (a.size != b.size) return a.size > b.size;
        if (a.type_rank != b.type_rank) return a.type_rank < b.type_rank;
        if (a.bind_rank != b.bind_rank) return a.bind_rank < b.bind_rank;
        const std::size_t ua = a.name.find_first_not_of('_'), ub = b.name.find_first_not_of('_');
        if (ua != ub) return ua < ub;
        if (a.name.size() != b.name.size()) return a.name.size() < b.name.size();
        return a.order < b.order;
    });
    for (const Symbol& s : all)
        if (symbols.empty() || symbols.back().addr != s.addr) symbols.push_back(s);
    covered.resize(symbols.size());
    std::uint32_t best = UINT32_MAX;
    for (std::size_t i = 0; i < symbols.size(); ++i) {
        const Symbol& s = symbols[i];
        if (s.size > 0 &&
            (best == UINT32_MAX || s.addr + s.size > symbols[best].addr + symbols[best].size))
            best = static_cast<std::uint32_t>(i);
        covered[i] = best;
    }
}

void ObjectSymbols::Impl::read_sections(Elf* main_elf) {
    std::size_t shstrndx = 0;
    if (elf_getshdrstrndx(main_elf, &shstrndx) != 0) return;
    for (Elf_Scn* scn = elf_nextscn(main_elf, nullptr); scn != nullptr;
         scn = elf_nextscn(main_elf, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) == nullptr || !(shdr.sh_flags & SHF_ALLOC) ||
            shdr.sh_size == 0)
            continue;
        // A TLS bss (.tbss) takes no addresses of its own.
        if ((shdr.sh_flags & SHF_TLS) && shdr.sh_type == SHT_NOBITS) continue;
        if (shdr.sh_addr > UINT64_MAX - shdr.sh_size) continue;
        const char* name = elf_strptr(main_elf, shstrndx, shdr.sh_name);
        sections.push_back({shdr.sh_addr, shdr.sh_size, name != nullptr ? name : "",
                            (shdr.sh_flags & SHF_EXECINSTR) != 0});
    }
    std::stable_sort(sections.begin(), sections.end(),
                     [](const SectionRange& a, const SectionRange& b) { return a.addr < b.addr; });
    std::uint64_t running = 0;
    for (const SectionRange& s : sections) {
        running = std::max(running, s.addr + s.size);
        section_max_end.push_back(running);
    }
}

std::uint32_t ObjectSymbols::symbol_index(std::uint64_t vaddr) const {
    const auto& syms = impl_->symbols;
    const std::size_t count =
        at_or_below(syms, vaddr, impl_->symbol_guess, [](const Symbol& s) { return s.addr; });
    if (count == 0) return 0;
    const std::size_t below = count - 1;
    const Symbol& s = syms[below];
    if (s.size > 0 && vaddr - s.addr < s.size) return static_cast<std::uint32_t>(below) + 1;
    // A sized symbol that began earlier and reaches past vaddr beats a label or a symbol that
    // ended before it.
    const std::uint32_t cover = impl_->covered[below];
    if (cover != UINT32_MAX && vaddr - syms[cover].addr < syms[cover].size) return cover + 1;
    return static_cast<std::uint32_t>(below) + 1;
}

WhereSymbol ObjectSymbols::symbol(std::uint32_t index, std::uint64_t vaddr) const {
    if (index == 0) return {};
    const Symbol& s = impl_->symbols[index - 1];
    WhereSymbol w;
    w.name = s.name;
    w.file = s.file;
    w.value = s.addr;
    w.offset = vaddr - s.addr;
    w.size = s.size;
    w.source = s.source;
    w.match = s.size == 0         ? SymbolMatch::Label
              : w.offset < s.size ? SymbolMatch::Inside
                                  : SymbolMatch::Nearest;
    return w;
}

std::optional<std::uint64_t> ObjectSymbols::find_symbol(std::string_view name,
                                                        bool global_only) const {
    const auto& v = impl_->by_name;
    auto it = std::lower_bound(v.begin(), v.end(), name,
                               [](const Symbol& s, std::string_view n) { return s.name < n; });
    for (; it != v.end() && it->name == name; ++it)
        if (it->global || !global_only) return it->addr;
    return std::nullopt;
}

std::uint32_t ObjectSymbols::section_index(std::uint64_t vaddr) const {
    const auto& secs = impl_->sections;
    const auto& max_end = impl_->section_max_end;
    // The last section that begins at or below vaddr and holds it.
    for (std::size_t k = at_or_below(secs, vaddr, impl_->section_guess,
                                     [](const SectionRange& s) { return s.addr; });
         k-- > 0;) {
        if (max_end[k] <= vaddr) break;
        if (vaddr - secs[k].addr < secs[k].size) return static_cast<std::uint32_t>(k) + 1;
    }
    return 0;
}

std::string_view ObjectSymbols::section_name(std::uint32_t index) const {
    return index == 0 ? std::string_view() : impl_->sections[index - 1].name;
}

std::uint64_t ObjectSymbols::section_addr(std::uint32_t index) const {
    return index == 0 ? 0 : impl_->sections[index - 1].addr;
}

bool ObjectSymbols::section_is_code(std::uint32_t index) const {
    return index != 0 && impl_->sections[index - 1].code;
}

// ---- DWARF ---------------------------------------------------------------------------------

bool ObjectSymbols::load_lines() {
    if (impl_->lines_tried) return impl_->lines_loaded;
    impl_->lines_tried = true;
    Dwarf_Addr bias = 0;
    Dwarf* dw = dwfl_module_getdwarf(impl_->module, &bias);
    if (dw == nullptr) return false;
    const char* debug_name = nullptr;
    dwfl_module_info(impl_->module, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                     &debug_name);
    const char* main_name = nullptr;
    dwfl_module_info(impl_->module, nullptr, nullptr, nullptr, nullptr, nullptr, &main_name,
                     nullptr);
    if (debug_name != nullptr && (main_name == nullptr || std::strcmp(debug_name, main_name) != 0))
        debug_file_ = debug_name;
    impl_->read_dwarf(dw, bias);
    impl_->lines_loaded = !impl_->lines.empty() || !impl_->scopes.empty();
    return impl_->lines_loaded;
}

void ObjectSymbols::Impl::read_dwarf(Dwarf* dw, Dwarf_Addr bias) {
    // File names as addr2line and llvm-symbolizer print them: libdw joins a name to its
    // directory; a DWARF 5 directory that is relative is relative to the CU's DW_AT_comp_dir,
    // which libdw leaves off ("./malloc" + "malloc.c" under comp_dir "./malloc" is
    // "./malloc/./malloc/malloc.c").
    std::unordered_map<const char*, std::uint32_t> file_ids;
    std::unordered_map<std::string_view, std::uint32_t> file_by_name;
    std::string_view comp_dir;
    int version = 0;
    auto file_id = [&](const char* name) -> std::uint32_t {
        if (name == nullptr) return 0;
        auto [it, fresh] = file_ids.try_emplace(name, static_cast<std::uint32_t>(files.size()));
        if (!fresh) return it->second + 1;
        std::string_view n(name);
        std::string scratch;
        if (!n.starts_with('/') && !comp_dir.empty() &&
            (version >= 5 || !n.starts_with(comp_dir))) {
            scratch = fmt::format("{}/{}", comp_dir, n);
            n = scratch;
        }
        // One entry a name, whichever CU's table it came from.
        auto [named, first] = file_by_name.try_emplace(n, static_cast<std::uint32_t>(files.size()));
        if (first) {
            if (!scratch.empty()) {
                joined.push_back(std::move(scratch));
                n = joined.back();
            }
            // The key must outlive this call: it is the stored name.
            file_by_name.erase(named);
            named = file_by_name.emplace(n, static_cast<std::uint32_t>(files.size())).first;
            files.push_back(n);
        }
        it->second = named->second;
        return it->second + 1;
    };
    struct Range {
        std::uint64_t lo, hi;
        std::uint32_t scope;  // 1 + index
        std::uint32_t depth;
    };
    std::vector<Range> ranges;
    std::vector<Dwarf_Off> line_tables;  // DW_AT_stmt_list offsets read already

    Dwarf_Off off = 0, next = 0;
    std::size_t header = 0;
    Dwarf_Half unit_version = 0;
    while (dwarf_next_unit(dw, off, &next, &header, &unit_version, nullptr, nullptr, nullptr,
                           nullptr, nullptr) == 0) {
        Dwarf_Die cu;
        const bool ok = dwarf_offdie(dw, off + header, &cu) != nullptr;
        off = next;
        if (!ok) continue;
        const int tag = dwarf_tag(&cu);
        if (tag != DW_TAG_compile_unit && tag != DW_TAG_partial_unit) continue;
        version = unit_version;
        comp_dir = die_string(&cu, DW_AT_comp_dir);
        file_ids.clear();

        // Line tables, once each (CUs of a dwz-compressed file may share one).
        Dwarf_Attribute stmt;
        Dwarf_Word stmt_off = 0;
        const bool has_stmt = dwarf_attr(&cu, DW_AT_stmt_list, &stmt) != nullptr &&
                              dwarf_formudata(&stmt, &stmt_off) == 0;
        const bool seen = has_stmt && std::find(line_tables.begin(), line_tables.end(), stmt_off) !=
                                          line_tables.end();
        Dwarf_Lines* table = nullptr;
        std::size_t n = 0;
        if (has_stmt && !seen && dwarf_getsrclines(&cu, &table, &n) == 0) {
            line_tables.push_back(stmt_off);
            for (std::size_t k = 0; k < n; ++k) {
                Dwarf_Line* l = dwarf_onesrcline(table, k);
                Dwarf_Addr addr = 0;
                int line = 0, column = 0;
                bool end = false;
                if (l == nullptr || dwarf_lineaddr(l, &addr) != 0) continue;
                dwarf_lineno(l, &line);
                dwarf_linecol(l, &column);
                dwarf_lineendsequence(l, &end);
                lines.push_back({addr + bias, file_id(dwarf_linesrc(l, nullptr, nullptr)),
                                 static_cast<std::uint32_t>(std::max(line, 0)),
                                 static_cast<std::uint32_t>(std::max(column, 0)), end});
            }
        }
        Dwarf_Files* cu_files = nullptr;
        std::size_t cu_file_count = 0;
        if (dwarf_getsrcfiles(&cu, &cu_files, &cu_file_count) != 0) cu_files = nullptr;

        // Functions and inlined calls, with their nesting: a stack of DIEs, each with the
        // scope it lies in.
        struct Level {
            Dwarf_Die die;
            std::uint32_t scope;  // the innermost function or inlined call around it
            std::uint32_t depth;
        };
        std::vector<Level> stack;
        Dwarf_Die child;
        if (dwarf_child(&cu, &child) == 0) stack.push_back({child, 0, 0});
        while (!stack.empty()) {
            Level& top = stack.back();
            Dwarf_Die die = top.die;
            const std::uint32_t around = top.scope, depth = top.depth;
            // Next time, the sibling.
            if (dwarf_siblingof(&top.die, &top.die) != 0) stack.pop_back();
            const int tag = dwarf_tag(&die);
            std::uint32_t inner = around;
            bool descend = false;
            if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
                descend = true;
                Dwarf_Addr base = 0, lo = 0, hi = 0;
                std::ptrdiff_t r = 0;
                std::uint32_t id = 0;
                while ((r = dwarf_ranges(&die, r, &base, &lo, &hi)) > 0) {
                    if (hi <= lo) continue;
                    if (id == 0) {
                        Scope s;
                        s.name = function_name(&die);
                        s.parent = around;
                        s.inlined = tag == DW_TAG_inlined_subroutine;
                        if (s.inlined) {
                            const std::uint32_t f = die_number(&die, DW_AT_call_file);
                            const char* name = cu_files != nullptr && f < cu_file_count
                                                   ? dwarf_filesrc(cu_files, f, nullptr, nullptr)
                                                   : nullptr;
                            s.call_file = file_id(name);
                            s.call_line = die_number(&die, DW_AT_call_line);
                            s.call_column = die_number(&die, DW_AT_call_column);
                        }
                        scopes.push_back(s);
                        id = static_cast<std::uint32_t>(scopes.size());
                    }
                    ranges.push_back({lo + bias, hi + bias, id, depth});
                }
                if (id != 0) inner = id;
            } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_namespace ||
                       tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
                       tag == DW_TAG_union_type || tag == DW_TAG_module) {
                descend = true;
            }
            if (descend && dwarf_child(&die, &child) == 0)
                stack.push_back({child, inner, inner != around ? depth + 1 : depth});
        }
    }

    // Lines by address; at one address a sequence's end comes before the row that starts the
    // next sequence, and rows keep their order: the last row at or below an address is its line,
    // as addr2line and llvm-symbolizer take it.
    std::stable_sort(lines.begin(), lines.end(), [](const LineRow& a, const LineRow& b) {
        if (a.addr != b.addr) return a.addr < b.addr;
        return a.end && !b.end;
    });

    // Flatten the nested ranges into pieces, each with its innermost scope.
    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
        if (a.lo != b.lo) return a.lo < b.lo;
        if (a.depth != b.depth) return a.depth < b.depth;
        return a.hi > b.hi;
    });
    std::vector<Range> open;
    auto emit = [&](std::uint64_t lo, std::uint32_t scope) {
        if (!pieces.empty() && pieces.back().lo == lo) {
            pieces.back().scope = scope;
            return;
        }
        if (!pieces.empty() && pieces.back().scope == scope) return;
        pieces.push_back({lo, scope});
    };
    auto close_until = [&](std::uint64_t x) {
        while (!open.empty() && open.back().hi <= x) {
            const std::uint64_t hi = open.back().hi;
            open.pop_back();
            emit(hi, open.empty() ? 0 : open.back().scope);
        }
    };
    for (Range r : ranges) {
        close_until(r.lo);
        // A range that pokes out of the one around it (broken DWARF, or two functions at a
        // discarded address) is cut to it.
        if (!open.empty() && r.hi > open.back().hi) r.hi = open.back().hi;
        if (r.hi <= r.lo) continue;
        emit(r.lo, r.scope);
        open.push_back(r);
    }
    close_until(UINT64_MAX);
}

std::uint32_t ObjectSymbols::line_index(std::uint64_t vaddr) const {
    const auto& rows = impl_->lines;
    const std::size_t count =
        at_or_below(rows, vaddr, impl_->line_guess, [](const LineRow& r) { return r.addr; });
    if (count == 0 || rows[count - 1].end) return 0;
    return static_cast<std::uint32_t>(count);
}

std::uint32_t ObjectSymbols::scope_index(std::uint64_t vaddr) const {
    const auto& p = impl_->pieces;
    const std::size_t count =
        at_or_below(p, vaddr, impl_->piece_guess, [](const ScopePiece& s) { return s.lo; });
    return count == 0 ? 0 : p[count - 1].scope;
}

void ObjectSymbols::frames(std::uint32_t line, std::uint32_t scope,
                           std::vector<SourceFrame>& out) const {
    out.clear();
    const auto file_name = [&](std::uint32_t id) {
        return id == 0 ? std::string_view() : impl_->files[id - 1];
    };
    SourceFrame f;
    if (line != 0) {
        const LineRow& r = impl_->lines[line - 1];
        f.file = file_name(r.file);
        f.line = r.line;
        f.column = r.column;
    }
    if (scope == 0) {
        if (line != 0) out.push_back(f);
        return;
    }
    // Bounded by the number of scopes: a parent always has a smaller index than its child.
    for (std::size_t guard = 0; scope != 0 && guard <= impl_->scopes.size(); ++guard) {
        const Scope& s = impl_->scopes[scope - 1];
        f.function = s.name;
        f.inlined = s.inlined;
        out.push_back(f);
        if (!s.inlined) break;
        f = SourceFrame{};
        f.file = file_name(s.call_file);
        f.line = s.call_line;
        f.column = s.call_column;
        if (s.parent == 0) {
            out.push_back(f);  // a call site with no function around it (broken DWARF)
            break;
        }
        scope = s.parent;
    }
}

WhereSymbol ObjectSymbols::dwarf_symbol(std::uint32_t scope, std::uint64_t vaddr) const {
    // The outermost scope is the subprogram the code belongs to.
    std::uint32_t outer = 0;
    for (std::size_t guard = 0; scope != 0 && guard <= impl_->scopes.size(); ++guard) {
        outer = scope;
        scope = impl_->scopes[scope - 1].parent;
    }
    if (outer == 0 || impl_->scopes[outer - 1].name.empty()) return {};
    // Its start: the lowest piece of it at or below vaddr.
    const auto& p = impl_->pieces;
    auto it = std::upper_bound(p.begin(), p.end(), vaddr,
                               [](std::uint64_t a, const ScopePiece& s) { return a < s.lo; });
    std::uint64_t start = vaddr;
    while (it != p.begin()) {
        --it;
        // Walk down while the piece belongs to the subprogram (itself or a scope inside it).
        std::uint32_t s = it->scope;
        bool inside = false;
        for (std::size_t guard = 0; s != 0 && guard <= impl_->scopes.size(); ++guard) {
            if (s == outer) {
                inside = true;
                break;
            }
            s = impl_->scopes[s - 1].parent;
        }
        if (!inside) break;
        start = it->lo;
    }
    WhereSymbol w;
    w.name = impl_->scopes[outer - 1].name;
    w.value = start;
    w.offset = vaddr - start;
    w.source = SymbolSource::Dwarf;
    w.match = SymbolMatch::Inside;
    return w;
}

}  // namespace vmatlas::symbolize
