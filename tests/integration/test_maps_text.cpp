// Maps text as a target: a saved file, and the same text on stdin ("-").
#include <gtest/gtest.h>

#include <filesystem>

#include "harness.hpp"

namespace vmtest {
namespace {

// Rows chosen to need care: a path with spaces, a deleted file, kernel names, unnamed anonymous
// memory, a guard, a shared mapping and 32-bit-wide addresses.
constexpr std::string_view kText =
    "00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n"
    "00651000-00652000 r--p 00051000 08:02 173521      /usr/bin/dbus-daemon\n"
    "00652000-00655000 rw-p 00052000 08:02 173521      /usr/bin/dbus-daemon\n"
    "00e03000-00e24000 rw-p 00000000 00:00 0           [heap]\n"
    "7f3c28000000-7f3c28021000 rw-p 00000000 00:00 0 \n"
    "7f3c28021000-7f3c2c000000 ---p 00000000 00:00 0 \n"
    "7f3c2e5f1000-7f3c2e5f4000 r--p 00002000 fe:01 4242        /home/a user/My Files/data set.bin\n"
    "7f3c2e5f4000-7f3c2e5f5000 rw-s 00000000 fe:01 4243        /tmp/old log.txt (deleted)\n"
    "7ffc1b7e4000-7ffc1b805000 rw-p 00000000 00:00 0           [stack]\n"
    "7ffc1b8d4000-7ffc1b8d6000 r-xp 00000000 00:00 0           [vdso]\n";

void expect_rows_equal(const nlohmann::json& doc, const std::vector<ProcRow>& want) {
    ASSERT_EQ(doc["mappings"].size(), want.size());
    EXPECT_EQ(doc["rows"]["read"], want.size());
    EXPECT_EQ(doc["rows"]["kept"], want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const auto& m = doc["mappings"][i];
        const ProcRow& p = want[i];
        SCOPED_TRACE("row " + std::to_string(i));
        EXPECT_EQ(m["start"], to_hex(p.start));
        EXPECT_EQ(m["end"], to_hex(p.end));
        EXPECT_EQ(m["perms"], p.perms);
        EXPECT_EQ(m["offset"], p.offset);
        EXPECT_EQ(m["dev"], p.dev);
        EXPECT_EQ(m["inode"], p.inode);
        EXPECT_EQ(m["deleted"], p.deleted);
        EXPECT_EQ(m["path"], p.kernel_name() ? "" : p.path);
        if (p.kernel_name() || p.anonymous()) {
            EXPECT_EQ(m["name"], display_name(p));
        }
    }
}

class MapsText : public ::testing::Test {
  protected:
    void SetUp() override {
        // A directory with a space in its name, like the demo's.
        char dir_template[] = "/tmp/vmatlas maps text XXXXXX";
        ASSERT_NE(mkdtemp(dir_template), nullptr);
        dir_ = dir_template;
        file_ = dir_ + "/saved maps.txt";
        std::ofstream(file_) << kText;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string dir_, file_;
};

TEST_F(MapsText, FileTargetHasTheTextsRows) {
    RunResult r = vmatlas({"--json", file_});
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = parse_json(r);
    EXPECT_EQ(doc["source"]["origin"], file_);
    expect_rows_equal(doc, parse_proc_maps(kText));

    RunResult t = vmatlas({"--color=never", file_});
    ASSERT_EQ(t.status, 0) << t.err;
    Table table = parse_table(t.out, false);
    auto want = parse_proc_maps(kText);
    ASSERT_EQ(table.rows.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(table.rows[i].start, want[i].start);
        EXPECT_EQ(table.rows[i].file, display_name(want[i]));
    }
}

TEST_F(MapsText, StdinTargetHasTheTextsRows) {
    RunResult r = vmatlas({"--json", "-"}, std::string(kText));
    ASSERT_EQ(r.status, 0) << r.err;
    expect_rows_equal(parse_json(r), parse_proc_maps(kText));
}

TEST_F(MapsText, FiltersWorkOnText) {
    RunResult r = vmatlas({"--json", file_, "data set"});
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = parse_json(r);
    ASSERT_EQ(doc["mappings"].size(), 1u);
    EXPECT_EQ(doc["mappings"][0]["path"], "/home/a user/My Files/data set.bin");

    RunResult a = vmatlas({"--json", "-C", "0", file_, "0x7f3c2e5f2010"});
    ASSERT_EQ(a.status, 0) << a.err;
    auto hit = parse_json(a);
    ASSERT_EQ(hit["mappings"].size(), 1u);
    EXPECT_EQ(hit["mappings"][0]["match_offset"], 0x1010);
}

TEST_F(MapsText, SavedLiveMapEqualsTheLiveOne) {
    Demo demo;
    std::string text = slurp("/proc/" + demo.pid_text() + "/maps");
    std::ofstream(file_) << text;
    RunResult r = vmatlas({"--json", file_});
    ASSERT_EQ(r.status, 0) << r.err;
    expect_rows_equal(parse_json(r), parse_proc_maps(text));
}

TEST(MapsTextFixture, Seed003IsReadWhenPresent) {
    std::string path = std::string(VMATLAS_FIXTURES) + "/seed003.maps";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is not there yet";
    RunResult r = vmatlas({"--json", path});
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = parse_json(r);
    EXPECT_EQ(doc["rows"]["rejected"], 0);
    EXPECT_EQ(doc["rows"]["kept"], doc["mappings"].size());
    EXPECT_GT(doc["mappings"].size(), 0u);
}

}  // namespace
}  // namespace vmtest
