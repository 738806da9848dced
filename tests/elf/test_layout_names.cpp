// The layout stage on seed 003's paste (tests/fixtures/seed003.maps): a 32-bit map saved on
// another machine, whose files are not here. The seed itself explains its rows: the `---p` row
// between two rows of one library is that library's gap, and the nameless writable row that
// starts where a library's last writable row ends is its bss. Every expected name is written
// here, row by row, from the seed's text.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vmatlas/annotate.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/summary.hpp"

namespace vmatlas {
namespace {

std::string read_fixture(std::string_view name) {
    std::ifstream in(std::string(VMATLAS_FIXTURES) + "/" + std::string(name), std::ios::binary);
    EXPECT_TRUE(in.good()) << name;
    std::ostringstream out;
    out << in.rdbuf();
    return std::move(out).str();
}

struct Expected {
    Addr start;
    std::string_view name, source, object;
};

TEST(LayoutNames, Seed003GapsAndBss) {
    const AddressSpace space =
        parse_maps_text(read_fixture("seed003.maps"), {SourceKind::MapsText, "seed003", 0, ""});
    ASSERT_EQ(space.size(), 34u);
    const Annotations notes = annotate(space, {});
    // Rows not listed keep the names the other stages give (none for a file row, pwndbg's for an
    // anonymous one, the kernel's).
    const std::vector<Expected> named = {
        {0x00263000, "gap", "layout", ""},
        {0x00267000, "bss", "layout", "/lib/libc-2.5.so"},
        {0x00812000, "gap", "layout", ""},
        {0x00815000, "bss", "layout", "/lib/libpthread-2.5.so"},
        {0x00f1b000, "bss", "layout", "/root/ltc/test_exe_and_so/libhdca_util.so"},
        {0x049f5000, "bss", "layout", "/usr/lib/libstdc++.so.6.0.8"},
    };
    std::size_t seen = 0;
    for (std::size_t i = 0; i < space.size(); ++i) {
        const Mapping& m = space[i];
        const Label& l = notes.labels[i];
        SCOPED_TRACE(testing::Message() << std::hex << "row at 0x" << m.start);
        const Expected* e = nullptr;
        for (const Expected& x : named)
            if (x.start == m.start) e = &x;
        if (e != nullptr) {
            ++seen;
            EXPECT_EQ(std::string_view(l.name), e->name);
            EXPECT_EQ(to_string(l.source), e->source);
            EXPECT_EQ(l.object == kNoPath ? "" : space.paths().get(l.object), e->object);
            continue;
        }
        EXPECT_NE(l.source, NameSource::Layout);
        EXPECT_NE(std::string_view(l.name), "bss");
        EXPECT_NE(std::string_view(l.name), "gap");
    }
    EXPECT_EQ(seen, named.size());
    // The anonymous row after the heap follows no object's writable row: no bss.
    const auto after_heap = space.find(0xb7f2e000);
    ASSERT_TRUE(after_heap);
    EXPECT_EQ(std::string_view(notes.labels[*after_heap].name), "[anon_b7f2e]");
}

TEST(LayoutNames, Seed003SummaryCountsThemWithTheirObject) {
    const AddressSpace space =
        parse_maps_text(read_fixture("seed003.maps"), {SourceKind::MapsText, "seed003", 0, ""});
    const Summary s = summarize(space, annotate(space, {}));
    auto object = [&](std::string_view path) -> const Totals* {
        for (const auto& [name, totals] : s.by_object)
            if (name == path) return &totals;
        return nullptr;
    };
    // libpthread: its four file rows, and the bss (0x2000) after them.
    const Totals* pthread = object("/lib/libpthread-2.5.so");
    ASSERT_NE(pthread, nullptr);
    EXPECT_EQ(pthread->count, 5u);
    EXPECT_EQ(pthread->virtual_bytes, 0x15000u + 0x1000 + 0x1000 + 0x1000 + 0x2000);
    // libc: four file rows and its bss (0x3000).
    const Totals* libc = object("/lib/libc-2.5.so");
    ASSERT_NE(libc, nullptr);
    EXPECT_EQ(libc->count, 5u);
    EXPECT_EQ(libc->virtual_bytes, 0x15a000u);
    EXPECT_EQ(s.by_kind[static_cast<std::size_t>(Kind::Gap)].count, 2u);
    EXPECT_EQ(s.by_kind[static_cast<std::size_t>(Kind::Bss)].count, 4u);
    EXPECT_EQ(s.by_kind[static_cast<std::size_t>(Kind::Bss)].virtual_bytes,
              0x3000u + 0x2000 + 0x83000 + 0x6000);
}

// An object whose file was read and is no ELF object (a data file) gets no bss, whatever follows
// its writable row; nor does an object without code.
TEST(LayoutNames, OnlyAroundObjectsWithCode) {
    const std::string text =
        "10000000-10001000 rw-p 00000000 08:02 77 /srv/data.bin\n"
        "10001000-10003000 rw-p 00000000 00:00 0 \n"
        "20000000-20001000 r-xp 00000000 08:02 78 /opt/lib/libx.so\n"
        "20001000-20002000 ---p 00001000 08:02 78 /opt/lib/libx.so\n"
        "20002000-20003000 rw-p 00001000 08:02 78 /opt/lib/libx.so\n"
        "20003000-20004000 rw-p 00000000 00:00 0 \n"
        "20004000-20005000 rw-p 00000000 00:00 0 \n";
    const AddressSpace space = parse_maps_text(text, {SourceKind::MapsText, "t", 0, ""});
    const Annotations notes = annotate(space, {});
    auto name = [&](Addr a) { return std::string(notes.labels[*space.find(a)].name); };
    EXPECT_EQ(name(0x10001000), "[anon_10001]");
    EXPECT_EQ(name(0x20001000), "gap");
    EXPECT_EQ(name(0x20003000), "bss");
    EXPECT_EQ(name(0x20004000), "[anon_20004]");
}

}  // namespace
}  // namespace vmatlas
