// Maps text as a target: a saved file, and the same text on stdin ("-").
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "map/names.hpp"
#include "support/harness.hpp"

namespace vmtest {
namespace {

// Rows chosen to need care: a path with spaces, a deleted file, kernel names, unnamed anonymous
// memory (with a 32-bit-wide address too), a glibc arena of a thread and the rest of its
// reservation, a shared mapping and 32-bit-wide addresses. No file here is the one named
// (missing, or another inode): none has ELF names (the layout gives a bss), and none is worth a
// warning.
constexpr std::string_view kText =
    "00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n"
    "00651000-00652000 r--p 00051000 08:02 173521      /usr/bin/dbus-daemon\n"
    "00652000-00655000 rw-p 00052000 08:02 173521      /usr/bin/dbus-daemon\n"
    "00655000-00657000 rw-p 00000000 00:00 0 \n"
    "00e03000-00e24000 rw-p 00000000 00:00 0           [heap]\n"
    "7f3c28000000-7f3c28021000 rw-p 00000000 00:00 0 \n"
    "7f3c28021000-7f3c2c000000 ---p 00000000 00:00 0 \n"
    "7f3c2e5f0000-7f3c2e5f1000 rw-p 00000000 00:00 0 \n"
    "7f3c2e5f1000-7f3c2e5f4000 r--p 00002000 fe:01 4242        /home/a user/My Files/data set.bin\n"
    "7f3c2e5f4000-7f3c2e5f5000 rw-s 00000000 fe:01 4243        /tmp/old log.txt (deleted)\n"
    "7ffc1b7e4000-7ffc1b805000 rw-p 00000000 00:00 0           [stack]\n"
    "7ffc1b8d4000-7ffc1b8d6000 r-xp 00000000 00:00 0           [vdso]\n";

// kText's names, where they come from ("" for none), and the object a row belongs to when it has
// no file of its own. dbus-daemon's file cannot be read: its bss is known from the layout alone.
struct Named {
    std::string name, source, object;
};
const std::vector<Named> kTextNames = {
    {"", ""},
    {"", ""},
    {"", ""},
    {"bss", "layout", "/usr/bin/dbus-daemon"},
    {"[heap]", "kernel"},
    {"heap", "heuristic"},
    {"heap (reserved)", "heuristic"},
    {"[anon_7f3c2e5f0]", "heuristic"},
    {"", ""},
    {"", ""},
    {"[stack]", "kernel"},
    {"[vdso]", "kernel"},
};

// The fields of the JSON rows that /proc/PID/maps (or its text) fixes.
void expect_rows_equal(const nlohmann::json& doc, const std::vector<ProcRow>& want) {
    ASSERT_EQ(doc["mappings"].size(), want.size());
    EXPECT_EQ(doc["rows"]["read"], want.size());
    EXPECT_EQ(doc["rows"]["kept"], want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const auto& m = doc["mappings"][i];
        const ProcRow& p = want[i];
        SCOPED_TRACE("row " + std::to_string(i));
        expect_json_row(m, p);
    }
}

// kText's rows as JSON: the fields of the text, and the names above.
void expect_text_rows(const nlohmann::json& doc) {
    const auto want = parse_proc_maps(kText);
    ASSERT_EQ(want.size(), kTextNames.size());
    expect_rows_equal(doc, want);
    // Its deleted file's name, which a file could be named too.
    ASSERT_EQ(doc["warnings"].size(), 1u) << doc["warnings"];
    EXPECT_TRUE(doc["warnings"][0].get<std::string>().starts_with(
        "line 10, column 59: this row's name ends in \" (deleted)\""))
        << doc["warnings"];
    const auto& ms = doc["mappings"];
    ASSERT_EQ(ms.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE("row " + std::to_string(i));
        EXPECT_EQ(ms[i]["name"], kTextNames[i].name);
        if (kTextNames[i].source.empty()) {
            EXPECT_TRUE(ms[i]["name_source"].is_null()) << ms[i]["name_source"];
        } else {
            EXPECT_EQ(ms[i]["name_source"], kTextNames[i].source);
        }
        EXPECT_EQ(ms[i]["object"], kTextNames[i].object);
        // The names also follow the rules the live tests check.
        expect_name_by_rule(want, ms, i, {}, 0);
    }
}

class MapsText : public ::testing::Test {
  protected:
    void SetUp() override { write_text(file_, kText); }

    TempDir dir_{"vmatlas maps text"};  // a space in its name, like the demo's
    std::string file_ = dir_ / "saved maps.txt";
};

TEST_F(MapsText, FileTargetHasTheTextsRows) {
    RunResult r = vmatlas({"--json", file_});
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = parse_json(r);
    EXPECT_EQ(doc["source"]["kind"], "maps text");
    EXPECT_EQ(doc["source"]["origin"], file_);
    expect_text_rows(doc);
    for (const auto& keys : row_keys(r)) EXPECT_EQ(keys, kRowKeys);

    RunResult t = vmatlas({"--color=never", file_});
    ASSERT_EQ(t.status, 0) << t.err;
    Table table = parse_table(t.out, false);
    EXPECT_EQ(table.header, kMapColumns);
    EXPECT_TRUE(table.other.empty()) << table.other.front();
    EXPECT_EQ(table_layout_problems(t.out, false), std::vector<std::string>{}) << t.out;
    auto want = parse_proc_maps(kText);
    ASSERT_EQ(table.rows.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE("row " + std::to_string(i));
        EXPECT_EQ(table.rows[i].start, want[i].start);
        EXPECT_EQ(table.rows[i].end, want[i].end);
        EXPECT_EQ(table.rows[i].perms, want[i].perms);
        EXPECT_EQ(table.rows[i].offset, want[i].offset);
        EXPECT_EQ(table.rows[i].name, kTextNames[i].name);
        // A bss row shows its object's file.
        EXPECT_EQ(table.rows[i].file,
                  kTextNames[i].object.empty() ? file_column(want[i]) : kTextNames[i].object);
    }
    EXPECT_EQ(table.rows[9].file, "/tmp/old log.txt (deleted)");
}

TEST_F(MapsText, StdinTargetHasTheTextsRows) {
    RunResult r = vmatlas({"--json", "-"}, std::string(kText));
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = parse_json(r);
    EXPECT_EQ(doc["source"]["origin"], "-");
    expect_text_rows(doc);
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

// A saved map is read with the same ELF files as the live one, so it gets the same names, but for
// the threads' stacks: their registers need the live process.
TEST_F(MapsText, SavedLiveMapEqualsTheLiveOne) {
    Demo demo;
    std::string text = slurp("/proc/" + demo.pid_text() + "/maps");
    std::ofstream(file_) << text;
    RunResult live = vmatlas({"--json", demo.pid_text()});
    RunResult r = vmatlas({"--json", file_});
    ASSERT_EQ(live.status, 0) << live.err;
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(text, slurp("/proc/" + demo.pid_text() + "/maps")) << "the demo is idle";
    const auto rows = parse_proc_maps(text);
    auto doc = parse_json(r);
    EXPECT_EQ(doc["source"]["kind"], "maps text");
    EXPECT_TRUE(only_marked_names(doc["warnings"].get<std::vector<std::string>>()))
        << doc["warnings"];
    expect_rows_equal(doc, rows);
    const auto& saved = doc["mappings"];
    const auto live_rows = parse_json(live)["mappings"];
    ASSERT_EQ(live_rows.size(), rows.size());
    ASSERT_EQ(saved.size(), rows.size());

    std::size_t by_registers = 0, by_elf = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        SCOPED_TRACE("row " + std::to_string(i) + ": " + to_hex(rows[i].start) + " " +
                     rows[i].path);
        const auto& s = saved[i];
        const auto& l = live_rows[i];
        expect_name_by_rule(rows, saved, i, {}, 0);
        if (l["name_source"] == "registers") {
            ++by_registers;
            EXPECT_NE(s["name_source"], "registers");
            continue;
        }
        by_elf += l["name_source"] == "elf";
        for (const char* key : {"name", "name_source", "object", "role"})
            EXPECT_EQ(s[key], l[key]) << key;
    }
    // Both idle threads' stacks and guards; the program's, libc's, ld.so's and the plugin's
    // segments and more.
    EXPECT_EQ(by_registers, 4u);
    EXPECT_GT(by_elf, 20u);
}

// Seed 003's 34 rows pasted on one line, through the command: every row's fields as the
// expected table gives them.
TEST(MapsTextFixture, Seed003ThroughTheCommand) {
    RunResult r = vmatlas({"--json", std::string(VMATLAS_FIXTURES) + "/seed003.maps"});
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = parse_json(r);
    EXPECT_EQ(doc["rows"]["read"], 34);
    EXPECT_EQ(doc["rows"]["rejected"], 0);
    const auto& rows = doc["mappings"];
    const auto want = lines(slurp(std::string(VMATLAS_FIXTURES) + "/seed003.expected.tsv"));
    ASSERT_EQ(rows.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const nlohmann::json& m = rows[i];
        // The text's last field: the file, or the kernel's own name ("[stack]").
        const std::string file = m["name_source"] == "kernel" ? m["name"] : m["path"];
        const std::string got =
            fmt::format("{:08x}\t{:08x}\t{}\t{:08x}\t{}\t{}\t{}",
                        hex(m["start"].get<std::string>()), hex(m["end"].get<std::string>()),
                        m["perms"].get<std::string>(), m["offset"].get<std::uint64_t>(),
                        m["dev"].get<std::string>(), m["inode"].get<std::uint64_t>(), file);
        EXPECT_EQ(got, want[i]) << i;
    }
}

}  // namespace
}  // namespace vmtest
