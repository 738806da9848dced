// vmatlas elf FILE, end to end. The test builds, with the system compiler, a PIE program, a
// -no-pie program (both with a 1 MiB .bss), a shared object whose segments are 64 KiB apart (so
// that ld.so leaves `---p` gaps between them) and a PIE laid out the same way (whose holes the
// kernel leaves unmapped), then checks:
//  - every program header printed, as text and as JSON, against `readelf -lW` of the same file;
//  - the predicted map against the real one: the program runs (and dlopens the shared object),
//    its /proc/PID/maps is read with the library, the load bias of each object is worked out
//    from its rows, and every file-backed row of the object must be a predicted row, rebased,
//    with the same permissions, offset and size (and every predicted file-backed row a real one);
//  - errors: a truncated copy, a file cut inside its ELF header, a text file, a missing file.
#include <elf.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "elf/support.hpp"
#include "render/elf_view.hpp"
#include "support/run.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/elf_image.hpp"
#include "vmatlas/procfs.hpp"

namespace {

using namespace elftest;
using nlohmann::json;

constexpr std::string_view kLibSource = R"(
char lib_big[1 << 20];
int lib_data = 42;
const char lib_ro[64] = "read-only data of the library";
int (*lib_pointer)(void);
int vmatlas_seg_meta, vmatlas_seg_code;
int lib_fn(void) {
    lib_big[0] = 1;
    return lib_data + lib_ro[lib_data & 7] + (lib_pointer != 0);
}
)";

constexpr std::string_view kProgSource = R"(
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>
char prog_big[1 << 20];
int prog_data = 7;
const char prog_ro[64] = "read-only data of the program";
int main(int argc, char** argv) {
    prog_big[0] = 1;
    for (int i = 1; i < argc; ++i)
        if (!dlopen(argv[i], RTLD_NOW)) {
            fprintf(stderr, "dlopen: %s\n", dlerror());
            return 1;
        }
    printf("ready %d\n", prog_data + prog_ro[prog_data & 7]);
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
}
)";

struct Built {
    TempDir dir{"vmatlas elfview"};
    std::string pie, nopie, pie64k, lib, named_lib;

    Built() {
        const std::string root = fs::canonical(dir.path()).string();
        const std::string lib_c = root + "/lib.c", prog_c = root + "/prog.c";
        write_text(lib_c, kLibSource);
        write_text(prog_c, kProgSource);
        pie = root + "/prog pie";
        nopie = root + "/prog-nopie";
        pie64k = root + "/prog-pie64k";
        lib = root + "/libgap.so";
        must_run({"cc", "-O1", "-fPIE", "-pie", "-o", pie, prog_c, "-ldl"});
        must_run({"cc", "-O1", "-fno-pie", "-no-pie", "-o", nopie, prog_c, "-ldl"});
        must_run({"cc", "-O1", "-fPIE", "-pie", "-o", pie64k, prog_c, "-ldl",
                  "-Wl,-z,max-page-size=0x10000", "-Wl,-z,separate-code"});
        must_run({"cc", "-O1", "-shared", "-fPIC", "-o", lib, lib_c, "-Wl,-z,max-page-size=0x10000",
                  "-Wl,-z,separate-code", "-Wl,-z,relro"});
        make_named_lib(root);
    }

    // The shared object with a .SUNW_phname section (added with objcopy) naming its first two
    // PT_LOADs after two exported symbols, which are in .dynstr.
    void make_named_lib(const std::string& root) {
        const auto strings = readelf_strings(lib, ".dynstr");
        auto offset_of = [&](std::string_view s) -> std::uint32_t {
            for (const auto& [off, str] : strings)
                if (str == s) return static_cast<std::uint32_t>(off);
            throw std::runtime_error(fmt::format("{} is not in .dynstr", s));
        };
        const ReadelfView v = readelf_program_headers(lib);
        const char* names[] = {"vmatlas_seg_meta", "vmatlas_seg_code"};
        std::string words;
        std::size_t load = 0;
        for (const Phdr& p : v.phdrs) {
            std::uint32_t word = 0;
            if (p.type == "LOAD" && load < 2) word = offset_of(names[load++]);
            words.append(reinterpret_cast<const char*>(&word), sizeof word);
        }
        write_text(root + "/phname.bin", words);
        named_lib = root + "/libnamed.so";
        must_run(
            {"objcopy", "--add-section", ".SUNW_phname=" + root + "/phname.bin", lib, named_lib});
    }
};

Built& built() {
    static Built b;
    return b;
}

// ---- running the CLI ---------------------------------------------------------------------------

using CliRun = vmtest::RunResult;
using vmtest::vmatlas;

json elf_json(const std::string& file, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"elf", file, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliRun r = vmatlas(args);
    if (r.status != 0) throw std::runtime_error("vmatlas elf failed: " + r.err);
    return json::parse(r.out);
}

std::uint64_t hex_of(const json& j) {
    return parse_hex(j.get<std::string>());
}

// ---- readelf -lW with the alignment, which support.hpp's parser leaves out ---------------------

struct FullPhdr {
    std::string type;
    std::uint64_t offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0, align = 0;
    std::string flags;  // "R E", "RW "...
};

std::vector<FullPhdr> readelf_full(const std::string& file) {
    const std::string text = must_run({"readelf", "-lW", file});
    // Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align, Flg being up to three letters.
    static const std::regex row(
        R"(^\s+(\S+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+)"
        R"((0x[0-9a-f]+)\s+([RWE ]+?)\s+(0x[0-9a-f]+)\s*$)");
    std::vector<FullPhdr> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (!std::regex_match(line, m, row)) continue;
        out.push_back({m[1], parse_hex(m[2].str()), parse_hex(m[3].str()), parse_hex(m[4].str()),
                       parse_hex(m[5].str()), parse_hex(m[6].str()), parse_hex(m[8].str()), m[7]});
    }
    return out;
}

std::vector<std::string> flags_of(const std::string& readelf_flags) {
    std::vector<std::string> out;  // in elfdump's order
    if (readelf_flags.find('E') != std::string::npos) out.push_back("PF_X");
    if (readelf_flags.find('W') != std::string::npos) out.push_back("PF_W");
    if (readelf_flags.find('R') != std::string::npos) out.push_back("PF_R");
    return out;
}

// readelf's "0x000450" and elfdump's "0x450" or "0".
std::uint64_t number_of(const std::string& s) {
    return s == "0" ? 0 : parse_hex(s);
}

// The text blocks: per header, "p_vaddr" -> "0x40", "p_flags" -> "[ PF_R ]", ...; and its name.
struct TextHeader {
    std::string name;
    std::map<std::string, std::string> values;
};

std::vector<TextHeader> parse_text(const std::string& text) {
    static const std::regex title(R"(^Program Header\[(\d+)\]:(?: (.*))?$)");
    static const std::regex pair(R"((p_\w+):\s+(\[[^\]]*\]|\S+))");
    std::vector<TextHeader> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_match(line, m, title)) {
            if (std::stoul(m[1]) != out.size()) throw std::runtime_error("out of order: " + line);
            out.push_back({m[2], {}});
        } else if (line.starts_with("    p_") && !out.empty()) {
            for (std::sregex_iterator it(line.begin(), line.end(), pair), end; it != end; ++it)
                out.back().values[(*it)[1]] = (*it)[2];
        } else if (line.starts_with("Map ")) {
            break;
        }
    }
    return out;
}

std::vector<std::string> all_files() {
    const Built& b = built();
    return {b.pie, b.nopie, b.pie64k, b.lib, b.named_lib};
}

// ---- program headers -------------------------------------------------------------------------

TEST(ElfView, ProgramHeadersMatchReadelf) {
    for (const std::string& file : all_files()) {
        SCOPED_TRACE(file);
        const auto expected = readelf_full(file);
        ASSERT_FALSE(expected.empty());
        const json j = elf_json(file);
        const json& got = j.at("program_headers");
        ASSERT_EQ(got.size(), expected.size());
        const CliRun text_run = vmatlas({"elf", file});
        ASSERT_EQ(text_run.status, 0) << text_run.err;
        const auto text = parse_text(text_run.out);
        ASSERT_EQ(text.size(), expected.size()) << text_run.out;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            SCOPED_TRACE(i);
            const FullPhdr& e = expected[i];
            const json& g = got[i];
            EXPECT_EQ(g.at("index"), i);
            EXPECT_EQ(g.at("type"), "PT_" + e.type);
            EXPECT_EQ(g.at("offset"), e.offset);
            EXPECT_EQ(hex_of(g.at("vaddr")), e.vaddr);
            EXPECT_EQ(hex_of(g.at("paddr")), e.paddr);
            EXPECT_EQ(g.at("filesz"), e.filesz);
            EXPECT_EQ(g.at("memsz"), e.memsz);
            EXPECT_EQ(g.at("align"), e.align);
            EXPECT_EQ(g.at("flags").get<std::vector<std::string>>(), flags_of(e.flags));

            const TextHeader& t = text[i];
            EXPECT_EQ(t.values.at("p_type"), "[ PT_" + e.type + " ]");
            EXPECT_EQ(number_of(t.values.at("p_offset")), e.offset);
            EXPECT_EQ(number_of(t.values.at("p_vaddr")), e.vaddr);
            EXPECT_EQ(number_of(t.values.at("p_paddr")), e.paddr);
            EXPECT_EQ(number_of(t.values.at("p_filesz")), e.filesz);
            EXPECT_EQ(number_of(t.values.at("p_memsz")), e.memsz);
            EXPECT_EQ(number_of(t.values.at("p_align")), e.align);
            EXPECT_EQ(t.values.at("p_flags"),
                      fmt::format("[ {} ]", fmt::join(flags_of(e.flags), " ")));

            // Names: PT_LOADs by what they hold (unless .SUNW_phname names them); no other kind.
            if (e.type != "LOAD") {
                EXPECT_TRUE(g.at("name").is_null());
                EXPECT_EQ(t.name, "");
                continue;
            }
            EXPECT_EQ(g.at("name").get<std::string>(), t.name);
            if (g.at("name_source") == "phname") continue;
            const std::string want = e.flags.find('W') != std::string::npos   ? "data"
                                     : e.flags.find('E') != std::string::npos ? "text"
                                     : e.offset == 0                          ? "headers"
                                                                              : "rodata";
            EXPECT_EQ(t.name, want);
        }
    }
}

// -N keeps the headers of the kinds given, as elfdump -p -N: each kind by its name with or without
// PT_ in any case, or by number; the indices shown are readelf's.
TEST(ElfView, NSelectsProgramHeadersByKindAsReadelfListsThem) {
    static const std::regex title(R"(^Program Header\[(\d+)\]:.*$)");
    const std::vector<std::pair<std::vector<std::string>, std::set<std::string>>> cases = {
        {{"PT_LOAD"}, {"LOAD"}},
        {{"load", "GNU_STACK"}, {"LOAD", "GNU_STACK"}},
        {{"Pt_Dynamic"}, {"DYNAMIC"}},
        {{" PT_GNU_RELRO ", "interp"}, {"GNU_RELRO", "INTERP"}},
        {{"0x6474e551", "3"}, {"GNU_STACK", "INTERP"}},  // PT_GNU_STACK, PT_INTERP
    };
    for (const std::string& file : all_files()) {
        const auto expected = readelf_full(file);
        for (const auto& [names, kinds] : cases) {
            SCOPED_TRACE(file + " -N " + names.front());
            std::vector<std::size_t> want;
            for (std::size_t i = 0; i < expected.size(); ++i)
                if (kinds.contains(expected[i].type)) want.push_back(i);
            std::vector<std::string> args = {"elf", file};
            for (const std::string& n : names) args.insert(args.end(), {"-N", n});
            const CliRun text = vmatlas(args);
            ASSERT_EQ(text.status, want.empty() ? 1 : 0) << text.err;
            std::vector<std::size_t> got;
            std::istringstream in(text.out);
            for (std::string line; std::getline(in, line);) {
                std::smatch m;
                if (std::regex_match(line, m, title)) got.push_back(std::stoul(m[1]));
                EXPECT_FALSE(line.starts_with("Map ")) << "-N shows the headers alone";
            }
            EXPECT_EQ(got, want);
            args.push_back("--json");
            const CliRun js = vmatlas(args);
            ASSERT_EQ(js.status, want.empty() ? 1 : 0) << js.err;
            std::vector<std::size_t> json_got;
            const json doc = json::parse(js.out);
            for (const json& h : doc.at("program_headers")) {
                json_got.push_back(h.at("index").get<std::size_t>());
                EXPECT_EQ(h.at("type"), "PT_" + expected.at(json_got.back()).type);
            }
            EXPECT_EQ(json_got, want);
        }
    }
}

TEST(ElfView, NWithNoHeaderOfItsKindIsNoMatchAndAnUnknownKindIsUsage) {
    const Built& b = built();
    const auto headers = readelf_full(b.nopie);
    ASSERT_TRUE(std::none_of(headers.begin(), headers.end(),
                             [](const FullPhdr& p) { return p.type == "TLS"; }));
    const CliRun none = vmatlas({"elf", b.nopie, "-N", "TLS", "-N", "pt_shlib"});
    EXPECT_EQ(none.status, 1);
    EXPECT_EQ(none.out, "");
    EXPECT_EQ(none.err,
              "vmatlas: " + b.nopie + " has no program header of kind PT_TLS or PT_SHLIB\n");
    const CliRun unknown = vmatlas({"elf", b.nopie, "-N", "PT_LAOD"});
    EXPECT_EQ(unknown.status, 2);
    EXPECT_EQ(unknown.out, "");
    EXPECT_EQ(unknown.err,
              "vmatlas: -N takes a program header kind (PT_LOAD, LOAD, load) or a number, not "
              "'PT_LAOD'\n");
    const CliRun csv = vmatlas({"elf", b.nopie, "-N", "LOAD", "--csv"});
    EXPECT_EQ(csv.status, 2);
    EXPECT_EQ(csv.err, "vmatlas: -N selects program headers, which --csv does not show\n");
}

TEST(ElfView, SunwPhnameNamesWin) {
    const Built& b = built();
    const json j = elf_json(b.named_lib);
    std::vector<std::string> load_names;
    for (const json& g : j.at("program_headers"))
        if (g.at("type") == "PT_LOAD") load_names.push_back(g.at("name"));
    ASSERT_EQ(load_names.size(), 4u);
    EXPECT_EQ(load_names[0], "vmatlas_seg_meta");
    EXPECT_EQ(load_names[1], "vmatlas_seg_code");
    EXPECT_EQ(load_names[2], "rodata");
    EXPECT_EQ(load_names[3], "data");
    // The map's rows take the same names.
    std::set<std::string> row_names;
    for (const json& m : j.at("map").at("mappings")) row_names.insert(m.at("name"));
    EXPECT_TRUE(row_names.contains("vmatlas_seg_code"));
    EXPECT_TRUE(row_names.contains("relro"));
    EXPECT_TRUE(row_names.contains("gap"));
    EXPECT_TRUE(row_names.contains("bss"));
}

// ---- the map against a running process -----------------------------------------------------

struct Row {
    std::uint64_t start, end, offset;
    std::string perms, name;
    bool file;
};

std::vector<Row> predicted_rows(const json& j) {
    std::vector<Row> out;
    for (const json& m : j.at("map").at("mappings"))
        out.push_back({hex_of(m.at("start")), hex_of(m.at("end")), m.at("offset"), m.at("perms"),
                       m.at("name"), !m.at("path").get<std::string>().empty()});
    return out;
}

std::uint64_t first_load_page(const std::string& file) {
    for (const FullPhdr& p : readelf_full(file))
        if (p.type == "LOAD") return page_down(p.vaddr);
    throw std::runtime_error("no PT_LOAD in " + file);
}

// Checks the predicted map of `file` against its rows in the live `space`; base: the base to ask
// for, or none for the default (then the prediction is rebased onto the real load bias).
void check_against_live(const vmatlas::AddressSpace& space, const std::string& file,
                        bool give_real_base) {
    SCOPED_TRACE(file);
    std::vector<const vmatlas::Mapping*> real;
    for (const vmatlas::Mapping& m : space.mappings())
        if (space.path(m) == file) real.push_back(&m);
    ASSERT_FALSE(real.empty()) << "no row of " << file << " in the child's map";
    const std::uint64_t bias = real.front()->start - first_load_page(file);

    const json j =
        give_real_base ? elf_json(file, {"--base", fmt::format("{:#x}", bias)}) : elf_json(file);
    const std::uint64_t base = hex_of(j.at("base"));
    if (give_real_base) {
        EXPECT_EQ(base, bias);
    }
    const std::uint64_t delta = bias - base;  // modulo 2^64
    std::vector<Row> predicted = predicted_rows(j);
    for (Row& r : predicted) r.start += delta, r.end += delta;

    auto text_of = [](const vmatlas::Mapping& m) {
        const auto t = m.perms.text();
        return std::string(t.data(), t.size());
    };
    auto describe = [&](const vmatlas::Mapping& m) {
        return fmt::format("{:#x}-{:#x} {} {:#x}", m.start, m.end, text_of(m),
                           vmatlas::raw(m.offset));
    };
    std::string predicted_text;
    for (const Row& r : predicted)
        predicted_text +=
            fmt::format("  {:#x}-{:#x} {} {:#x} {}\n", r.start, r.end, r.perms, r.offset, r.name);
    // Every real row of the file is a predicted row.
    for (const vmatlas::Mapping* m : real) {
        const bool found = std::any_of(predicted.begin(), predicted.end(), [&](const Row& r) {
            return r.file && r.start == m->start && r.end == m->end && r.perms == text_of(*m) &&
                   r.offset == vmatlas::raw(m->offset);
        });
        EXPECT_TRUE(found) << "real row " << describe(*m) << " is not predicted:\n"
                           << predicted_text;
    }
    // Every predicted file-backed row is real; a predicted bss row starts a real anonymous row
    // (which may run on: the kernel merges it with an anonymous mapping made right after it).
    std::size_t bss_rows = 0;
    for (const Row& r : predicted) {
        if (r.file) {
            const bool found = std::any_of(real.begin(), real.end(), [&](const auto* m) {
                return r.start == m->start && r.end == m->end;
            });
            EXPECT_TRUE(found) << fmt::format("predicted row {:#x}-{:#x} {} is not real", r.start,
                                              r.end, r.name);
            continue;
        }
        ++bss_rows;
        EXPECT_EQ(r.name, "bss");
        const auto i = space.find(r.start);
        ASSERT_TRUE(i.has_value()) << fmt::format("no real row at the bss {:#x}", r.start);
        const vmatlas::Mapping& m = space[*i];
        EXPECT_EQ(m.start, r.start);
        EXPECT_GE(m.end, r.end);
        EXPECT_EQ(m.inode, 0u);
        EXPECT_EQ(text_of(m), r.perms);
    }
    EXPECT_EQ(bss_rows, 1u);  // every object here has a 1 MiB .bss
}

TEST(ElfView, PredictedMapMatchesRunningPie) {
    const Built& b = built();
    Child child({b.pie, b.lib});
    auto space = vmatlas::read_process_maps(child.pid());
    ASSERT_TRUE(space) << space.error().message;
    check_against_live(*space, b.pie, false);
    check_against_live(*space, b.lib, false);  // ld.so's ---p gaps
    check_against_live(*space, b.lib, true);
}

TEST(ElfView, PredictedMapMatchesRunningNoPie) {
    const Built& b = built();
    Child child({b.nopie, b.lib});
    auto space = vmatlas::read_process_maps(child.pid());
    ASSERT_TRUE(space) << space.error().message;
    check_against_live(*space, b.nopie, false);
    check_against_live(*space, b.lib, false);
}

TEST(ElfView, PredictedMapMatchesRunningPieWithHoles) {
    const Built& b = built();
    Child child({b.pie64k});
    auto space = vmatlas::read_process_maps(child.pid());
    ASSERT_TRUE(space) << space.error().message;
    check_against_live(*space, b.pie64k, true);
    // The kernel maps each segment alone: no gap rows, unlike ld.so.
    const json j = elf_json(b.pie64k);
    for (const Row& r : predicted_rows(j)) EXPECT_NE(r.name, "gap");
    // The default base is aligned to the 64 KiB p_align, as the kernel aligns it.
    EXPECT_EQ(j.at("base"), "0x555555550000");
}

// With ASLR off the kernel puts a PIE where the default base says.
TEST(ElfView, DefaultBaseIsWhereTheKernelPutsAPieWithoutAslr) {
    const Built& b = built();
    if (!fs::exists("/usr/bin/setarch")) GTEST_SKIP() << "no /usr/bin/setarch";
    if (run_tool({"/usr/bin/setarch", "-R", "true"}).status != 0)
        GTEST_SKIP() << "setarch -R is not allowed here";
    for (const std::string& file : {b.pie, b.pie64k}) {
        SCOPED_TRACE(file);
        Child child({"/usr/bin/setarch", "-R", file});
        auto space = vmatlas::read_process_maps(child.pid());
        ASSERT_TRUE(space) << space.error().message;
        const json j = elf_json(file);
        const vmatlas::Mapping* first = nullptr;
        for (const vmatlas::Mapping& m : space->mappings())
            if (space->path(m) == file && first == nullptr) first = &m;
        ASSERT_NE(first, nullptr);
        EXPECT_EQ(fmt::format("{:#x}", first->start), j.at("base").get<std::string>());
    }
}

// ---- bases, the text view, the map object --------------------------------------------------

TEST(ElfView, BasesAndTheirSentence) {
    const Built& b = built();
    EXPECT_EQ(elf_json(b.pie).at("base"), "0x555555554000");
    EXPECT_EQ(elf_json(b.pie).at("loader"), "kernel");
    EXPECT_EQ(elf_json(b.lib).at("base"), "0x7ffff7c00000");
    EXPECT_EQ(elf_json(b.lib).at("loader"), "ld.so");
    EXPECT_EQ(elf_json(b.nopie).at("base"), "0x0");
    EXPECT_EQ(elf_json(b.nopie).at("type"), "ET_EXEC");
    EXPECT_EQ(elf_json(b.lib).at("type"), "ET_DYN");
    const json given = elf_json(b.lib, {"--base", "0x10000000"});
    EXPECT_EQ(given.at("base"), "0x10000000");
    EXPECT_EQ(given.at("base_source"), "given");
    EXPECT_EQ(given.at("map").at("mappings").at(0).at("start"), "0x10000000");

    const CliRun pie = vmatlas({"elf", b.pie});
    EXPECT_NE(pie.out.find("\nMap at base 0x555555554000 (the default for a PIE executable), as "
                           "the kernel maps it:\n"),
              std::string::npos)
        << pie.out;
    const CliRun lib = vmatlas({"elf", b.lib});
    EXPECT_NE(lib.out.find("Map at base 0x7ffff7c00000 (the default for a shared object), as "
                           "ld.so maps it:\n"),
              std::string::npos)
        << lib.out;
    EXPECT_NE(lib.out.find("Start"), std::string::npos);  // the default view's table
    const CliRun nopie = vmatlas({"elf", b.nopie, "--base", "0x10000000"});
    EXPECT_EQ(nopie.status, 0);
    EXPECT_NE(nopie.out.find("Map at its own addresses (ET_EXEC)"), std::string::npos);
    EXPECT_NE(nopie.err.find("ET_EXEC"), std::string::npos) << nopie.err;  // --base ignored

    EXPECT_EQ(vmatlas({"elf", b.lib, "--base", "0x1234"}).status, 2);
    EXPECT_EQ(vmatlas({"elf", b.lib, "--base", "zz"}).status, 2);
    EXPECT_EQ(vmatlas({"elf", b.lib, "--json", "--csv"}).status, 2);
}

TEST(ElfView, MapIsTheDefaultViewsObject) {
    const Built& b = built();
    const json j = elf_json(b.lib);
    const json& map = j.at("map");
    EXPECT_EQ(map.at("source").at("kind"), "elf image");
    EXPECT_EQ(map.at("source").at("origin"), b.lib);
    EXPECT_EQ(map.at("rows").at("kept"), map.at("mappings").size());
    for (const char* key : {"generation", "partial", "warnings"}) EXPECT_TRUE(map.contains(key));
    for (const json& m : map.at("mappings")) {
        for (const char* key : {"start", "end", "perms", "size", "offset", "dev", "inode", "name",
                                "path", "deleted", "object", "name_source", "role"})
            EXPECT_TRUE(m.contains(key)) << key;
        EXPECT_EQ(m.at("name_source"), "elf");
        if (m.at("name") == "bss") {
            EXPECT_EQ(m.at("object"), b.lib);
        }
        if (m.at("name") == "gap") {
            EXPECT_EQ(m.at("perms"), "---p");
        }
        if (m.at("name") == "relro") {
            EXPECT_EQ(m.at("perms"), "r--p");
        }
    }
    const CliRun csv = vmatlas({"elf", b.lib, "--csv"});
    ASSERT_EQ(csv.status, 0);
    EXPECT_TRUE(
        csv.out.starts_with("start,end,perms,size,offset,dev,inode,name,path,deleted,object,name_"
                            "source,role,in_core\n"))
        << csv.out;
}

TEST(ElfView, LibraryImageKeepsTheInvariants) {
    for (const std::string& file : all_files()) {
        SCOPED_TRACE(file);
        auto image = vmatlas::load_elf_image(file, {});
        ASSERT_TRUE(image) << image.error().message;
        EXPECT_TRUE(vmatlas::check_invariants(image->space).empty());
        EXPECT_EQ(image->notes.labels.size(), image->space.size());
        for (std::size_t i = 0; i < image->space.size(); ++i)
            EXPECT_FALSE(image->notes.labels[i].name.empty()) << i;
        EXPECT_TRUE(image->notes.warnings.empty());
    }
}

TEST(ElfView, NamesOfKindsAndFlags) {
    EXPECT_EQ(vmatlas::pt_name(PT_GNU_RELRO), "PT_GNU_RELRO");
    EXPECT_EQ(vmatlas::pt_name(0x6474e553), "PT_GNU_PROPERTY");
    EXPECT_EQ(vmatlas::pt_name(0x12345678), "0x12345678");  // unknown: in hex
    EXPECT_EQ(vmatlas::et_name(0x77), "0x77");
    EXPECT_EQ(vmatlas::pf_names(PF_R | PF_X), (std::vector<std::string>{"PF_X", "PF_R"}));
    EXPECT_EQ(vmatlas::pf_names(0), (std::vector<std::string>{"0"}));
    EXPECT_EQ(vmatlas::pf_names(PF_R | 0x100), (std::vector<std::string>{"PF_R", "0x100"}));
}

TEST(ElfView, KindsAsNTakesThem) {
    using vmatlas::pt_type;
    const std::uint32_t kinds[] = {PT_NULL,    PT_LOAD,    PT_DYNAMIC, PT_INTERP,  PT_NOTE,
                                   PT_SHLIB,   PT_PHDR,    PT_TLS,     0x6474e550, 0x6474e551,
                                   0x6474e552, 0x6474e553, 0x6474e554, 0x6ffffffa, 0x6ffffffb};
    for (const std::uint32_t type : kinds) {
        const std::string name = vmatlas::pt_name(type);
        ASSERT_TRUE(name.starts_with("PT_")) << name;
        std::string lower = name.substr(3);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_EQ(pt_type(name), type) << name;
        EXPECT_EQ(pt_type(name.substr(3)), type) << name;
        EXPECT_EQ(pt_type(lower), type) << name;
        EXPECT_EQ(pt_type("pt_" + lower), type) << name;
        EXPECT_EQ(pt_type("\t " + name + " "), type) << name;
    }
    EXPECT_EQ(pt_type("1"), std::uint32_t{PT_LOAD});
    EXPECT_EQ(pt_type("0x6474E551"), 0x6474e551u);  // PT_GNU_STACK
    EXPECT_EQ(pt_type("0xffffffff"), 0xffffffffu);
    for (const char* bad : {"", "PT_", "PT_LAOD", "LOADS", "P T_LOAD", "0x100000000", "-1", "0x"})
        EXPECT_EQ(pt_type(bad), std::nullopt) << bad;
}

// ---- errors ----------------------------------------------------------------------------------

TEST(ElfView, TruncatedCopyIsBadInputNamingTheFileAndWhereItEnds) {
    const Built& b = built();
    // Cut inside the text segment: the program headers are whole, the code is not.
    std::uint64_t cut = 0;
    for (const FullPhdr& p : readelf_full(b.pie))
        if (p.type == "LOAD" && p.flags.find('E') != std::string::npos) cut = p.offset + 0x10;
    ASSERT_NE(cut, 0u);
    const std::string copy = built().dir / "cut copy";
    write_text(copy, slurp(b.pie).substr(0, cut));
    const CliRun r = vmatlas({"elf", copy});
    EXPECT_EQ(r.status, 7);
    EXPECT_TRUE(r.out.empty());
    EXPECT_NE(r.err.find(copy), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(fmt::format("ends at offset {:#x}", cut)), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

    // Cut inside the ELF header.
    const std::string stub = built().dir / "stub";
    write_text(stub, slurp(b.pie).substr(0, 40));
    const CliRun s = vmatlas({"elf", stub, "--json"});
    EXPECT_EQ(s.status, 7);
    EXPECT_TRUE(s.out.empty());
    EXPECT_NE(s.err.find(stub), std::string::npos) << s.err;
    EXPECT_NE(s.err.find("40 bytes"), std::string::npos) << s.err;
}

TEST(ElfView, TextFileIsBadInput) {
    const std::string text = built().dir / "notes.txt";
    write_text(text, "this is not an ELF object\n");
    const CliRun r = vmatlas({"elf", text});
    EXPECT_EQ(r.status, 7);
    EXPECT_TRUE(r.out.empty());
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not an ELF object"), std::string::npos) << r.err;
}

TEST(ElfView, MissingFileIsNoSuchTarget) {
    const std::string missing = built().dir / "no such file";
    const CliRun r = vmatlas({"elf", missing});
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
}

TEST(ElfView, RelocatableObjectIsBadInput) {
    const std::string obj = built().dir / "lib.o";
    must_run({"cc", "-c", "-o", obj, built().dir / "lib.c"});
    const CliRun r = vmatlas({"elf", obj});
    EXPECT_EQ(r.status, 7);
    EXPECT_NE(r.err.find("ET_REL"), std::string::npos) << r.err;
}

}  // namespace
