// A snapshot of a live process: the demo, stopped with SIGSTOP so that the process and its
// snapshot hold the same map, is saved; then every view of the snapshot is compared with the same
// view of the stopped process, and the snapshot with /proc read here by hand.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>

#include "support/harness.hpp"

namespace vmtest {
namespace {

namespace fs = std::filesystem;

// The demo, with every thread stopped for as long as this object lives.
struct StoppedDemo : Demo {
    StoppedDemo() { pause(); }
};

RunResult view(std::vector<std::string> before, const std::string& target,
               const std::vector<std::string>& after = {}) {
    before.push_back(target);
    before.insert(before.end(), after.begin(), after.end());
    return vmatlas(before);
}

TEST(SnapshotLive, HoldsTheStoppedProcess) {
    StoppedDemo demo;
    TempDir dir;
    const std::string snap = dir / "demo.json";
    const RunResult saved = vmatlas({"save", demo.pid_text(), "-o", snap});
    ASSERT_EQ(saved.status, 0) << saved.err;
    const auto doc = nlohmann::json::parse(slurp(snap));

    EXPECT_EQ(doc["source"]["kind"], "procfs");
    EXPECT_EQ(doc["source"]["origin"], "/proc/" + demo.pid_text() + "/smaps");
    EXPECT_EQ(doc["source"]["pid"], demo.pid());
    EXPECT_EQ(doc["source"]["process"], "vmatlas-demo");
    EXPECT_EQ(doc["figures"], true);
    EXPECT_EQ(doc["sections"], true);

    // Its threads, each with where its stack pointer was.
    std::vector<pid_t> tids;
    for (const auto& t : doc["facts"]["threads"]) {
        tids.push_back(t["tid"].get<pid_t>());
        EXPECT_FALSE(t["name"].get<std::string>().empty());
        if (t["sp"].is_null())
            EXPECT_FALSE(t["sp_error"].get<std::string>().empty());
        else
            EXPECT_NE(t["sp_source"], "");
    }
    EXPECT_EQ(tids, thread_ids(demo.pid()));
    EXPECT_GE(tids.size(), 3u);  // the demo starts two threads

    // Its rows, as /proc says.
    const auto proc = read_proc_maps(demo.pid());
    const auto& rows = doc["rows"];
    ASSERT_EQ(rows.size(), proc.size());
    for (std::size_t i = 0; i < proc.size(); ++i) {
        SCOPED_TRACE("row " + std::to_string(i) + " " + proc[i].path);
        EXPECT_EQ(hex(rows[i]["start"].get<std::string>()), proc[i].start);
        EXPECT_EQ(hex(rows[i]["end"].get<std::string>()), proc[i].end);
        EXPECT_EQ(rows[i]["perms"], proc[i].perms);
        EXPECT_EQ(hex(rows[i]["offset"].get<std::string>()), proc[i].offset);
        EXPECT_EQ(rows[i]["dev"], proc[i].dev);
        EXPECT_EQ(rows[i]["inode"], proc[i].inode);
        EXPECT_EQ(rows[i]["path"], proc[i].path);
        EXPECT_EQ(rows[i]["flags"].size(), proc[i].deleted ? 1u : 0u);
    }

    // Saving the snapshot gives it back, byte for byte.
    const RunResult again = vmatlas({"save", snap});
    EXPECT_EQ(again.status, 0) << again.err;
    EXPECT_EQ(again.out, slurp(snap));
}

TEST(SnapshotLive, EveryViewIsTheViewOfTheStoppedProcess) {
    StoppedDemo demo;
    TempDir dir;
    const std::string snap = dir / "demo.json";
    const RunResult saved = vmatlas({"save", demo.pid_text(), "-o", snap});
    ASSERT_EQ(saved.status, 0) << saved.err;
    const std::string pid = demo.pid_text();

    // Byte for byte: tables name a live process by its pid, not by the file read, and the views
    // with figures read smaps, as save did.
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> exact = {
        {{}, {}},
        {{"-v"}, {}},
        {{"--gaps"}, {}},
        {{"-w", "--color=always"}, {}},
        {{}, {"stack tid"}},
        {{}, {"vmatlas-demo"}},
        {{"pmap"}, {}},
        {{"pmap", "-x"}, {}},
        {{"pmap", "-x", "--json"}, {}},
        {{"mappings"}, {}},
        {{"mappings", "-b"}, {}},
        {{"summary"}, {}},
        {{"summary", "--json"}, {}},
    };
    for (const auto& [before, after] : exact) {
        SCOPED_TRACE((before.empty() ? "" : before[0] + " ") + "... " +
                     (after.empty() ? "" : after[0]));
        const RunResult want = view(before, pid, after);
        const RunResult got = view(before, snap, after);
        EXPECT_EQ(got.status, want.status) << got.err;
        EXPECT_EQ(got.out, want.out);
        EXPECT_EQ(got.err, want.err);
    }

    // JSON names the file read: the snapshot was read from smaps, the views without figures
    // read maps. That is the only difference.
    for (const std::vector<std::string>& before :
         std::vector<std::vector<std::string>>{{"--json"},
                                               {"-v", "--json"},
                                               {"--gaps", "--json"},
                                               {"mappings", "--json"},
                                               {"pmap", "--json"}}) {
        SCOPED_TRACE(before[0]);
        auto want = parse_json(view(before, pid));
        auto got = parse_json(view(before, snap));
        EXPECT_EQ(want["source"]["origin"], "/proc/" + pid + "/maps");
        EXPECT_EQ(got["source"]["origin"], "/proc/" + pid + "/smaps");
        got["source"]["origin"] = want["source"]["origin"];
        EXPECT_EQ(got, want);
    }

    // pmap -X: every figure but those that depend on who else maps the same pages at the
    // moment (a page's share of PSS, and whether it counts as shared or private).
    {
        auto want = parse_json(view({"pmap", "-X", "--json"}, pid));
        auto got = parse_json(view({"pmap", "-X", "--json"}, snap));
        for (auto* doc : {&want, &got}) {
            for (const char* key : {"pss", "swap_pss", "shared_clean", "shared_dirty",
                                    "private_clean", "private_dirty"}) {
                for (auto& row : (*doc)["mappings"]) row.erase(key);
                (*doc)["totals"].erase(key);
            }
        }
        ASSERT_TRUE(want["mappings"].size() > 0);
        EXPECT_TRUE(want["mappings"][0].contains("referenced")) << want["mappings"][0].dump();
        EXPECT_EQ(got, want);
    }
}

}  // namespace
}  // namespace vmtest
