// Unit tests of the regions reader (include/vmatlas/regions.hpp) on in-memory texts: every field
// form, comments, each kind of bad line with its exact line, column and sentence, overlaps,
// overflow, recognition, names, and adding regions to targets of every kind that has rows. Every
// expected fact is written here, not derived by the code under test.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/files.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/named_map.hpp"
#include "vmatlas/regions.hpp"
#include "vmatlas/smaps.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas {
namespace {

AddressSpace parse(std::string_view text) {
    return parse_regions_text(text, SourceInfo{vmatlas::SourceKind::Regions, "test"});
}

void expect_sound(const AddressSpace& space) {
    std::string all;
    for (const auto& b : check_invariants(space)) all += b + "\n";
    EXPECT_TRUE(all.empty()) << all;
}

std::string perms(const Mapping& m) {
    const auto p = m.perms.text();
    return std::string(p.data(), p.size());
}

struct Row {
    Addr start, end;
    std::string perms;
    std::uint64_t offset;
    std::string name;
    friend bool operator==(const Row&, const Row&) = default;
};

std::ostream& operator<<(std::ostream& os, const Row& r) {
    return os << std::hex << "{0x" << r.start << ", 0x" << r.end << ", " << r.perms << ", 0x"
              << r.offset << ", '" << r.name << "'}" << std::dec;
}

std::vector<Row> rows(const AddressSpace& space) {
    std::vector<Row> out;
    for (const Mapping& m : space.mappings())
        out.push_back({m.start, m.end, perms(m), raw(m.offset), std::string(space.path(m))});
    return out;
}

struct Diag {
    std::size_t line, column;
    std::string message;
    friend bool operator==(const Diag&, const Diag&) = default;
};

std::ostream& operator<<(std::ostream& os, const Diag& d) {
    return os << "{" << d.line << ", " << d.column << ", \"" << d.message << "\"}";
}

std::vector<Diag> diags(const AddressSpace& space) {
    std::vector<Diag> out;
    for (const Diagnostic& d : space.diagnostics()) out.push_back({d.line, d.column, d.message});
    return out;
}

// ---- the grammar ---------------------------------------------------------------------------

TEST(RegionsParse, EveryFieldForm) {
    const AddressSpace space = parse(
        "0x1000 0x1000 r-x\n"                     // hex, three perms: private
        "0X2000 0X10 rw-p\n"                      // upper-case prefix, explicit private
        "12288 4096 rw-s\n"                       // decimal, shared
        "0x4000 0x1000 r-- 0x2000 app.bin\n"      // hex offset, a file name
        "0x5000 0x1000 r-- 123 lib/x.so\n"        // decimal offset
        "0x6000 0x1000 --- [guard page]\n"        // no access, bracketed name with a space
        "   0x7000\t0x1000 \t rwxp\t0  a  b  \n"  // leading blanks, tabs, spaces kept inside
        "0x8000 0x1000 rw- 7 1st bank\n"          // offset first, then a name with a digit
        "0x9000 0x1000 rw- bank#1 # a comment\n"  // '#' inside a name, then a comment
        "0xa000 0x1000 rw- # only a comment\n"
        "0xb000 0x1000 rw- 0x10 # after an offset\n"
        "0xc000 0x1000 r-- 0 crlf\r\n"
        "0x0000000000000000000d000 0x1000 r--\n");  // leading zeros in hex are fine
    expect_sound(space);
    EXPECT_TRUE(space.diagnostics().empty());
    const std::vector<Row> want = {
        {0x1000, 0x2000, "r-xp", 0, ""},           {0x2000, 0x2010, "rw-p", 0, ""},
        {0x3000, 0x4000, "rw-s", 0, ""},           {0x4000, 0x5000, "r--p", 0x2000, "app.bin"},
        {0x5000, 0x6000, "r--p", 123, "lib/x.so"}, {0x6000, 0x7000, "---p", 0, "[guard page]"},
        {0x7000, 0x8000, "rwxp", 0, "a  b"},       {0x8000, 0x9000, "rw-p", 7, "1st bank"},
        {0x9000, 0xa000, "rw-p", 0, "bank#1"},     {0xa000, 0xb000, "rw-p", 0, ""},
        {0xb000, 0xc000, "rw-p", 0x10, ""},        {0xc000, 0xd000, "r--p", 0, "crlf"},
        {0xd000, 0xe000, "r--p", 0, ""},
    };
    EXPECT_EQ(rows(space), want);
    EXPECT_EQ(space.rows().read, 13u);
    EXPECT_EQ(space.rows().kept, 13u);
    EXPECT_EQ(space.source().kind, SourceKind::Regions);
    for (const Mapping& m : space.mappings()) {
        EXPECT_EQ(m.inode, 0u);
        EXPECT_EQ(m.dev_major, 0u);
        EXPECT_EQ(m.flags, 0u);
    }
}

TEST(RegionsParse, PwndbgFlagSpellings) {
    // pwndbg's vmmap-add takes its flags as letters in any order and none for no access; every
    // spelling but the kernel's four characters is private, as a pwndbg page always is.
    const std::vector<std::pair<std::string, std::string>> spellings = {
        {"r", "r--p"},   {"w", "-w-p"},   {"x", "--xp"},    {"rw", "rw-p"},   {"wr", "rw-p"},
        {"rx", "r-xp"},  {"xr", "r-xp"},  {"wx", "-wxp"},   {"rwx", "rwxp"},  {"xwr", "rwxp"},
        {"r-x", "r-xp"}, {"---", "---p"}, {"rw-p", "rw-p"}, {"rw-s", "rw-s"}, {"---s", "---s"},
    };
    for (const auto& [spelled, kernel] : spellings) {
        SCOPED_TRACE(spelled);
        const AddressSpace space = parse("0x1000 0x1000 " + spelled + " 0x20 name\n");
        EXPECT_TRUE(space.diagnostics().empty());
        EXPECT_EQ(rows(space), (std::vector<Row>{{0x1000, 0x2000, kernel, 0x20, "name"}}));
    }
}

TEST(RegionsParse, PermsLeftOutAreNoAccess) {
    // As vmmap-add with no flags: only when nothing but a comment follows SIZE.
    const AddressSpace space = parse(
        "0x1000 0x1000\n"
        "0x2000 0x1000   \t\n"
        "0x3000 0x1000 # a guard\n"
        "0x4000 0x1000\r\n");
    expect_sound(space);
    EXPECT_TRUE(space.diagnostics().empty());
    EXPECT_EQ(rows(space), (std::vector<Row>{{0x1000, 0x2000, "---p", 0, ""},
                                             {0x2000, 0x3000, "---p", 0, ""},
                                             {0x3000, 0x4000, "---p", 0, ""},
                                             {0x4000, 0x5000, "---p", 0, ""}}));
}

TEST(RegionsParse, CommentsAndBlankLinesAreNotRows) {
    const AddressSpace space = parse(
        "# heading\n"
        "\n"
        "   \t \n"
        "   # indented comment\n"
        "0x1000 0x1000 rw-\n"
        "#0x2000 0x1000 rw-\n");
    expect_sound(space);
    EXPECT_EQ(space.rows().read, 1u);
    EXPECT_EQ(space.size(), 1u);
    EXPECT_TRUE(space.diagnostics().empty());
}

TEST(RegionsParse, OutOfOrderRegionsAreSorted) {
    const AddressSpace space = parse("0x3000 0x1000 r--\n0x1000 0x1000 r--\n0x2000 0x1000 r--\n");
    expect_sound(space);
    ASSERT_EQ(space.size(), 3u);
    EXPECT_EQ(space[0].start, 0x1000u);
    EXPECT_EQ(space[1].start, 0x2000u);
    EXPECT_EQ(space[2].start, 0x3000u);
}

TEST(RegionsParse, LastLineWithoutNewline) {
    const AddressSpace space = parse("0x1000 0x1000 rw- last");
    ASSERT_EQ(space.size(), 1u);
    EXPECT_EQ(space.path(space[0]), "last");
}

// One bad line each: the line, the 1-based column of the field at fault, and the sentence.
struct BadLine {
    std::string line;
    std::size_t column;
    std::string message;
};

// What the sentence of a bad PERMS says after the token.
const std::string kPermsForms = "(r, w and x each at most once: rw, rx; or r-x, rw-p, rw-s)";

TEST(RegionsParse, BadLinesSayLineAndColumn) {
    const std::vector<BadLine> cases = {
        {"zz 0x1000 rw-", 1, "bad start address 'zz' (0x-hex or decimal)"},
        {"  0x1000-0x2000 rw-p", 3, "bad start address '0x1000-0x2000' (0x-hex or decimal)"},
        {"0x 0x1000 rw-", 1, "bad start address '0x' (0x-hex or decimal)"},
        {"-1 0x1000 rw-", 1, "bad start address '-1' (0x-hex or decimal)"},
        {"0x1000", 7, "missing size"},
        {"0x1000   ", 10, "missing size"},
        {"0x1000 0x10g0 rw-", 8, "bad size '0x10g0' (0x-hex or decimal)"},
        {"0x1000 4k rw-", 8, "bad size '4k' (0x-hex or decimal)"},
        {"0x1000 0x1000 rwz", 15, "bad permissions 'rwz' " + kPermsForms},
        {"0x1000 0x1000 rw-x", 15, "bad permissions 'rw-x' " + kPermsForms},
        {"0x1000 0x1000 rw-pp", 15, "bad permissions 'rw-pp' " + kPermsForms},
        {"0x1000 0x1000 RW-", 15, "bad permissions 'RW-' " + kPermsForms},
        {"0x1000 0x1000 R", 15, "bad permissions 'R' " + kPermsForms},
        {"0x1000 0x1000 wr-", 15, "bad permissions 'wr-' " + kPermsForms},
        {"0x1000 0x1000 rr", 15, "bad permissions 'rr' " + kPermsForms},
        {"0x1000 0x1000 rwxr", 15, "bad permissions 'rwxr' " + kPermsForms},
        {"0x1000 0x1000 rwp", 15, "bad permissions 'rwp' " + kPermsForms},
        {"0x1000 0x1000 rws", 15, "bad permissions 'rws' " + kPermsForms},
        {"0x1000 0x1000 r-", 15, "bad permissions 'r-' " + kPermsForms},
        {"0x1000 0x1000 -", 15, "bad permissions '-' " + kPermsForms},
        {"0x1000 0x1000 none", 15, "bad permissions 'none' " + kPermsForms},
        {"0x1000 0x1000 0 name", 15, "bad permissions '0' " + kPermsForms},
        {"0x1000 0x1000 rw- 0x12k name", 19, "bad offset '0x12k' (0x-hex or decimal)"},
        {"0x1000 0x1000 rw- 2nd bank", 19, "bad offset '2nd' (0x-hex or decimal)"},
        {"08000000 0x1000 r--", 1,
         "ambiguous start address '08000000': write hex with 0x, decimal without a leading "
         "zero"},
        {"0x1000 0100 r--", 8,
         "ambiguous size '0100': write hex with 0x, decimal without a leading zero"},
        {"0x1000 0x1000 r-- 00", 19,
         "ambiguous offset '00': write hex with 0x, decimal without a leading zero"},
        {"0x10000000000000000 1 r--", 1,
         "start address '0x10000000000000000' does not fit in 64 bits"},
        {"0 18446744073709551616 r--", 3, "size '18446744073709551616' does not fit in 64 bits"},
        {"0x1000 0 rw-", 8, "size is 0"},
        {"0x1000 0x0 rw-", 8, "size is 0"},
        {"0xfffffffffffff000 0x1000 r--", 20,
         "start 0xfffffffffffff000 + size 0x1000 ends past the top of the 64-bit address space"},
        {"0xffffffffffffffff 0xffffffffffffffff r--", 20,
         "start 0xffffffffffffffff + size 0xffffffffffffffff ends past the top of the 64-bit "
         "address space"},
        {"0x1000 0x1000 rw- 0x10000000000000000", 19,
         "offset '0x10000000000000000' does not fit in 64 bits"},
        {"0x1000 0x1000 rw- 0x123456789abcdef0123456789", 19,
         "offset '0x123456789abcdef0123456' does not fit in 64 bits"},  // quoted: 24 bytes
    };
    for (const BadLine& c : cases) {
        SCOPED_TRACE(c.line);
        const AddressSpace space = parse("0x100 0x10 r--\n" + c.line + "\n0x200 0x10 r--\n");
        expect_sound(space);
        EXPECT_EQ(diags(space), (std::vector<Diag>{{2, c.column, c.message}}));
        EXPECT_EQ(space.rows().read, 3u);
        EXPECT_EQ(space.rows().rejected, 1u);
        EXPECT_EQ(space.size(), 2u);  // the good lines around it are kept
        EXPECT_TRUE(space.incomplete());
    }
}

TEST(RegionsParse, TheTopOfTheAddressSpace) {
    // The last byte a region may hold is 0xfffffffffffffffe: its end must be a 64-bit number.
    const AddressSpace space = parse(
        "0xfffffffffffff000 0xfff r--\n18446744073709551614 1 r--\n0xffffffffffffffff 1 "
        "r--\n");
    expect_sound(space);
    ASSERT_EQ(space.size(), 1u);
    EXPECT_EQ(space[0].end, 0xffffffffffffffffu);
    EXPECT_EQ(diags(space),
              (std::vector<Diag>{
                  {2, 1,
                   "region 0xfffffffffffffffe-0xffffffffffffffff overlaps "
                   "0xfffffffffffff000-0xffffffffffffffff from line 1"},
                  {3, 20,
                   "start 0xffffffffffffffff + size 0x1 ends past the top of the 64-bit address "
                   "space"}}));
}

TEST(RegionsParse, OverlapsWithEarlierRegionsAreRejected) {
    const AddressSpace space = parse(
        "0x2000 0x2000 rw- ram\n"  // 1: 0x2000-0x4000
        "0x3000 0x100 r--\n"       // 2: inside line 1
        "  0x1000 0x1001 r--\n"    // 3: ends one byte into line 1
        "0x3fff 0x10 r--\n"        // 4: begins in the last byte of line 1
        "0x1000 0x1000 r--\n"      // 5: adjacent below: kept
        "0x4000 0x1000 r--\n"      // 6: adjacent above: kept
        "0x0 0x10000 r--\n"        // 7: covers everything: overlaps the lowest (line 5)
        "0x4800 0x100 r--\n");     // 8: inside line 6
    expect_sound(space);
    EXPECT_EQ(rows(space), (std::vector<Row>{{0x1000, 0x2000, "r--p", 0, ""},
                                             {0x2000, 0x4000, "rw-p", 0, "ram"},
                                             {0x4000, 0x5000, "r--p", 0, ""}}));
    EXPECT_EQ(diags(space), (std::vector<Diag>{
                                {2, 1, "region 0x3000-0x3100 overlaps 0x2000-0x4000 from line 1"},
                                {3, 3, "region 0x1000-0x2001 overlaps 0x2000-0x4000 from line 1"},
                                {4, 1, "region 0x3fff-0x400f overlaps 0x2000-0x4000 from line 1"},
                                {7, 1, "region 0x0-0x10000 overlaps 0x1000-0x2000 from line 5"},
                                {8, 1, "region 0x4800-0x4900 overlaps 0x4000-0x5000 from line 6"},
                            }));
    EXPECT_EQ(space.rows().superseded, 0u);
    EXPECT_EQ(space.rows().rejected, 5u);
}

TEST(RegionsParse, ARejectedRegionTakesNoRoom) {
    // Line 2 overlaps line 1 and is rejected; line 3 overlaps only line 2, so it is kept.
    const AddressSpace space = parse("0x1000 0x1000 r--\n0x1800 0x1000 r--\n0x2000 0x1000 r--\n");
    expect_sound(space);
    EXPECT_EQ(space.size(), 2u);
    EXPECT_EQ(
        diags(space),
        (std::vector<Diag>{{2, 1, "region 0x1800-0x2800 overlaps 0x1000-0x2000 from line 1"}}));
}

TEST(RegionsParse, EmptyAndCommentOnlyTextsHoldNoRows) {
    for (const std::string_view text : {"", "\n", "# nothing\n\n"}) {
        const AddressSpace space = parse(text);
        expect_sound(space);
        EXPECT_TRUE(space.empty());
        EXPECT_EQ(space.rows().read, 0u);
        EXPECT_TRUE(space.diagnostics().empty());
    }
}

// ---- recognition ---------------------------------------------------------------------------

TEST(RegionsRecognition, RegionsTextIsRecognized) {
    EXPECT_TRUE(looks_like_regions("0x08000000 0x100000 r-x 0 firmware.elf\n"));
    EXPECT_TRUE(looks_like_regions("# board\n\n  4096 4096 rw-\n"));
    EXPECT_TRUE(looks_like_regions("0x1000\t0x1000"));         // bad later, still regions
    EXPECT_TRUE(looks_like_regions("08000000 0x1000 r--\n"));  // refused later as ambiguous
    EXPECT_TRUE(looks_like_regions("0x1000 0x1000 rw-\r\n"));
    EXPECT_TRUE(looks_like_regions("# only comments\n"));
    // A mistyped number is still a regions line, so that its error is said in regions terms.
    EXPECT_TRUE(looks_like_regions("0x0800000g 0x1000 r--\n"));
}

TEST(RegionsRecognition, OtherTextsAreNot) {
    EXPECT_FALSE(looks_like_regions(""));
    EXPECT_FALSE(looks_like_regions("\n\n"));
    EXPECT_FALSE(looks_like_regions("00400000-0040b000 r-xp 00000000 fd:00 2197259 /bin/cat\n"));
    EXPECT_FALSE(
        looks_like_regions("7f6ebca4c000-7f6ebca6e000 rw-p 00000000 00:00 0\n"
                           "Size:                  4 kB\n"));
    EXPECT_FALSE(looks_like_regions("{\"vmatlas_snapshot\": 1}\n"));
    EXPECT_FALSE(looks_like_regions("0x1000\n0x1000 0x1000 rw-\n"));  // first line: one number
    EXPECT_FALSE(looks_like_regions("0x1000 zz rw-\n"));
    EXPECT_FALSE(looks_like_regions("0x1000 -1 rw-\n"));
    EXPECT_FALSE(looks_like_regions("1234 (cat)\n00400000-0040b000 r-xp 00000000 fd:00 1 /x\n"));
    EXPECT_FALSE(looks_like_regions("00400000-0040b000 0x1000 r--\n"));
    EXPECT_FALSE(
        looks_like_regions("# a comment, then a maps row\n"
                           "00400000-0040b000 r-xp 00000000 fd:00 1 /bin/cat\n"));
}

// ---- names ---------------------------------------------------------------------------------

// The named map of a regions text, as the library gives it for every target.
NamedMap named(std::string_view text) {
    return name_target(regions_target(text, "test.regions"), false);
}

TEST(RegionsNames, KernelStyleAnonymousAndFileNames) {
    const NamedMap map = named(
        "0x08000000 0x100000 r-x 0 firmware.elf\n"
        "0x20000000 0x1000 rw-\n"
        "0x20001000 0x1000 ---\n"
        "0x20002000 0x1000 rw- [stack]\n"
        "0x40000000 0x1000 rw-s [mmio:gpio]\n"
        "0x60000000 0x1000 rwx jit\n");
    const AddressSpace& space = map.space;
    const Annotations& notes = map.notes;
    ASSERT_EQ(notes.labels.size(), space.size());
    ASSERT_EQ(notes.roles.size(), space.size());
    EXPECT_TRUE(notes.sections.empty());
    EXPECT_TRUE(notes.warnings.empty());
    const std::vector<std::pair<std::string, NameSource>> want_labels = {
        {"", NameSource::None},
        {"[anon_20000]", NameSource::Heuristic},
        {"[anon_20001]", NameSource::Heuristic},
        {"[stack]", NameSource::Kernel},
        {"[mmio:gpio]", NameSource::Kernel},
        {"", NameSource::None},
    };
    const std::vector<Role> want_roles = {Role::Code,  Role::Data, Role::Guard,
                                          Role::Stack, Role::Data, Role::Rwx};
    for (std::size_t i = 0; i < space.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(notes.labels[i].name, want_labels[i].first);
        EXPECT_EQ(notes.labels[i].source, want_labels[i].second);
        EXPECT_EQ(notes.roles[i], want_roles[i]);
    }
}

TEST(RegionsNames, AnAlignedRamRegionIsNotCalledAHeap) {
    // glibc's arena heuristic would call an anonymous rw-p 1 MiB-aligned MiB a heap; a board's
    // RAM is not one, so regions are not run through it.
    EXPECT_EQ(named("0x20000000 0x100000 rw-\n").notes.labels[0].name, "[anon_20000]");
}

TEST(RegionsTarget, KindSourceAndNames) {
    const Target t = regions_target("0x1000 0x1000 rw- [ram]\n", "board.regions");
    EXPECT_EQ(t.kind, TargetKind::Regions);
    EXPECT_EQ(t.space.source().kind, SourceKind::Regions);
    EXPECT_EQ(t.space.source().origin, "board.regions");
    EXPECT_FALSE(t.names.has_value());  // named by the annotators, as rows described by hand
    EXPECT_EQ(t.objects, nullptr);
    const NamedMap map = name_target(t, false);
    ASSERT_EQ(map.notes.labels.size(), 1u);
    EXPECT_EQ(map.notes.labels[0].name, "[ram]");
}

// ---- adding regions to a target ------------------------------------------------------------

Target maps_target(std::string_view text) {
    Target t;
    t.kind = TargetKind::MapsText;
    t.space = parse_maps_text(text, SourceInfo{vmatlas::SourceKind::MapsText, "host.maps"});
    return t;
}

constexpr std::string_view kHostMaps =
    "00400000-00401000 r--p 00000000 fe:00 10 /bin/app\n"
    "00401000-00402000 r-xp 00001000 fe:00 10 /bin/app\n"
    "7f0000000000-7f0000010000 rw-p 00000000 00:00 0 \n"
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n";

TEST(RegionsAdd, RowsGoInAddressOrderAndOverlapsWithTheTargetAreRejected) {
    Target t = maps_target(kHostMaps);
    const PathId app = t.space[0].path;
    const RegionsAdded added = add_regions_text(t,
                                                "0x10000 0x1000 r-x 0 low.bin\n"
                                                "0x00400800 0x10 rw- [inside app]\n"
                                                "0x402000 0x1000 rw- [right after app]\n"
                                                "0x7effffff0000 0x10001 rw-\n"
                                                "0x500000 0x1000 rw-\n",
                                                "extra.regions");
    expect_sound(t.space);
    EXPECT_EQ(added.added, 3u);
    EXPECT_EQ(added.rejected, 2u);
    EXPECT_EQ(t.kind, TargetKind::MapsText);
    EXPECT_EQ(t.space.source().kind, SourceKind::MapsText);
    EXPECT_EQ(t.space.source().origin, "host.maps");
    EXPECT_FALSE(t.names.has_value());
    EXPECT_EQ(rows(t.space), (std::vector<Row>{
                                 {0x10000, 0x11000, "r-xp", 0, "low.bin"},
                                 {0x400000, 0x401000, "r--p", 0, "/bin/app"},
                                 {0x401000, 0x402000, "r-xp", 0x1000, "/bin/app"},
                                 {0x402000, 0x403000, "rw-p", 0, "[right after app]"},
                                 {0x500000, 0x501000, "rw-p", 0, ""},
                                 {0x7f0000000000, 0x7f0000010000, "rw-p", 0, ""},
                                 {0x7ffffffde000, 0x7ffffffff000, "rw-p", 0, "[stack]"},
                             }));
    EXPECT_EQ(t.space[1].path, app);  // the target's path ids keep their meaning
    EXPECT_EQ(t.space[1].inode, 10u);
    EXPECT_EQ(diags(t.space),
              (std::vector<Diag>{
                  {2, 1,
                   "region 0x400800-0x400810 overlaps the target's 0x400000-0x401000 /bin/app (in "
                   "extra.regions)"},
                  {4, 1,
                   "region 0x7effffff0000-0x7f0000000001 overlaps the target's "
                   "0x7f0000000000-0x7f0000010000 (in extra.regions)"},
              }));
    EXPECT_EQ(t.space.rows().read, 9u);
    EXPECT_EQ(t.space.rows().kept, 7u);
    EXPECT_EQ(t.space.rows().rejected, 2u);
    EXPECT_TRUE(t.space.incomplete());
}

TEST(RegionsAdd, TheTargetsRowAccountAndDiagnosticsAreKept) {
    // Line 2 replaces line 1 (superseded), line 3 is malformed (rejected).
    Target t = maps_target(
        "00400000-00401000 r--p 00000000 fe:00 10 /bin/app\n"
        "00400000-00402000 r--p 00000000 fe:00 10 /bin/app\n"
        "00500000-00zz1000 r--p 00000000 fe:00 10 /bin/app\n");
    ASSERT_EQ(t.space.rows().superseded, 1u);
    ASSERT_EQ(t.space.rows().rejected, 1u);
    const std::vector<Diag> before = diags(t.space);
    ASSERT_EQ(before.size(), 2u);
    add_regions_text(t, "0x600000 0x1000 rw-\n0x600000 0x10 r--\n", "x.regions");
    expect_sound(t.space);
    EXPECT_EQ(t.space.rows().read, 3u + 2u);
    EXPECT_EQ(t.space.rows().kept, 2u);
    EXPECT_EQ(t.space.rows().superseded, 1u);
    EXPECT_EQ(t.space.rows().rejected, 2u);
    // The target's own diagnostics first, as they were, then the added text's.
    EXPECT_EQ(diags(t.space),
              (std::vector<Diag>{
                  before[0],
                  before[1],
                  {2, 1,
                   "region 0x600000-0x600010 overlaps 0x600000-0x601000 from line 1 (in "
                   "x.regions)"},
              }));
    EXPECT_EQ(before[1], (Diag{0, 0, "1 row(s) overlapped a later row and were dropped"}));
}

TEST(RegionsAdd, FiguresStayWithTheirRowsAndAddedRowsHaveNone) {
    Target t;
    t.kind = TargetKind::MapsText;
    t.space = parse_smaps_text(
        "00400000-00401000 r--p 00000000 fe:00 10 /bin/app\n"
        "Size:                  4 kB\n"
        "Rss:                   4 kB\n"
        "00500000-00502000 rw-p 00000000 00:00 0 \n"
        "Size:                  8 kB\n"
        "Rss:                   8 kB\n",
        SourceInfo{vmatlas::SourceKind::SmapsText, "x.smaps"});
    ASSERT_EQ(t.space.figures().size(), 2u);
    add_regions_text(t, "0x480000 0x1000 rw- [between]\n0x600000 0x1000 rw-\n", "x.regions");
    expect_sound(t.space);
    ASSERT_EQ(t.space.size(), 4u);
    ASSERT_EQ(t.space.figures().size(), 4u);
    EXPECT_EQ(t.space.figures()[0].rss, 4096u);
    EXPECT_EQ(t.space.figures()[1].rss, 0u);  // [between]
    EXPECT_EQ(t.space.figures()[2].rss, 8192u);
    EXPECT_EQ(t.space.figures()[3].rss, 0u);
}

TEST(RegionsAdd, NamesOfATargetThatBringsThemStayParallel) {
    // A target that brings its own names, as a snapshot or an ELF image does.
    const std::string text = "0x1000 0x1000 r-x 0 fw.elf\n0x5000 0x1000 rw- [ram]\n";
    Target t = regions_target(text, "a");
    t.names = named(text).notes;
    t.names->sections = {".text", ".data"};
    add_regions_text(t, "0x3000 0x1000 rw-\n0x9000 0x1000 rw-s [mmio]\n0x0 0x1000 ---\n", "b");
    expect_sound(t.space);
    ASSERT_EQ(t.space.size(), 5u);
    // The added rows have empty names in their places; naming the map gives them theirs.
    ASSERT_EQ(t.names->labels.size(), 5u);
    for (const std::size_t i : {0, 2, 4}) EXPECT_EQ(t.names->labels[i].name, "") << i;
    EXPECT_EQ(t.names->labels[3].name, "[ram]");
    const NamedMap map = name_target(std::move(t), true);
    const Annotations& n = map.notes;
    ASSERT_EQ(n.labels.size(), 5u);
    ASSERT_EQ(n.roles.size(), 5u);
    ASSERT_EQ(n.sections.size(), 5u);
    const std::vector<std::string> names = {"[anon_00000]", "", "[anon_00003]", "[ram]", "[mmio]"};
    const std::vector<Role> roles = {Role::Guard, Role::Code, Role::Data, Role::Data, Role::Data};
    const std::vector<std::string> sections = {"", ".text", "", ".data", ""};
    for (std::size_t i = 0; i < 5; ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(n.labels[i].name, names[i]);
        EXPECT_EQ(n.roles[i], roles[i]);
        EXPECT_EQ(n.sections[i], sections[i]);
    }
}

TEST(RegionsAdd, ATextAddedToItselfAddsNothing) {
    const std::string text = "0x1000 0x1000 rw-\n0x1800 0x10 r--\n0x3000 0x10 r-- x\n";
    Target t = regions_target(text, "a.regions");
    ASSERT_EQ(t.space.size(), 2u);
    const RegionsAdded added = add_regions_text(t, text, "a.regions");
    EXPECT_EQ(added.added, 0u);
    EXPECT_EQ(added.rejected, 3u);
    EXPECT_EQ(t.space.size(), 2u);
    expect_sound(t.space);
}

TEST(RegionsAdd, AnEmptyTextIsAWarningNotARejection) {
    Target t = maps_target(kHostMaps);
    const RegionsAdded added = add_regions_text(t, "# nothing yet\n", "empty.regions");
    EXPECT_EQ(added.added, 0u);
    EXPECT_EQ(added.rejected, 0u);
    EXPECT_EQ(diags(t.space), (std::vector<Diag>{{0, 0, "empty.regions holds no regions"}}));
    EXPECT_FALSE(t.space.incomplete());
}

// ---- files ---------------------------------------------------------------------------------

class RegionsFile : public ::testing::Test {
  protected:
    std::string write(const std::string& name, std::string_view text) {
        const std::string path = dir_ / name;
        vmtest::write_text(path, text);
        return path;
    }
    vmtest::TempDir dir_{"vmatlas regions"};  // a directory name with a space
};

TEST_F(RegionsFile, AddsAFile) {
    Target t = maps_target(kHostMaps);
    const std::string path = write("extra.regions", "0x10000 0x1000 rw- [x]\n");
    const auto added = add_regions_file(t, path);
    ASSERT_TRUE(added.ok()) << added.error().message;
    EXPECT_EQ(added->added, 1u);
    EXPECT_EQ(t.space.size(), 5u);
}

TEST_F(RegionsFile, MissingDirectoryAndElfFilesAreErrors) {
    Target t = maps_target(kHostMaps);
    const std::string missing = dir_ / "no such.regions";
    auto r = add_regions_file(t, missing);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::NoSuchProcess);
    EXPECT_EQ(r.error().message, "no such file: " + missing);

    r = add_regions_file(t, dir_.path().string());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::UnreadableInput);
    EXPECT_EQ(r.error().message, dir_.path().string() + " is a directory");

    const std::string elf = write("a.out", std::string("\x7f"
                                                       "ELF\x02\x01\x01",
                                                       7));
    r = add_regions_file(t, elf);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::UnreadableInput);
    EXPECT_EQ(r.error().message, elf +
                                     " is an ELF file, not a regions file (give it as the target "
                                     "to see the map it would create)");
    EXPECT_EQ(t.space.size(), 4u);  // untouched
}

TEST_F(RegionsFile, OpenTargetRecognizesRegionsByContent) {
    // Named like a maps file, holding regions: the content decides.
    const std::string path = write("looks.maps", "# board\n0x1000 0x1000 rw- [ram]\n");
    auto t = open_named_map(path);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->kind, TargetKind::Regions);
    EXPECT_EQ(t->space.source().kind, SourceKind::Regions);
    EXPECT_EQ(t->space.source().origin, path);
    EXPECT_EQ(t->notes.labels[0].name, "[ram]");

    // A typo in the first region is reported as a regions error; the rest is kept.
    const std::string typo = write("typo", "0x0800000g 0x1000 r--\n0x1000 0x1000 rw-\n");
    auto y = open_target(typo);
    ASSERT_TRUE(y.ok()) << y.error().message;
    EXPECT_EQ(y->kind, TargetKind::Regions);
    EXPECT_EQ(y->space.size(), 1u);
    EXPECT_EQ(diags(y->space),
              (std::vector<Diag>{{1, 1, "bad start address '0x0800000g' (0x-hex or decimal)"}}));

    const std::string maps = write("real.regions", std::string(kHostMaps));
    auto m = open_target(maps);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->kind, TargetKind::MapsText);

    const std::string comments = write("comments.regions", "# nothing\n");
    auto c = open_target(comments);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, ErrorKind::UnreadableInput);
    EXPECT_EQ(c.error().message, comments + " holds no memory map rows");
}

TEST(RegionsFixture, BoardRegions) {
    auto t = open_target(std::string(VMATLAS_FIXTURES) + "/board.regions");
    ASSERT_TRUE(t.ok()) << t.error().message;
    expect_sound(t->space);
    EXPECT_EQ(t->kind, TargetKind::Regions);
    EXPECT_TRUE(t->space.diagnostics().empty());
    EXPECT_EQ(t->space.size(), 12u);
    EXPECT_EQ(rows(t->space).front(),
              (Row{0x08000000, 0x080c0000, "r-xp", 0, "build/firmware.elf"}));
    EXPECT_EQ(rows(t->space).back(),
              (Row{0xe000e000, 0xe000f000, "rw-s", 0, "[ppb: nvic and systick]"}));
}

}  // namespace
}  // namespace vmatlas
