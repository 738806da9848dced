// Golden files of every pmap-family view, two ways:
//  - the views themselves, on fixtures/layout.smaps with names given here (the ELF, register and
//    heuristic names the annotators would give a real process), so that every kind of name is
//    shown: golden/view-*.out;
//  - the command line on the fixtures (options, stderr, exit status): golden/cases.txt, each
//    case run from golden/ and compared with golden/NAME.out.
// VMATLAS_UPDATE_GOLDEN=1 rewrites the files instead (then read the diff).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "render/pmap_view.hpp"
#include "support/cli_output.hpp"
#include "support/golden.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/query.hpp"
#include "vmatlas/smaps.hpp"

namespace vmatlas {
namespace {

const std::string kDir = std::string(VMATLAS_PMAP_DIR) + "/golden";

// Compares got with golden/NAME.out (or writes it).
void expect_golden(const std::string& name, const std::string& got) {
    vmtest::expect_golden(kDir + "/" + name + ".out", got);
}

// ---- the views, with every kind of name ----------------------------------------------------

struct Layout {
    AddressSpace space;
    Annotations notes;
};

Layout named_layout(const std::string& fixture) {
    const std::string text = vmtest::slurp(std::string(VMATLAS_PMAP_DIR) + "/fixtures/" + fixture);
    Layout l{parse_smaps_text(text, {vmatlas::SourceKind::SmapsText, "layout.smaps", 0, ""}), {}};
    l.notes = annotate_kernel_names(l.space);
    const PathId exe = l.space[0].path;
    const PathId libc = l.space[*l.space.find(0x7fd15e800000)].path;
    struct Given {
        Addr start;
        const char* name;
        NameSource source;
        PathId object = kNoPath;
    };
    const Given given[] = {
        {0x400000, "headers", NameSource::Elf},
        {0x401000, "text", NameSource::Elf},
        {0x52f000, "relro", NameSource::Elf},
        {0x539000, "data", NameSource::Elf},
        {0x543000, "bss", NameSource::Elf, exe},
        {0x7fd15e3fe000, "guard tid=5", NameSource::Registers},
        {0x7fd15e3ff000, "stack tid=5", NameSource::Registers},
        {0x7fd15e400000, "text", NameSource::Elf},
        {0x7fd15e408000, "gap", NameSource::Elf},
        {0x7fd15e508000, "data", NameSource::Elf},
        {0x7fd15e800000, "text", NameSource::Elf},
        {0x7fd15ea00000, "text", NameSource::Elf},
        {0x7fd15eb99000, "data", NameSource::Elf},
        {0x7fd15ebad000, "bss", NameSource::Elf, libc},
        {0x7fd15ef60000, "heap", NameSource::Heuristic},
    };
    for (const Given& g : given) {
        const auto i = l.space.find(g.start);
        if (!i || l.space[*i].start != g.start) throw std::runtime_error("no such row");
        l.notes.labels[*i] = {g.name, g.source, g.object};
    }
    return l;
}

struct ViewCase {
    std::string name;
    std::string fixture = "layout.smaps";
    bool mappings = false;
    PmapOptions pmap;
    MappingsOptions map;
    Format format = Format::Table;
    bool color = false;
};

std::vector<ViewCase> view_cases() {
    using M = PmapMode;
    const auto range = parse_addr_range("7fd15e3ff800,7fd15e800001");  // clips both ends
    std::vector<ViewCase> c;
    c.push_back({.name = "view-pmap"});
    c.push_back({.name = "view-pmap-b", .pmap = {.basenames = true}});
    c.push_back({.name = "view-pmap-s", .pmap = {.no_segment_names = true}});
    c.push_back({.name = "view-pmap-bs", .pmap = {.basenames = true, .no_segment_names = true}});
    c.push_back({.name = "view-pmap-q", .pmap = {.quiet = true}});
    c.push_back({.name = "view-pmap-A", .pmap = {.range = range}});
    c.push_back({.name = "view-pmap-json", .format = Format::Json});
    c.push_back({.name = "view-pmap-csv", .format = Format::Csv});
    c.push_back({.name = "view-pmap-color", .color = true});
    c.push_back({.name = "view-pmap-x", .pmap = {.mode = M::Extended}});
    c.push_back({.name = "view-pmap-x-s", .pmap = {.mode = M::Extended, .no_segment_names = true}});
    c.push_back({.name = "view-pmap-x-q", .pmap = {.mode = M::Extended, .quiet = true}});
    c.push_back({.name = "view-pmap-x-A", .pmap = {.mode = M::Extended, .range = range}});
    c.push_back(
        {.name = "view-pmap-x-json", .pmap = {.mode = M::Extended}, .format = Format::Json});
    c.push_back({.name = "view-pmap-x-csv", .pmap = {.mode = M::Extended}, .format = Format::Csv});
    c.push_back({.name = "view-pmap-x-no-figures",
                 .fixture = "layout.maps",
                 .pmap = {.mode = M::Extended}});
    c.push_back({.name = "view-pmap-x-no-figures-json",
                 .fixture = "layout.maps",
                 .pmap = {.mode = M::Extended},
                 .format = Format::Json});
    c.push_back({.name = "view-pmap-X", .pmap = {.mode = M::Smaps}});
    c.push_back({.name = "view-pmap-X-A", .pmap = {.mode = M::Smaps, .range = range}});
    c.push_back({.name = "view-pmap-X-json",
                 .pmap = {.mode = M::Smaps, .range = range},
                 .format = Format::Json});
    c.push_back({.name = "view-pmap-X-csv", .pmap = {.mode = M::Smaps}, .format = Format::Csv});
    c.push_back({.name = "view-pmap-S", .pmap = {.mode = M::Swap}});
    c.push_back({.name = "view-pmap-S-A", .pmap = {.mode = M::Swap, .range = range}});
    c.push_back({.name = "view-pmap-S-json", .pmap = {.mode = M::Swap}, .format = Format::Json});
    c.push_back(
        {.name = "view-pmap-S-no-figures", .fixture = "layout.maps", .pmap = {.mode = M::Swap}});
    c.push_back({.name = "view-pmap-d", .pmap = {.mode = M::Device}});
    c.push_back({.name = "view-pmap-d-q", .pmap = {.mode = M::Device, .quiet = true}});
    c.push_back({.name = "view-pmap-d-A", .pmap = {.mode = M::Device, .range = range}});
    c.push_back({.name = "view-pmap-d-json", .pmap = {.mode = M::Device}, .format = Format::Json});
    c.push_back({.name = "view-pmap-d-csv", .pmap = {.mode = M::Device}, .format = Format::Csv});
    c.push_back({.name = "view-mappings", .mappings = true});
    c.push_back({.name = "view-mappings-b", .mappings = true, .map = {.basenames = true}});
    c.push_back({.name = "view-mappings-bs",
                 .mappings = true,
                 .map = {.basenames = true, .no_segment_names = true}});
    c.push_back({.name = "view-mappings-json", .mappings = true, .format = Format::Json});
    c.push_back({.name = "view-mappings-csv", .mappings = true, .format = Format::Csv});
    return c;
}

// gtest prints a parameter in the test's description: its name, not its bytes.
void PrintTo(const ViewCase& c, std::ostream* os) {
    *os << c.name;
}

class PmapView : public ::testing::TestWithParam<ViewCase> {};

TEST_P(PmapView, MatchesItsOutFile) {
    const ViewCase& c = GetParam();
    const Layout l = named_layout(c.fixture);
    std::string out;
    const Palette palette{c.color};
    if (c.mappings)
        render_mappings(l.space, l.notes, c.map, c.format, palette, out);
    else
        render_pmap(l.space, l.notes, c.pmap, c.format, palette, out);
    expect_golden(c.name, out);
}

INSTANTIATE_TEST_SUITE_P(Views, PmapView, ::testing::ValuesIn(view_cases()), [](const auto& info) {
    std::string n = info.param.name;
    for (char& ch : n)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return n;
});

// ---- the command line ----------------------------------------------------------------------

const std::vector<vmtest::GoldenCase>& cli_cases() {
    static const auto all = vmtest::load_golden_cases(kDir + "/cases.txt");
    return all;
}

class PmapCli : public ::testing::TestWithParam<vmtest::GoldenCase> {};

TEST_P(PmapCli, MatchesItsOutFile) {
    const vmtest::GoldenCase& c = GetParam();
    const auto r = vmtest::vmatlas(c.args, {}, [] {
        if (chdir(kDir.c_str()) != 0) _exit(126);
    });
    // What the ELF stage says about the fixtures' files (they do not exist) is its own business,
    // and changes with it: not part of these files.
    std::string err;
    for (const std::string& line : vmtest::lines(r.err))
        if (line.find("segments are not named") == std::string::npos) err += line + "\n";
    expect_golden(c.name,
                  r.out + "--- stderr\n" + err + "--- exit " + std::to_string(r.status) + "\n");
}

INSTANTIATE_TEST_SUITE_P(Cases, PmapCli, ::testing::ValuesIn(cli_cases()),
                         vmtest::golden_test_name);

TEST(PmapCliCases, EveryOutFileIsACase) {
    std::set<std::string> views;
    for (const ViewCase& v : view_cases()) views.insert(v.name);
    vmtest::expect_every_out_file_is_a_case(cli_cases(), kDir, views);
}

// ---- the invariant behind every totals line ------------------------------------------------

// Sums the numeric columns of a -x table's rows and compares them with its "total Kb" line.
TEST(PmapTotals, XTotalsAreTheSumOfTheRowsShown) {
    const Layout l = named_layout("layout.smaps");
    for (const auto& range : {std::optional<AddrRange>{}, parse_addr_range("7fd15e3ff800,"),
                              parse_addr_range("0,7fd15e800001")}) {
        std::string out;
        render_pmap(l.space, l.notes, {.mode = PmapMode::Extended, .range = range}, Format::Table,
                    Palette{}, out);
        const auto lines = vmtest::lines(out);
        ASSERT_GE(lines.size(), 4u);
        std::uint64_t sums[4] = {}, totals[4] = {};
        auto num = [](const std::string& w) { return w == "-" ? 0ull : std::stoull(w); };
        for (std::size_t k = 2; k + 2 < lines.size(); ++k) {
            std::istringstream row(lines[k]);
            std::string addr, w;
            row >> addr;
            for (auto& s : sums) row >> w, s += num(w);
        }
        std::istringstream total(lines.back());
        std::string word;
        total >> word >> word;
        ASSERT_EQ(word, "Kb");
        for (auto& t : totals) total >> word, t = num(word);
        for (int c = 0; c < 4; ++c) EXPECT_EQ(sums[c], totals[c]) << "column " << c;
    }
}

}  // namespace
}  // namespace vmatlas
