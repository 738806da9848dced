// The selectors of `vmatlas advise -o` (docs/advise.md) on a map built in memory: what each text
// parses to, which bytes each selector picks, which selector wins where several pick the same
// bytes, and every sentence a refused advice name or a malformed selector gets.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "annotate/stages.hpp"
#include "query/advice_selection.hpp"
#include "sources/process_advice.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/maps_text.hpp"

namespace vmatlas {
namespace {

constexpr std::uint64_t kPage = 4096;

// A process's map as Linux x86-64 lays it out: the program (headers, text, rodata, relro, data
// and its bss), [heap], an anonymous row, a thread's stack above its guard page, a shared row,
// libc.so.6 and libm.so.6, [vvar], [vdso], [stack] and [vsyscall]. The rows' names are what the
// ELF stage and the thread-stack stage give a live process of this layout.
constexpr const char* kMaps =
    "555555554000-555555555000 r--p 00000000 08:01 100 /usr/bin/prog\n"                        // 0
    "555555555000-555555556000 r-xp 00001000 08:01 100 /usr/bin/prog\n"                        // 1
    "555555556000-555555557000 r--p 00002000 08:01 100 /usr/bin/prog\n"                        // 2
    "555555557000-555555558000 r--p 00002000 08:01 100 /usr/bin/prog\n"                        // 3
    "555555558000-555555559000 rw-p 00003000 08:01 100 /usr/bin/prog\n"                        // 4
    "555555559000-55555555a000 rw-p 00000000 00:00 0 \n"                                       // 5
    "55555555a000-55555557b000 rw-p 00000000 00:00 0 [heap]\n"                                 // 6
    "7ffff7000000-7ffff7200000 rw-p 00000000 00:00 0 \n"                                       // 7
    "7ffff7200000-7ffff7201000 ---p 00000000 00:00 0 \n"                                       // 8
    "7ffff7201000-7ffff7a01000 rw-p 00000000 00:00 0 \n"                                       // 9
    "7ffff7a01000-7ffff7b01000 rw-s 00000000 00:01 2048 /dev/zero (deleted)\n"                 // 10
    "7ffff7c00000-7ffff7c28000 r--p 00000000 08:01 200 /usr/lib/x86_64-linux-gnu/libc.so.6\n"  // 11
    "7ffff7c28000-7ffff7dbd000 r-xp 00028000 08:01 200 /usr/lib/x86_64-linux-gnu/libc.so.6\n"  // 12
    "7ffff7dbd000-7ffff7e15000 r--p 001bd000 08:01 200 /usr/lib/x86_64-linux-gnu/libc.so.6\n"  // 13
    "7ffff7e15000-7ffff7e19000 r--p 00214000 08:01 200 /usr/lib/x86_64-linux-gnu/libc.so.6\n"  // 14
    "7ffff7e19000-7ffff7e1b000 rw-p 00218000 08:01 200 /usr/lib/x86_64-linux-gnu/libc.so.6\n"  // 15
    "7ffff7e1b000-7ffff7e28000 rw-p 00000000 00:00 0 \n"                                       // 16
    "7ffff7f00000-7ffff7f10000 r-xp 00010000 08:01 300 /usr/lib/x86_64-linux-gnu/libm.so.6\n"  // 17
    "7ffff7fc1000-7ffff7fc5000 r--p 00000000 00:00 0 [vvar]\n"                                 // 18
    "7ffff7fc5000-7ffff7fc7000 r-xp 00000000 00:00 0 [vdso]\n"                                 // 19
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n"                                // 20
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n";                    // 21

constexpr int kPid = 100, kThread = 101;

struct Map {
    AddressSpace space = parse_maps_text(kMaps, SourceInfo{SourceKind::MapsText, "t", kPid, ""});
    Annotations notes = names();

    Annotations names() const {
        Annotations n = annotate_kernel_names(space);
        const auto elf = [&](std::size_t i, const char* name, std::size_t object_row) {
            n.labels[i] = {name, NameSource::Elf,
                           space[i].path == kNoPath ? space[object_row].path : kNoPath};
        };
        elf(0, "headers", 0);
        elf(1, "text", 1);
        elf(2, "rodata", 2);
        elf(3, "relro", 3);
        elf(4, "data", 4);
        elf(5, "bss", 4);
        elf(11, "rodata", 11);
        elf(12, "text", 12);
        elf(13, "rodata", 13);
        elf(14, "relro", 14);
        elf(15, "data", 15);
        elf(16, "bss", 15);
        elf(17, "text", 17);
        ThreadInfo main_thread, thread;
        main_thread.tid = kPid;
        main_thread.sp = 0x7fffffffe000;
        thread.tid = kThread;
        thread.sp = 0x7ffff7a00e40;
        stages::name_thread_stacks_from(space, kPid, {main_thread, thread}, n);
        return n;
    }

    // The plan for the selectors, each piece as "ROW:START-END=SELECTOR".
    std::vector<std::string> plan(const std::vector<std::string>& texts) const {
        std::vector<AdviceSelector> selectors;
        for (const std::string& t : texts) {
            auto s = parse_advice_selector(t, kPage);
            EXPECT_TRUE(s) << t << ": " << s.error().message;
            if (s) selectors.push_back(*s);
        }
        last = plan_advice(space, notes, selectors);
        std::vector<std::string> out;
        for (const AdvicePiece& p : last.pieces)
            out.push_back(fmt::format("{}:{:x}-{:x}={}", p.row, p.start, p.end, p.selector));
        return out;
    }
    mutable AdvicePlan last;
};

using Pieces = std::vector<std::string>;
using Indices = std::vector<std::size_t>;

// The usage sentence a selector is refused with.
std::string refusal(std::string_view text) {
    auto s = parse_advice_selector(text, kPage);
    if (s) return "(accepted)";
    EXPECT_EQ(s.error().kind, ErrorKind::Usage);
    return s.error().message;
}

TEST(AdviceMap, TheFixtureIsNamedAsALiveProcessWouldBe) {
    const Map m;
    ASSERT_EQ(m.space.size(), 22u);
    EXPECT_EQ(m.notes.labels[5].name, "bss");
    EXPECT_EQ(m.notes.labels[7].name, "[anon_7ffff7000]");
    EXPECT_EQ(m.notes.labels[8].name, "guard tid=101");
    EXPECT_EQ(m.notes.labels[9].name, "stack tid=101");
    EXPECT_EQ(m.notes.labels[20].name, "[stack]");
}

// ---- parsing --------------------------------------------------------------------------------

TEST(ParseSelector, PmadviseWords) {
    auto heap = parse_advice_selector("heap", kPage);
    ASSERT_TRUE(heap);
    EXPECT_EQ(heap->kind, AdviceSelector::Kind::Name);
    EXPECT_EQ(heap->text, "heap");
    auto stack = parse_advice_selector("stack", kPage);
    ASSERT_TRUE(stack);
    EXPECT_EQ(stack->kind, AdviceSelector::Kind::Name);
    auto priv = parse_advice_selector("private", kPage);
    ASSERT_TRUE(priv);
    EXPECT_EQ(priv->kind, AdviceSelector::Kind::Sharing);
    EXPECT_FALSE(priv->shared);
    auto shared = parse_advice_selector("shared", kPage);
    ASSERT_TRUE(shared);
    EXPECT_EQ(shared->kind, AdviceSelector::Kind::Sharing);
    EXPECT_TRUE(shared->shared);
}

TEST(ParseSelector, VmatlasNamesAreNames) {
    for (const char* name : {"text", "data", "bss", "libc.so.6:data", "[anon_7ffff7000]",
                             "stack tid=101", "[vdso]", "Private", "x:1000"}) {
        auto s = parse_advice_selector(name, kPage);
        ASSERT_TRUE(s) << name;
        EXPECT_EQ(s->kind, AdviceSelector::Kind::Name) << name;
        EXPECT_EQ(s->text, name);
    }
}

TEST(ParseSelector, AnAddressAloneIsItsWholeRow) {
    for (const char* text :
         {"7ffff7000000", "0x7ffff7000000", "0X7FFFF7000000", "00007FFFF7000000"}) {
        auto s = parse_advice_selector(text, kPage);
        ASSERT_TRUE(s) << text;
        EXPECT_EQ(s->kind, AdviceSelector::Kind::Address) << text;
        EXPECT_TRUE(s->whole_row) << text;
        EXPECT_EQ(s->start, 0x7ffff7000000u) << text;
        EXPECT_EQ(s->text, text);
    }
    auto zero = parse_advice_selector("0", kPage);
    ASSERT_TRUE(zero);
    EXPECT_EQ(zero->kind, AdviceSelector::Kind::Address);
    EXPECT_EQ(zero->start, 0u);
}

TEST(ParseSelector, LengthsInBytesAndBinarySuffixesRoundedUpToPages) {
    const std::pair<const char*, std::uint64_t> cases[] = {
        {"0x10000:4096", 4096},     {"0x10000:1", 4096},        {"0x10000:4097", 8192},
        {"0x10000:1K", 4096},       {"0x10000:4K", 4096},       {"0x10000:5K", 8192},
        {"0x10000:64K", 65536},     {"0x10000:1M", 1048576},    {"0x10000:2M", 2097152},
        {"0x10000:1G", 1073741824}, {"0x10000:3G", 3221225472}, {"0x10000:1048577", 1052672},
        {"10000:8K", 8192},
    };
    for (const auto& [text, length] : cases) {
        auto s = parse_advice_selector(text, kPage);
        ASSERT_TRUE(s) << text << ": " << s.error().message;
        EXPECT_EQ(s->kind, AdviceSelector::Kind::Address) << text;
        EXPECT_FALSE(s->whole_row) << text;
        EXPECT_EQ(s->start, 0x10000u) << text;
        EXPECT_EQ(s->end - s->start, length) << text;
    }
    // The last page of the address space can be named, and not one byte past it.
    auto top = parse_advice_selector("0xffffffffffffe000:4K", kPage);
    ASSERT_TRUE(top);
    EXPECT_EQ(top->end, 0xfffffffffffff000u);
}

TEST(ParseSelector, MalformedSelectorsAreRefusedWithTheirSentence) {
    EXPECT_EQ(refusal(""),
              "an empty selector: give heap, stack, private, shared, ADDR[:LEN] or a name of the "
              "map");
    EXPECT_EQ(refusal("0x1001"), "'0x1001' is not a multiple of the page size (4096)");
    EXPECT_EQ(refusal("0x1800:4K"), "'0x1800' is not a multiple of the page size (4096)");
    EXPECT_EQ(refusal("1"), "'1' is not a multiple of the page size (4096)");
    EXPECT_EQ(refusal("12zz"), "'12zz' is no address: ADDR is hex, as pmap shows it");
    EXPECT_EQ(refusal("0x"), "'0x' is no address: ADDR is hex, as pmap shows it");
    EXPECT_EQ(refusal("0x:4K"), "'0x:4K' is no address: ADDR is hex, as pmap shows it");
    EXPECT_EQ(refusal("1000 "), "'1000 ' is no address: ADDR is hex, as pmap shows it");
    EXPECT_EQ(refusal("00000000000000001000"),
              "'00000000000000001000' is no address: ADDR is hex, as pmap shows it");
    EXPECT_EQ(refusal("0x1000:"),
              "'0x1000:': LEN is a number of bytes above 0, with an optional K, M or G, not ''");
    EXPECT_EQ(refusal("0x1000:0"),
              "'0x1000:0': LEN is a number of bytes above 0, with an optional K, M or G, not '0'");
    EXPECT_EQ(refusal("0x1000:0K"),
              "'0x1000:0K': LEN is a number of bytes above 0, with an optional K, M or G, not "
              "'0K'");
    EXPECT_EQ(refusal("0x1000:K"),
              "'0x1000:K': LEN is a number of bytes above 0, with an optional K, M or G, not 'K'");
    EXPECT_EQ(refusal("0x1000:-4K"),
              "'0x1000:-4K': LEN is a number of bytes above 0, with an optional K, M or G, not "
              "'-4K'");
    EXPECT_EQ(refusal("0x1000:4T"),
              "'0x1000:4T': LEN is a number of bytes above 0, with an optional K, M or G, not "
              "'4T'");
    EXPECT_EQ(refusal("0x1000:4KK"),
              "'0x1000:4KK': LEN is a number of bytes above 0, with an optional K, M or G, not "
              "'4KK'");
    // 2^64 bytes is no length; neither is a length whose suffix takes it past 2^64 - 1.
    EXPECT_EQ(refusal("0x1000:18446744073709551616"),
              "'0x1000:18446744073709551616': LEN is a number of bytes above 0, with an optional "
              "K, M or G, not '18446744073709551616'");
    EXPECT_EQ(refusal("0x1000:17179869184G"),
              "'0x1000:17179869184G': LEN is a number of bytes above 0, with an optional K, M or "
              "G, not '17179869184G'");
    EXPECT_EQ(refusal("0xfffffffffffff000:4K"),
              "'0xfffffffffffff000:4K' runs past the top of the address space");
    EXPECT_EQ(refusal("0x1000:18446744073709551615"),
              "'0x1000:18446744073709551615' runs past the top of the address space");
}

// ---- advice names ---------------------------------------------------------------------------

TEST(ParseAdvice, TheFourLinuxGivesAnotherProcess) {
    const std::pair<const char*, Advice> cases[] = {{"cold", Advice::Cold},
                                                    {"pageout", Advice::Pageout},
                                                    {"willneed", Advice::WillNeed},
                                                    {"collapse", Advice::Collapse}};
    for (const auto& [name, advice] : cases) {
        auto a = parse_advice(name);
        ASSERT_TRUE(a) << name;
        EXPECT_EQ(*a, advice);
        EXPECT_EQ(to_string(advice), name);
    }
}

TEST(ParseAdvice, EveryRefusedNameWithItsReason) {
    const std::string read_ahead =
        "sets how the process itself reads ahead, which process_madvise(2) does not apply to "
        "another process; the process can call madvise(2) on itself, or 'willneed' reads a range "
        "in now";
    const std::string discard =
        "discards the pages' contents, which process_madvise(2) does not do to another process; "
        "'pageout' reclaims them and keeps their contents, 'cold' marks them to be reclaimed "
        "first";
    const std::string numa =
        "is Solaris's advice on which CPU's memory to use, which Linux has no madvise(2) for; "
        "numactl(8), migratepages(8) or set_mempolicy(2) place memory on Linux";
    const std::string own_flag =
        "sets a flag on the mapping that only the process itself can set with madvise(2); "
        "process_madvise(2) applies cold, pageout, willneed and collapse";
    const std::pair<const char*, const std::string*> cases[] = {
        {"normal", &read_ahead},    {"random", &read_ahead},   {"sequential", &read_ahead},
        {"dontneed", &discard},     {"free", &discard},        {"remove", &discard},
        {"access_lwp", &numa},      {"access_many", &numa},    {"access_many_pset", &numa},
        {"access_default", &numa},  {"hugepage", &own_flag},   {"nohugepage", &own_flag},
        {"dontdump", &own_flag},    {"dodump", &own_flag},     {"mergeable", &own_flag},
        {"unmergeable", &own_flag}, {"dontfork", &own_flag},   {"dofork", &own_flag},
        {"wipeonfork", &own_flag},  {"keeponfork", &own_flag},
    };
    for (const auto& [name, reason] : cases) {
        auto a = parse_advice(name);
        ASSERT_FALSE(a) << name;
        EXPECT_EQ(a.error().kind, ErrorKind::Usage) << name;
        EXPECT_EQ(a.error().message, fmt::format("'{}' {}", name, *reason));
    }
}

TEST(ParseAdvice, AnythingElseIsNoAdvice) {
    for (const char* name : {"", "Cold", "MADV_COLD", "cold ", "willneed,cold"}) {
        auto a = parse_advice(name);
        ASSERT_FALSE(a) << name;
        EXPECT_EQ(a.error().kind, ErrorKind::Usage);
        EXPECT_EQ(a.error().message,
                  fmt::format("'{}' is no advice: vmatlas advise gives cold, pageout, willneed or "
                              "collapse",
                              name));
    }
}

// ---- what each selector picks ---------------------------------------------------------------

TEST(Picks, HeapAndStackAreTheKernelsRows) {
    const Map m;
    EXPECT_EQ(m.plan({"heap"}), (Pieces{"6:55555555a000-55555557b000=0"}));
    // The main thread's [stack] alone: a thread's stack is "stack tid=N".
    EXPECT_EQ(m.plan({"stack"}), (Pieces{"20:7ffffffde000-7ffffffff000=0"}));
    EXPECT_EQ(m.plan({"[heap]"}), (Pieces{"6:55555555a000-55555557b000=0"}));
}

TEST(Picks, SharedAndPrivate) {
    const Map m;
    EXPECT_EQ(m.plan({"shared"}), (Pieces{"10:7ffff7a01000-7ffff7b01000=0"}));
    // Every private row with some access, but [vvar] and [vsyscall]: not the guard (8).
    EXPECT_EQ(m.plan({"private"}), (Pieces{
                                       "0:555555554000-555555555000=0",
                                       "1:555555555000-555555556000=0",
                                       "2:555555556000-555555557000=0",
                                       "3:555555557000-555555558000=0",
                                       "4:555555558000-555555559000=0",
                                       "5:555555559000-55555555a000=0",
                                       "6:55555555a000-55555557b000=0",
                                       "7:7ffff7000000-7ffff7200000=0",
                                       "9:7ffff7201000-7ffff7a01000=0",
                                       "11:7ffff7c00000-7ffff7c28000=0",
                                       "12:7ffff7c28000-7ffff7dbd000=0",
                                       "13:7ffff7dbd000-7ffff7e15000=0",
                                       "14:7ffff7e15000-7ffff7e19000=0",
                                       "15:7ffff7e19000-7ffff7e1b000=0",
                                       "16:7ffff7e1b000-7ffff7e28000=0",
                                       "17:7ffff7f00000-7ffff7f10000=0",
                                       "19:7ffff7fc5000-7ffff7fc7000=0",
                                       "20:7ffffffde000-7ffffffff000=0",
                                   }));
    EXPECT_TRUE(m.last.matched_nothing.empty());
}

TEST(Picks, ASegmentNameAloneIsTheProgramsSegment) {
    const Map m;
    EXPECT_EQ(m.plan({"text"}), (Pieces{"1:555555555000-555555556000=0"}));
    EXPECT_EQ(m.plan({"data"}), (Pieces{"4:555555558000-555555559000=0"}));
    EXPECT_EQ(m.plan({"bss"}), (Pieces{"5:555555559000-55555555a000=0"}));
    EXPECT_EQ(m.plan({"relro"}), (Pieces{"3:555555557000-555555558000=0"}));
    EXPECT_EQ(m.plan({"rodata"}), (Pieces{"2:555555556000-555555557000=0"}));
}

TEST(Picks, ObjectColonSegmentIsThatObjectsSegment) {
    const Map m;
    EXPECT_EQ(m.plan({"libc.so.6:text"}), (Pieces{"12:7ffff7c28000-7ffff7dbd000=0"}));
    EXPECT_EQ(m.plan({"libc.so.6:data"}), (Pieces{"15:7ffff7e19000-7ffff7e1b000=0"}));
    // A bss row has no file: it is its object's.
    EXPECT_EQ(m.plan({"libc.so.6:bss"}), (Pieces{"16:7ffff7e1b000-7ffff7e28000=0"}));
    EXPECT_EQ(m.plan({"libc.so.6:rodata"}),
              (Pieces{"11:7ffff7c00000-7ffff7c28000=0", "13:7ffff7dbd000-7ffff7e15000=0"}));
    EXPECT_EQ(m.plan({"libm.so.6:text"}), (Pieces{"17:7ffff7f00000-7ffff7f10000=0"}));
    EXPECT_EQ(m.plan({"prog:text"}), (Pieces{"1:555555555000-555555556000=0"}));
    EXPECT_EQ(m.plan({"prog:bss"}), (Pieces{"5:555555559000-55555555a000=0"}));
    // OBJECT is the file's last component, whole.
    for (const char* none :
         {"libc:text", "libc.so.6:", "x86_64-linux-gnu/libc.so.6:text",
          "/usr/lib/x86_64-linux-gnu/libc.so.6:text", "libm.so.6:data", ":text"}) {
        EXPECT_EQ(m.plan({none}), Pieces{}) << none;
        EXPECT_EQ(m.last.matched_nothing, Indices{0}) << none;
    }
}

TEST(Picks, KernelPwndbgAndThreadNames) {
    const Map m;
    EXPECT_EQ(m.plan({"[anon_7ffff7000]"}), (Pieces{"7:7ffff7000000-7ffff7200000=0"}));
    EXPECT_EQ(m.plan({"stack tid=101"}), (Pieces{"9:7ffff7201000-7ffff7a01000=0"}));
    EXPECT_EQ(m.plan({"[vdso]"}), (Pieces{"19:7ffff7fc5000-7ffff7fc7000=0"}));
    EXPECT_EQ(m.plan({"stack tid=102"}), Pieces{});
    EXPECT_EQ(m.last.matched_nothing, Indices{0});
}

TEST(Picks, GuardsVvarAndVsyscallAreNeverPicked) {
    const Map m;
    EXPECT_EQ(m.plan({"guard tid=101", "[vvar]", "[vsyscall]", "7ffff7200000", "0x7ffff7fc1000:16K",
                      "0xffffffffff600000", "0xffffffffff600000:4K"}),
              Pieces{});
    EXPECT_EQ(m.last.matched_nothing, (Indices{0, 1, 2, 3, 4, 5, 6}));
    // A range across the guard page picks the rows around it, not the guard.
    EXPECT_EQ(m.plan({"0x7ffff71ff000:12K"}),
              (Pieces{"7:7ffff71ff000-7ffff7200000=0", "9:7ffff7201000-7ffff7202000=0"}));
}

TEST(Picks, AnAddressAloneIsTheWholeRowThatHoldsIt) {
    const Map m;
    EXPECT_EQ(m.plan({"0x55555556a000"}), (Pieces{"6:55555555a000-55555557b000=0"}));
    EXPECT_EQ(m.plan({"7ffff7c28000"}), (Pieces{"12:7ffff7c28000-7ffff7dbd000=0"}));
    // In a hole: no row.
    EXPECT_EQ(m.plan({"0x7ffff7b01000"}), Pieces{});
    EXPECT_EQ(m.last.matched_nothing, Indices{0});
}

TEST(Picks, AnAddressRangeIsCutToTheRowsItCovers) {
    const Map m;
    // Within one row, its pages rounded up.
    EXPECT_EQ(m.plan({"0x55555555b000:5000"}), (Pieces{"6:55555555b000-55555555d000=0"}));
    // Across adjacent rows: one piece a row.
    EXPECT_EQ(m.plan({"0x555555555000:8K"}),
              (Pieces{"1:555555555000-555555556000=0", "2:555555556000-555555557000=0"}));
    // Into a hole, and across it into the next row: the hole is no piece.
    EXPECT_EQ(m.plan({"0x7ffff7b00000:1M"}), (Pieces{"10:7ffff7b00000-7ffff7b01000=0"}));
    EXPECT_EQ(m.plan({"0x7ffff7b00000:1028K"}),
              (Pieces{"10:7ffff7b00000-7ffff7b01000=0", "11:7ffff7c00000-7ffff7c01000=0"}));
    // Wholly in a hole.
    EXPECT_EQ(m.plan({"0x7ffff7b01000:64K"}), Pieces{});
    EXPECT_EQ(m.last.matched_nothing, Indices{0});
}

// ---- precedence -----------------------------------------------------------------------------

TEST(Precedence, AddressOverNameOverSharingWhateverTheOrder) {
    const Map m;
    const Pieces heap_rows = {
        "6:55555555a000-55555555c000=N",
        "6:55555555c000-55555555e000=A",
        "6:55555555e000-55555557b000=N",
    };
    const auto with = [](Pieces p, std::size_t name, std::size_t address) {
        for (std::string& s : p) {
            if (s.back() == 'N') s.back() = static_cast<char>('0' + name);
            if (s.back() == 'A') s.back() = static_cast<char>('0' + address);
        }
        return p;
    };
    const Pieces in_order = m.plan({"private", "heap", "0x55555555c000:8K"});
    ASSERT_EQ(in_order.size(), 20u);
    EXPECT_EQ(Pieces(in_order.begin() + 6, in_order.begin() + 9), with(heap_rows, 1, 2));
    EXPECT_EQ(in_order[5], "5:555555559000-55555555a000=0");
    EXPECT_EQ(in_order[9], "7:7ffff7000000-7ffff7200000=0");

    const Pieces reversed = m.plan({"0x55555555c000:8K", "heap", "private"});
    ASSERT_EQ(reversed.size(), 20u);
    EXPECT_EQ(Pieces(reversed.begin() + 6, reversed.begin() + 9), with(heap_rows, 1, 0));
    EXPECT_EQ(reversed[5], "5:555555559000-55555555a000=2");

    // A segment name and a thread's stack are names too: over private, under an address.
    EXPECT_EQ(m.plan({"0x7ffff7c28000:4K", "libc.so.6:text", "private"})[10],
              "12:7ffff7c28000-7ffff7c29000=0");
    EXPECT_EQ(m.plan({"0x7ffff7c28000:4K", "libc.so.6:text", "private"})[11],
              "12:7ffff7c29000-7ffff7dbd000=1");
    EXPECT_EQ(m.plan({"stack tid=101", "private"})[8], "9:7ffff7201000-7ffff7a01000=0");
    EXPECT_EQ(m.plan({"shared", "0x7ffff7a01000"}), (Pieces{"10:7ffff7a01000-7ffff7b01000=1"}));
    EXPECT_EQ(m.plan({"0x7ffff7a01000", "shared"}), (Pieces{"10:7ffff7a01000-7ffff7b01000=0"}));
}

TEST(Precedence, OfTwoOfOneKindTheLaterWins) {
    const Map m;
    EXPECT_EQ(m.plan({"heap", "[heap]"}), (Pieces{"6:55555555a000-55555557b000=1"}));
    EXPECT_EQ(m.plan({"[heap]", "heap"}), (Pieces{"6:55555555a000-55555557b000=1"}));
    EXPECT_EQ(m.plan({"shared", "shared"}), (Pieces{"10:7ffff7a01000-7ffff7b01000=1"}));
    EXPECT_EQ(m.plan({"0x55555555a000:8K", "0x55555555b000:8K"}),
              (Pieces{"6:55555555a000-55555555b000=0", "6:55555555b000-55555555d000=1"}));
    EXPECT_EQ(m.plan({"0x55555555b000:8K", "0x55555555a000:8K"}),
              (Pieces{"6:55555555a000-55555555c000=1", "6:55555555c000-55555555d000=0"}));
    // A range inside a later one's is all the later one's, in one piece.
    EXPECT_EQ(m.plan({"0x55555555b000:4K", "0x55555555a000:16K"}),
              (Pieces{"6:55555555a000-55555555e000=1"}));
    // The whole row that holds an address and a range in it are both addresses.
    EXPECT_EQ(m.plan({"0x55555555b000:4K", "0x55555555a000"}),
              (Pieces{"6:55555555a000-55555557b000=1"}));
    EXPECT_EQ(m.plan({"0x55555555a000", "0x55555555b000:4K"}),
              (Pieces{"6:55555555a000-55555555b000=0", "6:55555555b000-55555555c000=1",
                      "6:55555555c000-55555557b000=0"}));
}

TEST(Precedence, ASelectorThatLosesEveryByteStillMatched) {
    const Map m;
    EXPECT_EQ(m.plan({"heap", "0x55555555a000"}), (Pieces{"6:55555555a000-55555557b000=1"}));
    EXPECT_TRUE(m.last.matched_nothing.empty());
    EXPECT_EQ(m.plan({"heap", "nosuch", "[nosuch]"}), (Pieces{"6:55555555a000-55555557b000=0"}));
    EXPECT_EQ(m.last.matched_nothing, (Indices{1, 2}));
}

}  // namespace
}  // namespace vmatlas
