// The test program running (where_child.c, with its library dlopened): every function of both
// objects at its address in the process, against readelf and /proc/PID/maps; the copy of its
// text it maps elsewhere; MODULE+OFFSET from one run found again in another at other bases; the
// answers through PROCMAP_QUERY equal to those through the text on one stopped process; and a
// core and a snapshot of it answering as it did.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "core/core_support.hpp"
#include "sources/procmap_query.hpp"
#include "vmatlas/where.hpp"
#include "where/where_support.hpp"

namespace wheretest {
namespace {

using vmatlas::Addr;
using vmatlas::Locator;
using vmatlas::NamedMap;
using vmatlas::WhereAnswer;

// A running test program: stopped and reaped on destruction. It says where its text's copy is.
struct Running {
    explicit Running(Variant v) : child({build(v).exe, build(v).lib}) {
        const auto w = elftest::words(child.ready_line());  // "ready REMAP VADDR"
        copy = elftest::parse_hex(w.at(1));
        copy_vaddr = elftest::parse_hex(w.at(2));
        maps = vmtest::read_proc_maps(child.pid());
    }
    // The lowest row of a file: where its offset 0 is, for these objects.
    Addr base_of(const std::string& file) const {
        for (const vmtest::ProcRow& r : maps)
            if (r.path == file && r.offset == 0) return r.start;
        throw std::runtime_error("not mapped: " + file);
    }
    void stop() {
        kill(child.pid(), SIGSTOP);
        int ws = 0;
        waitpid(child.pid(), &ws, WUNTRACED);
    }
    // Going on lets a stopped program see the end of its input and exit.
    ~Running() { kill(child.pid(), SIGCONT); }
    elftest::Child child;
    Addr copy = 0, copy_vaddr = 0;
    std::vector<vmtest::ProcRow> maps;
};

struct Opened {
    NamedMap map;
    std::unique_ptr<Locator> where;
};

Opened open(vmatlas::Result<NamedMap> map, const std::string& what) {
    if (!map) throw std::runtime_error(what + ": " + map.error().message);
    Opened o{std::move(*map), nullptr};
    o.where = std::make_unique<Locator>(o.map);
    return o;
}

// readelf -SW: the allocated sections, name and range.
struct Section {
    std::string name;
    std::uint64_t addr = 0, size = 0;
};

std::vector<Section> sections(const std::string& file) {
    std::vector<Section> out;
    std::istringstream in(must_run({"readelf", "-SW", file}));
    for (std::string line; std::getline(in, line);) {
        const auto open = line.find('[');
        const auto close = line.find(']');
        if (open == std::string::npos || close == std::string::npos || line[open + 1] == 'N')
            continue;
        const auto w = elftest::words(line.substr(close + 1));
        // Name Type Address Off Size ES Flg Lk Inf Al
        if (w.size() < 10 || w[6].find('A') == std::string::npos) continue;
        out.push_back({w[0], elftest::parse_hex(w[2]), elftest::parse_hex(w[4])});
    }
    return out;
}

std::string build_id(const std::string& file) {
    std::istringstream in(must_run({"readelf", "-n", file}));
    for (std::string line; std::getline(in, line);)
        if (const auto at = line.find("Build ID: "); at != std::string::npos)
            return line.substr(at + 10);
    return {};
}

TEST(WhereLive, EveryFunctionOfBothObjects) {
    Running run(Variant::Debug);
    const Built& b = build(Variant::Debug);
    Opened live = open(vmatlas::open_named_map(std::to_string(run.child.pid())), "live");
    WhereAnswer a;
    for (const std::string& file : {b.exe, b.lib}) {
        SCOPED_TRACE(file);
        const Addr base = run.base_of(file);
        const auto phdrs = elftest::readelf_program_headers(file).phdrs;
        const auto secs = sections(file);
        const std::string id = build_id(file);
        ASSERT_FALSE(id.empty());
        std::size_t checked = 0;
        const auto syms = functions(file, false);
        std::map<std::uint64_t, std::vector<const Sym*>> aliases;
        for (const Sym& s : syms) aliases[s.value].push_back(&s);
        for (const Sym& s : syms) {
            if (s.size == 0 || s.type != "FUNC") continue;
            SCOPED_TRACE(s.name);
            live.where->locate(base + s.value, a);
            ASSERT_TRUE(a.row);
            EXPECT_EQ(a.symbol.name, preferred(aliases[s.value]).name);
            EXPECT_EQ(a.symbol.offset, 0u);
            EXPECT_EQ(a.symbol.value, base + s.value);
            EXPECT_EQ(a.image_path, file);
            EXPECT_EQ(a.image_name, file.substr(file.rfind('/') + 1));
            EXPECT_EQ(a.image_base, base);
            EXPECT_EQ(a.elf_vaddr, s.value);
            EXPECT_EQ(std::string_view(live.map.notes.labels[*a.row].name), "text");
            // The PT_LOAD and the section that hold it, as readelf lists them.
            std::optional<std::size_t> load;
            for (std::size_t k = 0; k < phdrs.size(); ++k)
                if (phdrs[k].type == "LOAD" && s.value >= phdrs[k].vaddr &&
                    s.value < phdrs[k].vaddr + phdrs[k].memsz)
                    load = k;
            EXPECT_EQ(a.segment, load);
            ASSERT_TRUE(load);
            EXPECT_EQ(a.segment_offset, s.value - phdrs[*load].vaddr);
            EXPECT_EQ(a.file_offset, phdrs[*load].offset + (s.value - phdrs[*load].vaddr));
            const Section* sec = nullptr;
            for (const Section& x : secs)
                if (s.value >= x.addr && s.value < x.addr + x.size) sec = &x;
            ASSERT_NE(sec, nullptr);
            EXPECT_EQ(a.section, sec->name);
            EXPECT_EQ(a.section_offset, s.value - sec->addr);
            EXPECT_EQ(a.build_id, id);
            if (s.name.starts_with("where_")) EXPECT_FALSE(a.frames.empty());
            ++checked;
        }
        EXPECT_GE(checked, file == b.exe ? 5u : 3u);
    }
}

// The copy of its text the program maps elsewhere: the row is "text", named by the file offsets
// it maps, and each address in it answers as the same byte where the loader put it.
TEST(WhereLive, RemappedTextResolvesThroughItsOffset) {
    Running run(Variant::Debug);
    const Built& b = build(Variant::Debug);
    Opened live = open(vmatlas::open_named_map(std::to_string(run.child.pid())), "live");
    const Addr base = run.base_of(b.exe);
    WhereAnswer copy, original;
    std::size_t checked = 0;
    for (const Sym& s : functions(b.exe, false)) {
        if (s.size == 0 || s.type != "FUNC" || s.value < run.copy_vaddr) continue;
        for (std::uint64_t k = 0; k < s.size; k += 3) {
            const std::uint64_t vaddr = s.value + k;
            live.where->locate(run.copy + (vaddr - run.copy_vaddr), copy);
            live.where->locate(base + vaddr, original);
            SCOPED_TRACE(fmt::format("{}+{:#x}", s.name, k));
            ASSERT_TRUE(copy.row);
            EXPECT_NE(copy.row, original.row);
            EXPECT_EQ(std::string_view(live.map.notes.labels[*copy.row].name), "text");
            EXPECT_EQ(live.map.notes.labels[*copy.row].source, vmatlas::NameSource::Elf);
            EXPECT_EQ(copy.image_path, b.exe);
            EXPECT_EQ(copy.elf_vaddr, vaddr);
            EXPECT_EQ(copy.file_offset, original.file_offset);
            EXPECT_EQ(copy.segment, original.segment);
            EXPECT_EQ(copy.section, original.section);
            EXPECT_EQ(copy.symbol.name, s.name);
            EXPECT_EQ(copy.symbol.offset, k);
            ASSERT_EQ(copy.frames.size(), original.frames.size());
            for (std::size_t f = 0; f < copy.frames.size(); ++f) {
                EXPECT_EQ(copy.frames[f].function, original.frames[f].function);
                EXPECT_EQ(copy.frames[f].line, original.frames[f].line);
            }
            ++checked;
        }
    }
    EXPECT_GT(checked, 20u);
}

// MODULE+OFFSET written from one run finds the same code in another, at other bases.
TEST(WhereLive, ModulePlusOffsetAcrossRuns) {
    const Built& b = build(Variant::Debug);
    Running first(Variant::Debug);
    Running second(Variant::Debug);
    Opened one = open(vmatlas::open_named_map(std::to_string(first.child.pid())), "first");
    Opened two = open(vmatlas::open_named_map(std::to_string(second.child.pid())), "second");
    if (vmtest::slurp("/proc/sys/kernel/randomize_va_space").starts_with("0"))
        std::printf("address space randomization is off: both runs share their bases\n");
    else
        EXPECT_NE(first.base_of(b.lib), second.base_of(b.lib));
    WhereAnswer a, again;
    std::size_t checked = 0;
    for (const std::string& file : {b.exe, b.lib}) {
        for (const Sym& s : functions(file, false)) {
            if (s.size == 0 || s.type != "FUNC") continue;
            one.where->locate(first.base_of(file) + s.value + 1, a);
            ASSERT_TRUE(a.image_base);
            const std::string spelled =
                fmt::format("{}+{:#x}", a.image_name, a.address - *a.image_base);
            SCOPED_TRACE(spelled);
            auto addr = two.where->resolve(spelled);
            ASSERT_TRUE(addr.ok()) << addr.error().message;
            EXPECT_EQ(*addr, second.base_of(file) + s.value + 1);
            two.where->locate(*addr, again);
            EXPECT_EQ(again.symbol.name, a.symbol.name);
            EXPECT_EQ(again.symbol.offset, 1u);
            ++checked;
        }
    }
    EXPECT_GT(checked, 8u);
    // A symbol by name, and a vmatlas name.
    auto alpha = two.where->resolve("where_alpha+4");
    ASSERT_TRUE(alpha.ok()) << alpha.error().message;
    two.where->locate(*alpha, a);
    EXPECT_EQ(a.symbol.name, "where_alpha");
    EXPECT_EQ(a.symbol.offset, 4u);
    auto heap = two.where->resolve("[heap]+0x10");
    ASSERT_TRUE(heap.ok()) << heap.error().message;
    two.where->locate(*heap, a);
    EXPECT_EQ(std::string_view(two.map.notes.labels[*a.row].name), "[heap]");
    EXPECT_EQ(a.mapping_offset, 0x10u);
}

// The addresses the comparisons below ask about: every function of both objects, the text's
// copy, the heap, the stack, the bss, the vdso, and holes (below everything, between rows).
std::vector<Addr> sample_addresses(const Running& run) {
    const Built& b = build(Variant::Debug);
    std::vector<Addr> out;
    for (const std::string& file : {b.exe, b.lib})
        for (const Sym& s : functions(file, false, false))
            out.push_back(run.base_of(file) + s.value + s.size / 2);
    out.push_back(run.copy + 0x10);
    for (const vmtest::ProcRow& r : run.maps) {
        if (r.path == "[vsyscall]") continue;  // not a VMA: PROCMAP_QUERY cannot see it
        if (r.path.empty() || r.path[0] == '[') out.push_back(r.start + (r.size() / 3 & ~7ull));
    }
    out.push_back(0x1000);
    for (std::size_t k = 1; k < run.maps.size(); ++k)
        if (run.maps[k - 1].end < run.maps[k].start && run.maps[k].path != "[vsyscall]") {
            out.push_back(run.maps[k - 1].end);
            break;
        }
    return out;
}

// Every fact of two answers that both targets know.
void expect_same(const WhereAnswer& x, const NamedMap& xm, const WhereAnswer& y, const NamedMap& ym,
                 bool same_perms = true) {
    SCOPED_TRACE(x.row ? fmt::format("the row at {:#x}, {}", xm.space[*x.row].start,
                                     xm.space.path(xm.space[*x.row]))
                       : std::string("a hole"));
    ASSERT_EQ(x.row.has_value(), y.row.has_value());
    if (x.row) {
        const vmatlas::Mapping& a = xm.space[*x.row];
        const vmatlas::Mapping& b = ym.space[*y.row];
        EXPECT_EQ(a.start, b.start);
        EXPECT_EQ(a.end, b.end);
        if (same_perms) EXPECT_EQ(a.perms, b.perms);
        EXPECT_EQ(std::string_view(xm.notes.labels[*x.row].name),
                  std::string_view(ym.notes.labels[*y.row].name));
    } else {
        EXPECT_EQ(x.hole_start, y.hole_start);
        EXPECT_EQ(x.hole_end, y.hole_end);
    }
    EXPECT_EQ(x.image_name, y.image_name);
    EXPECT_EQ(x.image_path, y.image_path);
    EXPECT_EQ(x.image_base, y.image_base);
    EXPECT_EQ(x.mapping_offset, y.mapping_offset);
    EXPECT_EQ(x.file_offset, y.file_offset);
    EXPECT_EQ(x.elf_vaddr, y.elf_vaddr);
    EXPECT_EQ(x.segment, y.segment);
    EXPECT_EQ(x.segment_offset, y.segment_offset);
    EXPECT_EQ(x.section, y.section);
    EXPECT_EQ(x.symbol.name, y.symbol.name);
    EXPECT_EQ(x.symbol.offset, y.symbol.offset);
    EXPECT_EQ(x.symbol.source, y.symbol.source);
    EXPECT_EQ(x.build_id, y.build_id);
    ASSERT_EQ(x.frames.size(), y.frames.size());
    for (std::size_t f = 0; f < x.frames.size(); ++f) {
        EXPECT_EQ(x.frames[f].function, y.frames[f].function);
        EXPECT_EQ(x.frames[f].file, y.frames[f].file);
        EXPECT_EQ(x.frames[f].line, y.frames[f].line);
    }
}

TEST(WhereLive, ProcmapQueryAnswersAsTheText) {
    if (!vmatlas::kernel_has_procmap_query()) GTEST_SKIP() << "this kernel has no PROCMAP_QUERY";
    Running run(Variant::Debug);
    run.stop();
    const std::string pid = std::to_string(run.child.pid());
    std::vector<Addr> addrs = sample_addresses(run);
    // In mappings only: an address in a hole makes open_map_around read the whole map.
    std::vector<Addr> mapped;
    for (Addr a : addrs)
        for (const vmtest::ProcRow& r : run.maps)
            if (a >= r.start && a < r.end) mapped.push_back(a);
    Opened text = open(vmatlas::open_named_map(pid), "text");
    Opened query = open(vmatlas::open_map_around(pid, mapped), "PROCMAP_QUERY");
    EXPECT_LT(query.map.space.size(), text.map.space.size()) << "only the rows around them";
    EXPECT_GT(mapped.size(), 20u);
    WhereAnswer x, y;
    for (Addr a : mapped) {
        SCOPED_TRACE(fmt::format("{:#x}", a));
        text.where->locate(a, x);
        query.where->locate(a, y);
        expect_same(x, text.map, y, query.map);
    }
    // With an address in a hole, the whole map is read: the same rows as the text.
    Opened whole = open(vmatlas::open_map_around(pid, addrs), "PROCMAP_QUERY with a hole");
    EXPECT_EQ(whole.map.space.size(), text.map.space.size());
    for (Addr a : addrs) {
        SCOPED_TRACE(fmt::format("{:#x}", a));
        text.where->locate(a, x);
        whole.where->locate(a, y);
        expect_same(x, text.map, y, whole.map);
    }
}

// A process that exits, or runs exec, after its map was opened: PROCMAP_QUERY says so (ESRCH),
// and the answer is that it exited.
TEST(WhereLive, ProcmapQueryOfAProcessThatExitsOrExecs) {
    if (!vmatlas::kernel_has_procmap_query()) GTEST_SKIP() << "this kernel has no PROCMAP_QUERY";
    using Find = vmatlas::ProcmapQuery::Find;
    {
        auto run = std::make_unique<Running>(Variant::Debug);
        auto q = vmatlas::ProcmapQuery::open(run->child.pid());
        ASSERT_TRUE(q.ok()) << q.error().message;
        auto found = q->query(run->copy, Find::Covering);
        ASSERT_TRUE(found.ok() && found->has_value());
        EXPECT_EQ((*found)->mapping.start, run->copy);
        run.reset();  // the program exits and is reaped
        auto gone = q->query(0x1000, Find::CoveringOrNext);
        ASSERT_FALSE(gone.ok());
        EXPECT_EQ(gone.error().kind, vmatlas::ErrorKind::ProcessExited) << gone.error().message;
    }
    {
        // A shell that runs exec once it reads a line.
        elftest::Child shell({"/bin/sh", "-c", "echo ready; read l; exec sleep 30"});
        auto q = vmatlas::ProcmapQuery::open(shell.pid());
        ASSERT_TRUE(q.ok()) << q.error().message;
        ASSERT_TRUE(q->query(0, Find::CoveringOrNext).ok());
        ASSERT_EQ(write(shell.stdin_fd(), "go\n", 3), 3);
        // Until exec has replaced its memory, the old map still answers.
        std::optional<vmatlas::Error> error;
        for (int i = 0; i < 500 && !error; ++i) {
            auto r = q->query(0, Find::CoveringOrNext);
            if (!r.ok()) error = r.error();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ASSERT_TRUE(error.has_value()) << "the query never failed after exec";
        EXPECT_EQ(error->kind, vmatlas::ErrorKind::ProcessExited) << error->message;
        EXPECT_NE(error->message.find("exec"), std::string::npos) << error->message;
        kill(shell.pid(), SIGKILL);
    }
}

TEST(WhereLive, CoreAndSnapshotAnswerAsTheProcess) {
    Running run(Variant::Debug);
    run.stop();
    const std::string pid = std::to_string(run.child.pid());
    vmtest::TempDir dir("vmatlas where core");
    Opened live = open(vmatlas::open_named_map(pid), "live");
    const std::string snapshot = dir / "where.json";
    const vmtest::RunResult saved = vmtest::vmatlas({"save", pid, "-o", snapshot});
    ASSERT_EQ(saved.status, 0) << saved.err;
    const auto core = vmtest::gcore(run.child.pid(), dir / "core");
    const std::vector<Addr> addrs = sample_addresses(run);
    Opened snap = open(vmatlas::open_named_map(snapshot), "snapshot");
    WhereAnswer x, y;
    for (Addr a : addrs) {
        SCOPED_TRACE(fmt::format("snapshot, {:#x}", a));
        live.where->locate(a, x);
        snap.where->locate(a, y);
        expect_same(x, live.map, y, snap.map);
    }
    if (!core) GTEST_SKIP() << "gcore could not dump the child";
    Opened dumped = open(vmatlas::open_named_map(*core), "core");
    for (Addr a : addrs) {
        SCOPED_TRACE(fmt::format("core, {:#x}", a));
        live.where->locate(a, x);
        // gcore leaves out [vvar] and [vvar_vclock]: the kernel's pages, not the process's.
        if (x.row && live.map.space.path(live.map.space[*x.row]).starts_with("[vvar")) continue;
        dumped.where->locate(a, y);
        // A core does not record whether a file mapping was shared ('?').
        expect_same(x, live.map, y, dumped.map, false);
    }
}

}  // namespace
}  // namespace wheretest
