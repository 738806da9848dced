// Every view's --json on every kind of target, checked against its JSON Schema in docs/schema/
// by check_schemas.py (Debian's /usr/bin/python3 with jsonschema, draft 2020-12): the document's
// first key is "schema" with the view's name, the document is valid, and an undocumented key
// added to any of its objects is refused. The targets: the demo running, a core file of it made
// here by gcore, a snapshot saved here, an ELF file, maps and smaps text, a regions file, and a
// snapshot without the "schema" key.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/core_support.hpp"
#include "support/harness.hpp"

namespace vmtest {
namespace {

const std::string kPython = "/usr/bin/python3";
const std::string kChecker = VMATLAS_SOURCE_DIR "/tests/json/check_schemas.py";
const std::string kSchemaDir = VMATLAS_SOURCE_DIR "/docs/schema";

// Why the schemas cannot be checked on this machine; "" when they can.
std::string why_unchecked() {
    static const std::string why = [] {
        if (run({kPython, "-c", "import jsonschema"}).status == 0) return std::string();
        return kPython +
               " has no jsonschema module (apt-get install python3-jsonschema): the JSON "
               "schemas are not checked";
    }();
    return why;
}

std::string joined(const std::vector<std::string>& args) {
    std::string out = "vmatlas";
    for (const std::string& a : args) out += " '" + a + "'";
    return out;
}

// The JSON documents of a test, each written to a file with the schema it must follow, checked
// together by check().
class Documents {
  public:
    // Runs vmatlas with args, which must exit with `status` and write a document (or, for
    // where, one a line) that follows `schema`; returns the first document.
    nlohmann::json add(const std::string& schema, const std::vector<std::string>& args,
                       int status = 0) {
        const RunResult r = vmatlas(args);
        EXPECT_EQ(r.status, status) << joined(args) << "\n" << r.err;
        EXPECT_FALSE(r.out.empty()) << joined(args) << "\n" << r.err;
        const std::string file = dir_ / (std::to_string(++count_) + ".json");
        write_text(file, r.out);
        add_file(schema, file);
        return nlohmann::json::parse(lines(r.out).front(), nullptr, false);
    }

    // A file some other step wrote (a snapshot), which must follow `schema`.
    void add_file(const std::string& schema, const std::string& file) {
        manifest_ += schema + "\t" + file + "\n";
        ++files_;
    }

    // Every document checked against its schema.
    void check() {
        const std::string manifest = dir_ / "manifest";
        write_text(manifest, manifest_);
        const RunResult r = run({kPython, kChecker, kSchemaDir, manifest});
        EXPECT_EQ(r.status, 0) << r.out << r.err;
        EXPECT_NE(r.out.find(std::to_string(files_) + " files checked"), std::string::npos)
            << r.out;
    }

  private:
    TempDir dir_{"vmatlas-json"};
    std::string manifest_;
    int count_ = 0;  // the command's outputs
    int files_ = 0;  // every file in the manifest
};

// The addresses `where` and the filters are asked about, read from the target's own map: one in
// its first mapping, one in a hole (when the map has one).
struct Probes {
    std::string in_mapping, in_hole;
};

Probes probes_of(const nlohmann::json& map, const nlohmann::json& gaps) {
    Probes p;
    const std::uint64_t start =
        std::stoull(map["mappings"].at(0)["start"].get<std::string>(), nullptr, 16);
    p.in_mapping = fmt::format("{:#x}", start + 1);
    for (const auto& g : gaps["gaps"])
        if (g["kind"] == "hole") {
            p.in_hole = g["start"].get<std::string>();
            break;
        }
    return p;
}

// Every view that reads a map, on `target`, exiting with `status` (9 for a partial one). Returns
// the default view's document.
nlohmann::json every_map_view(Documents& docs, const std::string& target, int status = 0) {
    const nlohmann::json map = docs.add("vmatlas.map/1", {target, "--json"}, status);
    const nlohmann::json gaps = docs.add("vmatlas.gaps/1", {target, "--gaps", "--json"}, status);
    const Probes p = probes_of(map, gaps);
    docs.add("vmatlas.map/1", {target, "-v", "--json"}, status);
    docs.add("vmatlas.map/1", {target, p.in_mapping, "-C", "1", "--json"}, status);
    docs.add("vmatlas.map/1", {target, "no such name anywhere", "--json"}, status ? status : 1);
    docs.add("vmatlas.summary/1", {"summary", target, "--json"}, status);
    docs.add("vmatlas.pmap/1", {"pmap", target, "--json"}, status);
    docs.add("vmatlas.pmap/1", {"pmap", "-x", target, "--json"}, status);
    docs.add("vmatlas.pmap/1", {"pmap", "-X", "-A", p.in_mapping, target, "--json"}, status);
    docs.add("vmatlas.pmap/1", {"pmap", "-S", target, "--json"}, status);
    docs.add("vmatlas.pmap/1", {"pmap", "-d", target, "--json"}, status);
    docs.add("vmatlas.mappings/1", {"mappings", target, "--json"}, status);
    docs.add("vmatlas.diff/1", {"diff", target, target, "--json", "--all"}, status);
    docs.add("vmatlas.where/1", {"where", "--json", target, p.in_mapping}, status);
    docs.add("vmatlas.where/1",
             {"where", "--json", "--fields", "pc,name,symbol,line", target, p.in_mapping}, status);
    if (!p.in_hole.empty()) {
        docs.add("vmatlas.map/1", {target, p.in_hole, "--json"}, status ? status : 1);
        docs.add("vmatlas.where/1", {"where", "--json", target, p.in_hole, "nosuch"},
                 status ? status : 1);
    }
    return map;
}

TEST(JsonSchemas, LiveProcess) {
    if (!why_unchecked().empty()) GTEST_SKIP() << why_unchecked();
    Demo demo;
    Documents docs;
    const auto map = every_map_view(docs, demo.pid_text());
    EXPECT_EQ(map["source"]["kind"], "procfs");
    EXPECT_EQ(map["source"]["pid"], demo.pid());
    docs.check();
}

TEST(JsonSchemas, CoreFile) {
    if (!why_unchecked().empty()) GTEST_SKIP() << why_unchecked();
    TempDir dir;
    Demo demo({}, dumpable_in(dir.path()));
    demo.pause();
    const auto core = gcore(demo.pid(), dir / "core");
    if (!core) GTEST_SKIP() << "gcore could not dump the child";
    Documents docs;
    const auto map = every_map_view(docs, *core);
    EXPECT_EQ(map["source"]["kind"], "core");
    EXPECT_TRUE(map["mappings"].at(0)["in_core"].is_string());
    docs.check();
}

TEST(JsonSchemas, Snapshot) {
    if (!why_unchecked().empty()) GTEST_SKIP() << why_unchecked();
    Demo demo;
    TempDir dir;
    const std::string snapshot = dir / "demo.json";
    const RunResult saved = vmatlas({"save", demo.pid_text(), "-o", snapshot});
    ASSERT_EQ(saved.status, 0) << saved.err;
    Documents docs;
    docs.add_file("vmatlas.snapshot/1", snapshot);
    const auto map = every_map_view(docs, snapshot);
    // A snapshot's source is the map it was saved from.
    EXPECT_EQ(map["source"]["kind"], "procfs");
    EXPECT_EQ(map["source"]["origin"], "/proc/" + demo.pid_text() + "/smaps");
    docs.check();
}

// A snapshot without the "schema" key (the diff fixtures') reads, and its views follow theirs.
TEST(JsonSchemas, SnapshotWithoutSchemaKey) {
    if (!why_unchecked().empty()) GTEST_SKIP() << why_unchecked();
    const std::string before = VMATLAS_DIFF_DIR "/fixtures/before.json";
    const std::string after = VMATLAS_DIFF_DIR "/fixtures/after.json";
    ASSERT_EQ(slurp(before).find("\"schema\""), std::string::npos);
    Documents docs;
    const auto map = docs.add("vmatlas.map/1", {before, "--json"});
    EXPECT_EQ(map["source"]["kind"], "maps text");
    const auto diff = docs.add("vmatlas.diff/1", {"diff", before, after, "--json"}, 1);
    EXPECT_EQ(diff["a"]["snapshot"], before);
    docs.add("vmatlas.snapshot/1", {"save", before});
    docs.check();
}

TEST(JsonSchemas, ElfFile) {
    if (!why_unchecked().empty()) GTEST_SKIP() << why_unchecked();
    const std::string elf = VMATLAS_DEMO_BIN;
    Documents docs;
    const auto image = docs.add("vmatlas.elf/1", {"elf", elf, "--json"});
    EXPECT_EQ(image["map"]["schema"], "vmatlas.map/1");
    EXPECT_EQ(image["map_by"], "segments");
    EXPECT_EQ(docs.add("vmatlas.elf/1", {"elf", "--sections", elf, "--json"})["map_by"],
              "sections");
    const auto map = every_map_view(docs, elf);
    EXPECT_EQ(map["source"]["kind"], "elf image");
    docs.check();
}

TEST(JsonSchemas, MapsText) {
    if (!why_unchecked().empty()) GTEST_SKIP() << why_unchecked();
    Documents docs;
    const auto map = every_map_view(docs, VMATLAS_GOLDEN_DIR "/layout.maps");
    EXPECT_EQ(map["source"]["kind"], "maps text");
    // seed 003's objects are not at hand: rows named from the layout, whose sections are unknown.
    const auto seed = docs.add("vmatlas.map/1", {VMATLAS_FIXTURES "/seed003.maps", "-v", "--json"});
    bool layout_row = false;
    for (const auto& m : seed["mappings"])
        if (m["name_source"] == "layout") {
            layout_row = true;
            EXPECT_TRUE(m["sections"].is_null()) << m.dump();
        }
    EXPECT_TRUE(layout_row);
    // Rows refused: the map is partial, every view says so and exits 9.
    const auto partial = every_map_view(docs, VMATLAS_FIXTURES "/bad-rows.maps", 9);
    EXPECT_EQ(partial["partial"], true);
    docs.check();
}

TEST(JsonSchemas, SmapsText) {
    if (!why_unchecked().empty()) GTEST_SKIP() << why_unchecked();
    Documents docs;
    const auto map = every_map_view(docs, VMATLAS_PMAP_FIXTURES "/layout.smaps");
    EXPECT_EQ(map["source"]["kind"], "smaps text");
    docs.check();
}

TEST(JsonSchemas, RegionsFile) {
    if (!why_unchecked().empty()) GTEST_SKIP() << why_unchecked();
    Documents docs;
    const auto map = every_map_view(docs, VMATLAS_FIXTURES "/board.regions");
    EXPECT_EQ(map["source"]["kind"], "regions");
    docs.check();
}

TEST(JsonSchemas, GuestDump) {
    if (!why_unchecked().empty()) GTEST_SKIP() << why_unchecked();
    Documents docs;
    const std::string dump = VMATLAS_FIXTURES "/../fuzz/corpus/guest_dump/two-cpus";
    const auto map = every_map_view(docs, dump);
    EXPECT_EQ(map["source"]["kind"], "guest dump");
    const auto verbose = docs.add("vmatlas.map/1", {dump, "-v", "--json"});
    EXPECT_EQ(verbose["mappings"].at(0)["pages"],
              (nlohmann::json{"user", "4K", "phys=0x200000", "contiguous"}));
    docs.check();
}

// A view's JSON given as a target is refused, saying what it is.
TEST(JsonSchemas, AViewsJsonIsNoSnapshot) {
    TempDir dir;
    const std::string map = dir / "map.json";
    const RunResult r = vmatlas({VMATLAS_GOLDEN_DIR "/layout.maps", "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    write_text(map, r.out);
    const RunResult read = vmatlas({"pmap", map});
    EXPECT_EQ(read.status, 7);
    EXPECT_EQ(read.out, "");
    EXPECT_EQ(read.err, "vmatlas: " + map +
                            ": the document: not a snapshot: its schema is \"vmatlas.map/1\", the "
                            "JSON of a view; 'vmatlas save' writes a snapshot\n");
}

// vmatlas watch --json on the watch child while it makes one change of each kind it can, then
// exits: every line (start, mapped, perms, grew, shrank, unmapped, exited) follows the schema.
TEST(JsonSchemas, WatchLines) {
    if (!why_unchecked().empty()) GTEST_SKIP() << why_unchecked();
    Child child({VMATLAS_WATCH_CHILD});
    RunResult watched;
    std::thread watcher([&] {
        watched = vmatlas({"watch", child.pid_text(), "--interval", "0.02", "--json"});
    });
    for (const char* command : {"map\n", "protect\n", "grow\n", "shrink\n", "unmap\n", "exit\n"}) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        ASSERT_GT(write(child.stdin_fd(), command, std::strlen(command)), 0);
    }
    watcher.join();
    EXPECT_EQ(watched.status, 0) << watched.err;
    const auto records = lines(watched.out);
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(nlohmann::json::parse(records.back())["event"], "exited") << watched.out;
    TempDir dir{"vmatlas-json-watch"};
    const std::string file = dir / "watch.json";
    write_text(file, watched.out);
    Documents docs;
    docs.add_file("vmatlas.watch/1", file);
    docs.check();
}

// vmatlas trace --json: its rows at points, counts and system calls (in_kernel), on the trace
// tests' program without a C library, which exits with status 7.
TEST(JsonSchemas, TraceRows) {
    if (!why_unchecked().empty()) GTEST_SKIP() << why_unchecked();
    const std::string program = VMATLAS_TRACE_COUNT_CHILD;
    Documents docs;
    docs.add("vmatlas.trace/1",
             {"trace", "--json", "--syscalls", "--pcs", "known_point", "--", program}, 7);
    docs.add("vmatlas.trace/1", {"trace", "--json", "--counts", "1-5", "--", program}, 7);
    docs.check();
}

}  // namespace
}  // namespace vmtest
