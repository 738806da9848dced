// Numbers that overflow, in every numeric field of smaps text and of a snapshot. A figure past
// 2^64 - 1 bytes is refused with its line and column (left at 0, the map partial: status 9); a
// row whose addresses, offset, device or inode overflow is rejected with its line (status 9, the
// other rows shown); a snapshot holding such a number is refused by its place (status 7). Never
// a wrapped number.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "reliability/support.hpp"

namespace vmtest {
namespace {

using nlohmann::json;

// A row of the kernel's smaps (16 MiB, so that every real figure fits it), its key lines in the
// kernel's order and layout, and a second, plain row after it.
const std::vector<std::pair<std::string, std::string>> kSmapsKeys = {
    {"Size", "16384"},
    {"KernelPageSize", "4"},
    {"MMUPageSize", "4"},
    {"Rss", "8"},
    {"Pss", "8"},
    {"Pss_Dirty", "0"},
    {"Shared_Clean", "0"},
    {"Shared_Dirty", "0"},
    {"Private_Clean", "8"},
    {"Private_Dirty", "0"},
    {"Referenced", "8"},
    {"Anonymous", "0"},
    {"KSM", "0"},
    {"LazyFree", "0"},
    {"AnonHugePages", "0"},
    {"ShmemPmdMapped", "0"},
    {"FilePmdMapped", "0"},
    {"Shared_Hugetlb", "0"},
    {"Private_Hugetlb", "0"},
    {"Swap", "0"},
    {"SwapPss", "0"},
    {"Locked", "0"},
};
const std::string kHead = "7f0000000000-7f0001000000 rw-p 00000000 00:00 0";
const std::string kSecond =
    "7f0002000000-7f0002001000 r--p 00000000 00:00 0\n"
    "Size:                  4 kB\n"
    "Rss:                   4 kB\n";

std::string smaps_with(const std::string& head, const std::string& key, const std::string& value) {
    std::string text = head + "\n";
    for (const auto& [k, v] : kSmapsKeys)
        text += fmt::format("{:<16}{:>8} kB\n", k + ":", k == key ? value : v);
    text += "THPeligible:           0\nVmFlags: rd wr mr mw me ac \n";
    return text + kSecond;
}

// 2^54 kB is 2^64 bytes; the other cannot be read as 64 bits at all.
const std::vector<std::string> kTooLarge = {"18014398509481984", "99999999999999999999999"};

TEST(Overflow, EverySmapsFigureIsRefusedNeverWrapped) {
    TempDir dir("vmatlas overflow");
    const std::string file = dir / "over.smaps";
    for (std::size_t k = 1; k < kSmapsKeys.size(); ++k) {  // Size is the row's: below
        const std::string& key = kSmapsKeys[k].first;
        for (const std::string& value : kTooLarge) {
            SCOPED_TRACE(key + " " + value);
            write_text(file, smaps_with(kHead, key, value));
            const RunResult r = cli({"pmap", "-X", "--json", file});
            EXPECT_EQ(r.status, 9);
            EXPECT_EQ(r.err, fmt::format("vmatlas: warning: line {}, column 17: {} {} kB is past "
                                         "2^64 - 1 bytes: the figure is left at 0\n",
                                         k + 2, key, value));
            const json j = json::parse(r.out);
            EXPECT_EQ(j["partial"], true);
            EXPECT_EQ(j["rows"]["kept"], 2);  // the row is kept, its other figures too
            // Totals are sums of figures that each fit their row: never wrapped.
            const RunResult s = cli({"summary", file});
            EXPECT_EQ(s.status, 9);
            EXPECT_EQ(s.out.find("18446744073709551"), std::string::npos) << s.out;
        }
    }
}

TEST(Overflow, ASmapsSizeLineTooLargeIsToldAndTheRowsSizeKept) {
    // Size repeats what the row's addresses say; a Size that overflows is told and nothing is
    // lost, since the row's size is its addresses'.
    TempDir dir("vmatlas overflow");
    const std::string file = dir / "over.smaps";
    for (const std::string& value : kTooLarge) {
        write_text(file, smaps_with(kHead, "Size", value));
        const RunResult r = cli({"pmap", "-x", file});
        EXPECT_EQ(r.status, 0);
        EXPECT_EQ(r.err, "vmatlas: warning: line 2, column 17: Size " + value +
                             " kB is not the size of the row above (0x1000000 bytes)\n");
    }
}

TEST(Overflow, EveryNumberOfASmapsRowHeadRejectsTheRow) {
    TempDir dir("vmatlas overflow");
    const std::string file = dir / "over.smaps";
    const std::string big = "10000000000000000";  // 2^64 in hex
    const std::vector<std::pair<std::string, std::string>> heads = {
        {big + "-7f0001000000 rw-p 00000000 00:00 0",
         "line 1, column 1: bad start address '10000000000000000-7f0001'"},
        {"7f0000000000-" + big + " rw-p 00000000 00:00 0",
         "line 1, column 14: bad end address '10000000000000000'"},
        {"7f0000000000-7f0001000000 rw-p " + big + " 00:00 0",
         "line 1, column 32: bad offset '10000000000000000'"},
        {"7f0000000000-7f0001000000 rw-p 00000000 100000000:00 0",
         "line 1, column 41: bad device major number '100000000:00'"},
        {"7f0000000000-7f0001000000 rw-p 00000000 00:100000000 0",
         "line 1, column 44: bad device minor number '100000000'"},
        {"7f0000000000-7f0001000000 rw-p 00000000 00:00 18446744073709551616",
         "line 1, column 47: bad inode '18446744073709551616'"},
    };
    for (const auto& [head, warning] : heads) {
        SCOPED_TRACE(head);
        write_text(file, smaps_with(head, "", ""));
        const RunResult r = cli({"--json", file});
        EXPECT_EQ(r.status, 9);
        const auto err = err_lines(r);
        ASSERT_GE(err.size(), 2u);
        EXPECT_EQ(err.front(), "vmatlas: warning: " + warning);
        EXPECT_EQ(err.back(), "vmatlas: 1 of 2 rows could not be read and are not shown");
        const json j = json::parse(r.out);
        EXPECT_EQ(j["partial"], true);
        ASSERT_EQ(j["mappings"].size(), 1u);
        EXPECT_EQ(j["mappings"][0]["start"], "0x7f0002000000");
    }
}

TEST(Overflow, ASumPast64BitsIsSaturatedAndFlaggedNeverWrapped) {
    // One row of 2^63 bytes, all dirty twice over (shared and private), as a kernel never writes
    // but a text may: its dirty bytes sum to 2^64.
    TempDir dir("vmatlas overflow");
    const std::string file = dir / "huge.smaps";
    write_text(file,
               "0-8000000000000000 rw-p 00000000 00:00 0\n"
               "Size:            9007199254740992 kB\n"
               "Rss:             9007199254740992 kB\n"
               "Shared_Dirty:    9007199254740992 kB\n"
               "Private_Dirty:   9007199254740992 kB\n");
    const std::string sentence =
        "a total is past 2^64 - 1 bytes: it is shown as 18446744073709551615, the most it can be, "
        "not as its value";
    const RunResult table = cli({"summary", file});
    EXPECT_EQ(table.status, 9);
    EXPECT_EQ(table.err, "vmatlas: warning: " + sentence + "\n");
    EXPECT_NE(table.out.find(" 18014398509481983K "), std::string::npos) << table.out;

    const RunResult r = cli({"summary", "--json", file});
    EXPECT_EQ(r.status, 9);
    const json j = json::parse(r.out);
    EXPECT_EQ(j["saturated"], true);
    EXPECT_EQ(j["total"]["dirty"], 18446744073709551615u);
    EXPECT_EQ(j["total"]["resident"], 9223372036854775808u);
    EXPECT_EQ(j["warnings"], json::array({sentence}));
    // A summary that fits says so too.
    write_text(dir / "small.maps", "1000-2000 r--p 00000000 00:00 0\n");
    EXPECT_EQ(json::parse(cli({"summary", "--json", dir / "small.maps"}).out)["saturated"], false);
}

// ---- snapshots ------------------------------------------------------------------------------

class SnapshotOverflow : public ::testing::Test {
  protected:
    TempDir dir{"vmatlas overflow"};
    std::string snapshot;  // a snapshot of a map with figures, one line a row

    void SetUp() override {
        write_text(dir / "one.smaps", smaps_with(kHead, "", ""));
        const RunResult r = cli({"save", dir / "one.smaps"});
        ASSERT_EQ(r.status, 0) << r.err;
        snapshot = r.out;
    }

    // The snapshot with the first `from` replaced by `to`, read: its status and stderr.
    RunResult read_with(const std::string& from, const std::string& to) {
        std::string text = snapshot;
        const auto at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        if (at != std::string::npos) text.replace(at, from.size(), to);
        write_text(dir / "over.json", text);
        return cli({"summary", dir / "over.json"});
    }
};

TEST_F(SnapshotOverflow, EveryFigureIsRefusedByItsPlace) {
    const std::vector<std::string> keys = {
        "rss",          "pss",           "pss_dirty",      "shared_clean",
        "shared_dirty", "private_clean", "private_dirty",  "referenced",
        "anonymous",    "ksm",           "lazy_free",      "anon_huge",
        "shmem_pmd",    "file_pmd",      "shared_hugetlb", "private_hugetlb",
        "swap",         "swap_pss",      "locked",         "kernel_page_size",
        "mmu_page_size"};
    const std::string row = snapshot.substr(snapshot.find("\"figures\":{"));
    for (const std::string& key : keys) {
        SCOPED_TRACE(key);
        const std::string field = "\"" + key + "\":";
        const auto at = row.find(field);
        ASSERT_NE(at, std::string::npos);
        const std::string old = row.substr(at, row.find_first_of(",}", at) - at);
        const RunResult r = read_with(old, field + "18446744073709551616");
        EXPECT_EQ(r.status, 7);
        EXPECT_EQ(r.err, "vmatlas: " + dir / "over.json" + ": rows[0].figures." + key +
                             ": not an unsigned integer (found 1.8446744073709552e+19)\n");
        EXPECT_EQ(r.out, "");
    }
}

TEST_F(SnapshotOverflow, FiguresThatWouldWrapWhenSummedAreRefused) {
    // Two rows whose RSS, each below 2^64, sum past it: each is more than its row holds.
    std::string text = snapshot;
    for (const std::string rss : {"\"rss\":8192", "\"rss\":4096"}) {
        const auto at = text.find(rss);
        ASSERT_NE(at, std::string::npos) << rss;
        text.replace(at, rss.size(), "\"rss\":9223372036854775808");
    }
    write_text(dir / "wrap.json", text);
    const RunResult r = cli({"summary", dir / "wrap.json"});
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.err, "vmatlas: " + dir / "wrap.json" +
                         ": rows[0].figures.rss: 9223372036854775808 is more than the row holds "
                         "(0x1000000 bytes)\n");
    EXPECT_EQ(r.out, "");
}

TEST_F(SnapshotOverflow, EveryOtherNumberIsRefusedByItsPlace) {
    const std::string over_hex = "\"0x10000000000000000\"";
    const std::string file = dir / "over.json";
    struct Case {
        std::string from, to, sentence;
    };
    const std::vector<Case> cases = {
        {"\"start\":\"0x7f0000000000\"", "\"start\":" + over_hex,
         "rows[0].start: a hex number above 64 bits (found \"0x10000000000000000\")"},
        {"\"end\":\"0x7f0001000000\"", "\"end\":" + over_hex,
         "rows[0].end: a hex number above 64 bits (found \"0x10000000000000000\")"},
        {"\"offset\":\"0x0\"", "\"offset\":" + over_hex,
         "rows[0].offset: a hex number above 64 bits (found \"0x10000000000000000\")"},
        {"\"dev\":\"00:00\"", "\"dev\":\"100000000:00\"",
         "rows[0].dev: not a device \"major:minor\" in hex (found \"100000000:00\")"},
        {"\"inode\":0", "\"inode\":18446744073709551616",
         "rows[0].inode: not an unsigned integer (found 1.8446744073709552e+19)"},
        {"\"read\":2", "\"read\":18446744073709551616",
         "account.read: not an unsigned integer (found 1.8446744073709552e+19)"},
        {"\"kept\":2", "\"kept\":18446744073709551616",
         "account.kept: not an unsigned integer (found 1.8446744073709552e+19)"},
        {"\"superseded\":0", "\"superseded\":18446744073709551616",
         "account.superseded: not an unsigned integer (found 1.8446744073709552e+19)"},
        {"\"rejected\":0", "\"rejected\":18446744073709551616",
         "account.rejected: not an unsigned integer (found 1.8446744073709552e+19)"},
        // A sum that would wrap to the rows read is still refused.
        {"\"read\":2,\"kept\":2,\"superseded\":0,\"rejected\":0",
         "\"read\":1,\"kept\":2,\"superseded\":0,\"rejected\":18446744073709551615",
         "account.read: 1 rows read, but 2 kept + 0 superseded + 18446744073709551615 rejected"},
        {"\"vdso\":null", "\"vdso\":" + over_hex,
         "facts.vdso: a hex number above 64 bits (found \"0x10000000000000000\")"},
        {"\"entry\":null", "\"entry\":" + over_hex,
         "facts.entry: a hex number above 64 bits (found \"0x10000000000000000\")"},
        {"\"phdr\":null", "\"phdr\":" + over_hex,
         "facts.phdr: a hex number above 64 bits (found \"0x10000000000000000\")"},
        {"\"version\":1", "\"version\":18446744073709551617",
         "version: not an unsigned integer (found 1.8446744073709552e+19)"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.to);
        const RunResult r = read_with(c.from, c.to);
        EXPECT_EQ(r.status, 7);
        EXPECT_EQ(r.err, "vmatlas: " + file + ": " + c.sentence + "\n");
        EXPECT_EQ(r.out, "");
    }
}

}  // namespace
}  // namespace vmtest
