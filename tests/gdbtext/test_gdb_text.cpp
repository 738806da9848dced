// gdb's own text: each capture in tests/fixtures/gdb/ (README.md there says how each was made)
// read back to the rows of the /proc/PID/maps captured with it, hand-made bad rows with their
// diagnostics, and the command on a capture against the command on the maps text.
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "support/files.hpp"
#include "support/run.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/gdb_text.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas {
namespace {

const std::string kDir = std::string(VMATLAS_FIXTURES) + "/gdb/";

std::string fixture(std::string_view name) {
    return vmtest::slurp(kDir + std::string(name));
}

AddressSpace gdb(std::string_view text) {
    return parse_gdb_text(text, SourceInfo{SourceKind::MapsText, "test", 0, ""});
}

AddressSpace proc_maps() {
    return parse_maps_text(fixture("live-mappings.maps"),
                           SourceInfo{SourceKind::MapsText, "test", 0, ""});
}

constexpr Perms kUnknown{Perms::kAccessUnknown | Perms::kSharingUnknown};

// The fields gdb's text holds, of the row at i: start, end, offset, perms, path, deleted.
void expect_row(const AddressSpace& got, std::size_t i, const AddressSpace& want, std::size_t j,
                bool perms_known) {
    SCOPED_TRACE("row " + std::to_string(i));
    const Mapping& g = got[i];
    const Mapping& w = want[j];
    EXPECT_EQ(g.start, w.start);
    EXPECT_EQ(g.end, w.end);
    EXPECT_EQ(raw(g.offset), raw(w.offset));
    EXPECT_EQ(g.perms, perms_known ? w.perms : kUnknown);
    EXPECT_EQ(got.path(g), want.path(w));
    EXPECT_EQ(g.deleted(), w.deleted());
}

TEST(GdbText, LiveMappingsAreTheRowsOfProcMaps) {
    const AddressSpace maps = proc_maps();
    ASSERT_EQ(maps.size(), 25u);
    const AddressSpace space = gdb(fixture("live-mappings.gdb"));
    EXPECT_TRUE(space.diagnostics().empty());
    EXPECT_EQ(space.rows().rejected, 0u);
    ASSERT_EQ(space.size(), maps.size());
    for (std::size_t i = 0; i < maps.size(); ++i) expect_row(space, i, maps, i, true);
    EXPECT_EQ(space.path(space[13]), "/tmp/gdbcap2/mapped dir/mapped file.bin");
    EXPECT_EQ(space[12].perms.view(), "---p");
}

TEST(GdbText, OldLayoutHasTheRowsWithPermsUnknown) {
    const AddressSpace maps = proc_maps();
    const AddressSpace space = gdb(fixture("live-mappings-old.gdb"));
    EXPECT_TRUE(space.diagnostics().empty());
    ASSERT_EQ(space.size(), maps.size());
    for (std::size_t i = 0; i < maps.size(); ++i) expect_row(space, i, maps, i, false);
    EXPECT_EQ(space[0].perms.view(), "????");
}

// A core's info proc mappings lists the files of its NT_FILE note: the file rows of the map.
TEST(GdbText, CoreMappingsAreTheFileRowsOfProcMaps) {
    const AddressSpace maps = proc_maps();
    const AddressSpace space = gdb(fixture("core-mappings.gdb"));
    EXPECT_TRUE(space.diagnostics().empty());
    std::vector<std::size_t> files;
    for (std::size_t j = 0; j < maps.size(); ++j)
        if (maps.path(maps[j]).starts_with('/')) files.push_back(j);
    ASSERT_EQ(files.size(), 16u);
    ASSERT_EQ(space.size(), files.size());
    for (std::size_t i = 0; i < files.size(); ++i) expect_row(space, i, maps, files[i], false);
}

// The core's "loadN" sections are its PT_LOAD headers, each one of the process's mappings.
TEST(GdbText, CoreSectionsAreTheLoadHeaders) {
    const AddressSpace maps = proc_maps();
    const AddressSpace space = gdb(fixture("core-sections.gdb"));
    EXPECT_TRUE(space.diagnostics().empty());
    ASSERT_EQ(space.size(), 16u);
    EXPECT_EQ(space[0].start, 0x562ee3c4f000u);
    EXPECT_EQ(space[0].end, 0x562ee3c50000u);
    EXPECT_EQ(space[15].start, 0xffffffffff600000u);
    EXPECT_EQ(space[15].end, 0xffffffffff601000u);
    for (std::size_t i = 0; i < space.size(); ++i) {
        SCOPED_TRACE("row " + std::to_string(i));
        const Mapping& m = space[i];
        EXPECT_EQ(m.perms, kUnknown);
        EXPECT_EQ(m.path, kNoPath);
        EXPECT_EQ(raw(m.offset), 0u);
        EXPECT_FALSE(m.contents_missing());
        const auto j = maps.find(m.start);
        ASSERT_TRUE(j.has_value());
        EXPECT_EQ(maps[*j].start, m.start);
        EXPECT_EQ(maps[*j].end, m.end);
    }
}

TEST(GdbText, SectionsOfObjectsAreNoRows) {
    AddressSpaceBuilder builder(SourceInfo{SourceKind::MapsText, "test", 0, ""});
    GdbTextParser parser(builder);
    parser.feed(fixture("live-sections.gdb"));
    parser.finish();
    EXPECT_TRUE(parser.sections_without_core());
    const AddressSpace space = std::move(builder).build();
    EXPECT_TRUE(space.empty());
    EXPECT_TRUE(space.diagnostics().empty());
}

TEST(GdbText, RecognizedByItsFirstBytes) {
    for (const char* name : {"live-mappings.gdb", "live-mappings-old.gdb", "core-mappings.gdb",
                             "core-sections.gdb", "live-sections.gdb"})
        EXPECT_TRUE(looks_like_gdb_text(fixture(name))) << name;
    EXPECT_FALSE(looks_like_gdb_text(fixture("live-mappings.maps")));
    auto t = open_target(kDir + "live-mappings.gdb");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind, TargetKind::MapsText);
    EXPECT_EQ(t->space.size(), 25u);
}

// A 32-bit process's rows begin with a tab ("\t%10s %10s %10s %10s %s"), and older cores head
// the offset column "File off.": the header decides only whether Perms is there.
TEST(GdbText, ThirtyTwoBitRowsAndFileOffHeader) {
    const AddressSpace space =
        gdb("Mapped address spaces:\n"
            "\n"
            "\tStart Addr   End Addr       Size  File off. objfile\n"
            "\t 0x8048000  0x8049000     0x1000        0x0 /usr/bin/true\n"
            "\t 0x8049000  0x804b000     0x2000     0x1000 /usr/bin/true\n"
            "\t0xf7d00000 0xf7d01000     0x1000     0x5000 /tmp/a lib.so (deleted)\n");
    EXPECT_TRUE(space.diagnostics().empty());
    ASSERT_EQ(space.size(), 3u);
    EXPECT_EQ(space[1].start, 0x8049000u);
    EXPECT_EQ(space[1].end, 0x804b000u);
    EXPECT_EQ(raw(space[1].offset), 0x1000u);
    EXPECT_EQ(space[1].perms, kUnknown);
    EXPECT_EQ(space.path(space[2]), "/tmp/a lib.so");
    EXPECT_TRUE(space[2].deleted());
}

// Any cut of the text into pieces gives the same rows.
TEST(GdbText, PiecesOfAnySize) {
    const std::string text = fixture("live-mappings.gdb") + fixture("core-sections.gdb");
    const AddressSpace whole = gdb(text);
    for (std::size_t piece : {1u, 7u, 64u, 4096u}) {
        AddressSpaceBuilder builder(SourceInfo{SourceKind::MapsText, "test", 0, ""});
        GdbTextParser parser(builder);
        for (std::size_t at = 0; at < text.size(); at += piece)
            parser.feed(std::string_view(text).substr(at, piece));
        parser.finish();
        EXPECT_EQ(std::move(builder).build().generation(), whole.generation()) << piece;
    }
}

const char* const kBadRows =
    "process 1\n"                                                                            // 1
    "Mapped address spaces:\n"                                                               // 2
    "\n"                                                                                     // 3
    "          Start Addr           End Addr       Size     Offset  Perms  objfile\n"        // 4
    "      0x400000           0x401000     0x1000        0x0  r-xp   /bin/a b\n"             // 5
    "      0x40g000           0x402000     0x1000        0x0  r-xp   /bin/x\n"               // 6
    "      0x402000           0x403000     0x1000        0x0  rwzp   /bin/x\n"               // 7
    "      0x403000           0x404000     0x2000        0x0  r--p   /bin/x\n"               // 8
    "      0x405000           0x404000     0x1000        0x0  r--p   /bin/x\n"               // 9
    "      0x406000           0x407000     0x1000\n"                                         // 10
    "Saved corefile core.1\n"                                                                // 11
    "[Inferior 1 (process 1) detached]\n"                                                    // 12
    "      0x407000           0x408000     0x1000     0x3000  rw-p   /bin/a b (deleted)\n";  // 13

TEST(GdbText, BadRowsAreToldAndTheRestKept) {
    const AddressSpace space = gdb(kBadRows);
    ASSERT_EQ(space.size(), 2u);
    EXPECT_EQ(space.path(space[0]), "/bin/a b");
    EXPECT_EQ(space[1].start, 0x407000u);
    EXPECT_EQ(raw(space[1].offset), 0x3000u);
    EXPECT_EQ(space.path(space[1]), "/bin/a b");
    EXPECT_TRUE(space[1].deleted());
    EXPECT_EQ(space.rows().rejected, 5u);
    EXPECT_TRUE(space.partial());
    struct Want {
        std::size_t line, column;
        std::string message;
    };
    const std::vector<Want> want = {
        {6, 7, "bad start address '0x40g000'"},
        {7, 58, "bad permissions 'rwzp'"},
        {8, 7, "size 0x2000 is not end address 0x404000 less start address 0x403000"},
        {9, 26, "end address 0x404000 is not above start address 0x405000"},
        {10, 45, "missing offset"},
    };
    ASSERT_EQ(space.diagnostics().size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(space.diagnostics()[i].line, want[i].line);
        EXPECT_EQ(space.diagnostics()[i].column, want[i].column);
        EXPECT_EQ(space.diagnostics()[i].message, want[i].message);
    }
}

TEST(GdbText, BadSectionRows) {
    const AddressSpace space =
        gdb("Core file: `/tmp/core', file type elf64-x86-64.\n"
            " [0]      0x00000000->0x000049d0 at 0x0006b3f8: note0 READONLY HAS_CONTENTS\n"
            " [1]      0x1000->0x2000 at 0x000003f8: load1 ALLOC LOAD READONLY HAS_CONTENTS\n"
            " [2]      0x3000->0x2000 at 0x000013f8: load2 ALLOC LOAD\n"
            " [3]      0x3000=>0x4000 at 0x000013f8: load3 ALLOC LOAD\n"
            " [4]      0x5000->0x6000 at 0x000023f8: load4 ALLOC READONLY CODE\n");
    ASSERT_EQ(space.size(), 2u);
    EXPECT_FALSE(space[0].contents_missing());
    EXPECT_TRUE(space[1].contents_missing());
    EXPECT_EQ(space[1].start, 0x5000u);
    ASSERT_EQ(space.diagnostics().size(), 2u);
    EXPECT_EQ(space.diagnostics()[0].line, 4u);
    EXPECT_EQ(space.diagnostics()[0].message,
              "end address 0x2000 is not above start address 0x3000");
    EXPECT_EQ(space.diagnostics()[1].line, 5u);
    EXPECT_EQ(space.diagnostics()[1].column, 11u);
    EXPECT_EQ(space.diagnostics()[1].message, "bad start address '0x3000=>0x4000'");
}

// ---- the command ----------------------------------------------------------------------------

vmtest::RunResult vmatlas(std::vector<std::string> args) {
    args.insert(args.begin(), VMATLAS_BIN);
    return vmtest::run(args);
}

TEST(GdbTextCommand, DefaultViewIsThatOfTheMapsText) {
    const auto maps = vmatlas({kDir + "live-mappings.maps"});
    const auto text = vmatlas({kDir + "live-mappings.gdb"});
    EXPECT_EQ(maps.status, 0) << maps.err;
    EXPECT_EQ(text.status, 0) << text.err;
    EXPECT_EQ(text.out, maps.out);
    EXPECT_NE(text.out.find(" text "), std::string::npos) << text.out;
}

TEST(GdbTextCommand, PmapIsThatOfTheMapsText) {
    const auto maps = vmatlas({"pmap", kDir + "live-mappings.maps"});
    const auto text = vmatlas({"pmap", kDir + "live-mappings.gdb"});
    EXPECT_EQ(text.status, 0) << text.err;
    // pmap's first line names the target: its file.
    const auto body = [](const std::string& s) { return s.substr(s.find('\n') + 1); };
    EXPECT_EQ(body(text.out), body(maps.out));
}

// diff compares what both maps know: no device or inode, and no permissions where one lacks them.
TEST(GdbTextCommand, DiffWithTheMapsTextFindsNoChange) {
    for (const char* name : {"live-mappings.gdb", "live-mappings-old.gdb"}) {
        const auto r = vmatlas({"diff", kDir + "live-mappings.maps", kDir + name});
        EXPECT_EQ(r.status, 0) << name << "\n" << r.out << r.err;
    }
    // The core's table has the file rows alone: the others are removed.
    const auto core = vmatlas({"diff", kDir + "live-mappings.gdb", kDir + "core-mappings.gdb"});
    EXPECT_EQ(core.status, 1) << core.out << core.err;
    EXPECT_NE(core.out.find("[stack]"), std::string::npos) << core.out;
}

TEST(GdbTextCommand, BadRowsArePartial) {
    const vmtest::TempDir dir;
    const std::string file = dir / "bad-rows.gdb";
    vmtest::write_text(file, kBadRows);
    const auto r = vmatlas({file});
    EXPECT_EQ(r.status, 9) << r.err;
    EXPECT_NE(r.err.find("line 6, column 7: bad start address '0x40g000'"), std::string::npos)
        << r.err;
    EXPECT_NE(r.out.find("/bin/a b"), std::string::npos);
}

TEST(GdbTextCommand, SectionsOfObjectsAreRefused) {
    const auto r = vmatlas({kDir + "live-sections.gdb"});
    EXPECT_EQ(r.status, 7);
    EXPECT_NE(r.err.find("which are sections, not the process's mappings"), std::string::npos)
        << r.err;
    EXPECT_TRUE(r.out.empty());
}

}  // namespace
}  // namespace vmatlas
