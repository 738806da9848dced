// The model: sorting, overlap resolution, row accounting, interning and the generation digest.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "model/lookup_index.hpp"
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
    AddressSpaceBuilder b({SourceKind::MapsText, "test", 0, ""});
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
    AddressSpaceBuilder b({SourceKind::MapsText, "test", 0, ""});
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
    AddressSpaceBuilder b({SourceKind::MapsText, "test", 0, ""});
    b.add(row(0x2000, 0x9000));  // read first, sorts after the next one
    b.add(row(0x1000, 0x3000));  // read later: wins
    const AddressSpace s = std::move(b).build();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].start, 0x1000u);
    EXPECT_EQ(s.rows().superseded, 1u);
    EXPECT_TRUE(check_invariants(s).empty());
}

TEST(AddressSpace, FindsContainingMapping) {
    const AddressSpace s =
        parse_maps_text("1000-2000 r--p 00000000 00:00 0\n3000-5000 rw-p 00000000 00:00 0\n",
                        {SourceKind::MapsText, "test", 0, ""});
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
    AddressSpaceBuilder b({SourceKind::MapsText, "test", 0, ""});
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
    const auto a = parse_maps_text(text, {SourceKind::MapsText, "test", 0, ""});
    const auto b = parse_maps_text(text, {SourceKind::Core, "", 1, ""});
    const auto c = parse_maps_text("1000-2000 r--p 00000000 08:01 12 /bin/y\n",
                                   {SourceKind::MapsText, "test", 0, ""});
    const auto d = parse_maps_text("1000-3000 r--p 00000000 08:01 12 /bin/x\n",
                                   {SourceKind::MapsText, "test", 0, ""});
    EXPECT_EQ(a.generation(), b.generation());
    EXPECT_NE(a.generation(), c.generation());
    EXPECT_NE(a.generation(), d.generation());
}

TEST(AddressSpace, CheckInvariantsReportsBrokenAccounting) {
    AddressSpaceBuilder b({SourceKind::MapsText, "test", 0, ""});
    b.add(row(0x1000, 0x2000));
    b.reject({3, 1, "bad start address 'zz'"});
    const AddressSpace s = std::move(b).build();
    EXPECT_EQ(s.rows().read, 2u);
    EXPECT_EQ(s.rows().rejected, 1u);
    EXPECT_TRUE(check_invariants(s).empty());
}

}  // namespace
}  // namespace vmatlas

namespace vmatlas {
namespace {

// The look-up index must agree with a plain search for every address around every boundary.
TEST(AddressSpace, LookupIndexAgreesWithALinearScan) {
    // Sizes around the index's chunks of 16 and its levels (16, 256, 4096 entries).
    for (std::size_t n : {0u, 1u, 2u, 3u, 7u, 15u, 16u, 17u, 64u, 255u, 256u, 257u, 1000u, 4097u}) {
        AddressSpaceBuilder b({SourceKind::MapsText, "test", 0, ""});
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
    AddressSpaceBuilder b({SourceKind::MapsText, "test", 0, ""});
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

namespace vmatlas {
namespace {

// Three shapes of map. Dense: small mappings and holes, as most of a real map. Wide: sizes and
// holes from a byte to 2^36 at any alignment, from address 0 to the last one, so that some
// stretches of sixteen mappings span 4 GiB or more and the index must fall back on them. Edge:
// stretches of sixteen that span 4 GiB give or take one byte.
enum class Shape { dense, wide, edge };

AddressSpace shaped_space(Shape shape, std::size_t n, std::mt19937_64& rng) {
    AddressSpaceBuilder b({SourceKind::MapsText, "test", 0, ""});
    Addr at = shape == Shape::dense ? 0x10000 : 0;
    for (std::size_t i = 0; i < n; ++i) {
        Addr size = 0, hole = 0;
        switch (shape) {
            case Shape::dense:
                size = 0x1000 * (1 + rng() % 4);
                hole = 0x1000 * (rng() % 3);
                break;
            case Shape::wide:
                size = 1 + rng() % (Addr{2} << (rng() % 36));
                hole = rng() % 3 ? rng() % (Addr{2} << (rng() % 36)) : 0;
                break;
            case Shape::edge:  // fifteen pages, then the rest of 0xfffffffe, 0xffffffff or 2^32
                size = i % 16 < 15 ? 0x1000 : 0xfffffffe + (i / 16) % 3 - 15 * 0x1000;
                hole = i % 16 < 15 ? 0 : 1;
                break;
        }
        if (shape == Shape::wide && i + 1 == n) {  // the last one ends at the last address
            if (at < UINT64_MAX - 0x1000) at = UINT64_MAX - 0x1000;
            size = UINT64_MAX - at;
        }
        b.add(row(at, at + size));
        at += size + hole;
    }
    return std::move(b).build();
}

// find() and lower_bound() must agree with a plain scan for every address that can tell a
// wrong index from a right one, with every set of instructions the CPU can count with.
TEST(AddressSpace, LookupIndexIsExactWithEveryInstructionSet) {
    std::mt19937_64 rng(1234);
    for (Shape shape : {Shape::dense, Shape::wide, Shape::edge}) {
        for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 255u, 256u, 257u, 4097u, 60000u}) {
            const AddressSpace built = shaped_space(shape, n, rng);
            ASSERT_TRUE(check_invariants(built).empty());
            ASSERT_EQ(built.size(), n);
            std::vector<Addr> probes = {0, 1, UINT64_MAX - 1, UINT64_MAX};
            for (const Mapping& m : built.mappings())
                probes.insert(probes.end(),
                              {m.start, m.start - 1, m.end - 1, m.end,
                               // where the distance from a stretch's last end stops fitting
                               m.end - 0xfffffffe, m.end - 0xffffffff, m.end - 0x100000000,
                               m.end - 0x100000001});
            for (int i = 0; i < 20000; ++i) {
                probes.push_back(rng());
                if (n > 0) {  // inside or just around a mapping
                    const Mapping& m = built[rng() % n];
                    probes.push_back(m.start + rng() % m.size());
                }
            }
            std::sort(probes.begin(), probes.end());
            // The scan: one pass over the mappings for the sorted addresses.
            std::vector<std::size_t> want_bound(probes.size());
            std::size_t i = 0;
            for (std::size_t p = 0; p < probes.size(); ++p) {
                while (i < n && built[i].end <= probes[p]) ++i;
                want_bound[p] = i;
            }
            auto expect_exact = [&](const AddressSpace& s, const char* what) {
                std::size_t wrong = 0;
                for (std::size_t p = 0; p < probes.size(); ++p) {
                    const Addr a = probes[p];
                    const std::size_t bound = want_bound[p];
                    const bool hit = bound < n && built[bound].start <= a;
                    const std::optional<std::size_t> found = s.find(a);
                    if (s.lower_bound(a) == bound && found.has_value() == hit &&
                        (!hit || *found == bound))
                        continue;
                    if (++wrong <= 5)
                        ADD_FAILURE() << what << ", shape " << static_cast<int>(shape) << ", " << n
                                      << " mappings: address 0x" << std::hex << a << " gives "
                                      << std::dec << s.lower_bound(a) << (found ? " in" : " after")
                                      << ", want " << bound << (hit ? " in" : " after");
                }
                EXPECT_EQ(wrong, 0u)
                    << what << ", shape " << static_cast<int>(shape) << ", " << n << " mappings";
            };
            using detail::LookupIsa;
            for (LookupIsa isa : {LookupIsa::plain, LookupIsa::avx2, LookupIsa::avx512}) {
                if (!detail::cpu_has(isa)) continue;
                detail::use_lookup_isa(isa);
                expect_exact(built, isa == LookupIsa::plain  ? "plain"
                                    : isa == LookupIsa::avx2 ? "avx2"
                                                             : "avx512");
            }
            detail::use_lookup_isa(detail::best_lookup_isa());
            // A copy made after the first look-up carries the index with it.
            const AddressSpace copy = built;
            expect_exact(copy, "a copy");
        }
    }
}

}  // namespace
}  // namespace vmatlas
