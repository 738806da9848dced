// The Locator (vmatlas/where.hpp): an address's row, object, segment, section, symbol and lines,
// through the object table the annotators named the rows from (annotate/objects.hpp), and each
// object's symbols and lines read once (object_symbols.hpp).
#include "vmatlas/where.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <bit>
#include <numeric>
#include <utility>

#include <fmt/format.h>

#include "annotate/objects.hpp"
#include "sources/text.hpp"
#include "symbolize/object_symbols.hpp"

namespace vmatlas {

std::string_view to_string(SymbolSource s) {
    switch (s) {
        case SymbolSource::Symtab:
            return "symtab";
        case SymbolSource::Dynsym:
            return "dynsym";
        case SymbolSource::MiniDebugInfo:
            return "minidebuginfo";
        case SymbolSource::Dwarf:
            return "dwarf";
    }
    return "";
}

std::string_view to_string(SymbolMatch m) {
    switch (m) {
        case SymbolMatch::Inside:
            return "inside";
        case SymbolMatch::Label:
            return "label";
        case SymbolMatch::Nearest:
            return "nearest";
    }
    return "";
}

namespace detail {

namespace {

std::string_view basename_of(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

constexpr std::uint32_t kNone = UINT32_MAX;

// An address and its position in the batch.
struct Keyed {
    Addr a;
    std::uint32_t k;
};

// The addresses with their positions, in address order, equal ones in the order given: input in
// order as it is, else an LSD radix sort on the bits in which the addresses differ (11 at a time:
// a batch of libc's text differs in some 21 bits, three passes). Sorted with their positions, the
// addresses are then read in order, not through a permutation.
std::vector<Keyed> address_order(std::span<const Addr> addrs) {
    const std::size_t n = addrs.size();
    std::vector<Keyed> order(n);
    for (std::size_t k = 0; k < n; ++k) order[k] = {addrs[k], static_cast<std::uint32_t>(k)};
    if (std::is_sorted(addrs.begin(), addrs.end())) return order;
    const auto [lo, hi] = std::minmax_element(addrs.begin(), addrs.end());
    const int bits = std::bit_width(*hi - *lo);
    constexpr int kDigit = 11;
    std::vector<Keyed> other(n);
    std::vector<std::uint32_t> count(std::size_t{1} << kDigit);
    for (int shift = 0; shift < bits; shift += kDigit) {
        const auto digit = [&](const Keyed& e) {
            return static_cast<std::size_t>((e.a - *lo) >> shift) & ((1u << kDigit) - 1);
        };
        std::fill(count.begin(), count.end(), 0u);
        for (const Keyed& e : order) ++count[digit(e)];
        std::uint32_t sum = 0;
        for (std::uint32_t& c : count) sum += std::exchange(c, sum);
        for (const Keyed& e : order) other[count[digit(e)]++] = e;
        order.swap(other);
    }
    return order;
}

}  // namespace

class LocatorImpl {
  public:
    LocatorImpl(const NamedMap& map, LocatorOptions options);

    void locate(Addr a, WhereAnswer& out) {
        const Resolved r = resolve_address(a);
        fill(r, a, out);
    }
    void locate_batch(std::span<const Addr> addresses,
                      const std::function<void(std::size_t, const WhereAnswer&)>& answer);
    Result<Addr> resolve(std::string_view expression);

    std::vector<std::string> warnings;

  private:
    // What an object is called and where it is loaded, and its symbols once read.
    struct Object {
        std::string_view path, name;
        std::optional<Addr> base;
        bool tried = false;
        std::unique_ptr<symbolize::ObjectSymbols> symbols;
    };
    // One address, resolved: indices only, so that a batch is searched in address order and
    // answered in its own.
    struct Resolved {
        std::uint32_t row = kNone;     // kNone: in a hole
        std::uint32_t object = kNone;  // index into objects_
        std::uint32_t symbol = 0, section = 0, line = 0, scope = 0;
    };

    Resolved resolve_address(Addr a);
    // The object's vaddr of address a in row `row` of object `object`, when the rows tell.
    std::optional<std::uint64_t> vaddr_of(std::uint32_t row, std::uint32_t object, Addr a) const;
    void fill(const Resolved& r, Addr a, WhereAnswer& out);
    symbolize::ObjectSymbols* symbols_of(std::uint32_t object);
    const MappedObject& mapped(std::uint32_t object) const { return table_->objects[object]; }

    const NamedMap& map_;
    LocatorOptions options_;
    std::shared_ptr<const ObjectTable> table_;
    std::vector<Object> objects_;
    std::size_t last_row_ = SIZE_MAX;  // the row the last address resolved was in
};

LocatorImpl::LocatorImpl(const NamedMap& map, LocatorOptions options)
    : map_(map), options_(options), table_(map.objects) {
    const AddressSpace& space = map.space;
    if (!table_) {
        // A target that brought its own names: its objects are found as the annotators would.
        AnnotateContext ctx;
        ctx.objects = map.object_reader.get();
        auto table = std::make_shared<ObjectTable>(collect_objects(space, ctx, false, warnings));
        // An ELF image target is the file it was read from, whatever its name.
        if (map.kind == TargetKind::ElfImage)
            for (MappedObject& obj : table->objects)
                if (obj.file.empty()) obj.file = std::string(space.paths().get(obj.key.path));
        // Its bss rows belong to it as their labels say.
        for (std::size_t i = 0; i < space.size() && i < map.notes.labels.size(); ++i) {
            const PathId owner = map.notes.labels[i].object;
            if (owner == kNoPath || table->of_row[i] != 0) continue;
            for (const MappedObject& obj : table->objects)
                if (obj.key.path == owner) {
                    table->attach(i, obj);
                    break;
                }
        }
        table_ = std::move(table);
    }
    objects_.resize(table_->objects.size());
    for (std::size_t k = 0; k < objects_.size(); ++k) {
        const MappedObject& obj = table_->objects[k];
        Object& o = objects_[k];
        o.path = space.paths().get(obj.key.path);
        o.name = basename_of(o.path);
        // The base: where file offset 0 is, through the first PT_LOAD under the bias; else the
        // lowest row that maps offset 0, else the lowest row less its offset.
        if (obj.layout && obj.bias && !obj.layout->loads.empty()) {
            const Load& first = obj.layout->loads.front();
            o.base = *obj.bias + first.mem_lo - first.file_lo;
        } else {
            for (std::size_t i : obj.rows)
                if (raw(space[i].offset) == 0) {
                    o.base = space[i].start;
                    break;
                }
            if (!o.base) {
                const Mapping& m = space[obj.rows.front()];
                if (raw(m.offset) <= m.start) o.base = m.start - raw(m.offset);
            }
        }
    }
}

symbolize::ObjectSymbols* LocatorImpl::symbols_of(std::uint32_t object) {
    Object& o = objects_[object];
    if (o.tried) return o.symbols.get();
    o.tried = true;
    const MappedObject& obj = mapped(object);
    if (!obj.layout || obj.file.empty()) return nullptr;
    std::string why;
    o.symbols = symbolize::ObjectSymbols::open(obj.file, o.path, why);
    // A live process's map_files go with it: the file by its path, when it is still the one.
    struct stat st;
    if (!o.symbols && obj.file.starts_with("/proc/") && o.path.starts_with('/') &&
        ::stat(std::string(o.path).c_str(), &st) == 0 &&
        static_cast<std::uint64_t>(st.st_ino) == obj.key.inode &&
        major(st.st_dev) == obj.key.dev_major && minor(st.st_dev) == obj.key.dev_minor)
        o.symbols = symbolize::ObjectSymbols::open(std::string(o.path), o.path, why);
    if (!o.symbols)
        warnings.push_back(fmt::format("{}: no symbols: {}", o.path, why));
    else if (options_.lines)
        o.symbols->load_lines();
    return o.symbols.get();
}

LocatorImpl::Resolved LocatorImpl::resolve_address(Addr a) {
    Resolved r;
    const AddressSpace& space = map_.space;
    // Addresses in order mostly fall in the row the last one did.
    std::optional<std::size_t> row;
    if (last_row_ < space.size() && space[last_row_].contains(a))
        row = last_row_;
    else
        row = space.find(a);
    if (!row) return r;
    last_row_ = *row;
    r.row = static_cast<std::uint32_t>(*row);
    const MappedObject* obj = table_->object_of(*row);
    if (obj == nullptr) return r;
    r.object = static_cast<std::uint32_t>(obj - table_->objects.data());
    const auto vaddr = vaddr_of(r.row, r.object, a);
    if (!vaddr) return r;
    symbolize::ObjectSymbols* syms = symbols_of(r.object);
    if (syms == nullptr) return r;
    r.symbol = syms->symbol_index(*vaddr);
    r.section = syms->section_index(*vaddr);
    // Lines and subprograms are asked of code only: the DWARF of functions the linker dropped
    // can claim ranges from 0, over the headers and data (addr2line says ?? there too).
    if (options_.lines && syms->section_is_code(r.section) && syms->load_lines()) {
        r.line = syms->line_index(*vaddr);
        r.scope = syms->scope_index(*vaddr);
    }
    return r;
}

std::optional<std::uint64_t> LocatorImpl::vaddr_of(std::uint32_t row, std::uint32_t object,
                                                   Addr a) const {
    const Mapping& m = map_.space[row];
    const MappedObject& obj = mapped(object);
    const auto vstart = obj.row_vaddr(m, object_key(m) == obj.key);
    if (!vstart) return std::nullopt;
    return *vstart + (a - m.start);
}

void LocatorImpl::fill(const Resolved& r, Addr a, WhereAnswer& out) {
    const AddressSpace& space = map_.space;
    out.address = a;
    out.row.reset();
    out.hole_start = out.hole_end = 0;
    out.below.reset();
    out.above.reset();
    out.image_name = out.image_path = {};
    out.image_base.reset();
    out.mapping_offset = 0;
    out.file_offset.reset();
    out.elf_vaddr.reset();
    out.segment.reset();
    out.segment_offset.reset();
    out.section = {};
    out.section_offset.reset();
    out.symbol = {};
    out.frames.clear();
    out.build_id = out.debug_file = {};

    if (r.row == kNone) {
        const std::size_t next = space.lower_bound(a);
        out.hole_start = next > 0 ? space[next - 1].end : 0;
        out.hole_end = next < space.size() ? space[next].start : UINT64_MAX;
        if (next > 0) out.below = next - 1;
        if (next < space.size()) out.above = next;
        return;
    }
    out.row = r.row;
    const Mapping& m = space[r.row];
    out.mapping_offset = a - m.start;
    const MappedObject* obj = r.object == kNone ? nullptr : &mapped(r.object);
    if (obj != nullptr && object_key(m) == obj->key)
        out.file_offset = raw(m.offset) + (a - m.start);
    if (obj == nullptr) return;
    const Object& o = objects_[r.object];
    out.image_name = o.name;
    out.image_path = o.path;
    out.image_base = o.base;
    const auto vaddr = vaddr_of(r.row, r.object, a);
    if (!vaddr) return;
    out.elf_vaddr = vaddr;
    if (const Load* l = obj->layout->load_of_vaddr(*vaddr)) {
        out.segment = l->index;
        out.segment_offset = *vaddr - l->ph->vaddr;
    }
    const symbolize::ObjectSymbols* syms = o.symbols.get();
    if (syms == nullptr) return;
    out.build_id = syms->build_id();
    out.debug_file = syms->debug_file();
    if (r.section != 0) {
        out.section = syms->section_name(r.section);
        out.section_offset = *vaddr - syms->section_addr(r.section);
    }
    out.symbol = syms->symbol(r.symbol, *vaddr);
    if (r.scope != 0 && (!out.symbol.found() || out.symbol.match != SymbolMatch::Inside))
        if (WhereSymbol d = syms->dwarf_symbol(r.scope, *vaddr); d.found()) out.symbol = d;
    // Symbols are the object's; the process sees them moved by the row's placement.
    if (out.symbol.found()) out.symbol.value = a - out.symbol.offset;
    if (r.line != 0 || r.scope != 0) syms->frames(r.line, r.scope, out.frames);
}

void LocatorImpl::locate_batch(std::span<const Addr> addresses,
                               const std::function<void(std::size_t, const WhereAnswer&)>& answer) {
    const std::vector<Keyed> order = address_order(addresses);
    std::vector<Resolved> resolved(addresses.size());
    Resolved last;
    for (std::size_t k = 0; k < order.size(); ++k) {
        // Equal addresses, resolved once.
        if (k == 0 || order[k - 1].a != order[k].a) last = resolve_address(order[k].a);
        resolved[order[k].k] = last;
    }
    WhereAnswer out;
    for (std::size_t k = 0; k < addresses.size(); ++k) {
        fill(resolved[k], addresses[k], out);
        answer(k, out);
    }
}

Result<Addr> LocatorImpl::resolve(std::string_view expression) {
    const auto expr = text::parse_address_expr(expression);
    const std::string_view shown = text::trim_blanks(expression);
    if (!expr) {
        if (shown.empty()) return make_error(ErrorKind::Usage, "an empty address");
        return make_error(ErrorKind::Usage,
                          fmt::format("'{}' is past the top of the address space", shown));
    }
    if (expr->term.empty()) return expr->value;
    const std::string_view term = expr->term;
    const std::uint64_t offset = expr->value;
    auto plus = [&](Addr base, std::string_view what) -> Result<Addr> {
        if (base > UINT64_MAX - offset)
            return make_error(
                ErrorKind::Usage,
                fmt::format("{} + {:#x} is past the top of the address space", what, offset));
        return base + offset;
    };
    if (term.front() >= '0' && term.front() <= '9')
        return make_error(ErrorKind::Usage,
                          fmt::format("'{}' is not a number (0x for hex, a leading 0 for octal, "
                                      "else decimal)",
                                      term));

    // A vmatlas name: the row it names, when one row has it.
    const AddressSpace& space = map_.space;
    std::optional<std::size_t> named;
    std::size_t named_count = 0;
    for (std::size_t i = 0; i < space.size() && i < map_.notes.labels.size(); ++i)
        if (std::string_view(map_.notes.labels[i].name) == term) {
            if (named_count++ == 0) named = i;
        }
    if (named_count == 1) return plus(space[*named].start, term);

    // A module: its path, its file name, or the start of its file name up to '.' or '-'.
    for (int level = 0; level < 3; ++level) {
        std::vector<std::uint32_t> hits;
        for (std::uint32_t k = 0; k < objects_.size(); ++k) {
            const Object& o = objects_[k];
            const bool hit = level == 0 ? o.path == term
                             : level == 1
                                 ? o.name == term
                                 : o.name.size() > term.size() && o.name.starts_with(term) &&
                                       (o.name[term.size()] == '.' || o.name[term.size()] == '-');
            if (hit && o.base) hits.push_back(k);
        }
        // One object may be mapped under two paths only as two objects: distinct paths differ.
        if (hits.size() == 1) return plus(*objects_[hits[0]].base, term);
        if (hits.size() > 1) {
            std::string list;
            for (std::uint32_t k : hits)
                list += fmt::format("{}{}", list.empty() ? "" : ", ", objects_[k].path);
            return make_error(
                ErrorKind::Usage,
                fmt::format("'{}' names {} objects: {}; give its path", term, hits.size(), list));
        }
    }

    // A symbol: a global one in any object (in address order), then a local one.
    for (const bool global_only : {true, false}) {
        for (std::uint32_t k = 0; k < objects_.size(); ++k) {
            symbolize::ObjectSymbols* syms = symbols_of(k);
            if (syms == nullptr) continue;
            const auto vaddr = syms->find_symbol(term, global_only);
            if (!vaddr) continue;
            const MappedObject& obj = mapped(k);
            if (!obj.bias) continue;
            return plus(*obj.bias + *vaddr, term);
        }
    }
    if (named_count > 1)
        return make_error(ErrorKind::Usage,
                          fmt::format("'{}' names {} rows; give an address", term, named_count));
    return make_error(
        ErrorKind::Usage,
        fmt::format("'{}' is no address, and no module, symbol or name of the map", term));
}

}  // namespace detail

Locator::Locator(const NamedMap& map, LocatorOptions options)
    : impl_(std::make_unique<detail::LocatorImpl>(map, options)) {}
Locator::~Locator() = default;
Locator::Locator(Locator&&) noexcept = default;
Locator& Locator::operator=(Locator&&) noexcept = default;

void Locator::locate(Addr a, WhereAnswer& out) {
    impl_->locate(a, out);
}

void Locator::locate_batch(std::span<const Addr> addresses,
                           const std::function<void(std::size_t, const WhereAnswer&)>& answer) {
    impl_->locate_batch(addresses, answer);
}

Result<Addr> Locator::resolve(std::string_view expression) {
    return impl_->resolve(expression);
}

const std::vector<std::string>& Locator::warnings() const {
    return impl_->warnings;
}

}  // namespace vmatlas
