// Parses /proc/PID/smaps by position. The text is a /proc/PID/maps row followed by its figures:
//
//   7f35f0a00000-7f35f0a22000 r--p 00000000 fe:00 1234    /usr/lib/x86_64-linux-gnu/libc.so.6
//   Size:                136 kB
//   KernelPageSize:        4 kB
//   ...
//   THPeligible:           0
//   ProtectionKey:         0
//   VmFlags: rd mr mw me sd
//
// A line is a key line when it starts with a word and a colon ("Rss:"); any other line is a row
// head. The kernel prints the keys in one fixed order, so each key is first looked for where the
// previous one was found plus one, which makes the look-up one comparison per line.
#include "vmatlas/smaps.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "sources/maps_row.hpp"
#include "sources/proc_stream.hpp"
#include "sources/smaps_lines.hpp"
#include "sources/text.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/procfs.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas {

namespace {

enum class ValueKind : std::uint8_t {
    Kilobytes,  // "N kB", stored in bytes
    Flag,       // "0" or "1"
    Words,      // the rest of the line (VmFlags)
    Skip,       // known, not kept (ProtectionKey)
    Size,       // "N kB", checked against the row's size
};

struct Key {
    std::string_view name;
    ValueKind kind;
    std::uint64_t Figures::*field = nullptr;
};

// In the order the kernel prints them (fs/proc/task_mmu.c, show_smap and __show_smap).
constexpr Key kKeys[] = {
    {"Size", ValueKind::Size},
    {"KernelPageSize", ValueKind::Kilobytes, &Figures::kernel_page_size},
    {"MMUPageSize", ValueKind::Kilobytes, &Figures::mmu_page_size},
    {"Rss", ValueKind::Kilobytes, &Figures::rss},
    {"Pss", ValueKind::Kilobytes, &Figures::pss},
    {"Pss_Dirty", ValueKind::Kilobytes, &Figures::pss_dirty},
    {"Shared_Clean", ValueKind::Kilobytes, &Figures::shared_clean},
    {"Shared_Dirty", ValueKind::Kilobytes, &Figures::shared_dirty},
    {"Private_Clean", ValueKind::Kilobytes, &Figures::private_clean},
    {"Private_Dirty", ValueKind::Kilobytes, &Figures::private_dirty},
    {"Referenced", ValueKind::Kilobytes, &Figures::referenced},
    {"Anonymous", ValueKind::Kilobytes, &Figures::anonymous},
    {"KSM", ValueKind::Kilobytes, &Figures::ksm},
    {"LazyFree", ValueKind::Kilobytes, &Figures::lazy_free},
    {"AnonHugePages", ValueKind::Kilobytes, &Figures::anon_huge},
    {"ShmemPmdMapped", ValueKind::Kilobytes, &Figures::shmem_pmd},
    {"FilePmdMapped", ValueKind::Kilobytes, &Figures::file_pmd},
    {"Shared_Hugetlb", ValueKind::Kilobytes, &Figures::shared_hugetlb},
    {"Private_Hugetlb", ValueKind::Kilobytes, &Figures::private_hugetlb},
    {"Swap", ValueKind::Kilobytes, &Figures::swap},
    {"SwapPss", ValueKind::Kilobytes, &Figures::swap_pss},
    {"Locked", ValueKind::Kilobytes, &Figures::locked},
    {"THPeligible", ValueKind::Flag},
    {"ProtectionKey", ValueKind::Skip},
    {"VmFlags", ValueKind::Words},
};
constexpr std::size_t kKeyCount = std::size(kKeys);

// The kernel writes a size line as the key and its colon padded with spaces to 16 bytes, the
// number right-aligned in 8, then " kB" (show_smap's SEQ_PUT_DEC): 27 bytes while the number has
// at most eight digits, which is every line of a process under 100 GB per mapping. THPeligible
// and ProtectionKey are written the same way without the unit ("%8d", "%8u"): 24 bytes.
constexpr std::size_t kPrefixSize = 16, kValueSize = 8;
constexpr std::size_t kSizeLineSize = kPrefixSize + kValueSize + 3,
                      kNumberLineSize = kPrefixSize + kValueSize;

// Whether kKeys[k]'s value is a size, for k up to kKeyCount (one past the last key: no).
constexpr auto kSizeKey = [] {
    std::array<bool, kKeyCount + 1> size{};
    for (std::size_t k = 0; k < kKeyCount; ++k)
        size[k] = kKeys[k].kind == ValueKind::Kilobytes || kKeys[k].kind == ValueKind::Size;
    return size;
}();

constexpr auto kPaddedKeys = [] {
    std::array<std::array<char, kPrefixSize>, kKeyCount> padded{};
    for (std::size_t k = 0; k < kKeyCount; ++k) {
        padded[k].fill(' ');
        const std::string_view name = kKeys[k].name;
        if (name.size() + 1 > kPrefixSize) throw "a key too long for the kernel's 16-byte prefix";
        for (std::size_t c = 0; c < name.size(); ++c) padded[k][c] = name[c];
        padded[k][name.size()] = ':';
    }
    return padded;
}();

// Eight bytes from p as a number whose low byte is p[0], whatever the machine's byte order.
inline std::uint64_t load8(const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
    return w;
}

constexpr std::uint64_t kByteOnes = 0x0101010101010101ULL;  // 0x01 in every byte

// The number in eight bytes of blanks then digits ("     123"), or nothing when they are not
// that: some spaces (maybe none), then at least one digit, and nothing else.
[[gnu::always_inline]] inline std::optional<std::uint64_t> right_aligned_digits(const char* p) {
    constexpr std::uint64_t kSpaces = ' ' * kByteOnes, kZeros = '0' * kByteOnes;
    const std::uint64_t w = load8(p);
    const std::uint64_t not_space = w ^ kSpaces;
    if (not_space == 0) return std::nullopt;  // no digit
    // The leading spaces (load8 puts the first bytes low) read as '0's from here on.
    const int lead = std::countr_zero(not_space) / 8;                      // 0 to 7
    const std::uint64_t lead_mask = (std::uint64_t{1} << (8 * lead)) - 1;  // the spaces' bytes
    const std::uint64_t digits = (w & ~lead_mask) | (kZeros & lead_mask);
    // Every byte '0'..'9': its high nibble 3, and still 3 once 6 is added to it.
    constexpr std::uint64_t kHigh = 0xf0f0f0f0f0f0f0f0ULL, kSixes = 0x0606060606060606ULL;
    if ((digits & kHigh) != kZeros || ((digits + kSixes) & kHigh) != kZeros) return std::nullopt;
    // Eight digits to a number, two, four, then eight at a time (the first digit is the low byte).
    std::uint64_t v = digits & 0x0f0f0f0f0f0f0f0fULL;
    v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ffULL;
    v = (v * 100 + (v >> 16)) & 0x0000ffff0000ffffULL;
    v = (v * 10000 + (v >> 32)) & 0xffffffffULL;
    return v;
}

bool is_word_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

using text::is_blank;

// s without the blanks at either end: the words of a VmFlags line after its colon.
std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

// The key of a key line ("Rss" of "Rss:   4 kB"), or empty for a row head.
std::string_view key_of(std::string_view line) {
    std::size_t k = 0;
    while (k < line.size() && is_word_char(line[k])) ++k;
    if (k == 0 || k >= line.size() || line[k] != ':') return {};
    return line.substr(0, k);
}

// Index into kKeys. (SmapsParser::line looks for the keys the kernel's order allows first.)
std::optional<std::size_t> find_key(std::string_view key) {
    for (std::size_t k = 0; k < kKeyCount; ++k)
        if (kKeys[k].name == key) return k;
    return std::nullopt;
}

// A decimal number at line[pos], without overflow; pos moves past it.
std::optional<std::uint64_t> read_decimal(std::string_view line, std::size_t& pos) {
    const text::DigitRun run = text::scan_decimal(line.substr(pos));
    if (!run.ok()) return std::nullopt;
    pos += run.length;
    return run.value;
}

// kB to bytes: the one multiplication on an untrusted number here, checked.
std::optional<std::uint64_t> kib_to_bytes(std::uint64_t kib) {
    if (kib > UINT64_MAX / 1024) return std::nullopt;
    return kib * 1024;
}

}  // namespace

class detail::SmapsParser {
  public:
    // kernel_lines: the lines in the kernel's exact form are taken where they lie
    // (take_kernel_lines), a size line without looking for its end first; without it, every
    // line is read by line(), which gives the same rows, figures and diagnostics.
    // pid: a live process's smaps, whose marked names are checked (MarkedNames), or 0.
    SmapsParser(AddressSpaceBuilder& out, bool kernel_lines, pid_t pid = 0)
        : out_(out), kernel_lines_(kernel_lines) {
        names_.pid = pid;
    }

    // Text in pieces (the blocks of a read): a line may begin in one piece and end in the next.
    void feed(std::string_view piece) {
        auto on_line = [&](std::string_view l) { line(l); };
        auto on_long = [&](std::size_t length) { long_line(length); };
        if (kernel_lines_)
            text::feed_lines(carry_, piece, on_line, on_long, [&](const char* p, const char* end) {
                return take_kernel_lines(p, end);
            });
        else
            text::feed_lines(carry_, piece, on_line, on_long);
    }

    // The end of the text: its last line need not end with a newline.
    void finish() {
        text::finish_lines(
            carry_, [&](std::string_view l) { line(l); },
            [&](std::size_t length) { long_line(length); });
        flush();
        names_.warn(out_);
        names_.count = 0;
    }

    bool saw_figures() const { return saw_figures_; }

  private:
    void line(std::string_view line) {
        ++line_no_;
        if (line.empty()) return;
        // The fast path, nearly every line: the key the kernel's order says comes next, or a
        // later one (a kernel leaves out the keys of what it was built without: ProtectionKey
        // without memory protection keys).
        if (row_) {
            for (std::size_t k = hint_; k < kKeyCount; ++k) {
                const std::string_view name = kKeys[k].name;
                if (line.size() > name.size() && line[name.size()] == ':' &&
                    std::memcmp(line.data(), name.data(), name.size()) == 0)
                    return key_line(line, name, k);
            }
        }
        const std::string_view key = key_of(line);
        if (key.empty()) return row_head(line);
        if (!row_) {
            // The key lines of a rejected row were accounted for with it.
            if (!in_rejected_row_ && !warned_orphan_) {
                out_.warn(
                    {line_no_, 1, fmt::format("a {} line before any mapping row is ignored", key)});
                warned_orphan_ = true;
            }
            return;
        }
        // A key this version does not know is skipped: newer kernels add keys.
        if (const auto k = find_key(key)) key_line(line, key, *k);
    }

    // The lines from p on that the kernel's order puts next, in the kernel's exact form: a size
    // line is the key and its colon padded with blanks to 16 bytes, the number right-aligned in
    // 8, " kB" (a row's Size to Locked lines, the most of smaps); THPeligible and ProtectionKey
    // the same without the unit; then VmFlags. Their values are stored, and where the first line
    // not taken starts is returned (p when none was): a line not taken is read the general way,
    // by line(), which gives any line taken here the same value (and takes only whole lines, so
    // that the line count stays right). One loop over the run of them, its state in locals.
    const char* take_kernel_lines(const char* p, const char* const end) {
        if (!row_) return p;
        const std::uint64_t row_size = row_->size();
        std::size_t k = hint_, lines = 0;
        // The size lines.
        while (kSizeKey[k] && static_cast<std::size_t>(end - p) > kSizeLineSize &&
               std::memcmp(p + kPrefixSize + kValueSize, " kB\n", 4) == 0 &&
               std::memcmp(p, kPaddedKeys[k].data(), kPrefixSize) == 0) {
            const auto kib = right_aligned_digits(p + kPrefixSize);
            if (!kib) break;
            const std::uint64_t bytes = *kib * 1024;  // eight digits: it fits
            if (kKeys[k].kind == ValueKind::Size) {
                if (bytes != row_size) break;  // let line() say so
            } else {
                if (bytes > row_size && counts_row_bytes(kKeys[k].field)) break;  // and this
                figures_.*kKeys[k].field = bytes;
            }
            ++k;
            ++lines;
            p += kSizeLineSize + 1;
        }
        // The lines after them, once a row.
        for (; k < kKeyCount && !kSizeKey[k]; ++k) {
            const Key& key = kKeys[k];
            const auto left = static_cast<std::size_t>(end - p);
            if (key.kind == ValueKind::Words) {  // "VmFlags: rd wr mr mw me ac sd \n"
                if (left <= key.name.size() || p[key.name.size()] != ':' ||
                    std::memcmp(p, key.name.data(), key.name.size()) != 0)
                    break;
                const char* nl = text::find_newline(p, end);
                if (!nl || nl[-1] == '\r' || static_cast<std::size_t>(nl - p) > text::kMaxLineBytes)
                    break;
                figures_.vm_flags = trim_blanks(
                    std::string_view(p + key.name.size() + 1,
                                     static_cast<std::size_t>(nl - p) - key.name.size() - 1));
                p = nl + 1;
                ++lines;
                continue;
            }
            // THPeligible, ProtectionKey. A kernel without memory protection keys has no
            // ProtectionKey line: the next key is looked for. The number is checked for both, or
            // a newline among its 8 bytes would make two lines one.
            if (left <= kNumberLineSize || p[kNumberLineSize] != '\n' ||
                std::memcmp(p, kPaddedKeys[k].data(), kPrefixSize) != 0) {
                if (key.kind == ValueKind::Skip) continue;
                break;
            }
            const auto number = right_aligned_digits(p + kPrefixSize);
            if (!number) break;
            if (key.kind == ValueKind::Flag) {
                if (*number > 1) break;
                figures_.thp_eligible = *number == 1;
            }
            p += kNumberLineSize + 1;
            ++lines;
        }
        if (lines > 0) {
            line_no_ += lines;
            hint_ = k;
            saw_figures_ = true;
        }
        return p;
    }

    void flush() {
        if (row_) out_.add(*row_, std::move(figures_));
        row_.reset();
        figures_ = Figures{};
    }

    // A line too long for smaps: rejected as a row head would be, with the key lines after it.
    void long_line(std::size_t length) {
        flush();
        out_.reject({++line_no_, 1, detail::long_line_sentence(length)});
        in_rejected_row_ = true;
        hint_ = 0;
    }

    void row_head(std::string_view line) {
        flush();
        row_ = detail::parse_kernel_maps_row(line, line_no_, out_, scratch_, names_);
        in_rejected_row_ = !row_;
        hint_ = 0;
    }

    // The value of kKeys[k] on a line of the current row.
    void key_line(std::string_view line, std::string_view key, std::size_t k) {
        hint_ = k + 1;
        saw_figures_ = true;
        const Key& spec = kKeys[k];
        std::size_t pos = key.size() + 1;
        while (pos < line.size() && is_blank(line[pos])) ++pos;
        const std::size_t value_at = pos;

        switch (spec.kind) {
            case ValueKind::Skip:
                return;
            case ValueKind::Words:
                figures_.vm_flags = trim_blanks(line.substr(pos));
                return;
            case ValueKind::Flag: {
                const auto v = read_decimal(line, pos);
                if (!v || *v > 1 || !rest_is_blank(line, pos))
                    return bad_value(line, key, value_at);
                figures_.thp_eligible = *v == 1;
                return;
            }
            case ValueKind::Kilobytes:
            case ValueKind::Size: {
                const text::DigitRun digits = text::scan_decimal(line.substr(pos));
                pos += digits.length;
                const std::size_t unit_at = pos;
                while (pos < line.size() && is_blank(line[pos])) ++pos;
                if (digits.length == 0 || pos == unit_at || line.compare(pos, 2, "kB") != 0 ||
                    !rest_is_blank(line, pos + 2))
                    return bad_value(line, key, value_at);
                // A number past 2^64 - 1 is past it in bytes too: not wrapped, not a value.
                const std::optional<std::uint64_t> kib =
                    digits.overflow ? std::nullopt : std::optional(digits.value);
                const auto bytes = kib ? kib_to_bytes(*kib) : std::nullopt;
                // The number as a message shows it: its value, or its digits when too large.
                const std::string number =
                    kib ? std::to_string(*kib) : std::string(line.substr(value_at, digits.length));
                if (spec.kind == ValueKind::Size) {
                    if (!bytes || *bytes != row_->size())
                        out_.warn({line_no_, value_at + 1,
                                   fmt::format("Size {} kB is not the size of the row above "
                                               "({:#x} bytes)",
                                               number, row_->size())});
                    return;
                }
                if (!bytes)
                    return refuse(line_no_, value_at,
                                  fmt::format("{} {} kB is past 2^64 - 1 bytes: the figure is "
                                              "left at 0",
                                              key, number));
                if (*bytes > row_->size() && counts_row_bytes(spec.field))
                    return refuse(line_no_, value_at,
                                  fmt::format("{} {} kB is more than the row above holds ({:#x} "
                                              "bytes): the figure is left at 0",
                                              key, *kib, row_->size()));
                figures_.*spec.field = *bytes;
                return;
            }
        }
    }

    static bool rest_is_blank(std::string_view line, std::size_t pos) {
        for (; pos < line.size(); ++pos)
            if (!is_blank(line[pos])) return false;
        return true;
    }

    // A figure that cannot be read: the row's figures are partial.
    void refuse(std::size_t line, std::size_t at, std::string message) {
        out_.lose({line, at + 1, std::move(message)});
    }

    void bad_value(std::string_view line, std::string_view key, std::size_t at) {
        refuse(line_no_, at,
               fmt::format("bad {} value '{}': it is left at 0", key, line.substr(at)));
    }

    AddressSpaceBuilder& out_;
    std::optional<Mapping> row_;
    Figures figures_;
    std::string scratch_;
    detail::MarkedNames names_;
    text::LineCarry carry_;  // the start of a line whose end is in the next piece
    const bool kernel_lines_;
    std::size_t line_no_ = 0;
    std::size_t hint_ = 0;
    bool in_rejected_row_ = false;
    bool warned_orphan_ = false;
    bool saw_figures_ = false;
};

namespace {

AddressSpace build_from_smaps(std::span<const std::string_view> pieces, std::size_t size,
                              AddressSpaceBuilder builder, bool kernel_lines) {
    // About 25 lines of some 30 bytes for each mapping.
    builder.reserve(size / 700 + 1);
    detail::SmapsParser parser(builder, kernel_lines);
    for (const std::string_view piece : pieces) parser.feed(piece);
    parser.finish();
    AddressSpace space = std::move(builder).build();
    if (!parser.saw_figures()) space.set_figures({});
    return space;
}

}  // namespace

detail::SmapsStream::SmapsStream(AddressSpaceBuilder& out)
    : parser_(std::make_unique<SmapsParser>(out, true)) {}

detail::SmapsStream::~SmapsStream() = default;

void detail::SmapsStream::feed(std::string_view piece) {
    parser_->feed(piece);
}

void detail::SmapsStream::finish() {
    parser_->finish();
}

bool detail::SmapsStream::saw_figures() const {
    return parser_->saw_figures();
}

AddressSpace detail::parse_smaps_pieces(std::span<const std::string_view> pieces, SourceInfo source,
                                        bool kernel_lines) {
    std::size_t size = 0;
    for (const std::string_view piece : pieces) size += piece.size();
    return build_from_smaps(pieces, size, AddressSpaceBuilder(std::move(source)), kernel_lines);
}

bool looks_like_smaps(std::string_view text) {
    for (const std::string_view key : {"Size:", "Rss:"})
        if (text.starts_with(key) || text.find(fmt::format("\n{}", key)) != std::string_view::npos)
            return true;
    return false;
}

AddressSpace parse_smaps_text(std::span<const std::string_view> pieces, SourceInfo source) {
    return detail::parse_smaps_pieces(pieces, std::move(source), true);
}

AddressSpace parse_smaps_text(std::string_view text, SourceInfo source) {
    const std::string_view pieces[] = {text};
    return detail::parse_smaps_pieces(pieces, std::move(source), true);
}

Result<AddressSpace> read_process_smaps(pid_t pid) {
    AddressSpaceBuilder builder(process_source(pid, "smaps"));
    builder.reserve(1024);
    detail::SmapsParser parser(builder, true, pid);
    std::size_t bytes = 0;
    auto read = stream_process_text(pid, "smaps", [&](std::string_view piece) {
        make_room_if_big(builder, bytes, piece.size());
        parser.feed(piece);
    });
    if (!read) return read.error();
    parser.finish();
    note_read_end(builder, *read);
    AddressSpace space = std::move(builder).build();
    if (!parser.saw_figures()) space.set_figures({});
    return space;
}

}  // namespace vmatlas
