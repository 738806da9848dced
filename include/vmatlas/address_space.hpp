// AddressSpace: the one model every source fills and every view reads.
//
// Contract: mappings() is sorted by start, non-overlapping, and every mapping has start < end.
// Paths are interned once. Per-mapping figures (from smaps) are optional and, when present, run
// parallel to mappings(). Every row a source read is accounted for in rows(): kept, superseded by
// a newer row for the same addresses, or rejected as malformed. check_invariants() verifies all
// of it and is called by the tests on every address space they build.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vmatlas/mapping.hpp"
#include "vmatlas/short_text.hpp"

namespace vmatlas {

// Interns strings: equal strings get equal ids; id 0 is the empty string.
class StringPool {
  public:
    StringPool();
    StringPool(const StringPool&);
    StringPool& operator=(const StringPool&);
    StringPool(StringPool&&) noexcept = default;
    StringPool& operator=(StringPool&&) noexcept = default;

    PathId intern(std::string_view s);
    std::string_view get(PathId id) const { return strings_[id]; }
    std::size_t size() const { return strings_.size(); }
    std::size_t bytes() const { return bytes_; }

  private:
    void reindex();

    std::deque<std::string> strings_;  // a deque so that string_views into it stay valid
    std::unordered_map<std::string_view, PathId> index_;
    std::size_t bytes_ = 0;
};

// The smaps figures of one mapping, in bytes (or as the kernel gives them).
struct Figures {
    std::uint64_t rss = 0, pss = 0, pss_dirty = 0;
    std::uint64_t shared_clean = 0, shared_dirty = 0, private_clean = 0, private_dirty = 0;
    std::uint64_t referenced = 0, anonymous = 0, ksm = 0, lazy_free = 0;
    std::uint64_t anon_huge = 0, shmem_pmd = 0, file_pmd = 0, shared_hugetlb = 0,
                  private_hugetlb = 0;
    std::uint64_t swap = 0, swap_pss = 0, locked = 0;
    std::uint64_t kernel_page_size = 0, mmu_page_size = 0;
    bool thp_eligible = false;
    ShortText vm_flags;  // "rd wr mr mw me ac sd"

    friend bool operator==(const Figures&, const Figures&) = default;
};

// Whether a figure counts bytes of its own mapping, so that it is at most the mapping's size:
// every figure but the page sizes. A source refuses a value past it (a kernel never writes one),
// so that the figures of a map summed never pass 2^64 - 1.
constexpr bool counts_row_bytes(std::uint64_t Figures::*field) {
    return field != &Figures::kernel_page_size && field != &Figures::mmu_page_size;
}

// What a source read: how it is named in every view and in JSON is to_string().
enum class SourceKind : std::uint8_t {
    Procfs,     // "procfs": a live process's /proc/PID/maps or smaps
    MapsText,   // "maps text": saved or pasted maps rows
    SmapsText,  // "smaps text": a saved smaps file, with its figures
    Core,       // "core": an ELF core file's headers and notes
    ElfImage,   // "elf image": the map an ELF file would create when loaded
    Regions,    // "regions": regions described by hand
    GuestDump,  // "guest dump": a QEMU guest memory dump's page tables (docs/page-tables.md)
    LiveGuest,  // "live guest": a running QEMU guest's page tables, read through its gdbstub
    QemuUser,   // "qemu user": a QEMU user-mode guest's map, from the QEMU process's own
};

std::string_view to_string(SourceKind kind);

// Where an address space came from, for the header of every view and for JSON.
struct SourceInfo {
    SourceKind kind = SourceKind::MapsText;
    std::string origin;  // "/proc/1234/maps", a file name, "-" for stdin
    int pid = 0;         // 0 when unknown
    std::string process_name;
    // When the map was taken (ISO 8601, UTC) and on which kernel ("Linux 6.18.44"), when the
    // source knows: a snapshot keeps what its writer recorded; empty otherwise.
    std::string time, kernel;
    // The process's command line, its arguments separated by single spaces (a space inside an
    // argument cannot be told from one between two), when the source knows it: a live process's
    // /proc/PID/cmdline, a core's NT_PRPSINFO pr_psargs (the kernel keeps its first 79 bytes), a
    // snapshot's. Empty otherwise, and for a process whose command line is empty.
    std::string arguments;
    // How the source told the process's rows from others, when it had to (a QEMU user-mode
    // guest's: the guest base and which of QEMU's rows are the guest's); empty otherwise.
    std::string method;
};

// What happened to each row a source read.
struct RowAccount {
    std::size_t read = 0;        // rows the source produced (well-formed or not)
    std::size_t kept = 0;        // rows in mappings()
    std::size_t superseded = 0;  // dropped because a later row covered the same addresses
    std::size_t rejected = 0;    // malformed rows the parser reported and skipped
};

// A problem that did not stop the source: a malformed row, an overlap resolved.
struct Diagnostic {
    std::size_t line = 0;    // 1-based, 0 when not about a line
    std::size_t column = 0;  // 1-based byte column, 0 when not about a column
    std::string message;
};

// What a partial map lost, which decides the command's exit status (docs/exit-status.md: 5 for
// Exited, 9 for Input). A map is partial when it lost anything; the diagnostics say what.
enum class Loss : std::uint8_t {
    None,    // every row read is in the map or was replaced by a newer reading of its addresses
    Input,   // rows rejected or dropped for overlapping, figures refused, or part of the input
             // unreadable (a core cut short, a broken note, text that ends in bytes that are not)
    Exited,  // the process exited while its map was read: rows after the last one read may be
             // missing (what was read is kept)
};

// At most this many diagnostics are kept; past it they are counted, and one more says how many
// were not kept, so that text full of bad rows costs memory for the rows kept, not for each bad
// one.
inline constexpr std::size_t kMaxDiagnostics = 1000;

namespace detail {
struct LookupIndex;  // src/model/lookup_index.hpp
}  // namespace detail

class AddressSpace {
  public:
    const std::vector<Mapping>& mappings() const { return mappings_; }
    std::size_t size() const { return mappings_.size(); }
    bool empty() const { return mappings_.empty(); }
    const Mapping& operator[](std::size_t i) const { return mappings_[i]; }

    std::string_view path(const Mapping& m) const { return paths_.get(m.path); }
    const StringPool& paths() const { return paths_; }

    // Optional smaps figures, parallel to mappings(); empty when not read.
    const std::vector<Figures>& figures() const { return figures_; }
    void set_figures(std::vector<Figures> f) { figures_ = std::move(f); }

    const SourceInfo& source() const { return source_; }
    SourceInfo& source() { return source_; }
    const RowAccount& rows() const { return rows_; }
    const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
    // What the map lost; None for a whole map. Rows rejected as malformed are a loss of Input;
    // so are rows dropped for overlapping a later row, except in a live process's map, where the
    // later row is a newer reading of the same addresses (the map changed while it was read).
    Loss loss() const {
        if (loss_ == Loss::None && rows_.rejected > 0) return Loss::Input;
        return loss_;
    }
    // Part of the input could not be read: what could be read is here, and the diagnostics say
    // what is missing. Every view says so (JSON "partial", the exit status).
    bool partial() const { return loss() != Loss::None; }
    // The same as partial(), by the name a snapshot's account gives it.
    bool incomplete() const { return partial(); }

    // A 64-bit digest of every row (addresses, perms, offset, device, inode, path): two address
    // spaces with equal generations hold the same map. Cheap to compare, like FreeBSD's
    // PT_VM_TIMESTAMP, and stable across runs. Computed on first use.
    std::uint64_t generation() const;

    // Index of the mapping that contains a, if any. O(log n). The first look-up builds an index
    // (about 8.5 bytes a mapping); an AddressSpace is not to be searched from two threads at
    // once before that.
    std::optional<std::size_t> find(Addr a) const;
    // Index of the first mapping whose end is above a (the one containing a, or the next one).
    std::size_t lower_bound(Addr a) const;

    // Heap bytes used by this object, for the "bytes per mapping" goal.
    std::size_t memory_bytes() const;

  private:
    friend class AddressSpaceBuilder;

    std::vector<Mapping> mappings_;
    StringPool paths_;
    std::vector<Figures> figures_;
    SourceInfo source_;
    RowAccount rows_;
    std::vector<Diagnostic> diagnostics_;
    Loss loss_ = Loss::None;
    mutable std::optional<std::uint64_t> generation_;
    const detail::LookupIndex& index() const;
    // Built on the first look-up; shared by copies, as they hold the same mappings.
    mutable std::shared_ptr<const detail::LookupIndex> index_;
};

// Collects rows in the order a source read them, then sorts them and resolves overlaps. When two
// rows overlap, the one read later wins: /proc/PID/maps is not read atomically, and a mapping that
// changed between two read(2) calls is printed again, newer, after the old one. For a live
// process (source kind Procfs) that is all; for every other source the dropped rows are a loss
// of Input (the map is partial).
//
// A row may carry its smaps figures; they stay with their row through sorting and overlap
// resolution. When any row was added with figures, the address space has figures for every kept
// row (zero for a row added without).
class AddressSpaceBuilder {
  public:
    explicit AddressSpaceBuilder(SourceInfo source);

    PathId intern(std::string_view path) { return space_.paths_.intern(path); }
    void add(const Mapping& m) { rows_.push_back(m); }
    void add(const Mapping& m, Figures f);
    // The rows added so far.
    std::size_t added() const { return rows_.size(); }
    // Records a malformed row that the source skipped.
    void reject(Diagnostic d);
    // Records a diagnostic (at most kMaxDiagnostics are kept; the rest are counted).
    void warn(Diagnostic d);
    // Carries an earlier reading's account into this one, as it was (a snapshot restores its
    // map; --add rebuilds one): its rejected and superseded rows count again, without the rows;
    // its diagnostics are added in order; what it lost stays lost (superseded rows of a source
    // other than a live process included). Only rows this builder supersedes itself get a new
    // sentence.
    void carry(const RowAccount& account, std::vector<Diagnostic> diagnostics, Loss loss);
    // Counts n diagnostics a reader did not keep itself (it keeps at most kMaxDiagnostics).
    void count_unkept(std::size_t n) { unkept_diagnostics_ += n; }
    // Records that part of the input could not be read (not a row: a note, the end of a file, a
    // figure), and why. Exited outweighs Input.
    void lose(Diagnostic d, Loss cause = Loss::Input);
    void reserve(std::size_t n) { rows_.reserve(n); }

    AddressSpace build() &&;

  private:
    AddressSpace space_;
    std::vector<Mapping> rows_;
    std::vector<Figures> row_figures_;  // parallel to rows_ (short of it when added without)
    void mark(Loss cause);
    // Adds the sentence that says how many diagnostics were not kept, if any were not.
    void note_unkept_diagnostics();
    // Whether rows dropped for overlapping are lost: not in a live process's map.
    bool overlaps_lose_rows() const;

    std::size_t rejected_ = 0;
    std::size_t carried_superseded_ = 0;
    std::size_t unkept_diagnostics_ = 0;  // past kMaxDiagnostics
};

// Every broken invariant, one sentence each; empty when the address space is sound.
std::vector<std::string> check_invariants(const AddressSpace& space);

}  // namespace vmatlas
