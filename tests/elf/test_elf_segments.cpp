// The ELF segment-name stage on real processes. The test builds its own programs and libraries
// with the system compiler, in every combination that changes the layout (separate code or not,
// RELRO or not, PIE or not, segments aligned to 64 KiB so that the loader leaves gaps), each with
// a 1 MiB .bss, runs them, and checks every row of those objects against `readelf -lW` and
// `readelf -SW` of the same files: the expected name is worked out here, from readelf's numbers,
// by the rules the stage documents (see src/annotate/elf_segments.cpp):
//   text: a PT_LOAD with PF_X, data: PF_W (relro: its read-only part inside PT_GNU_RELRO),
//   headers: the read-only PT_LOAD at offset 0 that holds the program headers, rodata: other
//   read-only PT_LOADs, gap: a ---p row between two PT_LOADs, bss: the anonymous row after the
//   file part of the writable PT_LOAD, up to p_memsz.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "elf/support.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/elf.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/procfs.hpp"

namespace {

using namespace elftest;
using vmatlas::AddressSpace;
using vmatlas::Annotations;
using vmatlas::Mapping;
using vmatlas::NameSource;

constexpr std::string_view kLibSource = R"(
char lib_big[1 << 20];
int lib_data = 42;
const char lib_ro[64] = "read-only data of the library";
int (*lib_pointer)(void);
/* Names for the .SUNW_phname test: they are in .dynstr because they are exported. */
int vmatlas_seg_meta, vmatlas_seg_code, vmatlas_seg_vars;
int lib_fn(void) {
    lib_big[0] = 1;
    lib_big[sizeof lib_big - 1] = 1;
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
int lib_fn(void);
int main(int argc, char** argv) {
    prog_big[0] = 1;
    prog_big[sizeof prog_big - 1] = 1;
    for (int i = 1; i < argc; ++i)
        if (!dlopen(argv[i], RTLD_NOW)) {
            fprintf(stderr, "dlopen: %s\n", dlerror());
            return 1;
        }
    printf("ready %d\n", lib_fn() + prog_data + prog_ro[prog_data & 7]);
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
}
)";

struct Variant {
    bool separate_code;
    bool relro;
    bool pie;
};

std::string variant_name(const Variant& v) {
    return fmt::format("{}_{}_{}", v.separate_code ? "sep" : "nosep", v.relro ? "relro" : "norelro",
                       v.pie ? "pie" : "nopie");
}

std::vector<std::string> link_flags(bool separate_code, bool relro) {
    return {separate_code ? "-Wl,-z,separate-code" : "-Wl,-z,noseparate-code",
            relro ? "-Wl,-z,relro" : "-Wl,-z,norelro"};
}

std::string lib_name(bool separate_code, bool relro) {
    return fmt::format("lib{}-{}.so", separate_code ? "sep" : "nosep", relro ? "relro" : "norelro");
}

// Everything the tests build, once for the whole suite.
struct Built {
    TempDir dir{"vmatlas elf"};
    std::map<std::string, std::string> libs;     // variant lib name -> path
    std::map<std::string, std::string> progs;    // variant name -> path
    std::string gap_lib;                         // 64 KiB-aligned segments: the loader leaves gaps
    std::string named_lib;                       // with a .SUNW_phname section
    std::map<std::size_t, std::string> phnames;  // program header index -> name in named_lib

    Built() {
        const std::string lib_c = dir / "lib.c", prog_c = dir / "prog.c";
        write_text(lib_c, kLibSource);
        write_text(prog_c, kProgSource);
        for (bool sep : {true, false}) {
            for (bool relro : {true, false}) {
                const std::string out =
                    fs::canonical(dir.path()).string() + "/" + lib_name(sep, relro);
                std::vector<std::string> cmd = {"cc", "-O1", "-shared", "-fPIC", "-o", out, lib_c};
                for (auto& f : link_flags(sep, relro)) cmd.push_back(f);
                must_run(cmd);
                libs[lib_name(sep, relro)] = out;
            }
        }
        for (bool sep : {true, false}) {
            for (bool relro : {true, false}) {
                for (bool pie : {true, false}) {
                    const Variant v{sep, relro, pie};
                    const std::string out =
                        fs::canonical(dir.path()).string() + "/prog-" + variant_name(v);
                    std::vector<std::string> cmd = {"cc", "-O1", "-o", out, prog_c};
                    cmd.push_back(pie ? "-fPIE" : "-fno-pie");
                    cmd.push_back(pie ? "-pie" : "-no-pie");
                    for (auto& f : link_flags(sep, relro)) cmd.push_back(f);
                    cmd.push_back("-L" + dir.path().string());
                    cmd.push_back("-l:" + lib_name(sep, relro));
                    cmd.push_back("-Wl,-rpath," + fs::canonical(dir.path()).string());
                    cmd.push_back("-ldl");
                    must_run(cmd);
                    progs[variant_name(v)] = out;
                }
            }
        }
        gap_lib = fs::canonical(dir.path()).string() + "/libgap.so";
        must_run({"cc", "-O1", "-shared", "-fPIC", "-o", gap_lib, lib_c, "-Wl,-z,separate-code",
                  "-Wl,-z,relro", "-Wl,-z,max-page-size=0x10000"});
        make_named_lib();
    }

    // A library whose program headers are named by a .SUNW_phname section added with objcopy:
    // the names are exported symbols already in .dynstr. The third PT_LOAD is left unnamed (0).
    void make_named_lib() {
        const std::string plain = libs.at(lib_name(true, true));
        const auto strings = readelf_strings(plain, ".dynstr");
        auto offset_of = [&](std::string_view s) {
            for (const auto& [off, str] : strings)
                if (str == s) return off;
            throw std::runtime_error(fmt::format("{} is not in .dynstr", s));
        };
        const ReadelfView v = readelf_program_headers(plain);
        const std::vector<std::string> load_names = {"vmatlas_seg_meta", "vmatlas_seg_code", "",
                                                     "vmatlas_seg_vars"};
        std::string words;
        std::size_t load = 0;
        for (std::size_t i = 0; i < v.phdrs.size(); ++i) {
            std::uint32_t word = 0;
            if (v.phdrs[i].type == "LOAD") {
                const std::string& name = load_names.at(load++);
                if (!name.empty()) {
                    word = static_cast<std::uint32_t>(offset_of(name));
                    phnames[i] = name;
                }
            }
            words.append(reinterpret_cast<const char*>(&word), sizeof word);
        }
        if (load != 4) throw std::runtime_error("expected 4 PT_LOADs in " + plain);
        const std::string section = dir / "phname.bin";
        write_text(section, words);
        named_lib = fs::canonical(dir.path()).string() + "/libnamed.so";
        must_run({"objcopy", "--add-section", ".SUNW_phname=" + section, plain, named_lib});
    }
};

Built& built() {
    static Built b;
    return b;
}

// ---- the oracle ----------------------------------------------------------------------------

struct SectionInfo {
    std::string name;
    std::uint64_t addr = 0, size = 0;
    bool alloc = false, tls = false, nobits = false;
    std::size_t index = 0;
};

// readelf -SW: "  [Nr] Name Type Address Off Size ES Flg Lk Inf Al"
std::vector<SectionInfo> readelf_sections(const std::string& file) {
    const std::string text = must_run({"readelf", "-SW", file});
    std::vector<SectionInfo> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const auto open = line.find('['), close = line.find(']');
        if (open == std::string::npos || close == std::string::npos || close < open) continue;
        std::string idx = line.substr(open + 1, close - open - 1);
        idx.erase(0, idx.find_first_not_of(' '));
        if (idx.empty() || idx.find_first_not_of("0123456789") != std::string::npos) continue;
        const auto w = words(std::string_view(line).substr(close + 1));
        if (w.size() < 9) continue;  // [ 0] has no name
        SectionInfo s;
        s.index = std::stoul(idx);
        s.name = w[0];
        s.nobits = w[1] == "NOBITS";
        s.addr = parse_hex(w[2]);
        s.size = parse_hex(w[4]);
        if (w.size() == 10) {
            s.alloc = w[6].find('A') != std::string::npos;
            s.tls = w[6].find('T') != std::string::npos;
        }
        out.push_back(s);
    }
    return out;
}

std::string expected_sections(const std::vector<SectionInfo>& sections, std::uint64_t lo,
                              std::uint64_t hi) {
    std::vector<const SectionInfo*> hits;
    for (const SectionInfo& s : sections)
        if (s.alloc && s.size > 0 && !(s.tls && s.nobits) && s.addr < hi && s.addr + s.size > lo)
            hits.push_back(&s);
    std::stable_sort(hits.begin(), hits.end(), [](auto* a, auto* b) {
        return a->addr != b->addr ? a->addr < b->addr : a->index < b->index;
    });
    std::string out;
    for (const SectionInfo* s : hits) out += (out.empty() ? "" : " ") + s->name;
    return out;
}

struct Seen {
    std::multiset<std::string> names;
    std::size_t rows = 0;
};

// Checks every row of one object (and its bss row) against readelf of its file.
// contents: a copy of what file held when it was mapped, if it has changed since.
void check_object(const AddressSpace& space, const Annotations& notes, const std::string& file,
                  const std::map<std::size_t, std::string>& phnames, Seen& seen,
                  std::string contents = {}) {
    SCOPED_TRACE(file);
    if (contents.empty()) contents = file;
    const ReadelfView v = readelf_program_headers(contents);
    const auto sections = readelf_sections(contents);
    std::vector<const Phdr*> loads;
    const Phdr* relro = nullptr;
    std::map<const Phdr*, std::size_t> index_of;
    for (std::size_t i = 0; i < v.phdrs.size(); ++i) {
        index_of[&v.phdrs[i]] = i;
        if (v.phdrs[i].type == "LOAD") loads.push_back(&v.phdrs[i]);
        if (v.phdrs[i].type == "GNU_RELRO") relro = &v.phdrs[i];
    }
    ASSERT_FALSE(loads.empty());
    ASSERT_EQ(loads.front()->offset, 0u);
    const std::uint64_t phdr_end = v.phoff + v.phnum * 56;  // ELF64 program headers

    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < space.size(); ++i)
        if (space.path(space[i]) == file) rows.push_back(i);
    ASSERT_FALSE(rows.empty()) << "the object is not mapped";
    // The bias, from the lowest row that maps file offset 0: the first PT_LOAD.
    std::optional<std::uint64_t> bias;
    for (std::size_t i : rows)
        if (raw(space[i].offset) == 0 && !space[i].perms.none()) {
            bias = space[i].start - page_down(loads.front()->vaddr);
            break;
        }
    ASSERT_TRUE(bias.has_value());
    if (v.file_type == "EXEC") {
        EXPECT_EQ(*bias, 0u);
    }

    for (std::size_t i : rows) {
        const Mapping& m = space[i];
        const std::uint64_t lo = m.start - *bias, hi = m.end - *bias;
        const auto perms = m.perms.text();
        SCOPED_TRACE(fmt::format("row {:x}-{:x} {} offset {:x} (vaddr {:x}-{:x})", m.start, m.end,
                                 std::string_view(perms.data(), 4), raw(m.offset), lo, hi));
        std::string expected;
        if (m.perms.none()) {
            for (std::size_t k = 0; k + 1 < loads.size(); ++k)
                if (page_up(loads[k]->vaddr + loads[k]->memsz) <= lo &&
                    hi <= page_down(loads[k + 1]->vaddr))
                    expected = "gap";
        } else {
            const Phdr* load = nullptr;
            for (const Phdr* l : loads)
                if (page_down(l->vaddr) <= lo && hi <= page_up(l->vaddr + l->filesz)) load = l;
            ASSERT_NE(load, nullptr) << "no PT_LOAD holds this row";
            EXPECT_EQ(raw(m.offset), page_down(load->offset) + (lo - page_down(load->vaddr)));
            if (auto named = phnames.find(index_of[load]); named != phnames.end())
                expected = named->second;
            else if (load->w)
                expected = relro && !m.perms.writable() && lo >= page_down(relro->vaddr) &&
                                   hi <= page_down(relro->vaddr + relro->memsz)
                               ? "relro"
                               : "data";
            else if (load->x)
                expected = "text";
            else
                expected = load->offset == 0 && load->filesz >= phdr_end ? "headers" : "rodata";
        }
        ASSERT_FALSE(expected.empty()) << "the oracle has no name for this row";
        EXPECT_EQ(notes.labels[i].name, expected);
        EXPECT_EQ(notes.labels[i].source, NameSource::Elf);
        EXPECT_EQ(notes.labels[i].object, vmatlas::kNoPath);
        if (!notes.sections.empty()) {
            EXPECT_EQ(notes.sections[i],
                      expected == "gap" ? "" : expected_sections(sections, lo, hi));
        }
        seen.names.insert(expected);
        ++seen.rows;
    }

    // The bss: the anonymous row at the end of the last writable PT_LOAD's file part.
    const Phdr* data = nullptr;
    for (const Phdr* l : loads)
        if (l->w) data = l;
    ASSERT_NE(data, nullptr);
    const std::uint64_t bss_lo = *bias + page_up(data->vaddr + data->filesz);
    const std::uint64_t bss_hi = *bias + page_up(data->vaddr + data->memsz);
    ASSERT_GE(bss_hi - bss_lo, std::uint64_t{1} << 20) << "the 1 MiB .bss is missing";
    const auto at = space.find(bss_lo);
    ASSERT_TRUE(at.has_value()) << "nothing is mapped at the bss";
    const Mapping& b = space[*at];
    if (space.path(b) == "[heap]") return;  // brk not randomized: the kernel merged bss and heap
    EXPECT_EQ(b.start, bss_lo);
    EXPECT_TRUE(b.path == vmatlas::kNoPath) << space.path(b);
    // The row may run past bss_hi: the kernel merges it with an anonymous rw-p mapping made
    // right after it. It is the bss all the same (the stage's rule).
    EXPECT_EQ(notes.labels[*at].name, "bss");
    EXPECT_EQ(notes.labels[*at].source, NameSource::Elf);
    EXPECT_EQ(space.paths().get(notes.labels[*at].object), file);
    if (!notes.sections.empty()) {
        EXPECT_EQ(notes.sections[*at], expected_sections(sections, b.start - *bias, b.end - *bias));
    }
    seen.names.insert("bss");
}

AddressSpace maps_of(pid_t pid) {
    auto space = vmatlas::read_process_maps(pid);
    if (!space) throw std::runtime_error(space.error().message);
    return std::move(*space);
}

// ---- real objects in every layout ------------------------------------------------------------

class ElfLayouts : public ::testing::TestWithParam<Variant> {};

TEST_P(ElfLayouts, EveryRowMatchesReadelf) {
    const Variant var = GetParam();
    Built& b = built();
    const std::string prog = b.progs.at(variant_name(var));
    const std::string lib = b.libs.at(lib_name(var.separate_code, var.relro));
    Child child({prog, b.gap_lib});
    const AddressSpace space = maps_of(child.pid());
    vmatlas::AnnotateContext ctx;
    ctx.pid = child.pid();
    ctx.want_sections = true;
    const Annotations notes = vmatlas::annotate(space, ctx);
    EXPECT_TRUE(notes.warnings.empty()) << notes.warnings.front();

    Seen prog_seen, lib_seen, gap_seen;
    check_object(space, notes, prog, {}, prog_seen);
    check_object(space, notes, lib, {}, lib_seen);
    check_object(space, notes, b.gap_lib, {}, gap_seen);

    // The layouts the variant promises are really there.
    for (const Seen* s : {&prog_seen, &lib_seen}) {
        EXPECT_EQ(s->names.count("headers"), var.separate_code ? 1u : 0u);
        EXPECT_EQ(s->names.count("relro") > 0, var.relro);
        EXPECT_GE(s->names.count("text"), 1u);
        EXPECT_GE(s->names.count("data"), 1u);
    }
    EXPECT_GE(lib_seen.names.count("bss"), 1u);
    EXPECT_GE(gap_seen.names.count("gap"), 1u) << "the 64 KiB-aligned library left no gap";
    EXPECT_GE(gap_seen.names.count("bss"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Builds, ElfLayouts,
                         ::testing::Values(Variant{true, true, true}, Variant{true, true, false},
                                           Variant{true, false, true}, Variant{true, false, false},
                                           Variant{false, true, true}, Variant{false, true, false},
                                           Variant{false, false, true},
                                           Variant{false, false, false}),
                         [](const auto& info) { return variant_name(info.param); });

// ---- .SUNW_phname --------------------------------------------------------------------------

TEST(ElfPhname, ReaderReturnsTheNames) {
    Built& b = built();
    const int fd = open(b.named_lib.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    auto obj = vmatlas::elf::read_elf_object(fd);
    close(fd);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    EXPECT_TRUE(obj->has_phnames);
    EXPECT_TRUE(obj->warnings.empty()) << obj->warnings.front();
    for (std::size_t i = 0; i < obj->program_headers.size(); ++i) {
        auto it = b.phnames.find(i);
        EXPECT_EQ(obj->program_headers[i].name, it == b.phnames.end() ? "" : it->second) << i;
    }
}

TEST(ElfPhname, NamesWinOverInferredOnes) {
    Built& b = built();
    Child child({b.progs.at(variant_name({true, true, true})), b.named_lib});
    const AddressSpace space = maps_of(child.pid());
    const Annotations notes = vmatlas::annotate(space, {child.pid(), false});
    Seen seen;
    check_object(space, notes, b.named_lib, b.phnames, seen);
    EXPECT_EQ(seen.names.count("vmatlas_seg_meta"), 1u);
    EXPECT_GE(seen.names.count("vmatlas_seg_code"), 1u);
    EXPECT_GE(seen.names.count("rodata"), 1u);  // the unnamed PT_LOAD keeps its inferred name
    EXPECT_GE(seen.names.count("vmatlas_seg_vars"), 2u);  // its relro part too
    EXPECT_EQ(seen.names.count("relro"), 0u);
    EXPECT_EQ(seen.names.count("bss"), 1u);
}

// ---- the file the process mapped, not whatever has its name now ------------------------------

TEST(ElfFiles, ReplacedAndDeletedFiles) {
    Built& b = built();
    const std::string copy = fs::canonical(b.dir.path()).string() + "/libcopy.so";
    const std::string original = b.libs.at(lib_name(true, true));
    fs::copy_file(original, copy, fs::copy_options::overwrite_existing);
    Child child({b.progs.at(variant_name({true, true, true})), copy});
    const AddressSpace before = maps_of(child.pid());

    // Another file takes the name: the process still maps the old one.
    const std::string other = copy + ".new";
    fs::copy_file(b.libs.at(lib_name(false, false)), other);
    fs::rename(other, copy);

    // Live: map_files gives the mapped file.
    {
        const Annotations notes = vmatlas::annotate(before, {child.pid(), false});
        Seen seen;
        check_object(before, notes, copy, {}, seen, original);
        for (const auto& w : notes.warnings) EXPECT_EQ(w.find("libcopy"), std::string::npos) << w;
    }
    // Text (pid 0): the path is all there is, and it names another file now. A saved map may
    // come from another machine, so that is not worth a warning: the rows just stay unnamed.
    {
        const Annotations notes = vmatlas::annotate(before, {0, false});
        for (const auto& w : notes.warnings) EXPECT_EQ(w.find("libcopy"), std::string::npos) << w;
        for (std::size_t i = 0; i < before.size(); ++i)
            if (before.path(before[i]) == copy) {
                EXPECT_EQ(notes.labels[i].source, NameSource::None);
            }
        // Everything else is still named from its file.
        Seen seen;
        check_object(before, notes, b.progs.at(variant_name({true, true, true})), {}, seen);
    }
    // Deleted: the live map says "(deleted)", and map_files still opens it.
    fs::remove(copy);
    const AddressSpace after = maps_of(child.pid());
    std::size_t deleted_rows = 0;
    for (const Mapping& m : after.mappings()) deleted_rows += m.deleted();
    ASSERT_GE(deleted_rows, 1u);
    {
        const Annotations notes = vmatlas::annotate(after, {child.pid(), false});
        Seen seen;
        check_object(after, notes, copy, {}, seen, original);
        EXPECT_GE(seen.rows, 4u);
    }
    {
        const Annotations notes = vmatlas::annotate(after, {0, false});
        for (std::size_t i = 0; i < after.size(); ++i)
            if (after.path(after[i]) == copy) {
                EXPECT_EQ(notes.labels[i].source, NameSource::None);
            }
        for (const auto& w : notes.warnings) EXPECT_EQ(w.find("libcopy"), std::string::npos) << w;
    }
}

// ---- system objects ------------------------------------------------------------------------

bool maps_elf(pid_t pid, const Mapping& m) {
    const std::string name = fmt::format("/proc/{}/map_files/{:x}-{:x}", pid, m.start, m.end);
    const int fd = open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return false;
    char magic[4] = {};
    const bool elf = pread(fd, magic, 4, 0) == 4 && std::memcmp(magic,
                                                                "\x7f"
                                                                "ELF",
                                                                4) == 0;
    close(fd);
    return elf;
}

// Every file-backed row of every ELF object mapped by pid is named from its headers.
void expect_all_elf_rows_named(pid_t pid, std::size_t min_objects) {
    const AddressSpace space = maps_of(pid);
    const Annotations notes = vmatlas::annotate(space, {pid, true});
    std::set<std::string> objects;
    for (std::size_t i = 0; i < space.size(); ++i) {
        const Mapping& m = space[i];
        if (m.path == vmatlas::kNoPath || m.inode == 0 || vmatlas::is_kernel_name(space.path(m)))
            continue;
        if (!maps_elf(pid, m)) continue;
        objects.insert(std::string(space.path(m)));
        const auto perms = m.perms.text();
        EXPECT_EQ(notes.labels[i].source, NameSource::Elf) << fmt::format(
            "{:x}-{:x} {} {}", m.start, m.end, std::string_view(perms.data(), 4), space.path(m));
        static const std::set<std::string> kNames = {"text", "rodata",  "relro",
                                                     "data", "headers", "gap"};
        EXPECT_TRUE(kNames.contains(notes.labels[i].name.str())) << notes.labels[i].name;
        if (notes.labels[i].name == "text") {
            EXPECT_TRUE(m.perms.executable());
            EXPECT_NE(notes.sections[i].find(".text"), std::string::npos);
        }
    }
    EXPECT_GE(objects.size(), min_objects);
    for (const auto& w : notes.warnings) ADD_FAILURE() << "warning: " << w;
}

TEST(ElfSystemObjects, TheTestItself) {
    // This binary, libstdc++, libc, ld.so, libelf, ...
    expect_all_elf_rows_named(getpid(), 4);
}

TEST(ElfSystemObjects, TheDemo) {
    Child demo({VMATLAS_DEMO_BIN, "--seconds", "60"});
    expect_all_elf_rows_named(demo.pid(), 3);  // the demo, its plugin, libc, ld.so
}

TEST(ElfSystemObjects, Python) {
    if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
    Child py({"/usr/bin/python3", "-c",
              "import sys, json, ctypes; print('ready', flush=True); sys.stdin.read()"});
    expect_all_elf_rows_named(py.pid(), 3);
}

// ---- many rows, few objects ----------------------------------------------------------------

TEST(ElfScale, SixtyThousandRowsOfTwoHundredObjects) {
    // Rows of real libraries, as a maps text (pid 0: the paths are opened): each object gets 300
    // rows spread far apart, most of which no segment explains. Every file must be read once, so
    // this stays fast.
    std::vector<std::pair<std::string, struct stat>> files;
    for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib"}) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            if (files.size() >= 200) break;
            struct stat st;
            if (e.path().string().find(".so") == std::string::npos) continue;
            if (stat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
            files.emplace_back(fs::canonical(e.path()).string(), st);
        }
    }
    if (files.size() < 20) GTEST_SKIP() << "too few shared libraries on this system";
    std::string text;
    std::uint64_t addr = 0x100000000;
    for (std::size_t k = 0; k < 300; ++k) {
        for (const auto& [path, st] : files) {
            text += fmt::format("{:x}-{:x} r--p {:08x} {:02x}:{:02x} {} {}\n", addr, addr + 0x1000,
                                k * 0x1000, major(st.st_dev), minor(st.st_dev), st.st_ino, path);
            addr += 0x2000;
        }
    }
    const AddressSpace space =
        vmatlas::parse_maps_text(text, {vmatlas::SourceKind::MapsText, "test", 0, ""});
    ASSERT_EQ(space.size(), files.size() * 300);
    const auto t0 = std::chrono::steady_clock::now();
    const Annotations notes = vmatlas::annotate(space, {0, true});
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(elapsed, std::chrono::seconds(3));
    std::size_t named = 0;
    for (const auto& l : notes.labels) named += l.source == NameSource::Elf;
    EXPECT_GT(named, 0u);
}

}  // namespace
