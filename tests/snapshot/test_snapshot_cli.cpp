// `vmatlas save` and snapshots as targets, through the command line: every view of a snapshot is
// the view of the file it was saved from, byte for byte on stdout and stderr, with the same exit
// status; save -> save gives the same bytes; -o writes whole files only; hostile snapshots are
// exit status 7 with the place named, and nothing on stdout.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include <filesystem>

#include "support/harness.hpp"

namespace vmtest {
namespace {

namespace fs = std::filesystem;

// A view: the arguments before TARGET and after it.
struct View {
    std::vector<std::string> before, after;
    std::string label() const {
        std::string s;
        for (const auto& a : before) s += a + " ";
        s += "TARGET";
        for (const auto& a : after) s += " " + a;
        return s;
    }
};

// Every view, and the options that change what a view reads or shows.
const std::vector<View> kViews = {
    {{}, {}},
    {{"--json"}, {}},
    {{"--csv"}, {}},
    {{"-v"}, {}},
    {{"-v", "--json"}, {}},
    {{"--gaps"}, {}},
    {{"--gaps", "--json"}, {}},
    {{"-w"}, {}},
    {{"-x", "--color=always"}, {}},
    {{}, {"lib"}},
    {{}, {"0x7f0000010000"}},
    {{"-C", "2"}, {"0x1000000"}},
    {{"pmap"}, {}},
    {{"pmap", "-x"}, {}},
    {{"pmap", "-X"}, {}},
    {{"pmap", "--json"}, {}},
    {{"pmap", "-x", "--json"}, {}},
    {{"pmap", "-X", "--csv"}, {}},
    {{"pmap", "-b", "-s", "-q"}, {}},
    {{"pmap", "--color=always"}, {}},
    {{"mappings"}, {}},
    {{"mappings", "--json"}, {}},
    {{"mappings", "-b", "-s"}, {}},
    {{"summary"}, {}},
    {{"summary", "--json"}, {}},
    {{"summary", "--csv"}, {}},
};

RunResult view(const View& v, const std::string& target, const std::string& stdin_text = {}) {
    std::vector<std::string> args = v.before;
    args.push_back(target);
    args.insert(args.end(), v.after.begin(), v.after.end());
    return vmatlas(args, stdin_text);
}

RunResult save(const std::string& target, const std::string& stdin_text = {}) {
    return vmatlas({"save", target}, stdin_text);
}

// ---- every view, on a file and on its snapshot ---------------------------------------------

class SnapshotViews : public ::testing::TestWithParam<std::string> {};

TEST_P(SnapshotViews, AreTheViewsOfTheSavedFile) {
    const std::string source = GetParam();
    TempDir dir;
    const std::string snap = dir / "saved.json";
    const RunResult saved = vmatlas({"save", source, "-o", snap});
    const RunResult plain = vmatlas({source});
    // save says what the default view says about the source, and ends as it does.
    EXPECT_EQ(saved.status, plain.status) << saved.err;
    EXPECT_EQ(saved.out, "");
    ASSERT_TRUE(fs::exists(snap)) << saved.err;
    EXPECT_FALSE(fs::exists(snap + ".tmp"));
    for (const View& v : kViews) {
        SCOPED_TRACE(v.label());
        const RunResult want = view(v, source);
        const RunResult got = view(v, snap);
        EXPECT_EQ(got.status, want.status) << got.err;
        EXPECT_EQ(got.out, want.out);
        EXPECT_EQ(got.err, want.err);
    }
}

TEST_P(SnapshotViews, SavingTheSnapshotGivesTheSameBytes) {
    const RunResult first = save(GetParam());
    ASSERT_TRUE(first.status == 0 || first.status == 9) << first.err;
    ASSERT_TRUE(first.out.starts_with(
        "{\"schema\":\"vmatlas.snapshot/1\",\"format\":\"vmatlas-snapshot\",\"version\":1,\n"));
    TempDir dir;
    write_text(dir / "first.json", first.out);
    const RunResult again = save(dir / "first.json");
    EXPECT_EQ(again.status, first.status);
    EXPECT_EQ(again.out, first.out);
    // From standard input too, which is named "-" only in error messages.
    const RunResult piped = save("-", first.out);
    EXPECT_EQ(piped.status, first.status);
    EXPECT_EQ(piped.out, first.out);
    const RunResult shown = vmatlas({"-", "--json"}, first.out);
    EXPECT_EQ(shown.out, vmatlas({dir / "first.json", "--json"}).out);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SnapshotViews,
                         ::testing::Values(std::string(VMATLAS_FIXTURES) + "/seed003.maps",
                                           std::string(VMATLAS_FIXTURES) + "/cat-self.maps",
                                           std::string(VMATLAS_FIXTURES) + "/hostile.maps",
                                           std::string(VMATLAS_FIXTURES) + "/bad-rows.maps",
                                           std::string(VMATLAS_FIXTURES) + "/overlap.maps",
                                           std::string(VMATLAS_FIXTURES) + "/special-names.maps",
                                           std::string(VMATLAS_PMAP_FIXTURES) + "/demo.smaps",
                                           std::string(VMATLAS_PMAP_FIXTURES) + "/layout.smaps",
                                           std::string(VMATLAS_PMAP_FIXTURES) + "/hostile.smaps",
                                           std::string("/bin/true")),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = info.param.substr(info.param.rfind('/') + 1);
                             for (char& c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return name;
                         });

// ---- vmatlas save's own behaviour -----------------------------------------------------------

TEST(SnapshotSave, OutputFileReplacesAnOldOneWhole) {
    TempDir dir;
    const std::string out = dir / "map snapshot.json";
    write_text(out, "old");
    const RunResult r =
        vmatlas({"save", std::string(VMATLAS_PMAP_FIXTURES) + "/layout.smaps", "-o", out});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    const std::string text = slurp(out);
    EXPECT_TRUE(
        text.starts_with("{\"schema\":\"vmatlas.snapshot/1\",\"format\":\"vmatlas-snapshot\""))
        << text.substr(0, 100);
    EXPECT_TRUE(text.ends_with("]}\n"));
    EXPECT_FALSE(fs::exists(out + ".tmp"));
    // The same bytes as on stdout, but for the time of the save (to the second).
    const auto doc = nlohmann::json::parse(text);
    auto stdout_doc =
        nlohmann::json::parse(save(std::string(VMATLAS_PMAP_FIXTURES) + "/layout.smaps").out);
    stdout_doc["source"]["time"] = doc["source"]["time"];
    EXPECT_EQ(doc, stdout_doc);
}

TEST(SnapshotSave, AnUnwritableFileIsStatus10AndLeavesNothing) {
    TempDir dir;
    const std::string out = dir / "no such dir/snap.json";
    const RunResult r =
        vmatlas({"save", std::string(VMATLAS_FIXTURES) + "/seed003.maps", "-o", out});
    EXPECT_EQ(r.status, 10);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "vmatlas: cannot write " + out + ": No such file or directory\n");
    EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(SnapshotSave, RecordsTimeAndKernelOfTheSave) {
    const RunResult r = save(std::string(VMATLAS_FIXTURES) + "/seed003.maps");
    ASSERT_EQ(r.status, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    const std::string time = doc["source"]["time"];
    EXPECT_EQ(time.size(), 20u);
    EXPECT_EQ(time.back(), 'Z');
    struct utsname u;
    ASSERT_EQ(uname(&u), 0);
    EXPECT_EQ(doc["source"]["kernel"], std::string(u.sysname) + " " + u.release);
    EXPECT_EQ(doc["source"]["kind"], "maps text");
    EXPECT_EQ(doc["rows"].size(), 34u);
}

TEST(SnapshotSave, NeedsATarget) {
    const RunResult r = vmatlas({"save"});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("TARGET is required"), std::string::npos) << r.err;
}

// ---- hostile snapshots through the command line ---------------------------------------------

struct Bad {
    std::string text, message;
};

const std::vector<Bad> kBad = {
    {"{\"format\": \"vmatlas-snapshot\", \"version\": 1, \"rows\": 3",
     "not a snapshot: not valid JSON: parse error at line 1"},
    {"{\"format\": \"vmatlas-snapshot\", \"version\": 7}",
     "version: version 7 is not supported: this vmatlas reads version 1"},
    {"  {\"format\": \"pmap\"}", "format: not \"vmatlas-snapshot\""},
};

TEST(SnapshotHostile, EveryViewSaysWhereAndExits7) {
    TempDir dir;
    // A good snapshot with one row's start broken.
    auto doc =
        nlohmann::ordered_json::parse(save(std::string(VMATLAS_FIXTURES) + "/seed003.maps").out);
    doc["rows"][3]["start"] = "0x12g";
    std::vector<Bad> bad = kBad;
    bad.push_back({doc.dump(), "rows[3].start: not a hex address (found \"0x12g\")"});
    for (std::size_t k = 0; k < bad.size(); ++k) {
        const std::string file = dir / ("bad " + std::to_string(k) + ".json");
        write_text(file, bad[k].text);
        for (const View& v : {View{{}, {}}, View{{"pmap", "-x"}, {}}, View{{"mappings"}, {}},
                              View{{"summary", "--json"}, {}}, View{{"save"}, {}}}) {
            SCOPED_TRACE(v.label() + " on " + file);
            const RunResult r = view(v, file);
            EXPECT_EQ(r.status, 7);
            EXPECT_EQ(r.out, "");
            EXPECT_EQ(r.err.rfind("vmatlas: " + file + ": ", 0), 0u) << r.err;
            EXPECT_NE(r.err.find(bad[k].message), std::string::npos) << r.err;
        }
        const RunResult piped = view(View{{}, {}}, "-", bad[k].text);
        EXPECT_EQ(piped.status, 7);
        EXPECT_EQ(piped.err.rfind("vmatlas: standard input: ", 0), 0u) << piped.err;
    }
}

}  // namespace
}  // namespace vmtest
