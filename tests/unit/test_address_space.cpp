// The model: sorting, overlap resolution, row accounting, interning and the generation digest.
#include <gtest/gtest.h>

#include "vmatlas/address_space.hpp"
#include "vmatlas/maps_text.hpp"

namespace vmatlas {
namespace {

Mapping row(Addr start, Addr end, std::uint8_t perms = Perms::kRead, PathId path = kNoPath) {
    Mapping m;
    m.start = start;
    m.end = end;
    m.perms = Perms(perms);
    m.path = path;
    return m;
}

TEST(AddressSpace, SortsRowsAndKeepsThemAll) {
    AddressSpaceBuilder b({"test", "", 0, ""});
    b.add(row(0x3000, 0x4000));
    b.add(row(0x1000, 0x2000));
    b.add(row(0x2000, 0x3000));
    const AddressSpace s = std::move(b).build();
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0].start, 0x1000u);
    EXPECT_EQ(s[1].start, 0x2000u);
    EXPECT_EQ(s[2].start, 0x3000u);
    EXPECT_EQ(s.rows().read, 3u);
    EXPECT_EQ(s.rows().kept, 3u);
    EXPECT_TRUE(check_invariants(s).empty());
    EXPECT_TRUE(s.diagnostics().empty());
}

// A non-atomic read of /proc/PID/maps: the row at 0x2000 grew while it was read and is printed
// again after the old copy. The newer row wins and the old one is accounted as superseded.
TEST(AddressSpace, LaterRowWinsAnOverlap) {
    AddressSpaceBuilder b({"test", "", 0, ""});
    b.add(row(0x1000, 0x2000));
    b.add(row(0x2000, 0x3000, Perms::kRead));
    b.add(row(0x2000, 0x5000, Perms::kRead | Perms::kWrite));
    b.add(row(0x6000, 0x7000));
    const AddressSpace s = std::move(b).build();
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[1].end, 0x5000u);
    EXPECT_TRUE(s[1].perms.writable());
    EXPECT_EQ(s.rows().superseded, 1u);
    EXPECT_EQ(s.rows().read, 4u);
    EXPECT_TRUE(check_invariants(s).empty());
    ASSERT_EQ(s.diagnostics().size(), 1u);
}

TEST(AddressSpace, OlderRowReadAfterIsDropped) {
    AddressSpaceBuilder b({"test", "", 0, ""});
    b.add(row(0x2000, 0x9000));  // read first, sorts after the next one
    b.add(row(0x1000, 0x3000));  // read later: wins
    const AddressSpace s = std::move(b).build();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].start, 0x1000u);
    EXPECT_EQ(s.rows().superseded, 1u);
    EXPECT_TRUE(check_invariants(s).empty());
}

TEST(AddressSpace, FindsContainingMapping) {
    const AddressSpace s = parse_maps_text(
        "1000-2000 r--p 00000000 00:00 0\n3000-5000 rw-p 00000000 00:00 0\n", {"test", "", 0, ""});
    EXPECT_FALSE(s.find(0xfff).has_value());
    EXPECT_EQ(s.find(0x1000), 0u);
    EXPECT_EQ(s.find(0x1fff), 0u);
    EXPECT_FALSE(s.find(0x2000).has_value());
    EXPECT_EQ(s.find(0x4fff), 1u);
    EXPECT_FALSE(s.find(0x5000).has_value());
    EXPECT_EQ(s.lower_bound(0x2500), 1u);
    EXPECT_EQ(s.lower_bound(0x9000), 2u);
}

TEST(AddressSpace, InternsEqualPathsOnce) {
    AddressSpaceBuilder b({"test", "", 0, ""});
    const PathId a = b.intern("/lib/libc.so.6");
    const PathId c = b.intern("/lib/libm.so.6");
    EXPECT_EQ(b.intern("/lib/libc.so.6"), a);
    EXPECT_NE(a, c);
    EXPECT_EQ(b.intern(""), kNoPath);
    b.add(row(0x1000, 0x2000, Perms::kRead, a));
    const AddressSpace s = std::move(b).build();
    EXPECT_EQ(s.path(s[0]), "/lib/libc.so.6");
    const AddressSpace copy = s;  // the copy's index must point at its own strings
    EXPECT_EQ(copy.path(copy[0]), "/lib/libc.so.6");
}

TEST(AddressSpace, GenerationChangesExactlyWhenTheMapDoes) {
    const char* text = "1000-2000 r--p 00000000 08:01 12 /bin/x\n";
    const auto a = parse_maps_text(text, {"test", "", 0, ""});
    const auto b = parse_maps_text(text, {"other", "", 1, ""});
    const auto c =
        parse_maps_text("1000-2000 r--p 00000000 08:01 12 /bin/y\n", {"test", "", 0, ""});
    const auto d =
        parse_maps_text("1000-3000 r--p 00000000 08:01 12 /bin/x\n", {"test", "", 0, ""});
    EXPECT_EQ(a.generation(), b.generation());
    EXPECT_NE(a.generation(), c.generation());
    EXPECT_NE(a.generation(), d.generation());
}

TEST(AddressSpace, CheckInvariantsReportsBrokenAccounting) {
    AddressSpaceBuilder b({"test", "", 0, ""});
    b.add(row(0x1000, 0x2000));
    b.reject({3, 1, "bad start address 'zz'"});
    const AddressSpace s = std::move(b).build();
    EXPECT_EQ(s.rows().read, 2u);
    EXPECT_EQ(s.rows().rejected, 1u);
    EXPECT_TRUE(check_invariants(s).empty());
}

TEST(AddressSpace, StaysSmallPerMapping) {
    EXPECT_LE(sizeof(Mapping), 48u);
}

}  // namespace
}  // namespace vmatlas

namespace vmatlas {
namespace {

// The look-up index must agree with a plain search for every address around every boundary.
TEST(AddressSpace, LookupIndexAgreesWithALinearScan) {
    // Sizes around the index's chunks of 16 and its levels (16, 256, 4096 entries).
    for (std::size_t n : {0u, 1u, 2u, 3u, 7u, 15u, 16u, 17u, 64u, 255u, 256u, 257u, 1000u, 4097u}) {
        AddressSpaceBuilder b({"test", "", 0, ""});
        for (std::size_t i = 0; i < n; ++i)
            b.add(row(0x10000 + i * 0x3000, 0x10000 + i * 0x3000 + 0x1000 * (1 + i % 2)));
        const AddressSpace s = std::move(b).build();
        std::vector<Addr> probes = {0, UINT64_MAX};
        for (const Mapping& m : s.mappings())
            for (Addr d : {Addr{0}, Addr{1}})
                probes.insert(probes.end(),
                              {m.start - d, m.start + d, m.end - 1, m.end, m.end + d});
        for (Addr a : probes) {
            std::optional<std::size_t> want;
            std::size_t above = s.size();
            for (std::size_t i = 0; i < s.size(); ++i) {
                if (s[i].contains(a)) want = i;
                if (s[i].end > a && above == s.size()) above = i;
            }
            EXPECT_EQ(s.find(a), want) << n << " rows, address " << a;
            EXPECT_EQ(s.lower_bound(a), above) << n << " rows, address " << a;
        }
    }
}

}  // namespace
}  // namespace vmatlas

namespace vmatlas {
namespace {

// A mapping that ends at the last address: the index pads with that address too.
TEST(AddressSpace, LookupAtTheTopOfTheAddressSpace) {
    AddressSpaceBuilder b({"test", "", 0, ""});
    for (std::size_t i = 0; i < 20; ++i) b.add(row(0x10000 + i * 0x2000, 0x11000 + i * 0x2000));
    b.add(row(UINT64_MAX - 0xfff, UINT64_MAX));
    const AddressSpace s = std::move(b).build();
    EXPECT_EQ(s.find(UINT64_MAX - 1), 20u);
    EXPECT_FALSE(s.find(UINT64_MAX).has_value());
    EXPECT_EQ(s.lower_bound(UINT64_MAX), 21u);
    EXPECT_EQ(s.lower_bound(UINT64_MAX - 0x1000), 20u);
}

}  // namespace
}  // namespace vmatlas
