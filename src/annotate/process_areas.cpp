// Kernel areas of a process whose map does not carry the kernel's names (a core file): found from
// the facts the target recorded (auxiliary vector, thread registers) and from where the kernel
// puts them.
#include <optional>
#include <string_view>

#include "annotate/stages.hpp"

namespace vmatlas {

namespace {

// x86-64's legacy vsyscall page: always at this address, one page.
constexpr Addr kVsyscall = 0xffffffffff600000;
// The kernel starts the brk heap at most this far above the executable's end: x86-64's
// arch_randomize_brk picks a page in the next 1 GiB (32 MiB for a 32-bit process), arm64's in the
// next 32 MiB (4 GiB with large address spaces); a page of gap comes first.
constexpr Addr kBrkRange = Addr{4} << 30;

class Namer {
  public:
    Namer(const AddressSpace& space, Annotations& notes) : space_(space), notes_(notes) {}

    // A row nothing has named but pwndbg's [anon_...] guess.
    bool unnamed(std::size_t i) const {
        return space_.path(space_[i]).empty() && notes_.labels[i].source == NameSource::Heuristic;
    }
    void name(std::size_t i, std::string_view n, NameSource source) {
        notes_.labels[i] = {std::string(n), source, kNoPath};
    }
    // The unnamed row that ends where row i starts.
    std::optional<std::size_t> unnamed_below(std::size_t i) const {
        if (i == 0 || space_[i - 1].end != space_[i].start || !unnamed(i - 1)) return std::nullopt;
        return i - 1;
    }

  private:
    const AddressSpace& space_;
    Annotations& notes_;
};

bool read_only(const Mapping& m) {
    return m.perms.access_known() && m.perms.readable() && !m.perms.writable() &&
           !m.perms.executable();
}

void name_vdso(const AddressSpace& space, Addr vdso, Namer& namer) {
    const auto i = space.find(vdso);
    if (!i || space[*i].start != vdso || !namer.unnamed(*i)) return;
    namer.name(*i, "[vdso]", NameSource::Kernel);
    // The kernel's data pages for the vdso sit right below it: [vvar], and since 6.13 also
    // [vvar_vclock] between the two.
    const auto below = namer.unnamed_below(*i);
    if (!below || !read_only(space[*below])) return;
    const auto further = namer.unnamed_below(*below);
    if (further && read_only(space[*further])) {
        namer.name(*further, "[vvar]", NameSource::Heuristic);
        namer.name(*below, "[vvar_vclock]", NameSource::Heuristic);
    } else {
        namer.name(*below, "[vvar]", NameSource::Heuristic);
    }
}

void name_main_stack(const AddressSpace& space, const ProcessFacts& facts, Namer& namer) {
    const int pid = space.source().pid;
    for (const ThreadInfo& t : facts.threads) {
        if (t.tid != pid || !t.sp) continue;
        const auto i = space.find(*t.sp);
        if (i && namer.unnamed(*i) && !space[*i].perms.none())
            namer.name(*i, "[stack]", NameSource::Registers);
    }
}

// The brk heap: the anonymous rw-p row right after the executable (and its bss), no further than
// the kernel's randomization puts it.
void name_brk_heap(const AddressSpace& space, const ProcessFacts& facts, const Annotations& notes,
                   Namer& namer) {
    const std::optional<Addr> in_exe = facts.entry ? facts.entry : facts.phdr;
    if (!in_exe) return;
    const auto first = space.find(*in_exe);
    if (!first || space[*first].path == kNoPath) return;
    const PathId exe = space[*first].path;
    // The executable's rows run on from the one that holds its entry point, its bss last; a
    // copy of part of it mapped elsewhere is not where the heap follows.
    std::size_t last = *first;
    while (last + 1 < space.size() &&
           (space[last + 1].path == exe || notes.labels[last + 1].object == exe))
        ++last;
    const std::size_t next = last + 1;
    if (next >= space.size() || !namer.unnamed(next)) return;
    const Mapping& m = space[next];
    if (m.start - space[last].end > kBrkRange || !m.perms.writable() || m.perms.executable() ||
        !m.perms.sharing_known() || m.perms.shared())
        return;
    namer.name(next, "[heap]", NameSource::Heuristic);
}

}  // namespace

void stages::name_process_areas(const AddressSpace& space, const AnnotateContext& ctx,
                                Annotations& notes) {
    if (ctx.pid > 0 || ctx.facts == nullptr || space.empty()) return;
    const ProcessFacts& facts = *ctx.facts;
    Namer namer(space, notes);
    if (facts.vdso) name_vdso(space, *facts.vdso, namer);
    if (const auto i = space.find(kVsyscall);
        i && space[*i].start == kVsyscall && space[*i].size() == 0x1000 && namer.unnamed(*i))
        namer.name(*i, "[vsyscall]", NameSource::Kernel);
    name_main_stack(space, facts, namer);
    name_brk_heap(space, facts, notes, namer);
}

}  // namespace vmatlas
