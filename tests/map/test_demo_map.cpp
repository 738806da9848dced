// The default view of the demo, as JSON and as a table, row by row against /proc/PID/maps.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "map/names.hpp"
#include "support/harness.hpp"

namespace vmtest {
namespace {

// The rows the demo made on purpose, located in /proc by their paths and perms.
struct DemoRows {
    std::size_t mapped, split, deleted, memfd, rwx;
};

DemoRows locate(const std::vector<ProcRow>& rows) {
    DemoRows d;
    d.mapped = only_row(
        rows, [](const ProcRow& r) { return r.path.ends_with("/mapped file.bin"); }, "mapped file");
    d.split = d.mapped + 1;
    d.deleted = only_row(
        rows, [](const ProcRow& r) { return r.path.ends_with("/deleted file.bin"); }, "deleted");
    d.memfd = only_row(
        rows, [](const ProcRow& r) { return r.path == "/memfd:vmatlas-demo"; }, "the memfd");
    d.rwx = only_row(
        rows, [](const ProcRow& r) { return r.perms == "rwxp" && r.anonymous(); }, "rwx");
    return d;
}

TEST(DemoMap, TheDemoMakesTheRowsItPromises) {
    Demo demo;
    auto rows = read_proc_maps(demo.pid());
    DemoRows d = locate(rows);
    EXPECT_NE(rows[d.mapped].path.find("/vmatlas demo "), std::string::npos);
    EXPECT_EQ(rows[d.mapped].size(), 3u * kPage);
    EXPECT_EQ(rows[d.mapped].perms, "r--p");
    ASSERT_LT(d.split + 2, rows.size());
    EXPECT_EQ(rows[d.split].perms, "rw-p");
    EXPECT_EQ(rows[d.split + 1].perms, "---p");
    EXPECT_EQ(rows[d.split + 2].perms, "rw-p");
    EXPECT_EQ(rows[d.split].size(), 1u * kPage);
    EXPECT_EQ(rows[d.split + 1].size(), 1u * kPage);
    EXPECT_EQ(rows[d.split + 2].size(), 2u * kPage);
    EXPECT_TRUE(rows[d.deleted].deleted);
    EXPECT_EQ(rows[d.deleted].offset, static_cast<std::uint64_t>(kPage));
    EXPECT_EQ(rows[d.memfd].perms, "rw-s");
    EXPECT_EQ(rows[d.rwx].size(), 1u * kPage);
    EXPECT_NE(slurp("/proc/" + demo.pid_text() + "/maps").find("libvmatlas_demo_plugin.so"),
              std::string::npos);
    EXPECT_EQ(
        std::distance(std::filesystem::directory_iterator("/proc/" + demo.pid_text() + "/task"),
                      std::filesystem::directory_iterator{}),
        3);
}

// The ELF objects of the demo whose rows must all have segment names: the program, libc, the
// dynamic loader and the plugin.
bool is_libc(const std::string& path) {
    const std::string file = std::filesystem::path(path).filename();
    return file.starts_with("libc.so") || file.starts_with("libc-");
}

bool named_object(const std::string& path, const std::string& exe) {
    const std::string file = std::filesystem::path(path).filename();
    return path == exe || path.ends_with("/libvmatlas_demo_plugin.so") || is_libc(path) ||
           file.starts_with("ld-linux") || file.starts_with("ld-");
}

std::vector<std::string> names_starting(const nlohmann::json& ms, std::string_view prefix) {
    std::vector<std::string> out;
    for (const auto& m : ms)
        if (m["name"].get<std::string>().starts_with(prefix)) out.push_back(m["name"]);
    std::sort(out.begin(), out.end());
    return out;
}

TEST(DemoMap, JsonEqualsProcRowByRow) {
    Demo demo;
    auto before = read_proc_maps(demo.pid());
    const auto threads = thread_ids(demo.pid());
    RunResult r = vmatlas({"--json", demo.pid_text()});
    auto after = read_proc_maps(demo.pid());
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(before, after) << "the demo is idle: its map must not change";
    ASSERT_EQ(threads, thread_ids(demo.pid()));
    ASSERT_EQ(threads.size(), 3u);
    EXPECT_EQ(r.err, "");

    auto j = parse_json(r);
    EXPECT_EQ(j["source"]["kind"], "procfs");
    EXPECT_EQ(j["source"]["pid"], demo.pid());
    EXPECT_EQ(j["source"]["origin"], "/proc/" + demo.pid_text() + "/maps");
    EXPECT_EQ(j["source"]["process"], "vmatlas-demo");
    EXPECT_EQ(j["partial"], false);
    EXPECT_EQ(j["rows"]["read"], before.size());
    EXPECT_EQ(j["rows"]["kept"], before.size());
    EXPECT_EQ(j["rows"]["superseded"], 0);
    EXPECT_EQ(j["rows"]["rejected"], 0);
    EXPECT_TRUE(j["warnings"].empty()) << j["warnings"];
    for (const auto& keys : row_keys(r)) EXPECT_EQ(keys, kRowKeys);

    const std::string exe = std::filesystem::read_symlink("/proc/" + demo.pid_text() + "/exe");
    const auto& ms = j["mappings"];
    ASSERT_EQ(ms.size(), before.size());
    for (std::size_t i = 0; i < ms.size(); ++i) {
        const ProcRow& p = before[i];
        const auto& m = ms[i];
        SCOPED_TRACE("row " + std::to_string(i) + ": " + to_hex(p.start) + " " + p.path);
        expect_json_row(m, p);
        expect_name_by_rule(before, ms, i, threads, demo.pid());
        if (!p.anonymous() && !p.kernel_name() && named_object(p.path, exe)) {
            EXPECT_EQ(m["name_source"], "elf");
        }
        const std::string name = m["name"];
        if (p.path == "[stack]" || name.starts_with("stack tid=")) {
            EXPECT_EQ(m["role"], "stack");
        }
        if (p.path == "[heap]" || name == "heap") {
            EXPECT_EQ(m["role"], "heap");
        }
        if (p.perms == "---p") {
            EXPECT_EQ(m["role"], "guard");
        }
        if (p.perms == "rwxp") {
            EXPECT_EQ(m["role"], "rwx");
        }
        if (p.perms == "r-xp" && !p.kernel_name()) {
            EXPECT_EQ(m["role"], "code");
        }
        if (name == "bss") {
            EXPECT_EQ(m["role"], "data");
        }
    }

    // The rows the demo made have no name but pwndbg's: its files are not ELF.
    DemoRows d = locate(before);
    for (std::size_t i : {d.mapped, d.deleted, d.memfd}) {
        EXPECT_EQ(ms[i]["name"], "") << before[i].path;
        EXPECT_TRUE(ms[i]["name_source"].is_null()) << before[i].path;
    }
    EXPECT_EQ(ms[d.rwx]["name"], pwndbg_anon_name(before[d.rwx].start));

    // Both threads but the main one have their stacks and guards named, once each.
    std::vector<std::string> stacks, guards;
    for (pid_t tid : threads) {
        if (tid == demo.pid()) continue;
        stacks.push_back("stack tid=" + std::to_string(tid));
        guards.push_back("guard tid=" + std::to_string(tid));
    }
    EXPECT_EQ(names_starting(ms, "stack tid="), stacks);
    EXPECT_EQ(names_starting(ms, "guard tid="), guards);
    // libc's bss follows its data, and names libc as its object.
    int libc_bss = 0;
    for (std::size_t i = 1; i < ms.size(); ++i) {
        if (ms[i]["name"] == "bss" && is_libc(before[i - 1].path)) {
            ++libc_bss;
            EXPECT_EQ(ms[i]["object"], before[i - 1].path);
        }
    }
    EXPECT_EQ(libc_bss, 1);
}

TEST(DemoMap, TableEqualsProcRowByRow) {
    Demo demo;
    auto rows = read_proc_maps(demo.pid());
    const auto threads = thread_ids(demo.pid());
    RunResult r = vmatlas({"--color=never", demo.pid_text()});
    // The names, which /proc does not give, from the JSON of the same map.
    RunResult j = vmatlas({"--json", demo.pid_text()});
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(j.status, 0) << j.err;
    ASSERT_EQ(rows, read_proc_maps(demo.pid()));
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "no colour with --color=never";
    EXPECT_EQ(r.out.find("LEGEND"), std::string::npos) << "the legend only comes with colour";

    Table t = parse_table(r.out, false);
    EXPECT_EQ(t.header, kMapColumns);
    EXPECT_TRUE(t.other.empty()) << t.other.front();
    EXPECT_EQ(table_layout_problems(r.out, false), std::vector<std::string>{}) << r.out;
    const auto ms = parse_json(j)["mappings"];
    ASSERT_EQ(ms.size(), rows.size());
    ASSERT_EQ(t.rows.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        SCOPED_TRACE("row " + std::to_string(i) + ": " + to_hex(rows[i].start));
        EXPECT_EQ(t.rows[i].start, rows[i].start);
        EXPECT_EQ(t.rows[i].end, rows[i].end);
        EXPECT_EQ(t.rows[i].perms, rows[i].perms);
        EXPECT_EQ(t.rows[i].size, rows[i].size());
        EXPECT_EQ(t.rows[i].offset, rows[i].offset);
        expect_name_by_rule(rows, ms, i, threads, demo.pid());
        EXPECT_EQ(t.rows[i].name, ms[i]["name"]);
        // A bss row shows its object's file.
        EXPECT_EQ(t.rows[i].file,
                  rows[i].anonymous() ? ms[i]["object"].get<std::string>() : file_column(rows[i]));
        EXPECT_FALSE(t.rows[i].marked);
        EXPECT_FALSE(t.rows[i].match_offset);
    }

    // The rows the demo made, each as a person would look for it.
    DemoRows d = locate(rows);
    EXPECT_EQ(t.rows[d.mapped].name, "");
    EXPECT_EQ(t.rows[d.mapped].file, rows[d.mapped].path);
    EXPECT_EQ(t.rows[d.deleted].name, "");
    EXPECT_TRUE(t.rows[d.deleted].file.ends_with("/deleted file.bin (deleted)"));
    EXPECT_EQ(t.rows[d.memfd].name, "");
    EXPECT_EQ(t.rows[d.memfd].file, "/memfd:vmatlas-demo (deleted)");
    EXPECT_EQ(t.rows[d.rwx].perms, "rwxp");
    EXPECT_EQ(t.rows[d.rwx].name, pwndbg_anon_name(rows[d.rwx].start));
    EXPECT_EQ(t.rows[d.rwx].file, "");
    std::vector<std::string> split_perms = {t.rows[d.split].perms, t.rows[d.split + 1].perms,
                                            t.rows[d.split + 2].perms};
    EXPECT_EQ(split_perms, (std::vector<std::string>{"rw-p", "---p", "rw-p"}));
    EXPECT_EQ(t.rows[d.split].end, t.rows[d.split + 1].start);
    EXPECT_EQ(t.rows[d.split + 1].end, t.rows[d.split + 2].start);
}

TEST(DemoMap, ColorAlwaysPrintsTheLegend) {
    Demo demo;
    RunResult r = vmatlas({"--color=always", demo.pid_text()});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("\x1b["), std::string::npos);
    EXPECT_NE(r.out.find("LEGEND"), std::string::npos);
    for (const char* role : {"STACK", "HEAP", "CODE", "DATA", "RWX", "RODATA", "GUARD"})
        EXPECT_NE(r.out.find(role), std::string::npos) << role;
}

}  // namespace
}  // namespace vmtest
