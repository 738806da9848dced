// One row of a memory map: a virtual address range with its permissions and, when file-backed,
// the file, device, inode and file offset it maps. Mappings are plain values, 48 bytes each; the
// path lives in the AddressSpace's string pool and is named here by a PathId.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace vmatlas {

// A virtual address in the target process.
using Addr = std::uint64_t;

// A byte offset into a mapped file. A distinct type so that it cannot be mixed with an Addr.
enum class FileOffset : std::uint64_t {};
constexpr std::uint64_t raw(FileOffset o) {
    return static_cast<std::uint64_t>(o);
}

// Index into AddressSpace's path pool; 0 is "no path" (an anonymous mapping).
using PathId = std::uint32_t;
inline constexpr PathId kNoPath = 0;

// The permissions of a mapping. Every source but a core file knows all four; a core records r, w
// and x (p_flags) but not whether a file mapping was shared, and gdb's cores leave some file
// mappings out of their PT_LOAD headers altogether: what a source does not know is marked unknown
// and printed as '?', never guessed.
class Perms {
  public:
    static constexpr std::uint8_t kRead = 1, kWrite = 2, kExec = 4, kShared = 8;
    static constexpr std::uint8_t kSharingUnknown = 16;  // 'p' or 's' is not known
    static constexpr std::uint8_t kAccessUnknown = 32;   // r, w and x are not known

    constexpr Perms() = default;
    constexpr explicit Perms(std::uint8_t bits) : bits_(bits) {}

    constexpr bool readable() const { return bits_ & kRead; }
    constexpr bool writable() const { return bits_ & kWrite; }
    constexpr bool executable() const { return bits_ & kExec; }
    constexpr bool shared() const { return bits_ & kShared; }
    constexpr bool sharing_known() const { return !(bits_ & kSharingUnknown); }
    constexpr bool access_known() const { return !(bits_ & kAccessUnknown); }
    // No access at all, known to be so: a guard page or a reservation.
    constexpr bool none() const { return (bits_ & (kRead | kWrite | kExec | kAccessUnknown)) == 0; }
    constexpr std::uint8_t bits() const { return bits_; }

    // The four characters the kernel prints: "r-xp", "rw-s", "---p"; '?' for what is unknown
    // ("r-x?" in a core, "????" for a row a core names but does not describe).
    constexpr std::array<char, 4> text() const {
        const bool known = access_known();
        return {known ? (readable() ? 'r' : '-') : '?', known ? (writable() ? 'w' : '-') : '?',
                known ? (executable() ? 'x' : '-') : '?',
                !sharing_known() ? '?'
                : shared()       ? 's'
                                 : 'p'};
    }

    // text() as a view of a table that lasts as long as the program: no copy a row.
    std::string_view view() const;

    friend constexpr bool operator==(Perms, Perms) = default;

  private:
    std::uint8_t bits_ = 0;
};

namespace detail {
// text() of every combination of Perms' six bits.
inline constexpr auto kPermsTexts = [] {
    std::array<std::array<char, 4>, 64> texts{};
    for (std::uint8_t bits = 0; bits < 64; ++bits) texts[bits] = Perms(bits).text();
    return texts;
}();
}  // namespace detail

inline std::string_view Perms::view() const {
    return {detail::kPermsTexts[bits_ & 63].data(), 4};
}

// Facts about a mapping that are not in its fields.
enum MappingFlag : std::uint8_t {
    kDeleted = 1,  // the kernel appended " (deleted)": the file was unlinked after mapping
    // A core file holds none (kNotDumped) or only the first part (kPartlyDumped) of the
    // mapping's bytes: p_filesz is 0 or short of p_memsz. Solaris pmap marks such rows with '*'.
    kNotDumped = 2,
    kPartlyDumped = 4,
};

struct Mapping {
    Addr start = 0;
    Addr end = 0;  // one past the last byte
    FileOffset offset{0};
    std::uint64_t inode = 0;
    std::uint32_t dev_major = 0;
    std::uint32_t dev_minor = 0;
    PathId path = kNoPath;
    Perms perms;
    std::uint8_t flags = 0;

    constexpr std::uint64_t size() const { return end - start; }
    constexpr bool contains(Addr a) const { return a >= start && a < end; }
    constexpr bool deleted() const { return flags & kDeleted; }
    // Some of its bytes are missing from the target (a core file): shown with '*'.
    constexpr bool contents_missing() const { return flags & (kNotDumped | kPartlyDumped); }

    friend constexpr bool operator==(const Mapping&, const Mapping&) = default;
};

// A 60,000-row map must cost well under 100 bytes a row (DESIGN.md, Performance).
static_assert(sizeof(Mapping) == 48);

}  // namespace vmatlas
