// The x86-64 page-table walk (see page_tables.hpp): depth first from CR3, entries in index order,
// so that leaf pages come in ascending virtual order and each joins the row before it or starts
// one.
#include "sources/page_tables.hpp"

#include <array>
#include <set>

#include <fmt/format.h>

namespace vmatlas::paging {

namespace {

constexpr std::uint64_t kPresent = 1ULL << 0;
constexpr std::uint64_t kWrite = 1ULL << 1;
constexpr std::uint64_t kUser = 1ULL << 2;
constexpr std::uint64_t kLarge = 1ULL << 7;  // PS; PAT in a PT entry
constexpr std::uint64_t kGlobal = 1ULL << 8;
constexpr std::uint64_t kNoExec = 1ULL << 63;
constexpr std::uint64_t kAddressBits = 0x000F'FFFF'FFFF'F000ULL;  // bits 51:12
constexpr std::size_t kEntries = 512;
constexpr std::uint64_t kSmallPage = 4096;
// Each kind of problem is said with its details this many times, then counted.
constexpr std::size_t kProblemsSaid = 32;

// Level 5 is a PML5, 1 a PT. Bits of the address a level's index takes: 12 + 9 * (level - 1) up.
constexpr unsigned shift_of(int level) {
    return 12 + 9 * static_cast<unsigned>(level - 1);
}

constexpr std::string_view name_of(int level) {
    constexpr std::array<std::string_view, 6> names{"", "PT", "PD", "PDPT", "PML4", "PML5"};
    return names[static_cast<std::size_t>(level)];
}

std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < 8; ++i) v |= std::uint64_t{p[i]} << (8 * i);
    return v;
}

// The effective rights of the levels above an entry.
struct Rights {
    bool writable = true, user = true, executable = true;
};

// A kind of problem: said with its details kProblemsSaid times, then only counted.
struct ProblemKind {
    std::size_t count = 0;
    bool lost = false;
    std::string_view summary;  // "{} more tables could not be read"
};

class Walker {
  public:
    Walker(PhysicalMemory& memory, const WalkInput& in, WalkResult& out)
        : memory_(memory), in_(in), out_(out), levels_(in.cr4 & kCr4La57 ? 5 : 4) {
        const unsigned bits = in.max_physical_bits < 12   ? 12
                              : in.max_physical_bits > 52 ? 52
                                                          : in.max_physical_bits;
        reserved_ = bits >= 52 ? 0 : (((1ULL << 52) - 1) & ~((1ULL << bits) - 1));
        if (!in.nxe) reserved_ |= kNoExec;
    }

    void run() {
        walk(in_.cr3 & kAddressBits, levels_, 0, Rights{});
        flush();
        finish(unreadable_);
        finish(reserved_seen_);
        finish(loops_);
    }

  private:
    // The table at paddr, at level, whose first entry maps base.
    void walk(std::uint64_t paddr, int level, std::uint64_t base, const Rights& above) {
        if (stopped_) return;
        if (out_.tables_read >= in_.max_tables) {
            stop(
                fmt::format("the walk stopped after reading {} page tables, its bound: the "
                            "addresses from {:#x} on are not shown",
                            out_.tables_read, base));
            return;
        }
        std::array<std::uint8_t, kSmallPage> table;
        ++out_.tables_read;
        const unsigned shift = shift_of(level);
        if (!memory_.read(paddr, table.data(), table.size())) {
            if (level == levels_)
                say(unreadable_, fmt::format("the {} at physical address {:#x}, which CR3 names, "
                                             "is not in the memory: nothing can be shown",
                                             name_of(level), paddr));
            else if (said_unreadable_.insert(paddr).second)
                say(unreadable_,
                    fmt::format("the {} at physical address {:#x} is not in the memory: "
                                "{:#x}-{:#x} is left out",
                                name_of(level), paddr, base,
                                base + (std::uint64_t{1} << (shift + 9))));
            return;
        }
        path_.push_back(paddr);
        std::size_t first = 0, last = kEntries;
        if (level == levels_) {
            if (in_.half == Half::User) last = kEntries / 2;
            if (in_.half == Half::Kernel) first = kEntries / 2;
        }
        for (std::size_t i = first; i < last && !stopped_; ++i) {
            const std::uint64_t entry = load_le64(table.data() + i * 8);
            if (!(entry & kPresent)) continue;
            std::uint64_t va = base + (std::uint64_t{i} << shift);
            // The top level's index holds the address's top bit, which is copied up: canonical.
            if (level == levels_ && i >= kEntries / 2) va |= ~0ULL << (shift + 9);
            const bool large = entry & kLarge;
            const bool leaf = level == 1 || (large && level <= 3);
            std::uint64_t reserved = entry & reserved_;
            if (large && level >= 4) reserved |= kLarge;
            if (leaf && level > 1) reserved |= entry & (((1ULL << shift) - 1) & ~0x1FFFULL);
            if (reserved != 0) {
                say(reserved_seen_,
                    fmt::format("entry {} of the {} at physical address {:#x} ({:#x}) has "
                                "reserved bits {:#x} set: every access to {:#x}-{:#x} faults, and "
                                "it is left out",
                                i, name_of(level), paddr, entry, reserved, va,
                                va + (std::uint64_t{1} << shift)));
                continue;
            }
            Rights rights = above;
            rights.writable = rights.writable && (entry & kWrite);
            rights.user = rights.user && (entry & kUser);
            rights.executable = rights.executable && !(in_.nxe && (entry & kNoExec));
            if (leaf) {
                const std::uint64_t frame = entry & kAddressBits & ~((1ULL << shift) - 1);
                emit(va, std::uint64_t{1} << shift, frame, rights, entry & kGlobal, level);
                continue;
            }
            const std::uint64_t next = entry & kAddressBits;
            for (std::uint64_t on_path : path_) {
                if (on_path != next) continue;
                if (said_loop_.insert(next).second)
                    say(loops_, fmt::format("entry {} of the {} at physical address {:#x} points "
                                            "back to the table at {:#x}, on its own path from "
                                            "CR3: followed as the CPU follows it, for the "
                                            "levels below",
                                            i, name_of(level), paddr, next));
                break;
            }
            walk(next, level - 1, va, rights);
        }
        path_.pop_back();
    }

    void emit(std::uint64_t va, std::uint64_t size, std::uint64_t frame, const Rights& rights,
              bool global, int level) {
        if (va + size == 0) {  // the page ends at 2^64
            if (!said_top_) {
                said_top_ = true;
                out_.problems.push_back(
                    {true, fmt::format("the last 4 KB page, at {:#x}, is mapped, but a row cannot "
                                       "end at 2^64: it is left out",
                                       0 - kSmallPage)});
            }
            size -= kSmallPage;
            if (size == 0) return;
        }
        const Half half = (va >> (shift_of(levels_) + 8)) & 1 ? Half::Kernel : Half::User;
        const std::uint8_t page_size = level == 1 ? kPage4K : level == 2 ? kPage2M : kPage1G;
        if (have_run_ && run_.end() == va && run_.half == half &&
            run_.writable == rights.writable && run_.user == rights.user &&
            run_.executable == rights.executable && run_.global == global) {
            if (run_.paddr + run_.size != frame) run_.physically_contiguous = false;
            run_.size += size;
            run_.page_sizes |= page_size;
            return;
        }
        flush();
        if (stopped_) return;
        if (out_.runs.size() >= in_.max_rows) {
            stop(
                fmt::format("the walk stopped at {} rows, its bound: the addresses from {:#x} "
                            "on are not shown",
                            out_.runs.size(), va));
            return;
        }
        run_ = PageRun{.start = va,
                       .size = size,
                       .paddr = frame,
                       .half = half,
                       .writable = rights.writable,
                       .user = rights.user,
                       .executable = rights.executable,
                       .global = global,
                       .page_sizes = page_size};
        have_run_ = true;
    }

    void flush() {
        if (have_run_) out_.runs.push_back(run_);
        have_run_ = false;
    }

    void stop(std::string why) {
        flush();
        stopped_ = true;
        out_.problems.push_back({true, std::move(why)});
    }

    void say(ProblemKind& kind, std::string message) {
        if (kind.count++ < kProblemsSaid) out_.problems.push_back({kind.lost, std::move(message)});
    }

    void finish(const ProblemKind& kind) {
        if (kind.count > kProblemsSaid)
            out_.problems.push_back(
                {kind.lost, fmt::format(fmt::runtime(kind.summary), kind.count - kProblemsSaid)});
    }

    PhysicalMemory& memory_;
    const WalkInput& in_;
    WalkResult& out_;
    int levels_;
    std::uint64_t reserved_ = 0;  // reserved at every level
    std::vector<std::uint64_t> path_;
    std::set<std::uint64_t> said_unreadable_, said_loop_;
    ProblemKind unreadable_{0, true, "{} more page tables are not in the memory"};
    // An entry with a reserved bit maps nothing, and the rows say so exactly: not a loss.
    ProblemKind reserved_seen_{0, false, "{} more entries have reserved bits set"};
    ProblemKind loops_{0, false, "{} more tables are on their own path from CR3"};
    bool said_top_ = false;
    bool stopped_ = false;
    bool have_run_ = false;
    PageRun run_;
};

}  // namespace

WalkResult walk_page_tables(PhysicalMemory& memory, const WalkInput& input) {
    WalkResult out;
    if (!(input.cr4 & kCr4Pae)) {
        out.problems.push_back(
            {true, fmt::format("CR4 is {:#x}: PAE (bit 5) is clear, so the CPU is not in long "
                               "mode's 4- or 5-level paging, the only paging vmatlas walks",
                               input.cr4)});
        return out;
    }
    Walker(memory, input, out).run();
    return out;
}

std::optional<std::uint64_t> translate(PhysicalMemory& memory, const WalkInput& input,
                                       std::uint64_t vaddr) {
    if (!(input.cr4 & kCr4Pae)) return std::nullopt;
    std::uint64_t table = input.cr3 & kAddressBits;
    for (int level = input.cr4 & kCr4La57 ? 5 : 4; level >= 1; --level) {
        const unsigned shift = shift_of(level);
        std::uint8_t bytes[8];
        if (!memory.read(table + ((vaddr >> shift) & (kEntries - 1)) * 8, bytes, sizeof bytes))
            return std::nullopt;
        const std::uint64_t entry = load_le64(bytes);
        if (!(entry & kPresent)) return std::nullopt;
        if (level == 1 || (level <= 3 && (entry & kLarge))) {
            const std::uint64_t within = (1ULL << shift) - 1;
            return (entry & kAddressBits & ~within) | (vaddr & within);
        }
        table = entry & kAddressBits;
    }
    return std::nullopt;
}

}  // namespace vmatlas::paging
