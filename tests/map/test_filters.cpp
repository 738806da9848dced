// Filters, context and gaps on the demo, checked against its /proc/PID/maps.
#include <gtest/gtest.h>

#include "support/harness.hpp"

namespace vmtest {
namespace {

std::vector<std::uint64_t> starts(const nlohmann::json& mappings) {
    std::vector<std::uint64_t> out;
    for (const auto& m : mappings) out.push_back(hex(m["start"].get<std::string>()));
    return out;
}

template <typename Pred>
std::vector<std::uint64_t> starts_where(const std::vector<ProcRow>& rows, Pred pred) {
    std::vector<std::uint64_t> out;
    for (const auto& r : rows)
        if (pred(r)) out.push_back(r.start);
    return out;
}

std::vector<std::uint64_t> starts(const std::vector<TableRow>& rows) {
    std::vector<std::uint64_t> out;
    for (const auto& r : rows) out.push_back(r.start);
    return out;
}

// Starts of rows[first..last], clamped to the map.
std::vector<std::uint64_t> window(const std::vector<ProcRow>& rows, long first, long last) {
    std::vector<std::uint64_t> out;
    for (long i = std::max(first, 0L); i <= last && i < static_cast<long>(rows.size()); ++i)
        out.push_back(rows[i].start);
    return out;
}

std::size_t mapped_file_row(const std::vector<ProcRow>& rows) {
    return only_row(
        rows, [](const ProcRow& r) { return r.path.ends_with("/mapped file.bin"); }, "mapped file");
}

TEST(Filters, WritableOnly) {
    Demo demo;
    auto rows = read_proc_maps(demo.pid());
    RunResult r = vmatlas({"--json", "-w", demo.pid_text()});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(starts(parse_json(r)["mappings"]),
              starts_where(rows, [](const ProcRow& p) { return p.perms[1] == 'w'; }));

    RunResult t = vmatlas({"--color=never", "-w", demo.pid_text()});
    ASSERT_EQ(t.status, 0) << t.err;
    EXPECT_EQ(starts(parse_table(t.out, false).rows),
              starts_where(rows, [](const ProcRow& p) { return p.perms[1] == 'w'; }));
}

TEST(Filters, ExecutableOnly) {
    Demo demo;
    auto rows = read_proc_maps(demo.pid());
    RunResult r = vmatlas({"--json", "-x", demo.pid_text()});
    ASSERT_EQ(r.status, 0) << r.err;
    auto want = starts_where(rows, [](const ProcRow& p) { return p.perms[2] == 'x'; });
    EXPECT_EQ(starts(parse_json(r)["mappings"]), want);
    EXPECT_GE(want.size(), 4u);  // the demo, libc, the plugin, the rwx page, ...
}

TEST(Filters, AddressMarksItsRowWithTheOffset) {
    Demo demo;
    auto rows = read_proc_maps(demo.pid());
    long i = static_cast<long>(mapped_file_row(rows));
    std::uint64_t addr = rows[i].start + 0x1800;

    for (std::string spelling : {to_hex(addr), std::to_string(addr)}) {
        SCOPED_TRACE(spelling);
        RunResult r = vmatlas({"--color=never", demo.pid_text(), spelling});
        ASSERT_EQ(r.status, 0) << r.err;
        Table t = parse_table(r.out, true);
        EXPECT_TRUE(t.other.empty()) << t.other.front();
        EXPECT_EQ(table_layout_problems(r.out, true), std::vector<std::string>{}) << r.out;
        // Default context for an address: one row before and one after.
        EXPECT_EQ(starts(t.rows), window(rows, i - 1, i + 1));
        int marked = 0;
        for (const auto& row : t.rows) {
            if (!row.marked) {
                EXPECT_FALSE(row.match_offset);
                continue;
            }
            ++marked;
            EXPECT_EQ(row.start, rows[i].start);
            EXPECT_EQ(row.name, "") << "the file is not ELF";
            EXPECT_EQ(row.file, rows[i].path);
            EXPECT_EQ(row.match_offset, 0x1800u);
        }
        EXPECT_EQ(marked, 1);
        EXPECT_NE(r.out.find("  +0x1800\n"), std::string::npos);
    }

    RunResult j = vmatlas({"--json", demo.pid_text(), to_hex(addr)});
    ASSERT_EQ(j.status, 0) << j.err;
    auto doc = parse_json(j);
    EXPECT_EQ(doc["filter"]["address"], to_hex(addr));
    EXPECT_EQ(doc["filter"]["found"], true);
    EXPECT_FALSE(doc["filter"].contains("hole"));
    EXPECT_EQ(starts(doc["mappings"]), window(rows, i - 1, i + 1));
    // A filter adds "match" to every row, and "match_offset" to the address's row.
    auto with_match = kRowKeys, with_offset = kRowKeys;
    with_match.push_back("match");
    with_offset.insert(with_offset.end(), {"match", "match_offset"});
    EXPECT_EQ(row_keys(j),
              (std::vector<std::vector<std::string>>{with_match, with_offset, with_match}));
    int matches = 0;
    for (const auto& m : doc["mappings"]) {
        if (!m.value("match", false)) continue;
        ++matches;
        EXPECT_EQ(m["start"], to_hex(rows[i].start));
        EXPECT_EQ(m["match_offset"], 0x1800);
    }
    EXPECT_EQ(matches, 1);
}

TEST(Filters, ContextAroundAnAddress) {
    Demo demo;
    auto rows = read_proc_maps(demo.pid());
    long i = static_cast<long>(mapped_file_row(rows));
    std::string addr = to_hex(rows[i].start + 0x10);
    struct Case {
        std::vector<std::string> args;
        long before, after;
    };
    // -A and -B each replace one side of the default 1/1, as in pwndbg; -C sets both.
    for (const Case& c :
         {Case{{"-A", "2"}, 1, 2}, Case{{"-B", "2"}, 2, 1}, Case{{"-B", "1"}, 1, 1},
          Case{{"-C", "2"}, 2, 2}, Case{{"-C", "0"}, 0, 0}, Case{{"-A", "3", "-B", "0"}, 0, 3}}) {
        std::vector<std::string> args = {"--color=never"};
        args.insert(args.end(), c.args.begin(), c.args.end());
        args.push_back(demo.pid_text());
        args.push_back(addr);
        SCOPED_TRACE(c.args[0] + " " + c.args[1]);
        RunResult r = vmatlas(args);
        ASSERT_EQ(r.status, 0) << r.err;
        Table t = parse_table(r.out, true);
        EXPECT_EQ(starts(t.rows), window(rows, i - c.before, i + c.after)) << r.out;
    }
}

TEST(Filters, AddressInAHoleShowsItsNeighbours) {
    Demo demo;
    auto rows = read_proc_maps(demo.pid());
    // The first hole above the demo's own rows (so that it has neighbours on both sides).
    std::size_t i = mapped_file_row(rows);
    while (i + 1 < rows.size() && rows[i].end == rows[i + 1].start) ++i;
    ASSERT_LT(i + 1, rows.size());
    std::uint64_t addr = rows[i].end + (rows[i + 1].start - rows[i].end) / 2;

    RunResult r = vmatlas({"--color=never", demo.pid_text(), to_hex(addr)});
    EXPECT_EQ(r.status, 1) << r.err;
    Table t = parse_table(r.out, true);
    EXPECT_EQ(table_layout_problems(r.out, true), std::vector<std::string>{}) << r.out;
    EXPECT_EQ(starts(t.rows), (std::vector<std::uint64_t>{rows[i].start, rows[i + 1].start}));
    for (const auto& row : t.rows) EXPECT_FALSE(row.marked);
    // The "no mapping" line sits between the two neighbours.
    auto ls = lines(r.out);
    std::size_t below = 0, note = 0, above = 0;
    for (std::size_t k = 0; k < ls.size(); ++k) {
        auto row = parse_table_row(ls[k], true, t.columns);
        if (row && row->start == rows[i].start) below = k;
        if (row && row->start == rows[i + 1].start) above = k;
        if (!row && ls[k].find("no mapping") != std::string::npos) note = k;
    }
    EXPECT_LT(below, note);
    EXPECT_LT(note, above);

    RunResult j = vmatlas({"--json", demo.pid_text(), to_hex(addr)});
    EXPECT_EQ(j.status, 1) << j.err;
    auto doc = parse_json(j);
    EXPECT_EQ(doc["filter"]["found"], false);
    // The hole sits inside "filter" (the contract's wording allowed the top level too).
    EXPECT_EQ(doc["filter"]["hole"]["start"], to_hex(rows[i].end));
    EXPECT_EQ(doc["filter"]["hole"]["end"], to_hex(rows[i + 1].start));
    EXPECT_EQ(starts(doc["mappings"]),
              (std::vector<std::uint64_t>{rows[i].start, rows[i + 1].start}));
}

TEST(Filters, ModuleNameSelectsExactlyTheRowsThatContainIt) {
    Demo demo;
    auto rows = read_proc_maps(demo.pid());
    // A text matches a row's path, its name, or the object of a bss row: the last two from the
    // unfiltered view (checked against /proc in test_demo_map.cpp).
    RunResult all = vmatlas({"--json", demo.pid_text()});
    ASSERT_EQ(all.status, 0) << all.err;
    const auto ms = parse_json(all)["mappings"];
    ASSERT_EQ(starts(ms), starts_where(rows, [](const ProcRow&) { return true; }));
    for (std::string name :
         {"libc", "mapped file", "deleted file", "vmatlas_demo_plugin", "tid=", "bss", "[stack]"}) {
        SCOPED_TRACE(name);
        std::vector<std::uint64_t> want;
        std::size_t by_name_or_object = 0;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const bool by_path = rows[i].path.find(name) != std::string::npos;
            const bool by_label =
                ms[i]["name"].get<std::string>().find(name) != std::string::npos ||
                ms[i]["object"].get<std::string>().find(name) != std::string::npos;
            if (by_path || by_label) want.push_back(rows[i].start);
            by_name_or_object += !by_path && by_label;
        }
        ASSERT_FALSE(want.empty());
        // libc's bss by its object, the threads' stacks and guards and the bss rows by name: the
        // rows that /proc's paths alone would miss.
        if (name == "libc") {
            EXPECT_EQ(by_name_or_object, 1u);
        }
        if (name == "tid=") {
            EXPECT_EQ(by_name_or_object, 4u);
        }
        if (name == "bss") {
            EXPECT_EQ(by_name_or_object, want.size());
        }
        RunResult r = vmatlas({"--color=never", demo.pid_text(), name});
        ASSERT_EQ(r.status, 0) << r.err;
        Table t = parse_table(r.out, false);
        EXPECT_EQ(starts(t.rows), want) << r.out;
        RunResult j = vmatlas({"--json", demo.pid_text(), name});
        ASSERT_EQ(j.status, 0) << j.err;
        EXPECT_EQ(starts(parse_json(j)["mappings"]), want);
    }
    ASSERT_EQ(rows, read_proc_maps(demo.pid()));

    RunResult none = vmatlas({"--color=never", demo.pid_text(), "no-such-module-here"});
    EXPECT_EQ(none.status, 1);
    EXPECT_FALSE(none.err.empty());
}

TEST(Gaps, CoverTheMapInOrderAndAddUp) {
    Demo demo;
    auto rows = read_proc_maps(demo.pid());
    RunResult r = vmatlas({"--json", "--gaps", demo.pid_text()});
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(rows, read_proc_maps(demo.pid()));
    auto doc = parse_json(r);

    // What the gaps must be, from /proc: runs of adjacent accessible rows, one guard per ---p
    // row, and a hole between every two rows that do not touch.
    struct Gap {
        std::string kind;
        std::uint64_t start, end, count;
        bool operator==(const Gap&) const = default;
    };
    std::vector<Gap> want;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const ProcRow& p = rows[i];
        total += p.size();
        if (i > 0 && rows[i - 1].end < p.start)
            want.push_back({"hole", rows[i - 1].end, p.start, 0});
        if (!p.accessible()) {
            want.push_back({"guard", p.start, p.end, 1});
        } else if (!want.empty() && want.back().kind == "mapped" && want.back().end == p.start) {
            want.back().end = p.end;
            ++want.back().count;
        } else {
            want.push_back({"mapped", p.start, p.end, 1});
        }
    }

    std::vector<Gap> got;
    std::uint64_t mapped_and_guard = 0;
    for (const auto& g : doc["gaps"]) {
        Gap x{g["kind"], hex(g["start"].get<std::string>()), hex(g["end"].get<std::string>()),
              g["count"]};
        EXPECT_EQ(g["size"], x.end - x.start);
        if (x.kind == "guard") x.count = 1;  // a guard's count is not part of the contract
        if (x.kind != "hole") mapped_and_guard += x.end - x.start;
        got.push_back(x);
    }
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
        SCOPED_TRACE("gap " + std::to_string(k));
        EXPECT_EQ(got[k].kind, want[k].kind);
        EXPECT_EQ(got[k].start, want[k].start);
        EXPECT_EQ(got[k].end, want[k].end);
        EXPECT_EQ(got[k].count, want[k].count);
        if (k > 0) {
            EXPECT_EQ(got[k - 1].end, got[k].start) << "the entries tile the map";
        }
    }
    EXPECT_EQ(mapped_and_guard, total);
    EXPECT_EQ(doc["total_mapped"], total);
    EXPECT_EQ(doc["mapping_count"], rows.size());

    RunResult table = vmatlas({"--color=never", "--gaps", demo.pid_text()});
    EXPECT_EQ(table.status, 0) << table.err;
    EXPECT_FALSE(table.out.empty());
}

TEST(Gaps, TakeAnAddressButNotWOrX) {
    Demo demo;
    for (auto args : {std::vector<std::string>{"--gaps", "-w", demo.pid_text()},
                      std::vector<std::string>{"--gaps", "-x", demo.pid_text()}}) {
        RunResult r = vmatlas(args);
        EXPECT_EQ(r.status, 2);
        EXPECT_EQ(r.out, "");
        EXPECT_FALSE(r.err.empty());
    }
    RunResult none = vmatlas({"--gaps", demo.pid_text(), "no_such_symbol_anywhere"});
    EXPECT_EQ(none.status, 1);
    EXPECT_EQ(none.out, "");
    EXPECT_NE(none.err.find("no module, symbol or name"), std::string::npos) << none.err;

    // The run that holds an address inside the heap, with one entry either side.
    const auto rows = read_proc_maps(demo.pid());
    const auto heap =
        std::find_if(rows.begin(), rows.end(), [](const ProcRow& p) { return p.path == "[heap]"; });
    ASSERT_NE(heap, rows.end());
    const std::uint64_t a = heap->start + 0x10;
    RunResult r = vmatlas({"--gaps", demo.pid_text(), to_hex(a), "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto doc = parse_json(r);
    const auto& gaps = doc["gaps"];
    ASSERT_EQ(gaps.size(), 3u);
    const auto& mid = gaps[1];
    EXPECT_LE(hex(mid["start"].get<std::string>()), a);
    EXPECT_GT(hex(mid["end"].get<std::string>()), a);
    EXPECT_EQ(mid["kind"], "mapped");
    EXPECT_EQ(hex(gaps[0]["end"].get<std::string>()), hex(mid["start"].get<std::string>()));
    EXPECT_EQ(hex(gaps[2]["start"].get<std::string>()), hex(mid["end"].get<std::string>()));
}

}  // namespace
}  // namespace vmtest
