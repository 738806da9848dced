// The comparison (vmatlas/diff.hpp) on small maps texts parsed in memory: each kind of change,
// each field, splits and merges, what a target does not know, the name rules, and the invariants
// (address order, every row in one entry, counts that add up) on random pairs of maps.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "vmatlas/annotate.hpp"
#include "vmatlas/diff.hpp"
#include "vmatlas/maps_text.hpp"

namespace vmatlas {
namespace {

struct Map {
    AddressSpace space;
    Annotations notes;
};

Map parse(const std::string& text) {
    Map m{parse_maps_text(text, SourceInfo{vmatlas::SourceKind::MapsText, "t", 0, ""}), {}};
    m.notes = annotate_kernel_names(m.space);
    return m;
}

MapDiff diff(const Map& a, const Map& b, const DiffOptions& options = {}) {
    return diff_maps(a.space, a.notes, b.space, b.notes, options);
}

// Every broken promise of the header, one sentence each.
std::vector<std::string> diff_problems(const Map& a, const Map& b, const MapDiff& d) {
    std::vector<std::string> problems;
    std::vector<int> seen_a(a.space.size()), seen_b(b.space.size());
    Addr previous = 0;
    DiffCounts counted;
    for (std::size_t k = 0; k < d.entries.size(); ++k) {
        const DiffEntry& e = d.entries[k];
        const bool has_a = e.a != kNoRow, has_b = e.b != kNoRow;
        const bool want_a = e.change != Change::Added, want_b = e.change != Change::Removed;
        if (has_a != want_a || has_b != want_b)
            problems.push_back("entry " + std::to_string(k) + " has the wrong rows");
        if (has_a) ++seen_a.at(e.a);
        if (has_b) ++seen_b.at(e.b);
        const Addr start = has_b ? b.space[e.b].start : a.space[e.a].start;
        if (has_a && has_b && a.space[e.a].start != b.space[e.b].start)
            problems.push_back("entry " + std::to_string(k) + " pairs different starts");
        if (k > 0 && start <= previous)
            problems.push_back("entry " + std::to_string(k) + " is out of order");
        previous = start;
        if ((e.change == Change::Changed) != (e.fields != 0))
            problems.push_back("entry " + std::to_string(k) + ": fields disagree with change");
        if (e.change == Change::Added) ++counted.added;
        if (e.change == Change::Removed) ++counted.removed;
        if (e.change == Change::Changed) ++counted.changed;
        if (e.change == Change::Unchanged) ++counted.unchanged;
        // The overlaps are exactly the rows of the other map that share addresses.
        if (e.change == Change::Added || e.change == Change::Removed) {
            const AddressSpace& mine = has_a ? a.space : b.space;
            const AddressSpace& other = has_a ? b.space : a.space;
            const Mapping& m = mine[has_a ? e.a : e.b];
            std::size_t first = 0, count = 0;
            for (std::size_t i = 0; i < other.size(); ++i)
                if (other[i].start < m.end && m.start < other[i].end) {
                    if (count++ == 0) first = i;
                }
            if (count != e.overlap_count || (count > 0 && first != e.overlap_first))
                problems.push_back("entry " + std::to_string(k) + " has the wrong overlaps");
        }
    }
    for (int n : seen_a)
        if (n != 1) problems.push_back("a row of A is in " + std::to_string(n) + " entries");
    for (int n : seen_b)
        if (n != 1) problems.push_back("a row of B is in " + std::to_string(n) + " entries");
    if (counted.added != d.counts.added || counted.removed != d.counts.removed ||
        counted.changed != d.counts.changed || counted.unchanged != d.counts.unchanged)
        problems.push_back("the counts do not count the entries");
    return problems;
}

constexpr const char* kBase =
    "00400000-00401000 r-xp 00000000 08:01 7 /bin/prog\n"
    "00401000-00402000 rw-p 00001000 08:01 7 /bin/prog\n"
    "00500000-00600000 rw-p 00000000 00:00 0 [heap]\n"
    "7f0000000000-7f0000004000 rw-p 00000000 00:00 0 \n"
    "7ffc0000-7ffd0000 rw-p 00000000 00:00 0 [stack]\n";

TEST(Diff, IdenticalMapsHaveOnlyUnchangedRows) {
    const Map a = parse(kBase), b = parse(kBase);
    const MapDiff d = diff(a, b);
    EXPECT_TRUE(d.counts.same());
    EXPECT_EQ(d.counts.unchanged, 5u);
    ASSERT_EQ(d.entries.size(), 5u);
    for (const DiffEntry& e : d.entries) EXPECT_EQ(e.change, Change::Unchanged);
    EXPECT_TRUE(diff_problems(a, b, d).empty());
}

TEST(Diff, EmptyMaps) {
    const Map a = parse(""), b = parse(kBase);
    const MapDiff d = diff(a, b);
    EXPECT_EQ(d.counts.added, 5u);
    EXPECT_FALSE(d.counts.same());
    const MapDiff back = diff(b, a);
    EXPECT_EQ(back.counts.removed, 5u);
    EXPECT_TRUE(diff_problems(b, a, back).empty());
    EXPECT_TRUE(diff(a, a).counts.same());
}

TEST(Diff, AddedRowIsInAddressOrderWithoutOverlaps) {
    const Map a = parse(kBase);
    const Map b = parse(std::string(kBase) + "7f0000010000-7f0000012000 r--p 00000000 00:00 0 \n");
    const MapDiff d = diff(a, b);
    EXPECT_EQ(d.counts.added, 1u);
    EXPECT_EQ(d.counts.unchanged, 5u);
    EXPECT_TRUE(diff_problems(a, b, d).empty());
    // The highest address: the last entry (the stack at 0x7ffc0000 sorts before 0x7f0000000000).
    const DiffEntry& last = d.entries.back();
    EXPECT_EQ(last.change, Change::Added);
    EXPECT_EQ(last.a, kNoRow);
    EXPECT_EQ(b.space[last.b].start, 0x7f0000010000u);
    EXPECT_EQ(last.overlap_count, 0u);
}

TEST(Diff, RemovedRow) {
    const Map a = parse(kBase);
    const Map b = parse(
        "00400000-00401000 r-xp 00000000 08:01 7 /bin/prog\n"
        "00500000-00600000 rw-p 00000000 00:00 0 [heap]\n"
        "7f0000000000-7f0000004000 rw-p 00000000 00:00 0 \n"
        "7ffc0000-7ffd0000 rw-p 00000000 00:00 0 [stack]\n");
    const MapDiff d = diff(a, b);
    EXPECT_EQ(d.counts.removed, 1u);
    EXPECT_EQ(d.counts.unchanged, 4u);
    ASSERT_EQ(d.entries[1].change, Change::Removed);
    EXPECT_EQ(a.space[d.entries[1].a].start, 0x401000u);
    EXPECT_EQ(d.entries[1].b, kNoRow);
    EXPECT_TRUE(diff_problems(a, b, d).empty());
}

// One row of A and one of B with the same start: what compare_rows says differs.
DiffFields fields_between(const std::string& row_a, const std::string& row_b,
                          const DiffOptions& options = {}) {
    const Map a = parse(row_a + "\n"), b = parse(row_b + "\n");
    EXPECT_EQ(a.space.size(), 1u);
    EXPECT_EQ(b.space.size(), 1u);
    const MapDiff d = diff(a, b, options);
    EXPECT_EQ(d.entries.size(), 1u);
    EXPECT_EQ(d.entries[0].change, d.entries[0].fields ? Change::Changed : Change::Unchanged);
    return d.entries[0].fields;
}

TEST(Diff, EachFieldThatDiffers) {
    const std::string row = "00400000-00402000 r-xp 00001000 08:01 7 /bin/prog";
    EXPECT_EQ(fields_between(row, row), 0);
    EXPECT_EQ(fields_between(row, "00400000-00402000 r--p 00001000 08:01 7 /bin/prog"), kDiffPerms);
    EXPECT_EQ(fields_between(row, "00400000-00402000 r-xs 00001000 08:01 7 /bin/prog"), kDiffPerms);
    EXPECT_EQ(fields_between(row, "00400000-00405000 r-xp 00001000 08:01 7 /bin/prog"), kDiffEnd);
    EXPECT_EQ(fields_between(row, "00400000-00402000 r-xp 00003000 08:01 7 /bin/prog"),
              kDiffOffset);
    EXPECT_EQ(fields_between(row, "00400000-00402000 r-xp 00001000 08:02 7 /bin/prog"), kDiffDev);
    EXPECT_EQ(fields_between(row, "00400000-00402000 r-xp 00001000 08:01 8 /bin/prog"), kDiffInode);
    EXPECT_EQ(fields_between(row, "00400000-00402000 r-xp 00001000 08:01 7 /bin/prog2"), kDiffPath);
    EXPECT_EQ(fields_between(row, "00400000-00402000 r-xp 00001000 08:01 7 /bin/prog (deleted)"),
              kDiffDeleted);
    // Several at once.
    EXPECT_EQ(fields_between(row, "00400000-00401000 rw-p 00000000 08:01 7 /bin/prog"),
              kDiffPerms | kDiffEnd | kDiffOffset);
}

TEST(Diff, KernelNamesAreNamesNotPaths) {
    // [heap] -> [anon:x]: the kernel's name changed; neither row has a file.
    EXPECT_EQ(fields_between("00500000-00600000 rw-p 00000000 00:00 0 [heap]",
                             "00500000-00600000 rw-p 00000000 00:00 0 [anon:x]"),
              kDiffName);
    // An unnamed row that a program named with PR_SET_VMA_ANON_NAME: the heuristic name
    // [anon_00500] against the kernel's, which is a fact.
    EXPECT_EQ(fields_between("00500000-00600000 rw-p 00000000 00:00 0 ",
                             "00500000-00600000 rw-p 00000000 00:00 0 [anon:jit code]"),
              kDiffName);
    // A file mapped where an anonymous row was.
    EXPECT_EQ(fields_between("00500000-00600000 r--p 00000000 00:00 0 ",
                             "00500000-00600000 r--p 00000000 08:01 9 /lib/x.so"),
              kDiffPath);  // the heuristic name went, but a file row has no inferred name
                           // to compare it with: the path says it all
}

TEST(Diff, KernelNamesWithoutAnnotations) {
    const Map a = parse("00500000-00600000 rw-p 00000000 00:00 0 [heap]\n");
    const Map b = parse("00500000-00600000 rw-p 00000000 00:00 0 [anon:x]\n");
    const Annotations none;
    const MapDiff d = diff_maps(a.space, none, b.space, none);
    ASSERT_EQ(d.entries.size(), 1u);
    EXPECT_EQ(d.entries[0].fields, kDiffName);
    EXPECT_TRUE(diff_maps(a.space, none, a.space, none).counts.same());
}

// Rows built by hand, for what maps text cannot say: unknown permissions, no inode.
AddressSpace one_row(Perms perms, std::uint64_t inode, std::uint32_t dev_minor = 1) {
    AddressSpaceBuilder builder({vmatlas::SourceKind::MapsText, "t", 0, ""});
    Mapping m;
    m.start = 0x400000;
    m.end = 0x401000;
    m.perms = perms;
    m.inode = inode;
    m.dev_major = 8;
    m.dev_minor = dev_minor;
    m.path = builder.intern("/bin/prog");
    builder.add(m);
    return std::move(builder).build();
}

TEST(Diff, WhatATargetDoesNotKnowIsNoDifference) {
    const Annotations none;
    auto fields = [&](const AddressSpace& a, const AddressSpace& b) {
        return compare_rows(a, none, 0, b, none, 0);
    };
    const Perms rxp(Perms::kRead | Perms::kExec);
    const Perms rx_unknown_sharing(Perms::kRead | Perms::kExec | Perms::kSharingUnknown);
    const Perms r_unknown_sharing(Perms::kRead | Perms::kSharingUnknown);
    const Perms all_unknown(Perms::kAccessUnknown | Perms::kSharingUnknown);
    const Perms shared_unknown_access(Perms::kShared | Perms::kAccessUnknown);
    // A core's "r-x?" against "r-xp": the same as far as both know.
    EXPECT_EQ(fields(one_row(rx_unknown_sharing, 7), one_row(rxp, 7)), 0);
    EXPECT_EQ(fields(one_row(all_unknown, 7), one_row(rxp, 7)), 0);
    // What both know still differs.
    EXPECT_EQ(fields(one_row(r_unknown_sharing, 7), one_row(rxp, 7)), kDiffPerms);
    EXPECT_EQ(fields(one_row(shared_unknown_access, 7), one_row(rxp, 7)), kDiffPerms);
    // A core has no inode: device and inode are compared only when both rows have one.
    EXPECT_EQ(fields(one_row(rxp, 0, 1), one_row(rxp, 7, 2)), 0);
    EXPECT_EQ(fields(one_row(rxp, 7, 1), one_row(rxp, 7, 2)), kDiffDev);
    EXPECT_EQ(fields(one_row(rxp, 7, 1), one_row(rxp, 8, 1)), kDiffInode);
}

// mprotect of the middle page of a three-page region: one row becomes three.
constexpr const char* kWhole = "7f0000000000-7f0000003000 rw-p 00000000 00:00 0 \n";
constexpr const char* kSplit =
    "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n"
    "7f0000001000-7f0000002000 r--p 00000000 00:00 0 \n"
    "7f0000002000-7f0000003000 rw-p 00000000 00:00 0 \n";

TEST(Diff, SplitIsTheRowChangedAndTheNewRowsAdded) {
    const Map a = parse(kWhole), b = parse(kSplit);
    const MapDiff d = diff(a, b);
    ASSERT_EQ(d.entries.size(), 3u);
    EXPECT_EQ(d.entries[0].change, Change::Changed);
    EXPECT_EQ(d.entries[0].fields, kDiffEnd);
    for (std::size_t k : {1, 2}) {
        EXPECT_EQ(d.entries[k].change, Change::Added);
        EXPECT_EQ(d.entries[k].overlap_first, 0u);  // inside A's only row
        EXPECT_EQ(d.entries[k].overlap_count, 1u);
    }
    EXPECT_EQ(d.counts.changed, 1u);
    EXPECT_EQ(d.counts.added, 2u);
    EXPECT_TRUE(diff_problems(a, b, d).empty());
}

TEST(Diff, MergeIsTheRowChangedAndTheAbsorbedRowsRemoved) {
    const Map a = parse(kSplit), b = parse(kWhole);
    const MapDiff d = diff(a, b);
    ASSERT_EQ(d.entries.size(), 3u);
    EXPECT_EQ(d.entries[0].change, Change::Changed);
    EXPECT_EQ(d.entries[0].fields, kDiffEnd);
    for (std::size_t k : {1, 2}) {
        EXPECT_EQ(d.entries[k].change, Change::Removed);
        EXPECT_EQ(d.entries[k].b, kNoRow);
        EXPECT_EQ(d.entries[k].overlap_first, 0u);  // inside B's only row
        EXPECT_EQ(d.entries[k].overlap_count, 1u);
    }
    EXPECT_EQ(d.counts.removed, 2u);
    EXPECT_TRUE(diff_problems(a, b, d).empty());
}

TEST(Diff, StackThatGrewDownIsRemovedAndAdded) {
    // Its end stays and its start moves: matched by start, it is a new row over the old one.
    const Map a = parse("7ffc00010000-7ffc00020000 rw-p 00000000 00:00 0 [stack]\n");
    const Map b = parse("7ffc00008000-7ffc00020000 rw-p 00000000 00:00 0 [stack]\n");
    const MapDiff d = diff(a, b);
    EXPECT_TRUE(diff_problems(a, b, d).empty());
    ASSERT_EQ(d.entries.size(), 2u);
    EXPECT_EQ(d.entries[0].change, Change::Added);
    EXPECT_EQ(d.entries[0].overlap_count, 1u);
    EXPECT_EQ(d.entries[1].change, Change::Removed);
    EXPECT_EQ(d.entries[1].overlap_count, 1u);
}

TEST(Diff, RowMappedOverSeveralRows) {
    // MAP_FIXED from 0x2000 to 0x6000, over the rows at 0x3000 and 0x5000.
    const Map a = parse(
        "7f0000001000-7f0000002000 r--p 00000000 00:00 0 \n"
        "7f0000003000-7f0000004000 rw-p 00000000 00:00 0 \n"
        "7f0000005000-7f0000006000 r--p 00000000 00:00 0 \n"
        "7f0000008000-7f0000009000 r--p 00000000 00:00 0 \n");
    const Map b = parse(
        "7f0000001000-7f0000002000 r--p 00000000 00:00 0 \n"
        "7f0000002000-7f0000006000 r-xp 00000000 00:00 0 \n");
    const MapDiff d = diff(a, b);
    EXPECT_TRUE(diff_problems(a, b, d).empty());
    ASSERT_EQ(d.entries.size(), 5u);
    EXPECT_EQ(d.entries[0].change, Change::Unchanged);
    EXPECT_EQ(d.entries[1].change, Change::Added);
    EXPECT_EQ(d.entries[1].overlap_first, 1u);
    EXPECT_EQ(d.entries[1].overlap_count, 2u);
    for (std::size_t k : {2, 3}) {
        EXPECT_EQ(d.entries[k].change, Change::Removed);
        EXPECT_EQ(d.entries[k].overlap_first, 1u);
        EXPECT_EQ(d.entries[k].overlap_count, 1u);
    }
    EXPECT_EQ(d.entries[4].change, Change::Removed);  // unmapped: nothing there now
    EXPECT_EQ(d.entries[4].overlap_count, 0u);
}

// Names given by hand: what each annotator could have said about the same row.
DiffFields names_between(Label la, Label lb, const DiffOptions& options = {}) {
    const Map a = parse("7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n");
    Annotations na, nb;
    na.labels = {std::move(la)};
    nb.labels = {std::move(lb)};
    return compare_rows(a.space, na, 0, a.space, nb, 0, options);
}

TEST(Diff, NamesInferredDifferentlyAreNotCompared) {
    using S = NameSource;
    // A maps text cannot name a thread's stack; a live process can.
    EXPECT_EQ(names_between({"[anon_7f0000000]", S::Heuristic}, {"stack tid=5", S::Registers}), 0);
    // A file that could not be read gives no segment name.
    EXPECT_EQ(names_between({"", S::None}, {"data", S::Elf}), 0);
    EXPECT_EQ(names_between({"bss", S::Elf}, {"[anon_7f0000000]", S::Heuristic}), 0);
    // Inferred the same way, they are compared.
    EXPECT_EQ(names_between({"data", S::Elf}, {"relro", S::Elf}), kDiffName);
    EXPECT_EQ(names_between({"stack tid=5", S::Registers}, {"stack tid=6", S::Registers}),
              kDiffName);
    EXPECT_EQ(names_between({"heap", S::Heuristic}, {"heap (reserved)", S::Heuristic}), kDiffName);
    EXPECT_EQ(names_between({"text", S::Elf}, {"text", S::Elf}), 0);
    // A kernel name against any other: the kernel's names are facts.
    EXPECT_EQ(names_between({"[heap]", S::Kernel}, {"[anon_7f0000000]", S::Heuristic}), kDiffName);
    EXPECT_EQ(names_between({"[stack]", S::Registers}, {"[stack]", S::Kernel}), 0);  // a core's
    // -s: segment names are not compared.
    EXPECT_EQ(names_between({"data", S::Elf}, {"relro", S::Elf}, {.segment_names = false}), 0);
    EXPECT_EQ(
        names_between({"[heap]", S::Kernel}, {"[anon:x]", S::Kernel}, {.segment_names = false}),
        kDiffName);
}

TEST(Diff, ChangeNames) {
    EXPECT_EQ(to_string(Change::Added), "added");
    EXPECT_EQ(to_string(Change::Removed), "removed");
    EXPECT_EQ(to_string(Change::Changed), "changed");
    EXPECT_EQ(to_string(Change::Unchanged), "unchanged");
}

// Random pairs of maps on a small grid of pages, so that starts coincide often: the header's
// promises hold for each.
std::string random_map(std::mt19937& rng) {
    static constexpr const char* kPerms[] = {"r--p", "rw-p", "r-xp", "---p", "rw-s"};
    std::string text;
    Addr page = 0;
    for (;;) {
        page += rng() % 3;
        const Addr len = 1 + rng() % 3;
        if (page + len > 40) break;
        char row[128];
        std::snprintf(row, sizeof row, "%08llx-%08llx %s %08x 08:01 %u %s\n",
                      static_cast<unsigned long long>(page * 0x1000),
                      static_cast<unsigned long long>((page + len) * 0x1000), kPerms[rng() % 5],
                      static_cast<unsigned>((rng() % 2) * 0x1000), rng() % 2 ? 7u : 0u,
                      rng() % 2 ? "/lib/a.so" : "");
        text += row;
        page += len;
    }
    return text;
}

TEST(Diff, InvariantsOnRandomPairs) {
    std::mt19937 rng(20240611);
    for (int round = 0; round < 500; ++round) {
        const Map a = parse(random_map(rng)), b = parse(random_map(rng));
        const MapDiff d = diff(a, b);
        const auto problems = diff_problems(a, b, d);
        ASSERT_TRUE(problems.empty()) << "round " << round << ": " << problems.front();
        EXPECT_EQ(d.counts.added + d.counts.changed + d.counts.unchanged, b.space.size());
        EXPECT_EQ(d.counts.removed + d.counts.changed + d.counts.unchanged, a.space.size());
        EXPECT_TRUE(diff(a, a).counts.same());
    }
}

}  // namespace
}  // namespace vmatlas
