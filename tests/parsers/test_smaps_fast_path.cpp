// The smaps parser's fast path for the lines in the kernel's exact form (take_kernel_lines in
// src/sources/smaps.cpp) against the careful path alone, on the same texts: the checked-in
// captures, kernel-form texts made here with values of every width, and the same texts mutated
// (a byte changed, a line dropped or doubled, a blank, a CR, a wider number, an unknown key, a
// wrong Size...). Both must give the same rows, paths, figures, row account and diagnostics
// (line, column and sentence), whole and cut into pieces anywhere.
#include <cstdint>
#include <fstream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sources/smaps_lines.hpp"
#include "vmatlas/address_space.hpp"

namespace vmatlas {
namespace {

const SourceInfo kSource{vmatlas::SourceKind::SmapsText, "test", 0, ""};

AddressSpace parse(std::span<const std::string_view> pieces, bool fast) {
    return detail::parse_smaps_pieces(pieces, kSource, fast);
}

// Everything a parse gives, compared field by field so that a failure says where.
void expect_same(const AddressSpace& fast, const AddressSpace& careful, std::string_view what) {
    SCOPED_TRACE(std::string(what));
    ASSERT_EQ(fast.size(), careful.size());
    ASSERT_EQ(fast.figures().size(), careful.figures().size());
    for (std::size_t i = 0; i < fast.size(); ++i) {
        Mapping a = fast[i], b = careful[i];
        EXPECT_EQ(fast.path(a), careful.path(b)) << "row " << i;
        a.path = b.path = 0;
        EXPECT_TRUE(a == b) << "row " << i;
        if (!fast.figures().empty()) {
            EXPECT_TRUE(fast.figures()[i] == careful.figures()[i]) << "row " << i;
        }
    }
    const RowAccount &ra = fast.rows(), &rb = careful.rows();
    EXPECT_EQ(ra.read, rb.read);
    EXPECT_EQ(ra.kept, rb.kept);
    EXPECT_EQ(ra.superseded, rb.superseded);
    EXPECT_EQ(ra.rejected, rb.rejected);
    ASSERT_EQ(fast.diagnostics().size(), careful.diagnostics().size());
    for (std::size_t i = 0; i < fast.diagnostics().size(); ++i) {
        const Diagnostic &da = fast.diagnostics()[i], &db = careful.diagnostics()[i];
        EXPECT_EQ(da.line, db.line) << da.message;
        EXPECT_EQ(da.column, db.column) << da.message;
        EXPECT_EQ(da.message, db.message);
    }
    EXPECT_EQ(fast.generation(), careful.generation());
}

// The fast path and the careful one on text whole, and the fast path on text cut in three
// pieces at a and b (each piece a line may straddle).
void check(std::string_view text, std::size_t a, std::size_t b) {
    const std::string_view whole[] = {text};
    const AddressSpace careful = parse(whole, false);
    expect_same(parse(whole, true), careful, "whole");
    a = std::min(a, text.size());
    b = std::min(std::max(a, b), text.size());
    const std::string_view pieces[] = {text.substr(0, a), text.substr(a, b - a), text.substr(b)};
    expect_same(parse(pieces, true), careful, fmt::format("fast, cut at {} and {}", a, b));
    expect_same(parse(pieces, false), careful, fmt::format("careful, cut at {} and {}", a, b));
}

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(VMATLAS_SOURCE_DIR) + "/tests/pmap/fixtures/" + name,
                     std::ios::binary);
    EXPECT_TRUE(in) << name;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(SmapsFastPath, CapturesReadTheSameBothWays) {
    for (const char* name : {"demo.smaps", "hostile.smaps", "layout.smaps"}) {
        SCOPED_TRACE(name);
        const std::string text = fixture(name);
        ASSERT_FALSE(text.empty());
        for (std::size_t a = 0; a < text.size(); a += 97) check(text, a, a + text.size() / 3);
    }
}

// The keys in the kernel's order and how it prints them (fs/proc/task_mmu.c): the key and its
// colon padded to 16 bytes, then "%8lu kB"; THPeligible and ProtectionKey "%8u"; VmFlags words.
constexpr std::string_view kSizeKeys[] = {
    "Size",          "KernelPageSize", "MMUPageSize",     "Rss",
    "Pss",           "Pss_Dirty",      "Shared_Clean",    "Shared_Dirty",
    "Private_Clean", "Private_Dirty",  "Referenced",      "Anonymous",
    "KSM",           "LazyFree",       "AnonHugePages",   "ShmemPmdMapped",
    "FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb", "Swap",
    "SwapPss",       "Locked"};

std::string padded(std::string_view key) {
    return fmt::format("{:<16}", fmt::format("{}:", key));
}

// A value as wide as the random draw makes it: mostly a few digits, sometimes all eight, and
// sometimes wider than the kernel's eight-byte field.
std::uint64_t some_kib(std::mt19937_64& random) {
    switch (random() % 8) {
        case 0:
            return 0;
        case 1:
            return 99999999;  // the widest that fits the field
        case 2:
            return 100000000 + random() % 900000000;  // nine digits: the field grows
        case 3:
            return random() % (UINT64_MAX / 1024);  // up to 17 digits of kB that fit in bytes
        default:
            return random() % 100000;
    }
}

// Lines of one row in the kernel's exact form.
std::vector<std::string> kernel_row(std::mt19937_64& random, std::uint64_t& next_start) {
    // Now and then a row of terabytes, so that its figures can be as wide as the field and wider.
    const std::uint64_t pages = 1 + random() % (random() % 8 == 0   ? std::uint64_t{1} << 36
                                                : random() % 4 == 0 ? 300000
                                                                    : 64);
    const std::uint64_t start = next_start, end = start + pages * 4096;
    next_start = end + 4096 * (random() % 3);
    const char* perms[] = {"r--p", "rw-p", "r-xp", "---p", "rw-s"};
    const char* paths[] = {"", "[heap]", "/usr/lib/x86_64-linux-gnu/libc.so.6",
                           "/tmp/a b (deleted)", "[anon:name]"};
    std::vector<std::string> lines;
    std::string head = fmt::format("{:08x}-{:08x} {} {:08x} {:02x}:{:02x} {} ", start, end,
                                   perms[random() % 5], (random() % 100) * 4096, random() % 256,
                                   random() % 256, random() % 5 == 0 ? 0 : random() % 10000000);
    head += std::string(random() % 20, ' ') + paths[random() % 5];
    lines.push_back(head);
    for (const std::string_view key : kSizeKeys) {
        // A figure that counts the row's bytes is at most its size; the page sizes are not.
        const bool page_size = key == "KernelPageSize" || key == "MMUPageSize";
        const std::uint64_t kib = key == "Size" ? pages * 4
                                  : page_size   ? some_kib(random)
                                                : std::min(some_kib(random), pages * 4);
        lines.push_back(fmt::format("{}{:>8} kB", padded(key), kib));
    }
    lines.push_back(fmt::format("{}{:>8}", padded("THPeligible"), random() % 2));
    if (random() % 4 != 0) lines.push_back(fmt::format("{}{:>8}", padded("ProtectionKey"), 0));
    lines.push_back(random() % 8 == 0 ? "VmFlags: " : "VmFlags: rd wr mr mw me ac sd ");
    return lines;
}

// One mutation of a line, as a damaged file or another kernel might hold it.
void mutate(std::mt19937_64& random, std::vector<std::string>& lines) {
    if (lines.empty()) return;
    const std::size_t i = random() % lines.size();
    std::string& line = lines[i];
    constexpr std::string_view kBytes = " \t\r\n:0123456789kBabx-_";
    switch (random() % 14) {
        case 0:  // a byte changed
            if (!line.empty()) line[random() % line.size()] = kBytes[random() % kBytes.size()];
            break;
        case 1:  // a byte inserted
            line.insert(line.begin() + static_cast<long>(random() % (line.size() + 1)),
                        kBytes[random() % kBytes.size()]);
            break;
        case 2:  // a byte removed
            if (!line.empty()) line.erase(random() % line.size(), 1);
            break;
        case 3:
            line += ' ';
            break;
        case 4:
            line += '\r';
            break;
        case 5:
            line += '\t';
            break;
        case 6:  // dropped
            lines.erase(lines.begin() + static_cast<long>(i));
            break;
        case 7:  // doubled
            lines.insert(lines.begin() + static_cast<long>(i), line);
            break;
        case 8:  // a key this parser does not know
            lines.insert(lines.begin() + static_cast<long>(i), padded("Pss_Anon") + "       4 kB");
            break;
        case 9:  // the value wider than its field, or a number too large for bytes
            if (line.ends_with(" kB"))
                line = line.substr(0, 16) +
                       (random() % 2 ? "123456789012" : "18446744073709551615") + " kB";
            break;
        case 10:  // the colon's padding made of a tab
            if (line.size() > 17 && line[15] == ' ') line[15] = '\t';
            break;
        case 11:  // THPeligible out of range
            if (line.starts_with("THPeligible:")) line.back() = '2';
            break;
        case 12:  // the unit
            if (line.ends_with(" kB")) line.replace(line.size() - 2, 2, random() % 2 ? "KB" : "kb");
            break;
        case 13:  // an empty line
            lines.insert(lines.begin() + static_cast<long>(i), "");
            break;
    }
}

std::string join(const std::vector<std::string>& lines, bool newline_at_end) {
    std::string text;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        text += lines[i];
        if (i + 1 < lines.size() || newline_at_end) text += '\n';
    }
    return text;
}

TEST(SmapsFastPath, KernelFormTextsReadTheSameBothWays) {
    std::mt19937_64 random(2024);
    for (int trial = 0; trial < 300; ++trial) {
        std::uint64_t next_start = 0x400000;
        std::vector<std::string> lines;
        const int rows = 1 + static_cast<int>(random() % 6);
        for (int r = 0; r < rows; ++r) {
            auto row = kernel_row(random, next_start);
            lines.insert(lines.end(), row.begin(), row.end());
        }
        const std::string text = join(lines, random() % 8 != 0);
        SCOPED_TRACE(text);
        check(text, random() % (text.size() + 1), random() % (text.size() + 1));
        // The careful path alone read the figures the kernel wrote.
        const std::string_view whole[] = {text};
        const AddressSpace space = parse(whole, false);
        // Nothing to say but that a name ends in " (deleted)", which a file's own name may.
        const bool marked = text.find(" (deleted)\n") != std::string::npos;
        ASSERT_EQ(space.diagnostics().size(), marked ? 1u : 0u) << space.diagnostics()[0].message;
        ASSERT_EQ(space.size(), static_cast<std::size_t>(rows));
    }
}

TEST(SmapsFastPath, MutatedTextsReadTheSameBothWays) {
    std::mt19937_64 random(16);
    for (int trial = 0; trial < 3000; ++trial) {
        std::uint64_t next_start = 0x7f0000000000;
        std::vector<std::string> lines;
        const int rows = 1 + static_cast<int>(random() % 4);
        for (int r = 0; r < rows; ++r) {
            auto row = kernel_row(random, next_start);
            lines.insert(lines.end(), row.begin(), row.end());
        }
        const int mutations = 1 + static_cast<int>(random() % 4);
        for (int m = 0; m < mutations; ++m) mutate(random, lines);
        const std::string text = join(lines, random() % 8 != 0);
        SCOPED_TRACE(text);
        check(text, random() % (text.size() + 1), random() % (text.size() + 1));
        if (HasFailure()) return;
    }
}

TEST(SmapsFastPath, EdgeCases) {
    const std::string row = "00400000-00401000 r--p 00000000 00:00 0\n";
    const std::string size = padded("Size") + "       4 kB\n";
    for (const std::string& text : {
             std::string(),
             row,
             row + size,
             row + size.substr(0, size.size() - 1),                  // no newline at the end
             row + padded("Size") + "       8 kB\n",                 // not the row's size
             row + padded("Size") + "        4 kB\n",                // nine bytes of field
             row + padded("Size") + "      4 kB \n",                 // a trailing blank
             row + padded("Size") + "       4 kB\r\n",               // CRLF
             row + padded("Rss") + "       4 kB\n" + size,           // out of order
             row + size + padded("Rss") + "99999999 kB\n",           // eight digits
             row + size + padded("Rss") + "123456789 kB\n",          // nine
             row + size + padded("Rss") + "18014398509481983 kB\n",  // the most kB in 64 bits
             row + size + padded("Rss") + "18014398509481984 kB\n",  // one more
             row + size + padded("Rss") + "       - kB\n",
             row + size + padded("Rss") + "         kB\n",
             row + size + padded("THPeligible") + "       1\n" + padded("ProtectionKey") +
                 "       0\nVmFlags: rd\n",
             row + size + padded("THPeligible") + "       2\n",
             row + size + padded("THPeligible") + "      1\n",  // seven bytes of field
             row + size + padded("THPeligible") + "       1\nVmFlags: rd \r\n",
             row + size + "VmFlags:\n",
             row + size + "VmFlags: a\nVmFlags: b\n",
             padded("Rss") + "       4 kB\n" + row,  // a figure before any row
             "zz" + row.substr(2) + size + padded("Rss") + "       4 kB\n",  // a rejected row
         }) {
        SCOPED_TRACE(text);
        for (std::size_t a = 0; a <= text.size(); ++a) check(text, a, a + 7);
    }
}

}  // namespace
}  // namespace vmatlas
