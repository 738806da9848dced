// The Locator on hand-built address spaces (maps text in memory; no file named here exists): the
// edges of rows and holes, address 0, the top of the address space, a 32-bit map, and the
// expressions that name addresses. Every expected value is written here.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vmatlas/maps_text.hpp"
#include "vmatlas/named_map.hpp"
#include "vmatlas/where.hpp"

namespace vmatlas {
namespace {

NamedMap named(std::string_view text) {
    Target t;
    t.kind = TargetKind::MapsText;
    t.space = parse_maps_text(text, {SourceKind::MapsText, "test", 0, ""});
    return name_target(std::move(t), false);
}

// A 64-bit map: an object whose file is not here (its bss and gap from the layout), the heap,
// anonymous rows, the stack and [vsyscall] at the top of the kernel half.
constexpr std::string_view k64 =
    "555555554000-555555556000 r--p 00000000 fe:00 900001 /opt/where/bin/prog\n"
    "555555556000-55555555a000 r-xp 00002000 fe:00 900001 /opt/where/bin/prog\n"
    "55555555a000-55555555b000 ---p 00006000 fe:00 900001 /opt/where/bin/prog\n"
    "55555555b000-55555555c000 r--p 00006000 fe:00 900001 /opt/where/bin/prog\n"
    "55555555c000-55555555d000 rw-p 00007000 fe:00 900001 /opt/where/bin/prog\n"
    "55555555d000-55555555f000 rw-p 00000000 00:00 0 \n"
    "55555557f000-5555555a0000 rw-p 00000000 00:00 0 [heap]\n"
    "7ffff7d80000-7ffff7d83000 rw-p 00000000 00:00 0 \n"
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n";

TEST(WhereEdges, FirstLastAndOnePastTheEnd) {
    const NamedMap map = named(k64);
    Locator where(map);
    WhereAnswer a;

    where.locate(0x555555556000, a);  // the first byte of the text row
    ASSERT_TRUE(a.row);
    EXPECT_EQ(*a.row, 1u);
    EXPECT_EQ(a.mapping_offset, 0u);
    EXPECT_EQ(a.file_offset, 0x2000u);
    EXPECT_EQ(a.image_name, "prog");
    EXPECT_EQ(a.image_path, "/opt/where/bin/prog");
    EXPECT_EQ(a.image_base, 0x555555554000u);  // the row that maps offset 0
    EXPECT_FALSE(a.elf_vaddr);                 // no headers: no vaddr, segment or symbol
    EXPECT_FALSE(a.symbol.found());

    where.locate(0x555555559fff, a);  // its last byte
    ASSERT_TRUE(a.row);
    EXPECT_EQ(*a.row, 1u);
    EXPECT_EQ(a.mapping_offset, 0x3fffu);
    EXPECT_EQ(a.file_offset, 0x5fffu);

    where.locate(0x55555555a000, a);  // one past its end: the next row, the object's gap
    ASSERT_TRUE(a.row);
    EXPECT_EQ(*a.row, 2u);
    EXPECT_EQ(std::string_view(map.notes.labels[*a.row].name), "gap");
    EXPECT_EQ(a.image_name, "prog");

    where.locate(0x55555555d123, a);  // the bss from the layout: the object's, no file offset
    ASSERT_TRUE(a.row);
    EXPECT_EQ(*a.row, 5u);
    EXPECT_EQ(std::string_view(map.notes.labels[*a.row].name), "bss");
    EXPECT_EQ(map.notes.labels[*a.row].source, NameSource::Layout);
    EXPECT_EQ(a.image_path, "/opt/where/bin/prog");
    EXPECT_FALSE(a.file_offset);
    EXPECT_EQ(a.mapping_offset, 0x123u);

    where.locate(0x55555555f000, a);  // one past the bss: a hole up to the heap
    EXPECT_FALSE(a.row);
    EXPECT_EQ(a.hole_start, 0x55555555f000u);
    EXPECT_EQ(a.hole_end, 0x55555557f000u);
    EXPECT_EQ(a.below, 5u);
    EXPECT_EQ(a.above, 6u);
    EXPECT_TRUE(a.image_name.empty());

    where.locate(0x55555557f000, a);  // the heap: no image
    ASSERT_TRUE(a.row);
    EXPECT_EQ(*a.row, 6u);
    EXPECT_TRUE(a.image_name.empty());
    EXPECT_FALSE(a.image_base);
    EXPECT_FALSE(a.file_offset);
}

TEST(WhereEdges, ZeroAndTheTop) {
    const NamedMap map = named(k64);
    Locator where(map);
    WhereAnswer a;
    where.locate(0, a);  // below every row
    EXPECT_FALSE(a.row);
    EXPECT_EQ(a.hole_start, 0u);
    EXPECT_EQ(a.hole_end, 0x555555554000u);
    EXPECT_FALSE(a.below);
    EXPECT_EQ(a.above, 0u);

    where.locate(0xffffffffff600fff, a);  // the last byte of [vsyscall]
    ASSERT_TRUE(a.row);
    EXPECT_EQ(*a.row, 9u);
    where.locate(0xffffffffff601000, a);  // past the last row: a hole to the top
    EXPECT_FALSE(a.row);
    EXPECT_EQ(a.hole_start, 0xffffffffff601000u);
    EXPECT_EQ(a.hole_end, UINT64_MAX);
    EXPECT_EQ(a.below, 9u);
    EXPECT_FALSE(a.above);
    where.locate(UINT64_MAX, a);
    EXPECT_FALSE(a.row);
    EXPECT_EQ(a.below, 9u);
}

TEST(WhereEdges, A32BitMap) {
    const NamedMap map = named(
        "08048000-08049000 r-xp 00000000 fd:00 1606930 /root/use_libhdca_util\n"
        "08049000-0804a000 rw-p 00000000 fd:00 1606930 /root/use_libhdca_util\n"
        "085ad000-085ce000 rw-p 085ad000 00:00 0 [heap]\n"
        "bf8bb000-bf8d0000 rw-p bffe9000 00:00 0 [stack]\n"
        "ffffe000-fffff000 r-xp 00000000 00:00 0 [vdso]\n");
    Locator where(map);
    WhereAnswer a;
    where.locate(0x08048abc, a);
    ASSERT_TRUE(a.row);
    EXPECT_EQ(a.image_name, "use_libhdca_util");
    EXPECT_EQ(a.image_base, 0x08048000u);
    EXPECT_EQ(a.file_offset, 0xabcu);
    where.locate(0xfffff000, a);  // one past the last 32-bit row
    EXPECT_FALSE(a.row);
    EXPECT_EQ(a.hole_start, 0xfffff000u);
    EXPECT_EQ(a.hole_end, UINT64_MAX);
    where.locate(0xbf8cffff, a);
    ASSERT_TRUE(a.row);
    EXPECT_EQ(*a.row, 3u);
}

TEST(WhereEdges, BatchesAnswerInTheOrderGiven) {
    const NamedMap map = named(k64);
    Locator where(map);
    const std::vector<Addr> in = {
        0x7ffffffde010, 0, 0x555555556001, 0x555555556001, 0xffffffffffffffff, 0x55555557f000};
    std::vector<Addr> seen;
    std::vector<std::optional<std::size_t>> rows;
    where.locate_batch(in, [&](std::size_t k, const WhereAnswer& a) {
        EXPECT_EQ(k, seen.size());
        seen.push_back(a.address);
        rows.push_back(a.row);
    });
    EXPECT_EQ(seen, in);
    const std::vector<std::optional<std::size_t>> want = {8, std::nullopt, 1, 1, std::nullopt, 6};
    EXPECT_EQ(rows, want);
}

TEST(WhereEdges, Expressions) {
    const NamedMap map = named(k64);
    Locator where(map);
    auto ok = [&](std::string_view e) {
        auto r = where.resolve(e);
        EXPECT_TRUE(r.ok()) << e << ": " << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : 0;
    };
    EXPECT_EQ(ok("0x1000"), 0x1000u);
    EXPECT_EQ(ok("4096"), 4096u);
    EXPECT_EQ(ok("010000"), 010000u);
    EXPECT_EQ(ok("prog+0x2010"), 0x555555556010u);  // from the image base
    EXPECT_EQ(ok("/opt/where/bin/prog+16"), 0x555555554010u);
    EXPECT_EQ(ok("prog"), 0x555555554000u);
    EXPECT_EQ(ok("[heap]+0x10"), 0x55555557f010u);
    EXPECT_EQ(ok("[stack]"), 0x7ffffffde000u);
    EXPECT_EQ(ok("[anon_7ffff7d80]+0x20"), 0x7ffff7d80020u);
    EXPECT_EQ(ok("bss"), 0x55555555d000u);  // one row has the name
    auto bad = [&](std::string_view e, std::string_view says) {
        auto r = where.resolve(e);
        ASSERT_FALSE(r.ok()) << e;
        EXPECT_EQ(r.error().kind, ErrorKind::Usage);
        EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
    };
    bad("08", "is not a number");
    bad("nosuchthing+1", "no module, symbol or name");
    bad("", "empty");
    bad("0xffffffffffffffff+1", "past the top");
    bad("[vsyscall]+0x1000000000000", "past the top");
}

}  // namespace
}  // namespace vmatlas
