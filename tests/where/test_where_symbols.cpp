// Symbols and lines of the test's own program and library, built in every variant
// (where_support.hpp) and read as ELF images at base 0, so that an address is the file's own vaddr:
// every function's address resolves to its name at offset 0 with the right symbol source, and every
// byte of every function to the frames addr2line -fi and llvm-symbolizer print for it. readelf's
// symbol tables and the peers' outputs are the truth; the peers are compared with each other too.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "vmatlas/where.hpp"
#include "where/where_support.hpp"

namespace wheretest {
namespace {

using vmatlas::Locator;
using vmatlas::SymbolMatch;
using vmatlas::SymbolSource;
using vmatlas::WhereAnswer;

struct Image {
    vmatlas::NamedMap map;
    std::unique_ptr<Locator> where;
};

Image open_image(const std::string& file) {
    auto map = vmatlas::open_named_map(file, {.base = 0});
    if (!map) throw std::runtime_error(file + ": " + map.error().message);
    Image img{std::move(*map), nullptr};
    img.where = std::make_unique<Locator>(img.map);
    return img;
}

// The symbols each variant's answers come from (functions, objects and labels), and where.
struct Expect {
    std::vector<Sym> syms;
    SymbolSource source;
};

Expect expected_symbols(Variant v, const std::string& file) {
    switch (v) {
        case Variant::Debug:
        case Variant::NoDebug:
            return {functions(file, false, false), SymbolSource::Symtab};
        case Variant::DebugLink:
            return {functions(file + ".debug", false, false), SymbolSource::Symtab};
        case Variant::Stripped:
        case Variant::MiniDebugInfo:  // .dynsym's, and the MiniDebugInfo's: see the test
            return {functions(file, true, false), SymbolSource::Dynsym};
    }
    return {};
}

class WhereSymbols : public ::testing::TestWithParam<Variant> {};

TEST_P(WhereSymbols, EveryFunctionAtOffsetZero) {
    const Variant v = GetParam();
    const Built& b = build(v);
    for (const std::string& file : {b.exe, b.lib}) {
        SCOPED_TRACE(file);
        Image img = open_image(file);
        std::vector<Sym> syms;
        SymbolSource source = SymbolSource::Symtab;
        if (v == Variant::MiniDebugInfo) {
            // .dynsym's functions, then the MiniDebugInfo's: readelf of the unpacked section.
            must_run({"objcopy", "--dump-section", ".gnu_debugdata=" + file + ".mdi.xz", file});
            must_run({"xz", "--decompress", "--force", file + ".mdi.xz"});
            for (const Sym& s : functions(file, true, false)) syms.push_back(s);
            const std::size_t exported = syms.size();
            for (Sym s : functions(file + ".mdi", false, false)) {
                s.index += 1'000'000;  // after .dynsym's, in the order libdwfl reads them
                syms.push_back(s);
            }
            EXPECT_GT(syms.size(), exported) << "the MiniDebugInfo holds the local functions";
        } else {
            Expect e = expected_symbols(v, file);
            syms = std::move(e.syms);
            source = e.source;
        }
        // A stripped program exports no function of its own (the library does).
        if (file == b.lib) {
            ASSERT_FALSE(syms.empty());
        }
        std::map<std::uint64_t, std::vector<const Sym*>> by_addr;
        for (const Sym& s : syms) by_addr[s.value].push_back(&s);
        std::size_t checked = 0;
        WhereAnswer a;
        for (const auto& [addr, at] : by_addr) {
            const Sym& want = preferred(at);
            img.where->locate(addr, a);
            SCOPED_TRACE(fmt::format("{} at {:#x}", want.name, addr));
            ASSERT_TRUE(a.row);
            EXPECT_EQ(a.elf_vaddr, addr);
            EXPECT_EQ(a.symbol.name, want.name);
            EXPECT_EQ(a.symbol.offset, 0u);
            EXPECT_EQ(a.symbol.size, want.size);
            EXPECT_EQ(a.symbol.match, want.size == 0 ? SymbolMatch::Label : SymbolMatch::Inside);
            if (v == Variant::MiniDebugInfo)
                EXPECT_EQ(a.symbol.source, want.index >= 1'000'000 ? SymbolSource::MiniDebugInfo
                                                                   : SymbolSource::Dynsym);
            else
                EXPECT_EQ(a.symbol.source, source);
            ++checked;
        }
        EXPECT_EQ(checked, by_addr.size());
    }
}

// A stripped object's internal function resolves to the nearest exported symbol below it, said
// to be such.
TEST(WhereSymbols, StrippedLocalIsTheNearestExported) {
    const Built& debug = build(Variant::Debug);
    const Built& stripped = build(Variant::Stripped);
    const auto all = functions(debug.lib, false);
    const auto exported = functions(stripped.lib, true);
    auto hidden = std::find_if(all.begin(), all.end(),
                               [](const Sym& s) { return s.name == "where_lib_hidden"; });
    ASSERT_NE(hidden, all.end());
    // The exported symbol just below it, and whether it reaches the address.
    const Sym* below = nullptr;
    for (const Sym& s : exported)
        if (s.value <= hidden->value && (!below || s.value > below->value)) below = &s;
    Image img = open_image(stripped.lib);
    WhereAnswer a;
    img.where->locate(hidden->value + 1, a);
    ASSERT_NE(below, nullptr);
    EXPECT_EQ(a.symbol.name, below->name);
    EXPECT_EQ(a.symbol.offset, hidden->value + 1 - below->value);
    EXPECT_EQ(a.symbol.source, SymbolSource::Dynsym);
    EXPECT_EQ(a.symbol.match, below->size == 0 ? SymbolMatch::Label : SymbolMatch::Nearest);
}

INSTANTIATE_TEST_SUITE_P(Variants, WhereSymbols, ::testing::ValuesIn(kVariants),
                         [](const auto& info) { return to_string(info.param); });

// ---- lines and inlined calls against the peers -----------------------------------------------

std::vector<PeerFrame> ours(const WhereAnswer& a) {
    std::vector<PeerFrame> out;
    for (const vmatlas::SourceFrame& f : a.frames)
        out.push_back({f.function.empty() ? "??" : std::string(f.function),
                       f.file.empty() ? "??" : std::string(f.file), f.line});
    if (out.empty()) {
        // No line information: the peers print the symbol, and "??:0".
        const std::string name = a.symbol.found() && a.symbol.match != SymbolMatch::Nearest
                                     ? std::string(a.symbol.name)
                                     : "??";
        const std::string file = a.symbol.file.empty() ? "??" : std::string(a.symbol.file);
        out.push_back({name, name == "??" ? "??" : file, 0});
    }
    return out;
}

class WhereLines : public ::testing::TestWithParam<Variant> {};

TEST_P(WhereLines, EveryByteAsAddr2lineAndLlvmSymbolizer) {
    const Variant v = GetParam();
    const Built& b = build(v);
    for (const std::string& file : {b.exe, b.lib}) {
        SCOPED_TRACE(file);
        Image img = open_image(file);
        // Every byte of every function the full symbol table knows.
        const std::string table = v == Variant::DebugLink ? file + ".debug" : file;
        std::vector<std::uint64_t> vaddrs;
        for (const Sym& s : functions(table, false))
            for (std::uint64_t k = 0; k < s.size; ++k) vaddrs.push_back(s.value + k);
        std::sort(vaddrs.begin(), vaddrs.end());
        vaddrs.erase(std::unique(vaddrs.begin(), vaddrs.end()), vaddrs.end());
        ASSERT_GT(vaddrs.size(), 50u);
        const auto gnu = addr2line(file, vaddrs);
        const auto llvm = llvm_symbolizer(file, vaddrs);
        ASSERT_EQ(gnu.size(), vaddrs.size());
        ASSERT_EQ(llvm.size(), vaddrs.size());
        std::size_t peers_differ = 0, equal_both = 0;
        WhereAnswer a;
        for (std::size_t k = 0; k < vaddrs.size(); ++k) {
            img.where->locate(vaddrs[k], a);
            const auto mine = ours(a);
            SCOPED_TRACE(fmt::format("{:#x}: ours {}; addr2line {}; llvm-symbolizer {}", vaddrs[k],
                                     describe(mine), describe(gnu[k]), describe(llvm[k])));
            if (gnu[k] == llvm[k]) {
                EXPECT_EQ(mine, gnu[k]);
                equal_both += mine == gnu[k];
            } else {
                // Where the peers disagree, vmatlas names functions by DWARF, as addr2line; between
                // aliases in a symbol table, its rule picks one of theirs (addr2line takes the
                // first in the table, llvm-symbolizer the last).
                ++peers_differ;
                if (!a.frames.empty())
                    EXPECT_EQ(mine, gnu[k]);
                else
                    EXPECT_TRUE(mine == gnu[k] || mine == llvm[k]);
            }
        }
        EXPECT_EQ(equal_both + peers_differ, vaddrs.size());
        // They differ where llvm-symbolizer names a function by the symbol table (a clone's
        // "where_local.constprop.0", a label before code whose DWARF is in a debuglink file)
        // and addr2line, as vmatlas, by DWARF.
        if (peers_differ > 0)
            std::printf("%s: addr2line and llvm-symbolizer differ on %zu of %zu addresses\n",
                        file.c_str(), peers_differ, vaddrs.size());
    }
}

INSTANTIATE_TEST_SUITE_P(Variants, WhereLines,
                         ::testing::Values(Variant::Debug, Variant::NoDebug, Variant::DebugLink),
                         [](const auto& info) { return to_string(info.param); });

}  // namespace
}  // namespace wheretest

namespace wheretest {
namespace {

// A function the linker dropped (--gc-sections) keeps its DWARF, its range moved to vaddr 0: over
// the ELF headers. addr2line says ?? there; vmatlas asks DWARF about code sections only.
TEST(WhereLines, DroppedFunctionsDwarfDoesNotNameTheHeaders) {
    static TempDir dir("vmatlas where gc");
    const std::string src = dir / "dropped.c", exe = dir / "dropped";
    elftest::write_text(src,
                        "int where_dropped(int x) { return x * 7 + 3; }\n"
                        "int main(void) { return 0; }\n");
    must_run({"cc", "-g", "-O2", "-ffunction-sections", "-Wl,--gc-sections", "-o", exe, src});
    // The premise: the dropped function's DWARF claims vaddr 4 (llvm-symbolizer believes it).
    const auto llvm = llvm_symbolizer(exe, {4});
    ASSERT_EQ(llvm.size(), 1u);
    ASSERT_EQ(llvm[0].at(0).function, "where_dropped");
    const auto gnu = addr2line(exe, {4});
    ASSERT_EQ(gnu.size(), 1u);
    EXPECT_EQ(gnu[0].at(0).function, "??");
    Image img = open_image(exe);
    WhereAnswer a;
    img.where->locate(4, a);
    ASSERT_TRUE(a.row);
    EXPECT_EQ(a.elf_vaddr, 4u);
    EXPECT_TRUE(a.frames.empty());
    EXPECT_FALSE(a.symbol.found()) << a.symbol.name;
    // main, in .text, still has its line.
    auto main_addr = img.where->resolve("main");
    ASSERT_TRUE(main_addr.ok()) << main_addr.error().message;
    img.where->locate(*main_addr, a);
    ASSERT_FALSE(a.frames.empty());
    EXPECT_EQ(a.frames[0].function, "main");
    EXPECT_EQ(a.frames[0].line, 2u);
}

}  // namespace
}  // namespace wheretest
