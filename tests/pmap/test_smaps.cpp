// The smaps source on checked-in captures and hand-made faults, the builder carrying figures
// through sorting and overlaps, and the piece of the pmap views that is not layout: the Mapped
// File column.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "render/map_view.hpp"
#include "render/pmap_view.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/query.hpp"
#include "vmatlas/smaps.hpp"

namespace vmatlas {
namespace {

constexpr std::uint64_t K = 1024;

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(VMATLAS_PMAP_DIR) + "/fixtures/" + name, std::ios::binary);
    EXPECT_TRUE(in) << name;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// 1 when the space has the one warning about names that end in " (deleted)" (which a file's own
// name may), as every capture of a process that maps a deleted file has; else 0.
std::size_t marked_names(const AddressSpace& s) {
    return std::count_if(s.diagnostics().begin(), s.diagnostics().end(), [](const Diagnostic& d) {
        return d.message.starts_with("this row's name");
    });
}

const Figures& figures_at(const AddressSpace& s, Addr start) {
    const auto i = s.find(start);
    if (!i || s[*i].start != start) throw std::runtime_error("no row starts there");
    return s.figures()[*i];
}

// ---- a real capture ------------------------------------------------------------------------

TEST(Smaps, RealCaptureHasTheRowsOfItsMaps) {
    const AddressSpace smaps =
        parse_smaps_text(fixture("demo.smaps"), {vmatlas::SourceKind::MapsText, "", 0, ""});
    AddressSpaceBuilder b({vmatlas::SourceKind::MapsText, "", 0, ""});
    parse_maps_text(fixture("demo.maps"), b, MapsTextOptions{.pasted_rows = false});
    const AddressSpace maps = std::move(b).build();

    EXPECT_TRUE(check_invariants(smaps).empty());
    EXPECT_EQ(smaps.diagnostics().size(), marked_names(smaps));
    ASSERT_EQ(smaps.size(), 56u);
    ASSERT_EQ(maps.size(), smaps.size());
    ASSERT_EQ(smaps.figures().size(), smaps.size());
    for (std::size_t i = 0; i < smaps.size(); ++i) {
        const Mapping& a = smaps[i];
        const Mapping& m = maps[i];
        EXPECT_EQ(a.start, m.start);
        EXPECT_EQ(a.end, m.end);
        EXPECT_EQ(a.perms, m.perms);
        EXPECT_EQ(raw(a.offset), raw(m.offset));
        EXPECT_EQ(a.inode, m.inode);
        EXPECT_EQ(a.flags, m.flags);
        EXPECT_EQ(smaps.path(a), maps.path(m)) << "row " << i;
        EXPECT_EQ(smaps.figures()[i].kernel_page_size, 4 * K);
    }
}

TEST(Smaps, RealCaptureFiguresAreTheKernels) {
    const AddressSpace s =
        parse_smaps_text(fixture("demo.smaps"), {vmatlas::SourceKind::MapsText, "", 0, ""});
    // Sums written down at capture time (README.md): awk over the file, and procps pmap -x.
    std::uint64_t size = 0, rss = 0, pss = 0, pss_dirty = 0, anon = 0, locked = 0, swap = 0,
                  dirty = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const Figures& f = s.figures()[i];
        size += s[i].size();
        rss += f.rss;
        pss += f.pss;
        pss_dirty += f.pss_dirty;
        anon += f.anonymous;
        locked += f.locked;
        swap += f.swap;
        dirty += f.shared_dirty + f.private_dirty;
    }
    EXPECT_EQ(size, 22124 * K);
    EXPECT_EQ(rss, 3076 * K);
    EXPECT_EQ(pss, 510 * K);
    EXPECT_EQ(pss_dirty, 280 * K);
    EXPECT_EQ(dirty, 280 * K);  // procps pmap -x's Dirty total
    EXPECT_EQ(anon, 248 * K);
    EXPECT_EQ(locked, 0u);
    EXPECT_EQ(swap, 0u);

    // The memfd: shared mapping, private dirty page (only this process maps it).
    std::size_t memfd = s.size();
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s.path(s[i]) == "/memfd:vmatlas-demo") memfd = i;
    ASSERT_LT(memfd, s.size());
    EXPECT_TRUE(s[memfd].deleted());
    EXPECT_EQ(s.figures()[memfd].rss, 4 * K);
    EXPECT_EQ(s.figures()[memfd].private_dirty, 4 * K);
    EXPECT_EQ(s.figures()[memfd].anonymous, 0u);
    EXPECT_EQ(s.figures()[memfd].vm_flags, "rd wr sh mr mw me ms");
    // [stack]
    const Figures& stack = s.figures()[54];
    EXPECT_EQ(s.path(s[54]), "[stack]");
    EXPECT_EQ(stack.rss, 12 * K);
    EXPECT_EQ(stack.anonymous, 12 * K);
    EXPECT_EQ(stack.referenced, 12 * K);
    EXPECT_EQ(stack.vm_flags, "rd wr mr mw me gd ac");
    EXPECT_FALSE(stack.thp_eligible);
}

// read(2) returns blocks that end anywhere: in a key, in a number, between "\r" and "\n".
TEST(Smaps, PiecesParseAsTheWholeText) {
    for (const char* name : {"demo.smaps", "hostile.smaps", "layout.smaps"}) {
        const std::string text = fixture(name);
        const AddressSpace whole =
            parse_smaps_text(text, {vmatlas::SourceKind::MapsText, "", 0, ""});
        for (const std::size_t piece : {1, 2, 7, 63, 4096}) {
            std::vector<std::string_view> pieces;
            for (std::size_t at = 0; at < text.size(); at += piece)
                pieces.push_back(std::string_view(text).substr(at, piece));
            const AddressSpace split =
                parse_smaps_text(pieces, {vmatlas::SourceKind::MapsText, "", 0, ""});
            ASSERT_EQ(split.size(), whole.size()) << name << " in pieces of " << piece;
            EXPECT_EQ(split.mappings(), whole.mappings()) << name << " / " << piece;
            ASSERT_EQ(split.figures().size(), whole.figures().size());
            for (std::size_t i = 0; i < whole.figures().size(); ++i)
                EXPECT_TRUE(split.figures()[i] == whole.figures()[i]) << name << " row " << i;
            ASSERT_EQ(split.diagnostics().size(), whole.diagnostics().size());
            for (std::size_t i = 0; i < whole.diagnostics().size(); ++i) {
                EXPECT_EQ(split.diagnostics()[i].line, whole.diagnostics()[i].line);
                EXPECT_EQ(split.diagnostics()[i].column, whole.diagnostics()[i].column);
                EXPECT_EQ(split.diagnostics()[i].message, whole.diagnostics()[i].message);
            }
            EXPECT_EQ(split.rows().rejected, whole.rows().rejected);
        }
    }
}

// Every figure of a capture read the fast way (lines in the kernel's exact form) equals the same
// figure read the careful way: a blank after each size, THPeligible and ProtectionKey line and
// a "\r" before the end of each VmFlags line keep every line off the fast path and change no
// value. A bad line after all of them is reported at the same line either way: the fast path
// counts the lines it takes.
TEST(Smaps, KernelFormLinesGiveWhatTheCarefulReadingGives) {
    for (const char* name : {"demo.smaps", "layout.smaps"}) {
        const std::string text = fixture(name);
        std::string careful_text;
        std::size_t line_start = 0;
        for (const char c : text) {
            if (c == '\n') {
                const std::string_view line = std::string_view(careful_text).substr(line_start);
                if (line.ends_with(" kB") || line.starts_with("THPeligible:") ||
                    line.starts_with("ProtectionKey:"))
                    careful_text.push_back(' ');
                else if (line.starts_with("VmFlags:"))
                    careful_text.push_back('\r');
            }
            careful_text.push_back(c);
            if (c == '\n') line_start = careful_text.size();
        }
        ASSERT_NE(careful_text, text);
        const std::string bad_row =
            "ffffffff00000000-ffffffff00001000 r--p 00000000 00:00 0\nRss: x kB\n";
        const AddressSpace fast =
            parse_smaps_text(text + bad_row, {vmatlas::SourceKind::MapsText, "", 0, ""});
        const AddressSpace careful =
            parse_smaps_text(careful_text + bad_row, {vmatlas::SourceKind::MapsText, "", 0, ""});
        ASSERT_EQ(fast.diagnostics().size() - marked_names(fast), 1u) << name;
        ASSERT_EQ(careful.diagnostics().size() - marked_names(careful), 1u) << name;
        EXPECT_EQ(fast.diagnostics()[0].line,
                  static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 2)
            << name;
        EXPECT_EQ(careful.diagnostics()[0].line, fast.diagnostics()[0].line) << name;
        EXPECT_EQ(careful.diagnostics()[0].column, fast.diagnostics()[0].column) << name;
        ASSERT_EQ(fast.mappings(), careful.mappings()) << name;
        ASSERT_EQ(fast.figures().size(), careful.figures().size()) << name;
        std::size_t nonzero = 0, thp = 0, flags = 0;
        for (std::size_t i = 0; i < fast.figures().size(); ++i) {
            const Figures& a = fast.figures()[i];
            EXPECT_TRUE(a == careful.figures()[i]) << name << " row " << i;
            nonzero += (a.rss != 0) + (a.pss != 0) + (a.private_clean != 0) + (a.referenced != 0) +
                       (a.anonymous != 0) + (a.private_dirty != 0);
            thp += a.thp_eligible;
            flags += !a.vm_flags.empty();
        }
        EXPECT_GT(nonzero, 20u) << name;            // the capture has figures to compare
        EXPECT_EQ(flags + 1, fast.size()) << name;  // the bad row has no VmFlags
        if (std::string_view(name) == "layout.smaps") {
            EXPECT_EQ(thp, 1u);
        }
    }
}

// A kernel leaves out the keys it does not have (ProtectionKey without memory protection keys,
// as on the machine the live tests run on; KSM before 6.1; LazyFree before 4.12): the keys after
// a missing one are still found, with the values of the whole capture.
TEST(Smaps, KeysLeftOutByTheKernelDoNotMoveTheOthers) {
    const std::string text = fixture("demo.smaps");
    std::string thinned;
    std::size_t dropped = 0;
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t nl = text.find('\n', at);
        const std::string_view line(text.data() + at,
                                    (nl == std::string::npos ? text.size() : nl + 1) - at);
        const bool drop = line.starts_with("ProtectionKey:") || line.starts_with("KSM:") ||
                          line.starts_with("LazyFree:");
        if (drop)
            ++dropped;
        else
            thinned += line;
        at += line.size();
    }
    const AddressSpace whole = parse_smaps_text(text, {vmatlas::SourceKind::MapsText, "", 0, ""});
    const AddressSpace thin = parse_smaps_text(thinned, {vmatlas::SourceKind::MapsText, "", 0, ""});
    EXPECT_EQ(dropped, 3 * whole.size());
    EXPECT_EQ(thin.diagnostics().size(), marked_names(thin));
    ASSERT_EQ(whole.mappings(), thin.mappings());
    for (std::size_t i = 0; i < whole.size(); ++i) {
        const Figures& a = whole.figures()[i];
        const Figures& b = thin.figures()[i];
        EXPECT_EQ(a.rss, b.rss) << "row " << i;
        EXPECT_EQ(a.anon_huge, b.anon_huge) << "row " << i;
        EXPECT_EQ(a.locked, b.locked) << "row " << i;
        EXPECT_EQ(a.thp_eligible, b.thp_eligible) << "row " << i;
        EXPECT_EQ(a.vm_flags, b.vm_flags) << "row " << i;
        EXPECT_FALSE(b.vm_flags.empty()) << "row " << i;
    }
}

TEST(Smaps, RealCaptureIsRecognized) {
    EXPECT_TRUE(looks_like_smaps(fixture("demo.smaps")));
    EXPECT_FALSE(looks_like_smaps(fixture("demo.maps")));
    EXPECT_TRUE(looks_like_smaps("Rss: 4 kB\n"));
    EXPECT_FALSE(looks_like_smaps("1000-2000 r--p 00000000 00:00 0 /x/Rss:\n"));
}

TEST(Smaps, MapsTextHasNoFigures) {
    const AddressSpace s =
        parse_smaps_text(fixture("demo.maps"), {vmatlas::SourceKind::MapsText, "", 0, ""});
    EXPECT_EQ(s.size(), 56u);
    EXPECT_TRUE(s.figures().empty());
    EXPECT_TRUE(check_invariants(s).empty());
}

// ---- faults --------------------------------------------------------------------------------

class Hostile : public ::testing::Test {
  protected:
    AddressSpace s =
        parse_smaps_text(fixture("hostile.smaps"), {vmatlas::SourceKind::MapsText, "", 0, ""});

    std::vector<std::string> messages() const {
        std::vector<std::string> out;
        for (const Diagnostic& d : s.diagnostics())
            out.push_back(std::to_string(d.line) + ":" + std::to_string(d.column) + " " +
                          d.message);
        return out;
    }
};

TEST_F(Hostile, EveryRowIsAccountedFor) {
    EXPECT_TRUE(check_invariants(s).empty());
    EXPECT_EQ(s.rows().read, 8u);
    EXPECT_EQ(s.rows().rejected, 1u);
    EXPECT_EQ(s.rows().superseded, 1u);
    EXPECT_EQ(s.rows().kept, 6u);
    ASSERT_EQ(s.figures().size(), 6u);
}

TEST_F(Hostile, EveryFigureLandsInItsField) {
    const Figures& f = figures_at(s, 0x100000);
    // The script writes 100 + the key's index in the kernel's order.
    EXPECT_EQ(f.rss, 103 * K);
    EXPECT_EQ(f.pss, 104 * K);
    EXPECT_EQ(f.pss_dirty, 105 * K);
    EXPECT_EQ(f.shared_clean, 106 * K);
    EXPECT_EQ(f.shared_dirty, 107 * K);
    EXPECT_EQ(f.private_clean, 108 * K);
    EXPECT_EQ(f.private_dirty, 109 * K);
    EXPECT_EQ(f.referenced, 110 * K);
    EXPECT_EQ(f.anonymous, 111 * K);
    EXPECT_EQ(f.ksm, 112 * K);
    EXPECT_EQ(f.lazy_free, 113 * K);
    EXPECT_EQ(f.anon_huge, 114 * K);
    EXPECT_EQ(f.shmem_pmd, 115 * K);
    EXPECT_EQ(f.file_pmd, 116 * K);
    EXPECT_EQ(f.shared_hugetlb, 117 * K);
    EXPECT_EQ(f.private_hugetlb, 118 * K);
    EXPECT_EQ(f.swap, 119 * K);
    EXPECT_EQ(f.swap_pss, 120 * K);
    EXPECT_EQ(f.locked, 121 * K);
    EXPECT_EQ(f.kernel_page_size, 4 * K);
    EXPECT_EQ(f.mmu_page_size, 4 * K);
    EXPECT_TRUE(f.thp_eligible);
    EXPECT_EQ(f.vm_flags, "rd wr mr mw me ac");  // the trailing blanks dropped
}

TEST_F(Hostile, KeysInAnyOrderAndUnknownKeys) {
    const Figures& f = figures_at(s, 0x3000);
    EXPECT_EQ(s.path(s[*s.find(0x3000)]), "/lib/x y.so");
    EXPECT_EQ(f.locked, 4 * K);
    EXPECT_EQ(f.rss, 4 * K);
    EXPECT_EQ(f.anonymous, 4 * K);
    EXPECT_EQ(f.vm_flags, "");
}

TEST_F(Hostile, BadValuesAreRefusedAndLeftAtZero) {
    const Figures& f = figures_at(s, 0x4000);
    EXPECT_EQ(f.rss, 0u);
    EXPECT_EQ(f.pss, 0u);
    EXPECT_EQ(f.swap, 0u);
    EXPECT_EQ(f.locked, 0u);
    EXPECT_FALSE(f.thp_eligible);
    EXPECT_EQ(f.anonymous, 4 * K);  // the good line among them
    const auto m = messages();
    const std::vector<std::string> want = {
        "1:1 a Rss line before any mapping row is ignored",
        "37:22 bad Rss value 'abc kB': it is left at 0",
        "38:23 bad Pss value '12': it is left at 0",
        "39:17 Swap 99999999999999999999 kB is past 2^64 - 1 bytes: the figure is left at 0",
        "40:17 Locked 18014398509481984 kB is past 2^64 - 1 bytes: the figure is left at 0",
        "42:24 bad THPeligible value '2': it is left at 0",
        "43:1 bad start address 'zzzz-6000'",
        "54:24 Size 4 kB is not the size of the row above (0x2000 bytes)",
        "53:74 this row's name ends in \" (deleted)\" or holds a backslash and 012, which the "
        "kernel writes for a deleted file and a newline but a file's own name may hold: read as "
        "the kernel's marks, unchecked (the files are not at hand)",
        "0:0 1 row(s) overlapped a later row and were dropped",
    };
    EXPECT_EQ(m, want);
    EXPECT_EQ(s.loss(), vmatlas::Loss::Input);  // a figure that could not be read: partial
}

TEST_F(Hostile, FiguresGoWithTheRowThatWins) {
    const auto i = s.find(0x6000);
    ASSERT_TRUE(i);
    EXPECT_EQ(s[*i].end, 0x9000u);
    EXPECT_EQ(s.figures()[*i].rss, 12 * K);
    EXPECT_EQ(s.figures()[*i].anonymous, 12 * K);
}

TEST_F(Hostile, CrlfDeletedAndNoFinalNewline) {
    const auto i = s.find(0x9000);
    ASSERT_TRUE(i);
    EXPECT_EQ(s.path(s[*i]), "/tmp/a b/c");
    EXPECT_TRUE(s[*i].deleted());
    EXPECT_EQ(s.figures()[*i].rss, 8 * K);
    const auto v = s.find(0xffffffffff600000);
    ASSERT_TRUE(v);
    EXPECT_EQ(s.path(s[*v]), "[vsyscall]");
}

// Size lines in the kernel's form are read from their end; every other spelling the careful way.
// Both must give one answer: the value, or a warning and 0.
TEST(Smaps, SizeLinesInEveryFormGiveTheSameValue) {
    struct Case {
        std::string_view value;  // what follows "Rss:"
        std::uint64_t kib;       // 0 with a warning when `bad`
        bool bad;
    };
    const Case cases[] = {
        {"                 12 kB", 12, false},  // the kernel's
        {"12 kB", 12, false},                   // no padding
        {"\t12 kB", 12, false},                 // a tab
        {" \t 12 kB", 12, false},
        {"   0012 kB", 12, false},  // leading zeros
        {"   12 kB  ", 12, false},  // trailing blanks
        {"   12\tkB", 12, false},   // a tab before the unit
        {"   12  kB", 12, false},
        {"   1234567890123456789 kB", 0, true},                 // fits 64 bits, not once in bytes
        {"   18014398509481983 kB", 18014398509481983, false},  // the largest that fits in bytes
        {"   18014398509481984 kB", 0, true},
        {"   99999999999999999999 kB", 0, true},  // twenty digits
        {"   12kB", 0, true},
        {"   12 KB", 0, true},
        {"   12 kB x", 0, true},
        {"   x12 kB", 0, true},
        {"  1 2 kB", 0, true},
        {"   kB", 0, true},
        {" kB", 0, true},
        {"", 0, true},
        // The kernel's own 27-byte form (12 blanks after "Rss:", the number in 8, " kB"), which
        // the lines before it below let Rss take the fast path, and 27-byte lines that only look
        // like it.
        {"                  12 kB", 12, false},
        {"            99999999 kB", 99999999, false},
        {"            00000000 kB", 0, false},
        {"            1 2 3456 kB", 0, true},
        {"            12345 6  kB", 0, true},
        {"            1234567x kB", 0, true},
        {"            123456:7 kB", 0, true},  // ':' is '9' + 1
        {"            /1234567 kB", 0, true},  // '/' is '0' - 1
        {"            -1234567 kB", 0, true},
        {"             \t123456 kB", 123456, false},
        {"                   7 kb", 0, true},
        {"                   7 kB\r", 7, false},
    };
    // Size, KernelPageSize and MMUPageSize first, in the kernel's form, so that Rss is the key
    // the kernel's order puts next: the one a 27-byte line can be taken for.
    // A row of 2^54 - 1 kB, the most that fits in 64 bits of bytes, so that every value below is
    // within it (a figure more than its row holds is refused).
    const std::string head =
        "0-fffffffffffffc00 rw-p 00000000 00:00 0\n"
        "Size:            18014398509481983 kB\n"
        "KernelPageSize:        4 kB\n"
        "MMUPageSize:           4 kB\n";
    for (const Case& c : cases) {
        const std::string text =
            head + "Rss:" + std::string(c.value) + "\nAnonymous:         4 kB\n";
        const AddressSpace s = parse_smaps_text(text, {vmatlas::SourceKind::MapsText, "", 0, ""});
        ASSERT_EQ(s.figures().size(), 1u) << c.value;
        EXPECT_EQ(s.figures()[0].rss, c.kib * K) << "'" << c.value << "'";
        EXPECT_EQ(s.figures()[0].anonymous, 4 * K) << c.value;
        EXPECT_EQ(s.figures()[0].mmu_page_size, 4 * K) << c.value;
        EXPECT_EQ(s.diagnostics().size(), c.bad ? 1u : 0u) << "'" << c.value << "'";
    }
    // A Size line in the kernel's form that is not the row's size is read the careful way, which
    // says so.
    const AddressSpace s = parse_smaps_text(
        "1000-2000 rw-p 00000000 00:00 0\nSize:                  8 kB\nRss:                   4 "
        "kB\n",
        {vmatlas::SourceKind::MapsText, "", 0, ""});
    ASSERT_EQ(s.diagnostics().size(), 1u);
    EXPECT_EQ(s.diagnostics()[0].message,
              "Size 8 kB is not the size of the row above (0x1000 bytes)");
    EXPECT_EQ(s.figures()[0].rss, 4 * K);
}

TEST(Smaps, OutOfOrderRowKeepsItsFigures) {
    const AddressSpace s =
        parse_smaps_text(fixture("layout.smaps"), {vmatlas::SourceKind::MapsText, "", 0, ""});
    EXPECT_TRUE(check_invariants(s).empty());
    EXPECT_EQ(s.size(), 26u);
    const auto i = s.find(0x7fffe3d0d000);
    ASSERT_TRUE(i);
    EXPECT_EQ(s.path(s[*i]), "[stack]");
    EXPECT_EQ(s.figures()[*i].rss, 24 * K);
    EXPECT_EQ(s.path(s[*i + 1]), "[vvar]");
    EXPECT_EQ(s.figures()[*i + 1].rss, 0u);
}

// VmFlags is kept inline up to 23 bytes and on the heap past that: both lengths, and a line cut
// between two pieces, come through whole; copies and moves of the figures keep them.
TEST(Smaps, VmFlagsShortAndLong) {
    const std::string short_flags = "rd wr mr mw me ac sd";                         // 20 bytes
    const std::string long_flags = "rd wr ex sh mr mw me ms gd pf io dc de ac nr";  // 44
    const std::string text =
        "00400000-00401000 r-xp 00000000 08:01 12 /bin/a\n"
        "Size:                  4 kB\n"
        "VmFlags: " +
        short_flags +
        "\n"
        "00401000-00402000 rw-s 00000000 08:01 12 /bin/a\n"
        "Size:                  4 kB\n"
        "VmFlags: " +
        long_flags + " \n";
    for (std::size_t cut = 0; cut <= text.size(); cut += 7) {
        const std::string_view whole(text);
        const std::string_view pieces[] = {whole.substr(0, cut), whole.substr(cut)};
        const AddressSpace s = parse_smaps_text(pieces, {vmatlas::SourceKind::MapsText, "", 0, ""});
        ASSERT_EQ(s.figures().size(), 2u) << cut;
        EXPECT_EQ(s.figures()[0].vm_flags, short_flags) << cut;
        EXPECT_EQ(s.figures()[1].vm_flags, long_flags) << cut;
    }
    const AddressSpace s = parse_smaps_text(text, {vmatlas::SourceKind::MapsText, "", 0, ""});
    Figures copy = s.figures()[1];
    const Figures moved = std::move(copy);
    EXPECT_EQ(moved.vm_flags, long_flags);
    EXPECT_EQ(s.figures()[1].vm_flags, long_flags);
}

// ---- the builder ---------------------------------------------------------------------------

Mapping row(Addr start, Addr end) {
    Mapping m;
    m.start = start;
    m.end = end;
    m.perms = Perms(Perms::kRead);
    return m;
}

Figures rss(std::uint64_t v) {
    Figures f;
    f.rss = v;
    return f;
}

TEST(Builder, FiguresFollowTheirRowsThroughSortAndOverlap) {
    AddressSpaceBuilder b({vmatlas::SourceKind::MapsText, "", 0, ""});
    b.add(row(0x5000, 0x6000), rss(5));
    b.add(row(0x1000, 0x2000), rss(1));
    b.add(row(0x2000, 0x3000), rss(2));  // superseded by the next
    b.add(row(0x2000, 0x4000), rss(24));
    b.add(row(0x9000, 0xa000));  // without figures: zero
    const AddressSpace s = std::move(b).build();
    EXPECT_TRUE(check_invariants(s).empty());
    ASSERT_EQ(s.size(), 4u);
    ASSERT_EQ(s.figures().size(), 4u);
    EXPECT_EQ(s.figures()[0].rss, 1u);
    EXPECT_EQ(s.figures()[1].rss, 24u);
    EXPECT_EQ(s[1].end, 0x4000u);
    EXPECT_EQ(s.figures()[2].rss, 5u);
    EXPECT_EQ(s.figures()[3].rss, 0u);
}

TEST(Builder, SortedRowsKeepTheirFigures) {
    AddressSpaceBuilder b({vmatlas::SourceKind::MapsText, "", 0, ""});
    b.add(row(0x1000, 0x2000));
    b.add(row(0x2000, 0x3000), rss(2));
    const AddressSpace s = std::move(b).build();
    ASSERT_EQ(s.figures().size(), 2u);
    EXPECT_EQ(s.figures()[0].rss, 0u);
    EXPECT_EQ(s.figures()[1].rss, 2u);
}

TEST(Builder, NoFiguresWithoutFigures) {
    AddressSpaceBuilder b({vmatlas::SourceKind::MapsText, "", 0, ""});
    b.add(row(0x1000, 0x2000));
    EXPECT_TRUE(std::move(b).build().figures().empty());
}

// ---- widths found from the values ------------------------------------------------------------

// The pmap views' columns are as wide as their widest cells, a marked size ("*": a core holds
// only part of the row), "-" for a zero figure and "K" suffixes counted, or the columns would
// not line up.
TEST(PmapTable, MarkedAndZeroCellsAreAsWideAsMeasured) {
    AddressSpaceBuilder b({vmatlas::SourceKind::MapsText, "", 0, ""});
    Mapping big = row(0x1000, 0x1000 + 123456 * 1024);
    big.flags = kPartlyDumped;
    Figures f = rss(4096 * 1024);
    f.anonymous = 1024;
    b.add(big, f);
    b.add(row(0x7f0000000000, 0x7f0000001000), Figures{});
    const AddressSpace space = std::move(b).build();
    const Annotations notes = annotate_kernel_names(space);
    auto render = [&](PmapMode mode) {
        std::string out;
        render_pmap(space, notes, {.mode = mode}, Format::Table, Palette{false}, out);
        return out;
    };
    // The title is the source's origin, empty here.
    EXPECT_EQ(render(PmapMode::Basic),
              "\n"
              "0000000000001000 123456K* r--p [ anon ]\n"
              "00007F0000000000       4K r--p [ anon ]\n"
              " total            123460K\n"
              "* the core file holds only part or none of these bytes\n");
    EXPECT_EQ(render(PmapMode::Extended),
              "\n"
              "Address           Kbytes  RSS Anon Locked Mode Mapped File\n"
              "0000000000001000 123456* 4096    1      - r--p [ anon ]\n"
              "00007F0000000000       4    -    -      - r--p [ anon ]\n"
              "----------------  ------ ---- ---- ------\n"
              "total Kb          123460 4096    1      -\n"
              "* the core file holds only part or none of these bytes\n");
    std::string out;
    render_mappings(space, notes, {}, Format::Table, Palette{false}, out);
    EXPECT_EQ(out,
              "        BASE        LIMIT     SIZE NAME\n"
              "        1000      7891000 7890000* [ anon ]\n"
              "7f0000000000 7f0000001000     1000 [ anon ]\n"
              "* the core file holds only part or none of these bytes\n");
}

// A cell that needs escaping (an untrusted VmFlags) in a middle column: escaped, and every
// column still where the header puts it, with the widest VmFlags setting its width.
TEST(PmapTable, EscapedTextInAMiddleColumnKeepsTheColumnsInLine) {
    AddressSpaceBuilder b({vmatlas::SourceKind::MapsText, "", 0, ""});
    Figures plain = rss(4 * K), escape = rss(8 * K), empty = rss(0);
    plain.vm_flags = "rd wr";
    escape.vm_flags = "rd \x1b[31m wr";  // escaped as \x1b: 4 bytes for 1
    b.add(row(0x1000, 0x2000), plain);
    b.add(row(0x2000, 0x3000), escape);
    b.add(row(0x3000, 0x4000), empty);
    const AddressSpace space = std::move(b).build();
    const Annotations notes = annotate_kernel_names(space);
    std::string out;
    render_pmap(space, notes, {.mode = PmapMode::Smaps, .quiet = true}, Format::Table,
                Palette{false}, out);
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 3u) << out;
    EXPECT_NE(lines[1].find(" rd \\x1b[31m wr "), std::string::npos) << lines[1];
    // Mode, VmFlags and Mapped File start at the same byte on every row.
    const std::size_t mode = lines[0].find(" r--p ");
    ASSERT_NE(mode, std::string::npos);
    const std::size_t file = lines[1].find("[ anon ]");
    for (const std::string& line : lines) {
        EXPECT_EQ(line.find(" r--p "), mode) << line;
        EXPECT_EQ(line.find("[ anon ]"), file) << line;
    }
    EXPECT_EQ(lines[2].substr(mode + 6, file - mode - 6), std::string(file - mode - 6, ' '));
    EXPECT_EQ(lines[0].substr(mode + 6, 6), "rd wr ");
}

// The default view: a kernel name that needs escaping in the Name column (a middle one) is
// escaped, and the columns of every row still start where the header puts them, the Name
// column as wide as the escaped name.
TEST(MapTable, EscapedNameInAMiddleColumnKeepsTheColumnsInLine) {
    AddressSpaceBuilder b({vmatlas::SourceKind::MapsText, "", 0, ""});
    b.add(row(0x1000, 0x2000));
    Mapping named = row(0x2000, 0x3000);
    named.path = b.intern("[anon:bad\x1bname]");  // escaped as \x1b: 4 bytes for 1
    b.add(named);
    Mapping file = row(0x3000, 0x4000);
    file.path = b.intern("/lib/a.so");
    b.add(file);
    const AddressSpace space = std::move(b).build();
    const Annotations notes = annotate_kernel_names(space);
    const Selection all = select_rows(space, notes, {});
    std::string out;
    render_map(space, notes, all, {}, Format::Table, Palette{false}, out);
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 4u) << out;
    // Escaped, and no blanks after it: nothing follows on its row.
    EXPECT_TRUE(lines[2].ends_with(" [anon:bad\\x1bname]")) << lines[2];
    const std::size_t file_at = lines[0].find("File");
    ASSERT_NE(file_at, std::string::npos);
    EXPECT_EQ(lines[3].find("/lib/a.so"), file_at) << out;
    EXPECT_EQ(lines[0].find("Name"), lines[1].find("[anon_00001]")) << out;
}

// ---- Mapped File --------------------------------------------------------------------------

TEST(MappedFile, NamesAndFiles) {
    const AddressSpace s = parse_maps_text(
        "1000-2000 r-xp 00000000 fe:00 7 /usr/lib/libc.so.6\n"
        "2000-3000 rw-p 00000000 00:00 0\n"
        "4000-5000 rw-p 00000000 00:00 0 [heap]\n"
        "5000-6000 rw-p 00000000 00:00 0\n"
        "6000-7000 rw-p 00000000 00:00 0\n"
        "7000-8000 r--p 00000000 fe:00 9 /tmp/old file (deleted)\n"
        "8000-9000 rw-p 00000000 00:00 0 [anon:my pool]\n"
        "9000-a000 ---p 00000000 00:00 0\n",
        {vmatlas::SourceKind::MapsText, "", 0, ""});
    Annotations n = annotate_kernel_names(s);
    n.labels[0] = {"text", NameSource::Elf};
    n.labels[1] = {"bss", NameSource::Elf, s[0].path};
    n.labels[3] = {"stack tid=5", NameSource::Registers};
    auto show = [&](std::size_t i, bool b = false, bool no_seg = false) {
        return mapped_file(s, n, i, b, no_seg);
    };
    EXPECT_EQ(show(0), "[ text ] /usr/lib/libc.so.6");
    EXPECT_EQ(show(0, true), "[ text ] libc.so.6");
    EXPECT_EQ(show(0, true, true), "libc.so.6");
    EXPECT_EQ(show(1), "[ bss ] /usr/lib/libc.so.6");
    EXPECT_EQ(show(1, false, true), "[ anon ]");
    EXPECT_EQ(show(2), "[ heap ]");
    EXPECT_EQ(show(2, true, true), "[ heap ]");
    EXPECT_EQ(show(3, false, true), "[ stack tid=5 ]");
    EXPECT_EQ(show(4), "[ anon ]");
    EXPECT_EQ(show(5), "/tmp/old file (deleted)");
    EXPECT_EQ(show(5, true), "old file (deleted)");
    EXPECT_EQ(show(6), "[ anon:my pool ]");
    EXPECT_EQ(show(7), "[ anon ]");
    n.labels[7] = {"[]", NameSource::Kernel};  // a name with nothing in its brackets is a name
    EXPECT_EQ(show(7), "[  ]");
    n.labels[0] = {"[x]", NameSource::Kernel};  // a kernel-style name beside a file
    EXPECT_EQ(show(0, true), "[ x ] libc.so.6");
}

}  // namespace
}  // namespace vmatlas
