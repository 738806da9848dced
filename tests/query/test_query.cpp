// Queries: addresses and ranges as typed, the address, text, -w/-x filters with context, the hole
// an address falls in, gaps.
#include <gtest/gtest.h>

#include "vmatlas/annotate.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas {
namespace {

// Five rows: three adjacent ones of /bin/prog (with a ---p guard), a hole, [heap], a hole, stack.
constexpr const char* kText =
    "00400000-00401000 r-xp 00000000 08:01 7 /bin/prog\n"
    "00401000-00402000 ---p 00001000 08:01 7 /bin/prog\n"
    "00402000-00403000 rw-p 00001000 08:01 7 /bin/prog\n"
    "00500000-00600000 rw-p 00000000 00:00 0 [heap]\n"
    "7ffc0000-7ffd0000 rw-p 00000000 00:00 0 [stack]\n";

struct Fixture {
    AddressSpace space =
        parse_maps_text(kText, SourceInfo{vmatlas::SourceKind::MapsText, "t", 0, ""});
    Annotations notes = annotate_kernel_names(space);
    Selection select(FilterSpec f) const { return select_rows(space, notes, f); }
};

TEST(ParseAddress, HexDecimalAndNot) {
    EXPECT_EQ(parse_address("0x1f"), 0x1fu);
    EXPECT_EQ(parse_address("0X1F"), 0x1fu);
    EXPECT_EQ(parse_address("31"), 31u);
    EXPECT_EQ(parse_address("0xffffffffffffffff"), UINT64_MAX);
    EXPECT_FALSE(parse_address("0x10000000000000000").has_value());
    EXPECT_FALSE(parse_address("18446744073709551616").has_value());
    EXPECT_FALSE(parse_address("libc").has_value());
    EXPECT_FALSE(parse_address("cafe").has_value());  // a name, not an address, without 0x
    EXPECT_FALSE(parse_address("0x").has_value());
    EXPECT_FALSE(parse_address("").has_value());
}

TEST(AddrRange, Forms) {
    constexpr Addr kTop = ~Addr{0};
    auto r = parse_addr_range("7f00");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->lo, 0x7f00u);
    EXPECT_EQ(r->hi, 0x7f01u);
    r = parse_addr_range("0x1000,0X2000");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->lo, 0x1000u);
    EXPECT_EQ(r->hi, 0x2000u);
    r = parse_addr_range(",2000");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->lo, 0u);
    EXPECT_EQ(r->hi, 0x2000u);
    r = parse_addr_range("1000,");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->hi, kTop);
    for (const char* bad : {"", ",", "2000,1000", "1000,1000", "xyz", "1000,zz", "0x",
                            "12345678901234567", "ffffffffffffffff"})
        EXPECT_FALSE(parse_addr_range(bad)) << bad;
}

TEST(AddrRange, RowsThatIntersect) {
    const AddressSpace s = parse_maps_text(
        "1000-2000 r--p 00000000 00:00 0\n3000-5000 rw-p 00000000 00:00 0\n"
        "5000-6000 rw-p 00000000 00:00 0\n",
        {vmatlas::SourceKind::MapsText, "", 0, ""});
    using V = std::vector<std::size_t>;
    EXPECT_EQ(rows_in_range(s, std::nullopt), (V{0, 1, 2}));
    EXPECT_EQ(rows_in_range(s, parse_addr_range("1fff")), (V{0}));
    EXPECT_EQ(rows_in_range(s, parse_addr_range("2000")), (V{}));
    EXPECT_EQ(rows_in_range(s, parse_addr_range("1fff,3001")), (V{0, 1}));
    EXPECT_EQ(rows_in_range(s, parse_addr_range("2000,3000")), (V{}));
    EXPECT_EQ(rows_in_range(s, parse_addr_range("4000,")), (V{1, 2}));
    EXPECT_EQ(rows_in_range(s, parse_addr_range(",5001")), (V{0, 1, 2}));
}

TEST(SelectRows, NoFilterSelectsEverything) {
    Fixture f;
    const Selection s = f.select({});
    EXPECT_FALSE(s.filtered);
    EXPECT_EQ(s.rows, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
}

TEST(SelectRows, WritableAndExecutable) {
    Fixture f;
    EXPECT_EQ(f.select({.writable_only = true}).rows, (std::vector<std::size_t>{2, 3, 4}));
    EXPECT_EQ(f.select({.executable_only = true}).rows, (std::vector<std::size_t>{0}));
}

TEST(SelectRows, AddressMarksItsRowWithContext) {
    Fixture f;
    const Selection s = f.select({.address = 0x402abc, .before = 1, .after = 1});
    EXPECT_EQ(s.rows, (std::vector<std::size_t>{1, 2, 3}));
    EXPECT_EQ(s.matched, (std::vector<bool>{false, true, false}));
    EXPECT_EQ(s.match_count, 1u);
    EXPECT_FALSE(s.hole.has_value());
}

TEST(SelectRows, ContextStopsAtTheEnds) {
    Fixture f;
    const Selection s = f.select({.address = 0x400000, .before = 3, .after = 0});
    EXPECT_EQ(s.rows, (std::vector<std::size_t>{0}));
    const Selection t = f.select({.address = 0x7ffcffff, .before = 2, .after = 5});
    EXPECT_EQ(t.rows, (std::vector<std::size_t>{2, 3, 4}));
}

TEST(SelectRows, AddressInAHoleShowsItsNeighbours) {
    Fixture f;
    const Selection s = f.select({.address = 0x480000, .before = 1, .after = 1});
    EXPECT_EQ(s.match_count, 0u);
    EXPECT_EQ(s.rows, (std::vector<std::size_t>{2, 3}));
    ASSERT_TRUE(s.hole.has_value());
    EXPECT_EQ(s.hole->start, 0x403000u);
    EXPECT_EQ(s.hole->end, 0x500000u);
    EXPECT_EQ(s.hole->before_row, 1u);  // between the two neighbours
}

TEST(SelectRows, AddressBelowEverything) {
    Fixture f;
    const Selection s = f.select({.address = 0x1000, .before = 1, .after = 1});
    EXPECT_EQ(s.rows, (std::vector<std::size_t>{0}));
    ASSERT_TRUE(s.hole.has_value());
    EXPECT_EQ(s.hole->start, 0u);
    EXPECT_EQ(s.hole->end, 0x400000u);
    EXPECT_EQ(s.hole->before_row, 0u);
}

TEST(SelectRows, AddressAboveEverything) {
    Fixture f;
    const Selection s = f.select({.address = 0xffffffff, .before = 1, .after = 1});
    EXPECT_EQ(s.rows, (std::vector<std::size_t>{4}));
    ASSERT_TRUE(s.hole.has_value());
    EXPECT_EQ(s.hole->start, 0x7ffd0000u);
    EXPECT_EQ(s.hole->end, UINT64_MAX);
    EXPECT_EQ(s.hole->before_row, 1u);
}

TEST(SelectRows, AddressFilteredOutByWritableIsNotFound) {
    Fixture f;
    const Selection s = f.select({.writable_only = true, .address = 0x400010, .after = 1});
    EXPECT_EQ(s.match_count, 0u);
    EXPECT_FALSE(s.hole.has_value());  // a row holds it; -w hides that row
    EXPECT_EQ(s.rows, (std::vector<std::size_t>{2}));
}

TEST(SelectRows, HoleBoundsComeFromAllRowsNotJustTheShownOnes) {
    Fixture f;
    const Selection s = f.select({.writable_only = true, .address = 0x480000});
    ASSERT_TRUE(s.hole.has_value());
    EXPECT_EQ(s.hole->start, 0x403000u);
    EXPECT_EQ(s.hole->end, 0x500000u);
}

TEST(SelectRows, TextMatchesPathsAndNames) {
    Fixture f;
    Selection s = f.select({.text = "prog"});
    EXPECT_EQ(s.rows, (std::vector<std::size_t>{0, 1, 2}));
    EXPECT_EQ(s.match_count, 3u);
    s = f.select({.text = "heap", .before = 1});
    EXPECT_EQ(s.rows, (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(s.matched, (std::vector<bool>{false, true}));
    s = f.select({.text = "anon_"});
    EXPECT_TRUE(s.rows.empty());
    EXPECT_EQ(s.match_count, 0u);
}

TEST(Gaps, RunsGuardsAndHoles) {
    Fixture f;
    const GapReport g = compute_gaps(f.space);
    using K = GapEntry::Kind;
    ASSERT_EQ(g.entries.size(), 7u);
    const std::vector<std::tuple<K, Addr, Addr, std::size_t>> want = {
        {K::Mapped, 0x400000, 0x401000, 1},     {K::Guard, 0x401000, 0x402000, 1},
        {K::Mapped, 0x402000, 0x403000, 1},     {K::Hole, 0x403000, 0x500000, 0},
        {K::Mapped, 0x500000, 0x600000, 1},     {K::Hole, 0x600000, 0x7ffc0000, 0},
        {K::Mapped, 0x7ffc0000, 0x7ffd0000, 1},
    };
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(g.entries[i].kind, std::get<0>(want[i])) << i;
        EXPECT_EQ(g.entries[i].start, std::get<1>(want[i])) << i;
        EXPECT_EQ(g.entries[i].end, std::get<2>(want[i])) << i;
        EXPECT_EQ(g.entries[i].count, std::get<3>(want[i])) << i;
        if (g.entries[i].kind != K::Hole) sum += g.entries[i].end - g.entries[i].start;
    }
    EXPECT_EQ(g.total_mapped, sum);
    EXPECT_EQ(g.total_mapped, 0x1000u * 3 + 0x100000 + 0x10000);
    EXPECT_EQ(g.largest_hole, 0x7ffc0000u - 0x600000);
    EXPECT_EQ(g.mapping_count, 5u);
}

TEST(Gaps, AdjacentAccessibleRowsFormOneRun) {
    const AddressSpace s = parse_maps_text(
        "1000-2000 r--p 0 08:01 7 /a\n2000-3000 r-xp 1000 08:01 7 /a\n3000-4000 rw-p 0 0:0 0\n",
        {vmatlas::SourceKind::MapsText, "", 0, ""});
    const GapReport g = compute_gaps(s);
    ASSERT_EQ(g.entries.size(), 1u);
    EXPECT_EQ(g.entries[0].count, 3u);
    EXPECT_EQ(g.entries[0].end, 0x4000u);
    EXPECT_EQ(g.largest_hole, 0u);
}

TEST(KernelNames, NamesAndRoles) {
    Fixture f;
    EXPECT_EQ(f.notes.labels[0].source, NameSource::None);
    EXPECT_EQ(f.notes.labels[3].name, "[heap]");
    EXPECT_EQ(f.notes.labels[3].source, NameSource::Kernel);
    EXPECT_EQ(f.notes.roles[0], Role::Code);
    EXPECT_EQ(f.notes.roles[1], Role::Guard);
    EXPECT_EQ(f.notes.roles[2], Role::Data);
    EXPECT_EQ(f.notes.roles[3], Role::Heap);
    EXPECT_EQ(f.notes.roles[4], Role::Stack);
    EXPECT_EQ(anon_name(0x7f35f09a3000), "[anon_7f35f09a3]");
    const AddressSpace s = parse_maps_text("7f35f09a3000-7f35f09c5000 rwxp 0 0:0 0\n",
                                           {vmatlas::SourceKind::MapsText, "", 0, ""});
    const Annotations n = annotate_kernel_names(s);
    EXPECT_EQ(n.labels[0].name, "[anon_7f35f09a3]");
    EXPECT_EQ(n.labels[0].source, NameSource::Heuristic);
    EXPECT_EQ(n.roles[0], Role::Rwx);
}

}  // namespace
}  // namespace vmatlas
