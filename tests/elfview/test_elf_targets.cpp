// ELF images as targets of every view, and the map by sections (--sections). The test builds, with
// the system compiler, a PIE program with thread-local data (so .tdata and .tbss), a -no-pie
// program, a shared object, and a bare-metal-like static program whose .text is at address 0;
// then checks:
//  - --sections against `readelf -SW` of the same file: one row per allocated section with a
//    size (a .tbss excepted), at base + sh_addr with sh_size bytes exactly, permissions from the
//    flags (A r, W w, X x), the file offset (0 and no file for NOBITS, whose object is the file),
//    named by the section, at the default base, at a given one and at one that is not
//    page-aligned; in the default view, `vmatlas elf --sections` and the library alike;
//  - the bare-metal point of --sections: an address past .rodata in the first page is mapped by
//    segments and not by sections;
//  - --base for every view (default, pmap, mappings, summary); a base that is not page-aligned is
//    a usage error by segments in every view; --base on an ET_EXEC is ignored with a warning;
//  - the default view, pmap and --json on an ELF target show the rows `vmatlas elf` predicts;
//  - hostile files: cut inside the section header table, the table moved past the end, a
//    section's bytes past the end, overlapping sections, no section headers, a relocatable
//    object: one sentence each and the documented exit status.
#include <elf.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <regex>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "elf/support.hpp"
#include "support/run.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/elf_image.hpp"

namespace {

using namespace elftest;
using nlohmann::json;

constexpr std::string_view kLibSource = R"(
char lib_big[1 << 16];
int lib_data = 42;
const char lib_ro[64] = "read-only data of the library";
__thread int lib_tls_zero;
__thread int lib_tls_one = 1;
int lib_fn(void) { return lib_big[lib_data] + lib_ro[3] + lib_tls_zero + lib_tls_one; }
)";

constexpr std::string_view kProgSource = R"(
char prog_big[1 << 16];
int prog_data = 7;
const char prog_ro[64] = "read-only data of the program";
__thread int prog_tls_zero;
__thread int prog_tls_one = 1;
int main(void) { return prog_big[prog_data] + prog_ro[1] + prog_tls_zero + prog_tls_one; }
)";

// No C library, no start files: what a bare-metal image looks like, with .text linked at 0.
constexpr std::string_view kBareSource = R"(
const char message[] = "bare";
int counter = 1;
char zeros[4096];
void _start(void) { zeros[counter] = message[0]; for (;;) __asm__ volatile("" ::: "memory"); }
)";

struct Built {
    TempDir dir{"vmatlas elf targets"};
    std::string root, pie, nopie, lib, bare, lib_c;

    Built() {
        root = fs::canonical(dir.path()).string();
        lib_c = root + "/lib.c";
        const std::string prog_c = root + "/prog.c", bare_c = root + "/bare.c";
        write_text(lib_c, kLibSource);
        write_text(prog_c, kProgSource);
        write_text(bare_c, kBareSource);
        pie = root + "/prog pie";
        nopie = root + "/prog-nopie";
        lib = root + "/libsec.so";
        bare = root + "/bare";
        must_run({"cc", "-O1", "-fPIE", "-pie", "-o", pie, prog_c});
        must_run({"cc", "-O1", "-fno-pie", "-no-pie", "-o", nopie, prog_c});
        must_run({"cc", "-O1", "-shared", "-fPIC", "-o", lib, lib_c});
        must_run({"cc", "-Os", "-nostdlib", "-static", "-fno-asynchronous-unwind-tables",
                  "-Wl,-z,noseparate-code", "-Wl,-Ttext=0x0", "-Wl,--build-id=none", "-o", bare,
                  bare_c});
    }

    std::vector<std::string> all() const { return {pie, nopie, lib, bare}; }
};

Built& built() {
    static Built b;
    return b;
}

// ---- running the CLI ---------------------------------------------------------------------------

using CliRun = vmtest::RunResult;
using vmtest::vmatlas;

json run_json(const std::vector<std::string>& args) {
    const CliRun r = vmatlas(args);
    if (r.status != 0)
        throw std::runtime_error(
            fmt::format("vmatlas {} failed ({}): {}", fmt::join(args, " "), r.status, r.err));
    return json::parse(r.out);
}

std::uint64_t hex_of(const json& j) {
    return parse_hex(j.get<std::string>());
}

// ---- readelf -SW, parsed -----------------------------------------------------------------------

struct ReadelfSection {
    std::size_t index = 0;
    std::string name, type, flags;
    std::uint64_t addr = 0, offset = 0, size = 0;
};

std::vector<ReadelfSection> readelf_sections(const std::string& file) {
    const std::string text = must_run({"readelf", "-SW", file});
    // [Nr] Name Type Address Off Size ES Flg Lk Inf Al; Flg may be empty, Name too ([0]).
    static const std::regex row(
        R"(^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+)"
        R"([0-9a-f]+\s+([A-Za-z]*)\s+\d+\s+\d+\s+\d+\s*$)");
    std::vector<ReadelfSection> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (!std::regex_match(line, m, row)) continue;
        out.push_back({std::stoul(m[1]), m[2], m[3], m[7], parse_hex(m[4].str()),
                       parse_hex(m[5].str()), parse_hex(m[6].str())});
    }
    if (out.empty()) throw std::runtime_error("readelf -SW listed no section of " + file);
    return out;
}

struct Row {
    std::uint64_t start = 0, end = 0, offset = 0;
    std::string perms, name, path, object;
    friend bool operator==(const Row&, const Row&) = default;
};

std::string describe(const std::vector<Row>& rows) {
    std::string s;
    for (const Row& r : rows)
        s += fmt::format("  {:#x}-{:#x} {} {:#x} {} [{}] [{}]\n", r.start, r.end, r.perms, r.offset,
                         r.name, r.path, r.object);
    return s;
}

// What --sections must show at base: from readelf alone.
std::vector<Row> expected_rows(const std::string& file, std::uint64_t base) {
    std::vector<Row> out;
    for (const ReadelfSection& s : readelf_sections(file)) {
        const bool alloc = s.flags.find('A') != std::string::npos;
        const bool tls = s.flags.find('T') != std::string::npos;
        const bool nobits = s.type == "NOBITS";
        if (!alloc || s.size == 0 || (tls && nobits)) continue;
        Row r;
        r.start = base + s.addr;
        r.end = r.start + s.size;
        r.perms = fmt::format("r{}{}p", s.flags.find('W') != std::string::npos ? 'w' : '-',
                              s.flags.find('X') != std::string::npos ? 'x' : '-');
        r.offset = nobits ? 0 : s.offset;
        r.name = s.name;
        r.path = nobits ? "" : file;
        r.object = nobits ? file : "";
        out.push_back(r);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Row& a, const Row& b) { return a.start < b.start; });
    return out;
}

std::vector<Row> rows_of(const json& map) {
    std::vector<Row> out;
    for (const json& m : map.at("mappings")) {
        EXPECT_EQ(m.at("name_source"), "elf");
        EXPECT_EQ(m.at("size").get<std::uint64_t>(), hex_of(m.at("end")) - hex_of(m.at("start")));
        out.push_back({hex_of(m.at("start")), hex_of(m.at("end")), m.at("offset"), m.at("perms"),
                       m.at("name"), m.at("path"), m.at("object")});
    }
    return out;
}

void expect_rows(const std::vector<Row>& got, const std::vector<Row>& want) {
    ASSERT_EQ(got.size(), want.size()) << "got:\n" << describe(got) << "want:\n" << describe(want);
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_EQ(got[i], want[i]) << "row " << i << "\ngot:\n"
                                   << describe({got[i]}) << "want:\n"
                                   << describe({want[i]});
}

// Where the first PT_LOAD's page is, relative to the base.
std::uint64_t first_load(const std::string& file) {
    for (const Phdr& p : readelf_program_headers(file).phdrs)
        if (p.type == "LOAD") return page_down(p.vaddr);
    throw std::runtime_error("no PT_LOAD in " + file);
}

// A copy of `file` changed by `edit`, in the scratch directory.
std::string damaged(const std::string& file, const std::string& name,
                    const std::function<void(std::string&)>& edit) {
    std::string bytes = slurp(file);
    edit(bytes);
    const std::string out = built().dir / name;
    write_text(out, bytes);
    return out;
}

template <typename T>
T get(const std::string& b, std::size_t at) {
    T v;
    if (at + sizeof v > b.size()) throw std::runtime_error("read past the end");
    std::memcpy(&v, b.data() + at, sizeof v);
    return v;
}

template <typename T>
void put(std::string& b, std::size_t at, T v) {
    if (at + sizeof v > b.size()) throw std::runtime_error("write past the end");
    std::memcpy(b.data() + at, &v, sizeof v);
}

// Offset of section i's header in a 64-bit little-endian file (these tests build only those).
std::size_t shdr_at(const std::string& b, std::size_t i) {
    return get<std::uint64_t>(b, offsetof(Elf64_Ehdr, e_shoff)) + i * sizeof(Elf64_Shdr);
}

std::size_t index_of(const std::string& file, std::string_view name) {
    for (const ReadelfSection& s : readelf_sections(file))
        if (s.name == name) return s.index;
    throw std::runtime_error(fmt::format("no section {} in {}", name, file));
}

// ---- --sections against readelf ---------------------------------------------------------------

TEST(ElfSections, EveryRowIsAnAllocatedSectionAsReadelfListsIt) {
    const Built& b = built();
    struct Case {
        std::string file;
        std::uint64_t default_base;
    };
    const Case cases[] = {
        {b.pie, vmatlas::kPieBase}, {b.nopie, 0}, {b.lib, vmatlas::kSharedBase}, {b.bare, 0}};
    for (const Case& c : cases) {
        SCOPED_TRACE(c.file);
        const auto want = expected_rows(c.file, c.default_base);
        ASSERT_FALSE(want.empty());
        // The default view and vmatlas elf show the same map.
        expect_rows(rows_of(run_json({"--sections", c.file, "--json"})), want);
        const json elf = run_json({"elf", "--sections", c.file, "--json"});
        EXPECT_EQ(elf.at("map_by"), "sections");
        EXPECT_EQ(hex_of(elf.at("base")), c.default_base);
        expect_rows(rows_of(elf.at("map")), want);
    }
}

TEST(ElfSections, AtAGivenBaseEvenOneThatIsNotPageAligned) {
    const Built& b = built();
    for (const std::string& file : {b.pie, b.lib}) {
        SCOPED_TRACE(file);
        for (const std::uint64_t base : {std::uint64_t{0x10000000}, std::uint64_t{0x12345}}) {
            const std::string text = fmt::format("{:#x}", base);
            expect_rows(rows_of(run_json({"--sections", "--base", text, file, "--json"})),
                        expected_rows(file, base));
            const json elf = run_json({"elf", "--sections", "--base", text, file, "--json"});
            EXPECT_EQ(elf.at("base"), text);
            EXPECT_EQ(elf.at("base_source"), "given");
        }
    }
}

TEST(ElfSections, TlsBssTakesNoAddressesAndTlsDataDoes) {
    const Built& b = built();
    const json j = run_json({"--sections", b.pie, "--json"});
    bool tdata = false;
    for (const json& m : j.at("mappings")) {
        EXPECT_NE(m.at("name"), ".tbss");
        tdata |= m.at("name") == ".tdata";
    }
    EXPECT_TRUE(tdata);
    // The .tbss is really there, at the addresses of the sections after it.
    bool tbss = false;
    for (const ReadelfSection& s : readelf_sections(b.pie)) tbss |= s.name == ".tbss";
    EXPECT_TRUE(tbss);
}

TEST(ElfSections, LibraryImageKeepsTheInvariants) {
    for (const std::string& file : built().all()) {
        SCOPED_TRACE(file);
        vmatlas::ElfImageOptions options;
        options.by_sections = true;
        auto image = vmatlas::load_elf_image(file, options);
        ASSERT_TRUE(image) << image.error().message;
        EXPECT_TRUE(image->by_sections);
        EXPECT_TRUE(vmatlas::check_invariants(image->space).empty());
        EXPECT_FALSE(image->space.incomplete());
        ASSERT_EQ(image->notes.labels.size(), image->space.size());
        vmatlas::assign_roles(image->space, image->notes);
        ASSERT_EQ(image->notes.roles.size(), image->space.size());
        for (std::size_t i = 0; i < image->space.size(); ++i) {
            const auto& label = image->notes.labels[i];
            EXPECT_TRUE(label.name.starts_with(".")) << label.name;
            EXPECT_EQ(label.source, vmatlas::NameSource::Elf);
            // .text is code, .data data, .rodata read-only: roles follow the permissions.
            if (label.name == ".text") {
                EXPECT_EQ(image->notes.roles[i], vmatlas::Role::Code);
            }
            if (label.name == ".data") {
                EXPECT_EQ(image->notes.roles[i], vmatlas::Role::Data);
            }
            if (label.name == ".rodata") {
                EXPECT_EQ(image->notes.roles[i], vmatlas::Role::Rodata);
            }
        }
        EXPECT_TRUE(image->notes.warnings.empty());
    }
}

// pwndbg's reason for sections: with a segment at 0, every small value looks mapped.
TEST(ElfSections, BareMetalSmallValuesAreNotMappedBySections) {
    const Built& b = built();
    std::uint64_t rodata_end = 0;
    for (const ReadelfSection& s : readelf_sections(b.bare))
        if (s.name == ".rodata") rodata_end = s.addr + s.size;
    ASSERT_GT(rodata_end, 0u);
    ASSERT_LT(rodata_end + 0x10, kPage);
    const std::string probe = fmt::format("{:#x}", rodata_end + 0x10);
    EXPECT_EQ(vmatlas({b.bare, probe}).status, 0);  // by segments: the first page holds it
    const CliRun r = vmatlas({"--sections", b.bare, probe});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("no mapping contains " + probe), std::string::npos) << r.err;
    // And the text at 0 is a row of its own.
    const CliRun at0 = vmatlas({"--sections", b.bare, "0x0", "-C", "0"});
    EXPECT_EQ(at0.status, 0) << at0.err;
    EXPECT_NE(at0.out.find(".text"), std::string::npos) << at0.out;
}

TEST(ElfSections, TextViewsShowSectionNames) {
    const Built& b = built();
    const CliRun elf = vmatlas({"elf", "--sections", b.lib});
    ASSERT_EQ(elf.status, 0) << elf.err;
    EXPECT_NE(elf.out.find("Program Header[0]"), std::string::npos);  // the headers stay
    EXPECT_NE(elf.out.find("\nMap by allocated sections, at base 0x7ffff7c00000 (the default for "
                           "a shared object):\n"),
              std::string::npos)
        << elf.out;
    const CliRun nopie = vmatlas({"elf", "--sections", b.nopie});
    EXPECT_NE(nopie.out.find("\nMap by allocated sections, at their own addresses (ET_EXEC):\n"),
              std::string::npos)
        << nopie.out;

    const CliRun pmap = vmatlas({"pmap", "--sections", b.lib});
    ASSERT_EQ(pmap.status, 0) << pmap.err;
    EXPECT_NE(pmap.out.find("[ .text ]"), std::string::npos) << pmap.out;
    EXPECT_NE(pmap.out.find("[ .bss ]"), std::string::npos) << pmap.out;
    const CliRun mappings = vmatlas({"mappings", "--sections", b.lib});
    ASSERT_EQ(mappings.status, 0) << mappings.err;
    EXPECT_NE(mappings.out.find("[ .data ]"), std::string::npos) << mappings.out;

    // Summary: the sections' sizes add up, nothing rounded to pages.
    std::uint64_t total = 0;
    for (const Row& r : expected_rows(b.lib, 0)) total += r.end - r.start;
    const json summary = run_json({"summary", "--sections", b.lib, "--json"});
    EXPECT_EQ(summary.at("total").at("virtual"), total);
}

// ---- --base in every view, by segments ----------------------------------------------------------

TEST(ElfTargets, BaseIsUsedByEveryView) {
    const Built& b = built();
    const std::uint64_t base = 0x10000000;
    const std::string text = fmt::format("{:#x}", base);
    const std::uint64_t first = first_load(b.lib);

    const json dflt = run_json({"--base", text, b.lib, "--json"});
    EXPECT_EQ(hex_of(dflt.at("mappings").at(0).at("start")), base + first);
    const json pmap = run_json({"pmap", "--base", text, b.lib, "--json"});
    EXPECT_EQ(hex_of(pmap.at("mappings").at(0).at("start")), base + first);
    const CliRun pmap_text = vmatlas({"pmap", "--base", text, b.lib});
    EXPECT_NE(pmap_text.out.find(fmt::format("\n{:X} ", base + first)), std::string::npos)
        << pmap_text.out;
    const CliRun mappings = vmatlas({"mappings", "--base", text, b.lib});
    EXPECT_NE(mappings.out.find(fmt::format("\n{:x} ", base + first)), std::string::npos)
        << mappings.out;
    // Summary shows no addresses but its largest hole: by sections there are holes between
    // them, and the largest moves with the base.
    EXPECT_EQ(run_json({"summary", "--base", text, b.lib, "--json"}).at("total"),
              run_json({"summary", b.lib, "--json"}).at("total"));
    const json moved = run_json({"summary", "--sections", "--base", text, b.lib, "--json"});
    const json at_default = run_json({"summary", "--sections", b.lib, "--json"});
    ASSERT_NE(at_default.at("largest_hole"), 0);
    EXPECT_EQ(moved.at("largest_hole"), at_default.at("largest_hole"));
    EXPECT_EQ(hex_of(moved.at("largest_hole_start")) - base,
              hex_of(at_default.at("largest_hole_start")) - vmatlas::kSharedBase);
}

TEST(ElfTargets, BaseNotPageAlignedIsAUsageErrorBySegmentsInEveryView) {
    const Built& b = built();
    const std::vector<std::vector<std::string>> commands = {
        {"--base", "0x12345", b.lib},
        {"pmap", "--base", "0x12345", b.lib},
        {"mappings", "--base", "0x12345", b.lib},
        {"summary", "--base", "0x12345", b.lib},
        {"elf", "--base", "0x12345", b.lib},
    };
    for (const auto& args : commands) {
        SCOPED_TRACE(fmt::format("{}", fmt::join(args, " ")));
        const CliRun r = vmatlas(args);
        EXPECT_EQ(r.status, 2);
        EXPECT_TRUE(r.out.empty()) << r.out;
        EXPECT_NE(r.err.find("base 0x12345 is not a multiple of the"), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        // The same with --sections is fine.
        std::vector<std::string> with = args;
        with.insert(with.begin() + (args[0] == "--base" ? 0 : 1), "--sections");
        EXPECT_EQ(vmatlas(with).status, 0);
    }
}

TEST(ElfTargets, BaseOnAnExecutableIsIgnoredWithAWarning) {
    const Built& b = built();
    for (const bool sections : {false, true}) {
        SCOPED_TRACE(sections);
        std::vector<std::string> args = {"--base", "0x10000000", b.nopie, "--json"};
        std::vector<std::string> plain = {b.nopie, "--json"};
        if (sections) {
            args.insert(args.begin(), "--sections");
            plain.insert(plain.begin(), "--sections");
        }
        const CliRun r = vmatlas(args);
        EXPECT_EQ(r.status, 0);
        EXPECT_NE(r.err.find(b.nopie + " is ET_EXEC: it loads at the addresses its program "
                                       "headers give, whatever base is asked for"),
                  std::string::npos)
            << r.err;
        EXPECT_EQ(json::parse(r.out).at("mappings"), run_json(plain).at("mappings"));
    }
    // vmatlas elf: the same warning, whatever the base (it need not even be page-aligned).
    const CliRun elf = vmatlas({"elf", "--base", "0x10000001", b.nopie});
    EXPECT_EQ(elf.status, 0);
    EXPECT_NE(elf.err.find("is ET_EXEC"), std::string::npos) << elf.err;
}

TEST(ElfTargets, ViewsOfAnElfTargetShowThePredictedMap) {
    const Built& b = built();
    for (const std::string& file : {b.pie, b.lib}) {
        SCOPED_TRACE(file);
        const json elf = run_json({"elf", file, "--json"});
        EXPECT_EQ(elf.at("map_by"), "segments");
        const json dflt = run_json({file, "--json"});
        EXPECT_EQ(dflt.at("mappings"), elf.at("map").at("mappings"));
        EXPECT_EQ(dflt.at("source").at("kind"), "elf image");
        // pmap's rows: the same addresses, with the segment names in brackets.
        const json pmap = run_json({"pmap", file, "--json"});
        ASSERT_EQ(pmap.at("mappings").size(), dflt.at("mappings").size());
        for (std::size_t i = 0; i < pmap.at("mappings").size(); ++i) {
            const json& p = pmap.at("mappings")[i];
            const json& d = dflt.at("mappings")[i];
            EXPECT_EQ(p.at("start"), d.at("start"));
            EXPECT_EQ(p.at("perms"), d.at("perms"));
            EXPECT_EQ(p.at("name"), d.at("name"));
        }
        const CliRun text = vmatlas({"pmap", file});
        ASSERT_EQ(text.status, 0) << text.err;
        EXPECT_NE(text.out.find("[ text ]"), std::string::npos) << text.out;
        EXPECT_NE(text.out.find("[ bss ]"), std::string::npos) << text.out;
        const CliRun table = vmatlas({file});
        ASSERT_EQ(table.status, 0) << table.err;
        EXPECT_TRUE(table.out.starts_with("         Start")) << table.out;
    }
}

// ---- hostile files ------------------------------------------------------------------------------

TEST(ElfTargets, SectionHeaderTableCutOrPastTheEnd) {
    const Built& b = built();
    const std::string cut =
        damaged(b.lib, "cut shdrs.so", [](std::string& s) { s.resize(s.size() - 100); });
    const std::string moved = damaged(b.lib, "moved shdrs.so", [](std::string& s) {
        put<std::uint64_t>(s, offsetof(Elf64_Ehdr, e_shoff), s.size() - 0x10);
    });
    for (const std::string& file : {cut, moved}) {
        SCOPED_TRACE(file);
        const CliRun r = vmatlas({"--sections", file});
        EXPECT_EQ(r.status, 7);
        EXPECT_TRUE(r.out.empty()) << r.out;
        EXPECT_NE(r.err.find(file + ": the section header table"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("runs past the end"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("without --sections"), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_EQ(vmatlas({"elf", "--sections", file}).status, 7);
        // By segments the loader never reads section headers: shown, with a warning.
        const CliRun seg = vmatlas({file});
        EXPECT_EQ(seg.status, 0) << seg.err;
        EXPECT_NE(seg.err.find("warning: " + file + ": the section header table"),
                  std::string::npos)
            << seg.err;
    }
}

TEST(ElfTargets, SectionBytesPastTheEndIsTruncated) {
    const Built& b = built();
    const std::size_t data = index_of(b.lib, ".data");
    const std::string file = damaged(b.lib, "data past end.so", [&](std::string& s) {
        put<std::uint64_t>(s, shdr_at(s, data) + offsetof(Elf64_Shdr, sh_offset), 0x1000000);
    });
    const CliRun r = vmatlas({"--sections", file});
    EXPECT_EQ(r.status, 7);
    EXPECT_TRUE(r.out.empty());
    EXPECT_NE(r.err.find(fmt::format("{} is truncated: the file ends at offset {:#x}, but section "
                                     "{} (.data) needs its bytes",
                                     file, slurp(file).size(), data)),
              std::string::npos)
        << r.err;
}

TEST(ElfTargets, OverlappingSectionsAreShownPartialWithAWarning) {
    const Built& b = built();
    const std::size_t data = index_of(b.lib, ".data"), got = index_of(b.lib, ".got");
    std::uint64_t got_addr = 0;
    for (const ReadelfSection& s : readelf_sections(b.lib))
        if (s.name == ".got") got_addr = s.addr;
    const std::string file = damaged(b.lib, "overlap.so", [&](std::string& s) {
        put<std::uint64_t>(s, shdr_at(s, data) + offsetof(Elf64_Shdr, sh_addr), got_addr);
    });
    const CliRun r = vmatlas({"--sections", file, "--json"});
    EXPECT_EQ(r.status, 9);
    const json j = json::parse(r.out);
    EXPECT_EQ(j.at("partial"), true);
    EXPECT_EQ(j.at("rows").at("superseded"), 1);
    EXPECT_EQ(j.at("rows").at("read"), j.at("rows").at("kept").get<int>() + 1);
    // The later section in the table wins; the warning names both.
    bool data_row = false;
    for (const json& m : j.at("mappings")) {
        EXPECT_NE(m.at("name"), ".got");
        if (m.at("name") == ".data") {
            data_row = true;
            EXPECT_EQ(hex_of(m.at("start")), 0x7ffff7c00000 + got_addr);
        }
    }
    EXPECT_TRUE(data_row);
    EXPECT_NE(r.err.find(fmt::format("section {} (.got, ", got)), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(fmt::format(") overlaps section {} (.data, ", data)), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("the one later in the section header table is shown"), std::string::npos)
        << r.err;
    const json warnings = j.at("warnings");
    EXPECT_GE(warnings.size(), 2u);
    // vmatlas elf says the same and exits the same.
    EXPECT_EQ(vmatlas({"elf", "--sections", file}).status, 9);
    // By segments nothing overlaps.
    EXPECT_EQ(vmatlas({file}).status, 0);
}

TEST(ElfTargets, NoSectionHeadersOrNotLoadable) {
    const Built& b = built();
    const std::string none = damaged(b.lib, "no shdrs.so", [](std::string& s) {
        put<std::uint64_t>(s, offsetof(Elf64_Ehdr, e_shoff), 0);
        put<std::uint16_t>(s, offsetof(Elf64_Ehdr, e_shnum), 0);
        put<std::uint16_t>(s, offsetof(Elf64_Ehdr, e_shstrndx), 0);
    });
    const CliRun r = vmatlas({"--sections", none});
    EXPECT_EQ(r.status, 7);
    EXPECT_NE(r.err.find(none + " has no allocated (SHF_ALLOC) section"), std::string::npos)
        << r.err;
    EXPECT_EQ(vmatlas({none}).status, 0);

    const std::string obj = built().dir / "lib.o";
    must_run({"cc", "-c", "-o", obj, built().lib_c});
    for (const bool sections : {false, true}) {
        std::vector<std::string> args = {obj};
        if (sections) args.insert(args.begin(), "--sections");
        const CliRun rel = vmatlas(args);
        EXPECT_EQ(rel.status, 7);
        EXPECT_NE(rel.err.find(obj + " is a relocatable object (ET_REL), not an executable or "
                                     "shared object"),
                  std::string::npos)
            << rel.err;
    }
}

}  // namespace
