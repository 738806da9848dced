// The snapshot writer and reader in memory: the format on a hand-made map that has every kind of
// value (golden/example.json, also the example in docs/snapshot.md), and the round trip
// write -> read -> write on every checked-in maps and smaps fixture: the same map back, field by
// field, and the same bytes. VMATLAS_UPDATE_GOLDEN=1 rewrites the golden file (then read the
// diff).
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "snapshot/support.hpp"
#include "vmatlas/snapshot.hpp"

namespace vmtest {
namespace {

using namespace vmatlas;

std::string slurp_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Annotated read_back(const std::string& text) {
    auto t = read_snapshot(text, "test.json");
    if (!t) throw std::runtime_error("read_snapshot: " + t.error().message);
    EXPECT_EQ(t->kind, TargetKind::Snapshot);
    EXPECT_TRUE(t->names.has_value());
    EXPECT_TRUE(check_invariants(t->space).empty());
    return from_target(std::move(*t));
}

// ---- the format, on a map with one of everything ---------------------------------------------

Annotated example() {
    SourceInfo src{vmatlas::SourceKind::Core, "core.4242", 4242, "demo", "", ""};
    AddressSpaceBuilder b(src);
    auto row = [&](Addr start, Addr end, std::uint8_t perms, std::uint64_t offset,
                   std::string_view path, std::uint8_t flags = 0) {
        Mapping m;
        m.start = start;
        m.end = end;
        m.perms = Perms(perms);
        m.offset = FileOffset{offset};
        if (path.starts_with('/')) m.dev_major = 0xfe, m.dev_minor = 1, m.inode = 1234;
        m.path = b.intern(path);
        m.flags = flags;
        return m;
    };
    Figures f;
    f.rss = 4096, f.pss = 2048, f.private_clean = 4096, f.referenced = 4096;
    f.kernel_page_size = f.mmu_page_size = 4096;
    f.vm_flags = "rd ex mr mw me";
    Figures g = f;
    g.anonymous = 4096, g.swap = 4096, g.locked = 4096, g.thp_eligible = true;
    g.vm_flags = "rd wr mr mw me ac";
    using P = Perms;
    b.add(row(0x400000, 0x401000, P::kRead | P::kExec | P::kSharingUnknown, 0, "/usr/bin/demo"), f);
    b.add(row(0x600000, 0x601000, P::kRead | P::kWrite | P::kSharingUnknown, 0x1000,
              "/usr/bin/demo", kPartlyDumped),
          g);
    b.add(row(0x601000, 0x603000, P::kRead | P::kWrite, 0, ""), g);
    // A file name that is not UTF-8 (a process chooses its own), deleted, and not in the core.
    b.add(row(0x7f0000000000, 0x7f0000001000, P::kAccessUnknown | P::kSharingUnknown, 0,
              "/tmp/caf\xe9 \"x\"\n", kDeleted | kNotDumped),
          f);
    b.add(row(0x7ffc00000000, 0x7ffc00021000, P::kRead | P::kWrite, 0, "[stack]"), g);
    b.reject({3, 1, "bad start address '0040g000'"});
    b.warn({0, 0, "NT_FILE note: 1 entry past the end"});
    Annotated a;
    a.space = std::move(b).build();
    const PathId demo = a.space[0].path;
    a.notes.labels = {{"text", NameSource::Elf},
                      {"data", NameSource::Elf},
                      {"bss", NameSource::Elf, demo},
                      {"", NameSource::None},
                      {"[stack]", NameSource::Registers}};
    a.notes.roles = {Role::Code, Role::Data, Role::Data, Role::Other, Role::Stack};
    a.notes.sections = {".init .plt .text .fini", ".data", ".bss", "", ""};
    a.notes.warnings = {"cannot read /usr/bin/demo: build-id differs"};
    a.facts.has_threads = true;
    a.facts.threads = {{4242, "demo", 0x7ffc00020f00, StackPointerSource::Registers, ""},
                       {4243, "worker \xff", std::nullopt, StackPointerSource::None, "no regs"}};
    a.facts.vdso = 0x7ffc00100000;
    a.facts.entry = 0x400100;
    return a;
}

TEST(SnapshotFormat, ExampleMatchesGoldenFile) {
    const Annotated a = example();
    const std::string text = write_snapshot(a.space, a.notes, a.facts, kStamp);
    const std::string path = std::string(VMATLAS_SNAPSHOT_DIR) + "/golden/example.json";
    const char* update = std::getenv("VMATLAS_UPDATE_GOLDEN");
    if (update && *update) {
        std::ofstream(path, std::ios::binary) << text;
        GTEST_SKIP() << "wrote " << path;
    }
    EXPECT_EQ(text, slurp_file(path));
}

TEST(SnapshotFormat, ExampleComesBackWhole) {
    const Annotated a = example();
    const std::string text = write_snapshot(a.space, a.notes, a.facts, kStamp);
    const Annotated back = read_back(text);
    expect_same(a, back);
    EXPECT_EQ(write_snapshot(back.space, back.notes, back.facts, kStamp), text);
}

TEST(SnapshotFormat, IsJsonWithTheDocumentedKeys) {
    const Annotated a = example();
    const auto doc =
        nlohmann::ordered_json::parse(write_snapshot(a.space, a.notes, a.facts, kStamp));
    std::vector<std::string> keys;
    for (const auto& [k, v] : doc.items()) keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<std::string>{"schema", "format", "version", "source", "account",
                                              "figures", "sections", "facts", "diagnostics",
                                              "warnings", "rows"}));
    EXPECT_EQ(doc["schema"], "vmatlas.snapshot/1");
    EXPECT_EQ(doc["format"], "vmatlas-snapshot");
    EXPECT_EQ(doc["version"], 1);
    // The source did not say when or where: the stamp does.
    EXPECT_EQ(doc["source"]["time"], kStamp.time);
    EXPECT_EQ(doc["source"]["kernel"], kStamp.kernel);
    const auto& rows = doc["rows"];
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[0]["perms"], "r-x?");
    EXPECT_EQ(rows[3]["perms"], "????");
    EXPECT_EQ(rows[1]["flags"], nlohmann::ordered_json::array({"partly_dumped"}));
    EXPECT_EQ(rows[3]["flags"], nlohmann::ordered_json::array({"deleted", "not_dumped"}));
    EXPECT_EQ(rows[2]["object"], "/usr/bin/demo");
    EXPECT_EQ(rows[1]["offset"], "0x1000");
    EXPECT_EQ(rows[1]["dev"], "fe:01");
    // Bytes that are not UTF-8 as hex: 0xe9 alone is not a character.
    EXPECT_EQ(rows[3]["path"]["hex"],
              "2f746d702f636166e920227822"
              "0a");
    EXPECT_EQ(doc["facts"]["threads"][1]["sp"], nullptr);
    EXPECT_EQ(doc["facts"]["threads"][0]["sp"], "0x7ffc00020f00");
    EXPECT_EQ(rows[4]["figures"]["thp_eligible"], true);
    EXPECT_EQ(rows[4]["figures"]["swap"], 4096);
    // One row a line, so that snapshots compare well with diff.
    std::size_t row_lines = 0;
    std::istringstream in(write_snapshot(a.space, a.notes, a.facts, kStamp));
    for (std::string line; std::getline(in, line);)
        if (line.starts_with("{\"start\":")) ++row_lines;
    EXPECT_EQ(row_lines, 5u);
}

TEST(SnapshotFormat, TimeAndKernelOfTheSourceWinOverTheStamp) {
    Annotated a = example();
    AddressSpaceBuilder b(SourceInfo{vmatlas::SourceKind::Procfs, "/proc/1/maps", 1, "init",
                                     "2020-01-02T03:04:05Z", "Linux 5.10.0"});
    Mapping m = a.space[0];
    m.path = b.intern(a.space.path(m));  // an id of this space's paths
    b.add(m);
    a.space = std::move(b).build();
    a.notes.labels.resize(1), a.notes.roles.resize(1), a.notes.sections.resize(1);
    const Annotated back = read_back(write_snapshot(a.space, a.notes, a.facts, kStamp));
    EXPECT_EQ(back.space.source().time, "2020-01-02T03:04:05Z");
    EXPECT_EQ(back.space.source().kernel, "Linux 5.10.0");
}

TEST(SnapshotFormat, StampNowIsIso8601UtcAndUname) {
    const SnapshotStamp s = snapshot_stamp_now();
    ASSERT_EQ(s.time.size(), 20u) << s.time;
    EXPECT_EQ(s.time[4], '-');
    EXPECT_EQ(s.time[10], 'T');
    EXPECT_EQ(s.time[19], 'Z');
    EXPECT_TRUE(s.kernel.starts_with("Linux ")) << s.kernel;
}

TEST(SnapshotFormat, RecognizedByItsFirstByte) {
    EXPECT_TRUE(looks_like_snapshot("{}"));
    EXPECT_TRUE(looks_like_snapshot(" \n\t\r{\"format\""));
    EXPECT_FALSE(looks_like_snapshot(""));
    EXPECT_FALSE(looks_like_snapshot("  \n"));
    EXPECT_FALSE(looks_like_snapshot("00400000-00401000 r-xp 00000000 08:01 1 /x\n"));
    EXPECT_FALSE(looks_like_snapshot("[{}]"));
}

// ---- the round trip on real maps -------------------------------------------------------------

class SnapshotRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(SnapshotRoundTrip, SameMapAndSameBytes) {
    const Annotated original = open_annotated(GetParam());
    ASSERT_TRUE(check_invariants(original.space).empty());
    const std::string first =
        write_snapshot(original.space, original.notes, original.facts, kStamp);
    const Annotated back = read_back(first);
    expect_same(original, back);
    const std::string second = write_snapshot(back.space, back.notes, back.facts, kStamp);
    EXPECT_EQ(second, first);
    // And through open_target, as the command line reads a file.
    // One file per process: ctest runs the cases of this suite side by side.
    const std::string file =
        ::testing::TempDir() + "/round-trip-" + std::to_string(getpid()) + ".json";
    std::ofstream(file, std::ios::binary) << first;
    const Annotated opened = open_annotated(file);
    std::remove(file.c_str());
    expect_same(original, opened);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SnapshotRoundTrip,
                         ::testing::Values(std::string(VMATLAS_FIXTURES) + "/seed003.maps",
                                           std::string(VMATLAS_FIXTURES) + "/cat-self.maps",
                                           std::string(VMATLAS_FIXTURES) + "/32bit.maps",
                                           std::string(VMATLAS_FIXTURES) + "/special-names.maps",
                                           std::string(VMATLAS_FIXTURES) + "/python3-mmap.maps",
                                           // Paths that are not UTF-8, escapes, CRLF.
                                           std::string(VMATLAS_FIXTURES) + "/hostile.maps",
                                           // Rejected rows, then rows superseded by later ones.
                                           std::string(VMATLAS_FIXTURES) + "/bad-rows.maps",
                                           std::string(VMATLAS_FIXTURES) + "/overlap.maps",
                                           std::string(VMATLAS_PMAP_FIXTURES) + "/demo.smaps",
                                           std::string(VMATLAS_PMAP_FIXTURES) + "/layout.smaps",
                                           std::string(VMATLAS_PMAP_FIXTURES) + "/hostile.smaps",
                                           // A target with its own names: an ELF image.
                                           std::string("/bin/true")),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = info.param.substr(info.param.rfind('/') + 1);
                             for (char& c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return name;
                         });

TEST(SnapshotRoundTrip, ASnapshotOfASnapshotIsTheSame) {
    const Annotated original = open_annotated(std::string(VMATLAS_FIXTURES) + "/overlap.maps");
    const std::string first =
        write_snapshot(original.space, original.notes, original.facts, kStamp);
    const Annotated back = read_back(first);
    // A different stamp changes nothing: the snapshot's own time and kernel are kept.
    const SnapshotStamp other{"2030-01-01T00:00:00Z", "Linux 9.9"};
    EXPECT_EQ(write_snapshot(back.space, back.notes, back.facts, other), first);
}

// ---- rows a snapshot should not have, but may ------------------------------------------------

// A snapshot of three rows, named after their addresses, to be edited by the tests.
nlohmann::ordered_json three_rows() {
    AddressSpaceBuilder b(SourceInfo{vmatlas::SourceKind::MapsText, "three.maps", 0, ""});
    Annotated a;
    for (Addr start : {0x1000, 0x3000, 0x5000}) {
        Mapping m;
        m.start = start;
        m.end = start + 0x1000;
        m.perms = Perms(Perms::kRead);
        b.add(m);
        a.notes.labels.push_back({fmt::format("row{:x}", start), NameSource::Heuristic});
        a.notes.roles.push_back(start == 0x3000 ? Role::Guard : Role::Rodata);
    }
    a.space = std::move(b).build();
    return nlohmann::ordered_json::parse(write_snapshot(a.space, a.notes, a.facts, kStamp));
}

std::string name_at(const Annotated& a, Addr addr) {
    const auto i = a.space.find(addr);
    return i ? a.notes.labels[*i].name.str() : "(no row)";
}

TEST(SnapshotRows, OutOfOrderRowsAreSortedWithTheirNames) {
    auto doc = three_rows();
    std::swap(doc["rows"][0], doc["rows"][2]);
    const Annotated a = read_back(doc.dump());
    ASSERT_EQ(a.space.size(), 3u);
    EXPECT_EQ(name_at(a, 0x1000), "row1000");
    EXPECT_EQ(name_at(a, 0x3000), "row3000");
    EXPECT_EQ(a.notes.roles[*a.space.find(0x3000)], Role::Guard);
    EXPECT_EQ(name_at(a, 0x5000), "row5000");
    ASSERT_FALSE(a.space.diagnostics().empty());
    EXPECT_NE(a.space.diagnostics()[0].message.find("rows[1] starts at 0x3000, below rows[0]"),
              std::string::npos)
        << a.space.diagnostics()[0].message;
    EXPECT_EQ(a.space.rows().superseded, 0u);
}

TEST(SnapshotRows, OfTwoOverlappingRowsTheLaterIsKeptWithItsName) {
    auto doc = three_rows();
    auto extra = doc["rows"][0];  // 0x1000-0x2000, grown over the hole to 0x2800
    extra["end"] = "0x2800";
    extra["name"] = "grown";
    doc["rows"].push_back(extra);
    doc["account"]["read"] = 4;
    doc["account"]["kept"] = 4;
    const Annotated a = read_back(doc.dump());
    ASSERT_EQ(a.space.size(), 3u);
    EXPECT_EQ(a.space[0].end, 0x2800u);
    EXPECT_EQ(name_at(a, 0x1000), "grown");
    EXPECT_EQ(name_at(a, 0x3000), "row3000");
    EXPECT_EQ(a.space.rows().superseded, 1u);
    EXPECT_EQ(a.space.rows().read, 4u);
    std::string all;
    for (const auto& d : a.space.diagnostics()) all += d.message + "\n";
    EXPECT_NE(all.find("rows[3] (0x1000-0x2800) overlaps rows[0] (0x1000-0x2000)"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("1 row(s) overlapped a later row and were dropped"), std::string::npos)
        << all;
    // Once sorted out, it stays so.
    const std::string once = write_snapshot(a.space, a.notes, a.facts, kStamp);
    const Annotated again = read_back(once);
    expect_same(a, again);
    EXPECT_EQ(write_snapshot(again.space, again.notes, again.facts, kStamp), once);
}

TEST(SnapshotRows, IdenticalRowsKeepTheLastOnesName) {
    auto doc = three_rows();
    auto copy = doc["rows"][1];
    copy["name"] = "second copy";
    doc["rows"].push_back(copy);
    doc["account"]["read"] = 4;
    doc["account"]["kept"] = 4;
    const Annotated a = read_back(doc.dump());
    ASSERT_EQ(a.space.size(), 3u);
    EXPECT_EQ(name_at(a, 0x3000), "second copy");
    EXPECT_EQ(name_at(a, 0x1000), "row1000");
    EXPECT_EQ(name_at(a, 0x5000), "row5000");
}

TEST(SnapshotRows, TextMayBeHexBytes) {
    auto doc = three_rows();
    doc["rows"][0]["path"] = {{"hex", "2f6dff"}};
    doc["rows"][0]["name"] = {{"hex", "6869"}};  // valid UTF-8 in hex: accepted too
    const Annotated a = read_back(doc.dump());
    EXPECT_EQ(a.space.path(a.space[0]), "/m\xff");
    EXPECT_EQ(a.notes.labels[0].name, "hi");
}

}  // namespace
}  // namespace vmtest
