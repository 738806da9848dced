// Unit tests of the maps-text parser on the checked-in fixtures (tests/fixtures/README.md says how
// each was made) and on small in-memory texts. Every expected fact is written here, not derived by
// the code under test.
#include <charconv>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <cstdio>

#include "vmatlas/address_space.hpp"
#include "vmatlas/maps_text.hpp"

namespace vmatlas {
namespace {

std::string read_fixture(std::string_view name) {
    const std::string path = std::string(VMATLAS_FIXTURES) + "/" + std::string(name);
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot open " << path;
    std::ostringstream out;
    out << in.rdbuf();
    return std::move(out).str();
}

AddressSpace parse(std::string_view text) {
    return parse_maps_text(text, SourceInfo{vmatlas::SourceKind::MapsText, "test", 0, ""});
}

std::string joined(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
}

// The one warning of a text whose names end in " (deleted)" or hold "\012": the first such row's
// line and the column where its path begins, and how many such rows there are.
void expect_marked_names(const AddressSpace& space, std::size_t line, std::size_t column,
                         std::size_t rows) {
    ASSERT_EQ(space.diagnostics().size(), 1u);
    const vmatlas::Diagnostic& d = space.diagnostics()[0];
    EXPECT_EQ(d.line, line);
    EXPECT_EQ(d.column, column);
    const std::string which = rows == 1 ? "this row's name ends in \" (deleted)\" or holds"
                                        : "this row's name and " + std::to_string(rows - 1) +
                                              " more end in \" (deleted)\" or hold";
    EXPECT_EQ(d.message, which +
                             " a backslash and 012, which the kernel writes for a deleted file and "
                             "a newline but a file's own name may hold: read as the kernel's "
                             "marks, unchecked (the files are not at hand)");
}

void expect_sound(const AddressSpace& space) {
    const auto broken = check_invariants(space);
    EXPECT_TRUE(broken.empty()) << joined(broken);
}

std::uint64_t hex(std::string_view s) {
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    EXPECT_TRUE(ec == std::errc() && p == s.data() + s.size()) << "test bug: hex '" << s << "'";
    return v;
}

std::uint64_t dec(std::string_view s) {
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
    EXPECT_TRUE(ec == std::errc() && p == s.data() + s.size()) << "test bug: dec '" << s << "'";
    return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    for (;;) {
        const auto at = s.find(sep);
        parts.push_back(s.substr(0, at));
        if (at == std::string_view::npos) return parts;
        s.remove_prefix(at + 1);
    }
}

// One expected row, spelled as the kernel prints it.
struct Row {
    std::string range;  // "start-end" in hex
    std::string perms;
    std::string offset;  // hex
    std::string dev;     // "major:minor" in hex
    std::uint64_t inode = 0;
    std::string path;
    bool deleted = false;
};

void expect_row(const AddressSpace& space, std::size_t i, const Row& want) {
    SCOPED_TRACE("row " + std::to_string(i) + ": " + want.range + " " + want.path);
    ASSERT_LT(i, space.size());
    const Mapping& m = space[i];
    const auto range = split(want.range, '-');
    const auto dev = split(want.dev, ':');
    ASSERT_EQ(range.size(), 2u);
    ASSERT_EQ(dev.size(), 2u);
    EXPECT_EQ(m.start, hex(range[0]));
    EXPECT_EQ(m.end, hex(range[1]));
    const auto perms = m.perms.text();
    EXPECT_EQ(std::string(perms.begin(), perms.end()), want.perms);
    EXPECT_EQ(raw(m.offset), hex(want.offset));
    EXPECT_EQ(m.dev_major, hex(dev[0]));
    EXPECT_EQ(m.dev_minor, hex(dev[1]));
    EXPECT_EQ(m.inode, want.inode);
    EXPECT_EQ(space.path(m), want.path);
    EXPECT_EQ(m.path == kNoPath, want.path.empty());
    EXPECT_EQ(m.deleted(), want.deleted);
}

void expect_rows(const AddressSpace& space, const std::vector<Row>& want) {
    ASSERT_EQ(space.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) expect_row(space, i, want[i]);
}

// Kernel-made text only (one row per line, nothing pasted, no escapes): the first five fields are
// separated by one space, then the path is the rest of the line after the padding.
std::vector<Row> reference_rows(std::string_view text) {
    std::vector<Row> rows;
    for (std::string_view line : split(text, '\n')) {
        if (line.empty()) continue;
        const auto f = split(line, ' ');
        Row r{std::string(f.at(0)),
              std::string(f.at(1)),
              std::string(f.at(2)),
              std::string(f.at(3)),
              dec(f.at(4)),
              "",
              false};
        std::size_t at = f[0].size() + f[1].size() + f[2].size() + f[3].size() + f[4].size() + 5;
        while (at < line.size() && line[at] == ' ') ++at;
        if (at < line.size()) r.path = std::string(line.substr(at));
        constexpr std::string_view kDeletedSuffix = " (deleted)";
        if (r.path.ends_with(kDeletedSuffix)) {
            r.path.resize(r.path.size() - kDeletedSuffix.size());
            r.deleted = true;
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

std::size_t line_count(std::string_view text) {
    std::size_t n = 0;
    for (std::string_view line : split(text, '\n'))
        if (!line.empty()) ++n;
    return n;
}

// ---- every fixture ----------------------------------------------------------------------------

class EveryFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryFixture, ParsesToASoundAddressSpace) {
    const AddressSpace space = parse(read_fixture(GetParam()));
    expect_sound(space);
    EXPECT_FALSE(space.empty());
    const RowAccount& r = space.rows();
    EXPECT_EQ(r.read, r.kept + r.superseded + r.rejected);
    EXPECT_EQ(space.source().kind, SourceKind::MapsText);
}

// A live map arrives in blocks that may cut a row anywhere: fed in pieces of any size, every
// fixture parses to the same rows, paths, diagnostics and account as when given whole.
TEST_P(EveryFixture, PiecesOfAnySizeParseAsTheWholeText) {
    const std::string text = read_fixture(GetParam());
    const AddressSpace whole = parse(text);
    for (const std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                                    std::size_t{64}, std::size_t{73}, std::size_t{4096}}) {
        AddressSpaceBuilder builder(SourceInfo{vmatlas::SourceKind::MapsText, "test", 0, ""});
        MapsTextParser parser(builder, MapsTextOptions{});
        for (std::size_t at = 0; at < text.size(); at += piece)
            parser.feed(std::string_view(text).substr(at, piece));
        parser.finish();
        const AddressSpace fed = std::move(builder).build();
        SCOPED_TRACE(testing::Message() << "pieces of " << piece << " bytes");
        ASSERT_EQ(fed.size(), whole.size());
        for (std::size_t i = 0; i < whole.size(); ++i) {
            EXPECT_EQ(fed[i], whole[i]) << "row " << i;
            EXPECT_EQ(fed.path(fed[i]), whole.path(whole[i])) << "row " << i;
        }
        ASSERT_EQ(fed.diagnostics().size(), whole.diagnostics().size());
        for (std::size_t k = 0; k < whole.diagnostics().size(); ++k) {
            EXPECT_EQ(fed.diagnostics()[k].line, whole.diagnostics()[k].line);
            EXPECT_EQ(fed.diagnostics()[k].column, whole.diagnostics()[k].column);
            EXPECT_EQ(fed.diagnostics()[k].message, whole.diagnostics()[k].message);
        }
        EXPECT_EQ(fed.rows().read, whole.rows().read);
        EXPECT_EQ(fed.rows().rejected, whole.rows().rejected);
    }
}

INSTANTIATE_TEST_SUITE_P(MapsText, EveryFixture,
                         ::testing::Values("seed003.maps", "cat-self.maps", "python3-mmap.maps",
                                           "hostile.maps", "special-names.maps", "bad-rows.maps",
                                           "overlap.maps", "32bit.maps"));

// ---- seed 003: 34 rows pasted on one line ----------------------------------------------------

TEST(MapsTextSeed003, EveryFieldOfEveryRowAsExpected) {
    const std::string expected = read_fixture("seed003.expected.tsv");
    std::vector<Row> want;
    for (std::string_view line : split(expected, '\n')) {
        if (line.empty()) continue;
        const auto f = split(line, '\t');
        ASSERT_EQ(f.size(), 7u) << line;
        want.push_back(Row{std::string(f[0]) + "-" + std::string(f[1]), std::string(f[2]),
                           std::string(f[3]), std::string(f[4]), dec(f[5]), std::string(f[6])});
    }
    ASSERT_EQ(want.size(), 34u);

    const AddressSpace space = parse(read_fixture("seed003.maps"));
    expect_sound(space);
    EXPECT_TRUE(space.diagnostics().empty());
    EXPECT_EQ(space.rows().read, 34u);
    EXPECT_EQ(space.rows().kept, 34u);
    EXPECT_EQ(space.rows().superseded, 0u);
    EXPECT_EQ(space.rows().rejected, 0u);
    expect_rows(space, want);
}

TEST(MapsTextSeed003, AnonymousRowFollowedByAPastedRowHasNoPath) {
    const AddressSpace space = parse(read_fixture("seed003.maps"));
    ASSERT_EQ(space.size(), 34u);
    // "00267000-0026a000 rw-p 00267000 00:00 0 0026a000-00275000 r-xp ... /lib/libgcc_s-..."
    expect_row(space, 4, {"00267000-0026a000", "rw-p", "00267000", "00:00", 0, ""});
    expect_row(space, 5,
               {"0026a000-00275000", "r-xp", "00000000", "fd:00", 2197271,
                "/lib/libgcc_s-4.1.2-20080825.so.1"});
    // The last row ends the line: "[stack]" then '\n'.
    expect_row(space, 33, {"bf8bb000-bf8d0000", "rw-p", "bffe9000", "00:00", 0, "[stack]"});
}

// ---- real captures on this machine -------------------------------------------------------------

TEST(MapsTextRealCapture, CatSelfMatchesTheKernelText) {
    const std::string text = read_fixture("cat-self.maps");
    const AddressSpace space = parse(text);
    expect_sound(space);
    EXPECT_TRUE(space.diagnostics().empty());
    EXPECT_EQ(space.rows().read, line_count(text));
    expect_rows(space, reference_rows(text));
    expect_row(space, space.size() - 1,
               {"ffffffffff600000-ffffffffff601000", "--xp", "00000000", "00:00", 0, "[vsyscall]"});
}

// Hex fields of every length, in lower and upper case, and one digit too many.
TEST(MapsTextSmall, HexFieldsOfEveryLength) {
    for (int digits = 1; digits <= 16; ++digits) {
        for (const std::uint64_t seed : {0x123456789abcdef0ULL, 0xfedcba9876543210ULL, 0ULL}) {
            const std::uint64_t start =
                digits == 16 ? seed | (1ULL << 63) : (seed >> (64 - 4 * digits)) | 1;
            for (const bool upper : {false, true}) {
                char head[80];
                std::snprintf(head, sizeof head,
                              upper ? "%0*llX-%llX rw-p %llX 0a:0B 42 /x\n"
                                    : "%0*llx-%llx rw-p %llx 0a:0b 42 /x\n",
                              digits, static_cast<unsigned long long>(start),
                              static_cast<unsigned long long>(~0ULL),
                              static_cast<unsigned long long>(start));
                const AddressSpace space = parse(head);
                SCOPED_TRACE(head);
                ASSERT_EQ(space.size(), 1u);
                EXPECT_EQ(space[0].start, start);
                EXPECT_EQ(space[0].end, ~0ULL);
                EXPECT_EQ(raw(space[0].offset), start);
                EXPECT_EQ(space[0].dev_major, 0xau);
                EXPECT_EQ(space[0].dev_minor, 0xbu);
                EXPECT_EQ(space[0].inode, 42u);
            }
        }
    }
    EXPECT_EQ(parse("10000000000000000-20000000000000000 rw-p 0 00:00 0\n").size(), 0u);
    EXPECT_EQ(parse("1000-2000 rw-p 0 123456789:00 0\n").size(), 0u);
    EXPECT_EQ(parse("1000-2000 rw-p 00000000000000001 00:00 0\n").size(), 0u);
}

TEST(MapsTextRealCapture, Python3MatchesTheKernelText) {
    const std::string text = read_fixture("python3-mmap.maps");
    const AddressSpace space = parse(text);
    expect_sound(space);
    // deleted.bin: a file's name ends in " (deleted)" (the memfd and /dev/zero rows cannot).
    ASSERT_EQ(space.diagnostics().size(), 1u);
    EXPECT_TRUE(space.diagnostics()[0].message.starts_with("this row's name ends in"));
    EXPECT_EQ(space.rows().read, line_count(text));
    expect_rows(space, reference_rows(text));

    int spaces = 0, deleted_file = 0, memfd = 0, dev_zero = 0;
    for (const Mapping& m : space.mappings()) {
        const std::string_view p = space.path(m);
        if (p == "/tmp/vmatlas fixture/a file with spaces.bin" && !m.deleted()) ++spaces;
        if (p == "/tmp/vmatlas fixture/deleted.bin" && m.deleted()) ++deleted_file;
        if (p == "/memfd:vmatlas-memfd" && m.deleted() && m.perms.shared()) ++memfd;
        if (p == "/dev/zero" && m.deleted()) ++dev_zero;
    }
    EXPECT_EQ(spaces, 1);
    EXPECT_EQ(deleted_file, 1);
    EXPECT_EQ(memfd, 1);
    EXPECT_EQ(dev_zero, 1);
}

// ---- hostile names -----------------------------------------------------------------------------

TEST(MapsTextHostile, EveryPathKeptExactly) {
    const std::string long_path = [] {
        std::string p = "/tmp/";
        for (int i = 0; i < 300; ++i) p += "long-directory-name/";
        return p + "end.so";
    }();
    ASSERT_EQ(long_path.size(), 6011u);

    const AddressSpace space = parse(read_fixture("hostile.maps"));
    expect_sound(space);
    ASSERT_EQ(space.diagnostics().size(), 1u);  // names that end in " (deleted)" or hold "\012"
    EXPECT_TRUE(space.diagnostics()[0].message.starts_with("this row's name and"));
    EXPECT_EQ(space.rows().read, 17u);
    expect_rows(
        space,
        {
            {"7f0000001000-7f0000002000", "r-xp", "0", "08:01", 11,
             "/tmp/dir with spaces/lib name.so"},
            {"7f0000002000-7f0000003000", "r--p", "0", "08:01", 12, "/tmp/  two leading spaces"},
            {"7f0000003000-7f0000004000", "r--p", "0", "08:01", 13, "/tmp/trailing spaces   "},
            {"7f0000004000-7f0000005000", "r--p", "0", "08:01", 14, "/tmp/new\nline\n"},
            {"7f0000005000-7f0000006000", "r--p", "0", "08:01", 15,
             "/tmp/\x1b[31mred\x1b[0m\x07\x08\x7f\ttab\x01"},
            {"7f0000006000-7f0000007000", "rw-s", "0", "08:01", 16, "/tmp/gone", true},
            {"7f0000007000-7f0000008000", "rw-s", "0", "08:01", 17, "/tmp/name (deleted)", true},
            {"7f0000008000-7f0000009000", "r--p", "0", "08:01", 18, "/tmp/(deleted) in the middle"},
            {"7f0000009000-7f000000a000", "r--p", "0", "08:01", 19,
             "/tmp/bad\xff\xfe\xc0\xaf"
             "utf8"},
            {"7f000000a000-7f000000b000", "r--p", "0", "08:01", 20, long_path},
            {"7f000000b000-7f000000c000", "r-xp", "0", "08:01", 21, "/tmp/crlf.so"},
            {"7f000000c000-7f000000d000", "rw-p", "0", "00:00", 0, ""},
            {"7f000000d000-7f000000e000", "rw-s", "0", "08:01", 22, "/tmp/crlf gone", true},
            {"7f000000e000-7f000000f000", "r--p", "0", "08:01", 23, "/tmp/back\\slash"},
            {"7f000000f000-7f0000010000", "rw-s", "0", "08:01", 24, "/tmp/new\nline", true},
            {"7f0000010000-7f0000011000", "r--p", "0", "08:01", 25, "/tmp/日本語 ünïcödé.so"},
            {"7f0000011000-7f0000012000", "r--p", "0", "08:01", 26, "/tmp/one-space-before"},
        });
}

// ---- kernel pseudo-names -----------------------------------------------------------------------

TEST(MapsTextSpecialNames, KeptVerbatimExceptTheDeletedSuffix) {
    const AddressSpace space = parse(read_fixture("special-names.maps"));
    expect_sound(space);
    EXPECT_TRUE(space.diagnostics().empty());
    expect_rows(
        space,
        {
            {"55d4c8a00000-55d4c8a21000", "rw-p", "0", "00:00", 0, "[heap]"},
            {"7f1a2c000000-7f1a2c021000", "rw-p", "0", "00:00", 0, "[anon:NAME]"},
            {"7f1a2c021000-7f1a2c100000", "---p", "0", "00:00", 0, "[anon:name with spaces]"},
            {"7f1a2c200000-7f1a2c300000", "rw-s", "0", "00:01", 2052, "[anon_shmem:NAME]"},
            {"7f1a2c400000-7f1a2c402000", "rw-s", "0", "00:01", 1030, "/memfd:x", true},
            {"7f1a2c402000-7f1a2c403000", "rw-s", "0", "00:01", 3, "/SYSV00000000", true},
            {"7f1a2c403000-7f1a2c503000", "rw-s", "0", "00:01", 1031, "/dev/zero", true},
            {"7f1a2c600000-7f1a2c601000", "rw-p", "0", "00:00", 0, "[stack:4242]"},
            {"7f1a2cffb000-7f1a2cfff000", "r--p", "0", "00:00", 0, "[vvar]"},
            {"7f1a2cfff000-7f1a2d001000", "r--p", "0", "00:00", 0, "[vvar_vclock]"},
            {"7f1a2d001000-7f1a2d003000", "r-xp", "0", "00:00", 0, "[vdso]"},
            {"7ffd3e100000-7ffd3e121000", "rw-p", "0", "00:00", 0, "[stack]"},
            {"7fffffffe000-7ffffffff000", "--xp", "0", "00:00", 0, "[uprobes]"},
            {"ffffffffff600000-ffffffffff601000", "--xp", "0", "00:00", 0, "[vsyscall]"},
        });
}

TEST(MapsTextSpecialNames, EqualPathsAreInternedOnce) {
    const AddressSpace space = parse(read_fixture("seed003.maps"));
    ASSERT_EQ(space.size(), 34u);
    EXPECT_EQ(space[0].path, space[1].path);  // /lib/libc-2.5.so, twice
    EXPECT_NE(space[0].path, space[5].path);
    // 12 distinct names, plus the empty string at id 0.
    EXPECT_EQ(space.paths().size(), 13u);
}

// ---- malformed rows ----------------------------------------------------------------------------

struct BadRow {
    std::size_t line;
    std::size_t column_min, column_max;  // a range only where the field is missing altogether
    const char* field;                   // a word the message must contain
};

TEST(MapsTextBadRows, GoodRowsKeptEachBadRowReportedAtItsField) {
    const AddressSpace space = parse(read_fixture("bad-rows.maps"));
    expect_sound(space);
    expect_rows(space,
                {
                    {"00400000-00401000", "r-xp", "00000000", "08:01", 100, "/usr/bin/good1"},
                    {"00410000-00411000", "rw-p", "00000000", "00:00", 0, ""},
                    {"004a0000-004a1000", "r-xp", "00000000", "08:01", 103, "/usr/bin/good2"},
                    {"004d0000-004d1000", "r-xp", "00000000", "08:01", 104, "/usr/bin/good3"},
                });

    // Columns of the fields of a row with 8-digit addresses: start 1, end 10, perms 19,
    // offset 24, dev 33 (minor 36), inode 39. A missing field may be reported where its separator
    // was expected (the end of the line) or one byte later, where the field would begin.
    const std::vector<BadRow> want = {
        {2, 1, 1, "start"},      // 0040g000
        {3, 10, 10, "end"},      // 0040z000
        {5, 10, 10, "end"},      // end < start
        {6, 19, 19, "perm"},     // rwzp
        {8, 24, 24, "offset"},   // 0000x000
        {9, 36, 36, "minor"},    // 08:0g: the minor number, the part of the device that is bad
        {10, 39, 39, "inode"},   // 12a
        {11, 38, 39, "inode"},   // missing
        {12, 23, 24, "offset"},  // missing
        {13, 18, 19, "perm"},    // missing
        {15, 19, 19, "perm"},    // r\0xp
        {16, 10, 10, "end"},     // end == start
        {17, 1, 1, "start"},     // 17 hex digits
        {19, 19, 19, "perm"},    // "rw" at the end of the text
    };
    EXPECT_EQ(space.rows().read, 4 + want.size());
    EXPECT_EQ(space.rows().kept, 4u);
    EXPECT_EQ(space.rows().superseded, 0u);
    EXPECT_EQ(space.rows().rejected, want.size());
    EXPECT_EQ(space.rows().read,
              space.rows().kept + space.rows().superseded + space.rows().rejected);

    ASSERT_EQ(space.diagnostics().size(), want.size());
    for (const BadRow& w : want) {
        SCOPED_TRACE("line " + std::to_string(w.line));
        const Diagnostic* found = nullptr;
        for (const Diagnostic& d : space.diagnostics())
            if (d.line == w.line) found = &d;
        ASSERT_NE(found, nullptr) << "no diagnostic for line " << w.line;
        EXPECT_GE(found->column, w.column_min) << found->message;
        EXPECT_LE(found->column, w.column_max) << found->message;
        EXPECT_NE(found->message.find(w.field), std::string::npos)
            << "message '" << found->message << "' does not name '" << w.field << "'";
    }
    for (const Diagnostic& d : space.diagnostics())
        EXPECT_NE(d.line, 7u) << "an empty line is not a row: " << d.message;
}

TEST(MapsTextBadRows, PermissionsNamedInTheMessage) {
    const AddressSpace space = parse("00430000-00431000 rwzp 00000000 00:00 0\n");
    EXPECT_TRUE(space.empty());
    ASSERT_EQ(space.diagnostics().size(), 1u);
    EXPECT_EQ(space.diagnostics()[0].line, 1u);
    EXPECT_EQ(space.diagnostics()[0].column, 19u);
    EXPECT_NE(space.diagnostics()[0].message.find("'rwzp'"), std::string::npos)
        << space.diagnostics()[0].message;
}

TEST(MapsTextBadRows, InodeThatOverflows64BitsIsRejected) {
    const AddressSpace space = parse(
        "00400000-00401000 r--p 00000000 08:01 18446744073709551616 /x\n"
        "00401000-00402000 r--p 00000000 08:01 18446744073709551615 /y\n");
    expect_sound(space);
    expect_rows(space, {{"00401000-00402000", "r--p", "0", "08:01", 18446744073709551615u, "/y"}});
    ASSERT_EQ(space.diagnostics().size(), 1u);
    EXPECT_EQ(space.diagnostics()[0].line, 1u);
    EXPECT_EQ(space.diagnostics()[0].column, 39u);
}

// ---- overlapping rows from a non-atomic read
// -----------------------------------------------------

TEST(MapsTextOverlap, TheLaterRowWins) {
    const AddressSpace space = parse(read_fixture("overlap.maps"));
    expect_sound(space);
    expect_rows(
        space, {
                   {"00400000-00401000", "r-xp", "0", "08:01", 100, "/usr/bin/prog"},
                   {"00601000-00602000", "rw-p", "1000", "08:01", 100, "/usr/bin/prog"},
                   {"01000000-01042000", "rw-p", "0", "00:00", 0, "[heap]"},
                   {"7f0000000000-7f0000010000", "rw-p", "0", "00:00", 0, ""},
                   {"7f0000010000-7f0000030000", "r--p", "0", "08:01", 200, "/usr/lib/libx.so"},
                   {"7f0000030000-7f0000031000", "rw-p", "20000", "08:01", 200, "/usr/lib/libx.so"},
                   {"7f2000000000-7f2000002000", "rw-p", "0", "00:00", 0, "[anon:merged]"},
               });
    EXPECT_EQ(space.rows().read, 11u);
    EXPECT_EQ(space.rows().kept, 7u);
    EXPECT_EQ(space.rows().superseded, 4u);
    EXPECT_EQ(space.rows().rejected, 0u);
}

// ---- 32-bit ------------------------------------------------------------------------------------

TEST(MapsText32Bit, EightDigitAddresses) {
    const std::string text = read_fixture("32bit.maps");
    const AddressSpace space = parse(text);
    expect_sound(space);
    EXPECT_TRUE(space.diagnostics().empty());
    expect_rows(space, reference_rows(text));
    ASSERT_EQ(space.size(), 23u);
    for (const Mapping& m : space.mappings()) EXPECT_LE(m.end, 0x1'0000'0000u);
    expect_row(
        space, 22,
        {"fffdd000-ffffe000", "rw-p", "0", "103:1f", 4294967295u, "/tmp/top of 32-bit space"});
    EXPECT_EQ(space[22].dev_major, 0x103u);
}

// ---- small texts -------------------------------------------------------------------------------

TEST(MapsTextSmall, EmptyInputIsAnEmptySpace) {
    for (std::string_view text : {std::string_view(""), std::string_view("\n")}) {
        const AddressSpace space = parse(text);
        expect_sound(space);
        EXPECT_TRUE(space.empty());
        EXPECT_TRUE(space.diagnostics().empty());
        EXPECT_EQ(space.rows().read, 0u);
    }
}

TEST(MapsTextSmall, NoTrailingNewline) {
    const AddressSpace space = parse(
        "00400000-00401000 r-xp 00000000 08:01 12 /bin/x\n"
        "00401000-00402000 rw-p 00000000 00:00 0");
    expect_sound(space);
    EXPECT_TRUE(space.diagnostics().empty());
    expect_rows(space, {{"00400000-00401000", "r-xp", "0", "08:01", 12, "/bin/x"},
                        {"00401000-00402000", "rw-p", "0", "00:00", 0, ""}});

    const AddressSpace named = parse("00400000-00401000 r-xp 00000000 08:01 12 /bin/x y");
    expect_rows(named, {{"00400000-00401000", "r-xp", "0", "08:01", 12, "/bin/x y"}});
}

TEST(MapsTextSmall, PathsWithSpacesAndPastedRowsOnOneLine) {
    const AddressSpace space = parse(
        "00400000-00401000 r-xp 00000000 08:01 12 /opt/my app/bin x "
        "00401000-00402000 rw-p 00001000 08:01 12 /opt/my app/bin x (deleted) "
        "00402000-00403000 rw-p 00000000 00:00 0 "
        "00403000-00404000 rw-p 00000000 00:00 0 [heap]\n");
    expect_sound(space);
    expect_marked_names(space, 1, 101, 1);
    expect_rows(space,
                {{"00400000-00401000", "r-xp", "0", "08:01", 12, "/opt/my app/bin x"},
                 {"00401000-00402000", "rw-p", "1000", "08:01", 12, "/opt/my app/bin x", true},
                 {"00402000-00403000", "rw-p", "0", "00:00", 0, ""},
                 {"00403000-00404000", "rw-p", "0", "00:00", 0, "[heap]"}});
}

TEST(MapsTextSmall, AnIncompleteRowHeadInAPathIsPartOfThePath) {
    // Only a complete, well-formed row head ends a path; these are not one.
    const AddressSpace space = parse(
        "00400000-00401000 r-xp 00000000 08:01 12 /tmp/a 00400000-00401000 r-xp\n"
        "00401000-00402000 r-xp 00000000 08:01 13 /tmp/b 1-2 rwzp 0 0:0 5\n"
        "00402000-00403000 r-xp 00000000 08:01 14 /tmp/c 1-2 r-xp 0 0:0 x\n");
    expect_sound(space);
    EXPECT_TRUE(space.diagnostics().empty());
    expect_rows(space,
                {{"00400000-00401000", "r-xp", "0", "08:01", 12, "/tmp/a 00400000-00401000 r-xp"},
                 {"00401000-00402000", "r-xp", "0", "08:01", 13, "/tmp/b 1-2 rwzp 0 0:0 5"},
                 {"00402000-00403000", "r-xp", "0", "08:01", 14, "/tmp/c 1-2 r-xp 0 0:0 x"}});
}

TEST(MapsTextSmall, ACompleteRowHeadInAPathStartsANewRow) {
    // The documented price of accepting pasted rows: a file name that holds a whole row head is
    // split there, as a reader of the pasted text would split it.
    const std::string_view text =
        "00400000-00401000 r-xp 00000000 08:01 12 /tmp/a 7f0000-7f0001 r--p 0 0:0 5 /fake\n";
    const AddressSpace space = parse(text);
    expect_sound(space);
    EXPECT_TRUE(space.diagnostics().empty());
    expect_rows(space, {{"00400000-00401000", "r-xp", "0", "08:01", 12, "/tmp/a"},
                        {"7f0000-7f0001", "r--p", "0", "0:0", 5, "/fake"}});

    // Text the kernel wrote has one row per line: there, the name stays whole.
    AddressSpaceBuilder builder(SourceInfo{vmatlas::SourceKind::Procfs, "/proc/1/maps", 1, ""});
    parse_maps_text(text, builder, MapsTextOptions{.pasted_rows = false});
    const AddressSpace live = std::move(builder).build();
    expect_sound(live);
    EXPECT_TRUE(live.diagnostics().empty());
    expect_rows(live, {{"00400000-00401000", "r-xp", "0", "08:01", 12,
                        "/tmp/a 7f0000-7f0001 r--p 0 0:0 5 /fake"}});
}

TEST(MapsTextSmall, CrlfAndTheDeletedSuffix) {
    const AddressSpace space = parse(
        "00400000-00401000 r-xp 00000000 08:01 12 /bin/x (deleted)\r\n"
        "00401000-00402000 rw-p 00000000 00:00 0\r\n");
    expect_sound(space);
    expect_marked_names(space, 1, 42, 1);
    expect_rows(space, {{"00400000-00401000", "r-xp", "0", "08:01", 12, "/bin/x", true},
                        {"00401000-00402000", "rw-p", "0", "00:00", 0, ""}});
}

TEST(MapsTextSmall, TheBuilderOverloadFillsTheGivenBuilder) {
    AddressSpaceBuilder builder(SourceInfo{vmatlas::SourceKind::MapsText, "-", 0, ""});
    parse_maps_text("00400000-00401000 r-xp 00000000 08:01 12 /bin/x\n", builder);
    const AddressSpace space = std::move(builder).build();
    expect_sound(space);
    EXPECT_EQ(space.source().origin, "-");
    expect_rows(space, {{"00400000-00401000", "r-xp", "0", "08:01", 12, "/bin/x"}});
}

}  // namespace
}  // namespace vmatlas
