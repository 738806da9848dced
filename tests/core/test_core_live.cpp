// Core files of a real process, made both ways from the same stopped state (gcore first, then the
// kernel on SIGSEGV), against what /proc and vmatlas said of the live process just before:
// row by row, with names, thread stacks for every thread, and every file row gdb shows.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/core_support.hpp"
#include "vmatlas/named_map.hpp"

namespace vmtest {
namespace {

using nlohmann::json;

struct Dumps {
    std::unique_ptr<TempDir> dir;
    pid_t pid = 0;
    std::vector<ProcRow> live;          // /proc/PID/maps of the stopped child
    json live_view;                     // vmatlas --json PID, stopped
    std::vector<pid_t> tids;            // its threads
    std::optional<std::string> kernel;  // the kernel's core
    std::optional<std::string> gdb;     // gcore's
    std::string why_no_kernel_core;
};

// Starts the program, stops it, reads it live, dumps it with gcore, then lets the kernel dump it.
Dumps make_dumps(std::vector<std::string> argv, const std::string& stem) {
    Dumps d;
    d.dir = std::make_unique<TempDir>(stem);
    Child child(std::move(argv), dumpable_in(d.dir->path()));
    d.pid = child.pid();
    child.pause();
    d.live = read_proc_maps(d.pid);
    d.live_view = parse_json(vmatlas({"--json", child.pid_text()}));
    d.tids = thread_ids(d.pid);
    d.gdb = gcore(d.pid, *d.dir / "gcore");
    const auto pattern = relative_core_pattern();
    if (!pattern) {
        d.why_no_kernel_core =
            "core_pattern is not a relative path: the kernel's core is "
            "written where this test cannot choose";
        return d;
    }
    if (!child.dump_by_signal()) {
        d.why_no_kernel_core = "the child did not dump core on SIGSEGV";
        return d;
    }
    d.kernel = find_core(d.dir->path(), *pattern);
    if (!d.kernel) d.why_no_kernel_core = "no core file appeared";
    return d;
}

const Dumps& dumps() {
    static Dumps d = make_dumps({VMATLAS_DEMO_BIN, "--seconds", "120"}, "vmatlas core");
    return d;
}

json core_view(const std::string& core) {
    RunResult r = vmatlas({"--json", core});
    EXPECT_EQ(r.status, 0) << r.err;
    return parse_json(r);
}

bool file_row(const ProcRow& r) {
    return !r.path.empty() && !r.kernel_name();
}

// Every field of the core's row that a core records, against /proc's row.
void expect_same_row(const json& c, const ProcRow& r, bool perms_known) {
    const std::string where = to_hex(r.start) + " " + r.path;
    EXPECT_EQ(c.at("start"), to_hex(r.start)) << where;
    EXPECT_EQ(c.at("end"), to_hex(r.end)) << where;
    const std::string perms = c.at("perms");
    if (perms_known) {
        EXPECT_EQ(perms.substr(0, 3), r.perms.substr(0, 3)) << where;
        // A core does not say whether a file mapping was shared; an anonymous one was private.
        EXPECT_EQ(perms[3], file_row(r) ? '?' : r.perms[3]) << where;
    }
    if (file_row(r)) {
        EXPECT_EQ(c.at("path"), r.path) << where;
        EXPECT_EQ(c.at("deleted"), r.deleted) << where;
        EXPECT_EQ(c.at("offset"), r.offset) << where;
    } else {
        EXPECT_EQ(c.at("path"), "") << where;
    }
}

void expect_rows_and_names(const Dumps& d, const std::string& process) {
    const json core = core_view(*d.kernel);
    const json& rows = core.at("mappings");
    const json& live_rows = d.live_view.at("mappings");
    ASSERT_EQ(rows.size(), d.live.size());
    ASSERT_EQ(live_rows.size(), d.live.size());
    std::size_t kernel_names = 0;
    for (std::size_t i = 0; i < d.live.size(); ++i) {
        expect_same_row(rows[i], d.live[i], true);
        // Names as the live process's: ELF segments, bss, thread stacks and guards, arenas,
        // [anon_...]; the kernel's own names come back from the core's facts.
        EXPECT_EQ(rows[i].at("name"), live_rows[i].at("name")) << to_hex(d.live[i].start);
        if (d.live[i].kernel_name()) {
            EXPECT_EQ(rows[i].at("name"), d.live[i].path);
            ++kernel_names;
        }
    }
    // [heap], [stack], [vvar], [vvar_vclock], [vdso] (and [vsyscall] in a 64-bit process).
    EXPECT_GE(kernel_names, 5u);
    EXPECT_EQ(core.at("source").at("kind"), "core");
    EXPECT_EQ(core.at("source").at("pid"), d.pid);
    EXPECT_EQ(core.at("source").at("process"), process);
    // Only that its deleted files' names could be so named.
    EXPECT_TRUE(only_marked_names(core.at("warnings").get<std::vector<std::string>>()))
        << core.at("warnings").dump();
}

TEST(KernelCore, EveryLiveRowWithItsFieldsAndName) {
    const Dumps& d = dumps();
    if (!d.kernel) GTEST_SKIP() << d.why_no_kernel_core;
    expect_rows_and_names(d, "vmatlas-demo");
}

// The library's one call (open_named_map) names a core as the command named the live process
// before it dumped: every row's name and the object of a bss row, [stack],
// [heap] and [vdso] among them, with no step left to the caller.
TEST(KernelCore, TheLibraryNamesItAsTheLiveProcessWasNamed) {
    const Dumps& d = dumps();
    if (!d.kernel) GTEST_SKIP() << d.why_no_kernel_core;
    const json& rows = d.live_view.at("mappings");
    const auto map = vmatlas::open_named_map(*d.kernel);
    ASSERT_TRUE(map.ok()) << map.error().message;
    EXPECT_EQ(map->kind, vmatlas::TargetKind::Core);
    ASSERT_EQ(map->space.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const vmatlas::Label& label = map->notes.labels[i];
        SCOPED_TRACE(to_hex(map->space[i].start));
        EXPECT_EQ(rows[i].at("start"), to_hex(map->space[i].start));
        EXPECT_EQ(rows[i].at("name"), std::string(label.name.view()));
        EXPECT_EQ(rows[i].at("object"),
                  label.object == vmatlas::kNoPath ? "" : map->space.paths().get(label.object));
        if (d.live[i].kernel_name()) {
            EXPECT_EQ(label.name.view(), d.live[i].path);
        }
    }
    EXPECT_TRUE(map->facts.has_threads);
}

// The example program prints the same rows through the public headers alone.
TEST(KernelCore, TheExampleProgramPrintsItsNamedMap) {
    const Dumps& d = dumps();
    if (!d.kernel) GTEST_SKIP() << d.why_no_kernel_core;
    const json rows = core_view(*d.kernel).at("mappings");
    const RunResult r = run({VMATLAS_EXAMPLE_BIN, *d.kernel});
    ASSERT_EQ(r.status, 0) << r.err;
    const std::vector<std::string> printed = lines(r.out);
    ASSERT_EQ(printed.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const json& row = rows[i];
        const std::string want =
            row.at("start").get<std::string>() + " " + row.at("end").get<std::string>() + " " +
            row.at("perms").get<std::string>() + " " + row.at("name").get<std::string>() + " " +
            row.at("path").get<std::string>();
        EXPECT_EQ(printed[i], want);
    }
}

// Each PT_LOAD's share of the file, as readelf reads the core, against the InCore of its row.
TEST(KernelCore, InCoreFollowsEachLoadsFileSize) {
    const Dumps& d = dumps();
    if (!d.kernel) GTEST_SKIP() << d.why_no_kernel_core;
    std::map<std::string, std::string> expected;  // start -> all, part, none
    for (const std::string& line : lines(run({"/usr/bin/readelf", "-lW", *d.kernel}).out)) {
        std::size_t pos = 0;
        if (next_word(line, pos) != "LOAD") continue;
        next_word(line, pos);  // offset
        const std::uint64_t vaddr = hex(next_word(line, pos));
        next_word(line, pos);  // paddr
        const std::uint64_t filesz = hex(next_word(line, pos));
        const std::uint64_t memsz = hex(next_word(line, pos));
        expected[to_hex(vaddr)] = filesz == 0 ? "none" : filesz < memsz ? "part" : "all";
    }
    ASSERT_EQ(expected.size(), d.live.size());
    const json view = core_view(*d.kernel);
    for (const json& row : view.at("mappings"))
        EXPECT_EQ(row.at("in_core"), expected.at(row.at("start"))) << row.at("start");
}

TEST(Gcore, EveryRowIsALiveRowAndEveryFileRowIsThere) {
    const Dumps& d = dumps();
    if (!d.gdb) GTEST_SKIP() << "gcore could not dump the child";
    const json core = core_view(*d.gdb);
    std::map<std::string, const json*> by_start;
    for (const json& row : core.at("mappings")) by_start[row.at("start")] = &row;
    std::map<std::string, const json*> live_names;
    for (const json& row : d.live_view.at("mappings")) live_names[row.at("start")] = &row;
    std::size_t matched = 0;
    for (const ProcRow& r : d.live) {
        auto it = by_start.find(to_hex(r.start));
        if (it == by_start.end()) {
            // gdb leaves out the kernel's data pages and memory it cannot read; every file
            // mapping is in its NT_FILE note.
            EXPECT_FALSE(file_row(r)) << "missing file row " << to_hex(r.start) << " " << r.path;
            EXPECT_TRUE(r.path == "[vvar]" || r.path == "[vvar_vclock]" || !r.accessible())
                << "missing row " << to_hex(r.start) << " " << r.path;
            continue;
        }
        ++matched;
        const json& c = *it->second;
        // gdb's p_flags add R to pages that have none (guard pages, reservations) and to the
        // execute-only vsyscall page: a gcore core says r-- where /proc said ---.
        const bool gdb_adds_read = r.perms.starts_with("---") || r.path == "[vsyscall]";
        if (gdb_adds_read) {
            EXPECT_EQ(c.at("perms").get<std::string>().substr(1, 2), r.perms.substr(1, 2));
        }
        expect_same_row(c, r, c.at("perms") != "????" && !gdb_adds_read);
        if (c.at("perms") == "????") {
            EXPECT_TRUE(file_row(r)) << to_hex(r.start);
        }
        // Names as live, but for a guard page, which gdb's R hides.
        if (!gdb_adds_read) {
            EXPECT_EQ(c.at("name"), live_names.at(to_hex(r.start))->at("name")) << to_hex(r.start);
        }
    }
    EXPECT_EQ(matched, core.at("mappings").size());
}

// gdb's own view of a core: only the file rows of NT_FILE. Each one is in vmatlas's view.
void expect_gdb_rows_present(const std::string& core) {
    const auto gdb = gdb_core_mappings(VMATLAS_DEMO_BIN, core);
    ASSERT_GT(gdb.size(), 10u) << "gdb showed no mappings";
    std::map<std::string, const json*> by_start;
    const json view = core_view(core);
    for (const json& row : view.at("mappings")) by_start[row.at("start")] = &row;
    for (const GdbRow& g : gdb) {
        auto it = by_start.find(to_hex(g.start));
        ASSERT_NE(it, by_start.end()) << "gdb's row " << to_hex(g.start) << " " << g.path;
        const json& row = *it->second;
        EXPECT_EQ(row.at("end"), to_hex(g.end)) << g.path;
        EXPECT_EQ(row.at("offset"), g.offset) << g.path;
        std::string path = row.at("path");
        if (row.at("deleted")) path += " (deleted)";
        EXPECT_EQ(path, g.path);
    }
}

TEST(KernelCore, EveryFileRowGdbShows) {
    const Dumps& d = dumps();
    if (!d.kernel) GTEST_SKIP() << d.why_no_kernel_core;
    expect_gdb_rows_present(*d.kernel);
}

TEST(Gcore, EveryFileRowGdbShows) {
    const Dumps& d = dumps();
    if (!d.gdb) GTEST_SKIP() << "gcore could not dump the child";
    expect_gdb_rows_present(*d.gdb);
}

// guards: whether the core can tell guard pages (gcore writes PF_R for them: see below).
void expect_thread_stacks(const std::string& core, const Dumps& d, bool guards,
                          std::size_t threads = 3) {
    std::set<std::string> names;
    const json view = core_view(core);
    for (const json& row : view.at("mappings")) {
        if (row.at("name_source") == "registers") names.insert(row.at("name").get<std::string>());
    }
    for (pid_t tid : d.tids) {
        if (tid == d.pid) continue;
        EXPECT_TRUE(names.count("stack tid=" + std::to_string(tid))) << tid;
        if (guards) {
            EXPECT_TRUE(names.count("guard tid=" + std::to_string(tid))) << tid;
        }
    }
    EXPECT_TRUE(names.count("[stack]"));
    EXPECT_EQ(d.tids.size(), threads);  // the main thread and two idle ones
}

TEST(KernelCore, ThreadStacksOfEveryThread) {
    const Dumps& d = dumps();
    if (!d.kernel) GTEST_SKIP() << d.why_no_kernel_core;
    expect_thread_stacks(*d.kernel, d, true);
}

TEST(Gcore, ThreadStacksOfEveryThread) {
    const Dumps& d = dumps();
    if (!d.gdb) GTEST_SKIP() << "gcore could not dump the child";
    expect_thread_stacks(*d.gdb, d, false);
}

TEST(KernelCore, EveryViewReadsIt) {
    const Dumps& d = dumps();
    if (!d.kernel) GTEST_SKIP() << d.why_no_kernel_core;
    RunResult pmap = vmatlas({"pmap", *d.kernel});
    EXPECT_EQ(pmap.status, 0) << pmap.err;
    // The command line from NT_PRPSINFO: the kernel keeps its first 79 bytes.
    const std::string args = std::string(VMATLAS_DEMO_BIN " --seconds 120").substr(0, 79);
    EXPECT_TRUE(pmap.out.starts_with(std::to_string(d.pid) + ": " + args + "\n")) << pmap.out;
    // The text of an ELF object the process never wrote is not in the core: marked.
    EXPECT_NE(pmap.out.find("K* r-x? [ text ]"), std::string::npos) << pmap.out;
    EXPECT_NE(pmap.out.find("\n* the core file holds only part or none of these bytes\n"),
              std::string::npos);
    RunResult mappings = vmatlas({"mappings", "-b", *d.kernel});
    EXPECT_EQ(mappings.status, 0) << mappings.err;
    EXPECT_EQ(lines(mappings.out).size(), d.live.size() + 2);  // header and footnote
    RunResult summary = vmatlas({"summary", *d.kernel});
    EXPECT_EQ(summary.status, 0) << summary.err;
    EXPECT_NE(summary.out.find("\nstack "), std::string::npos) << summary.out;
    RunResult filtered = vmatlas({*d.kernel, "stack tid"});
    EXPECT_EQ(filtered.status, 0);
    EXPECT_EQ(lines(filtered.out).size(), 1 + d.tids.size() - 1);
}

// ---- a 32-bit process ------------------------------------------------------------------------

struct Dumps32 {
    std::unique_ptr<TempDir> bin;
    std::optional<Dumps> dumps;
    std::string why_not;
};

const Dumps32& dumps32() {
    static Dumps32 d = [] {
        Dumps32 d;
        d.bin = std::make_unique<TempDir>("vmatlas core32");
        const std::string exe = *d.bin / "child32";
        RunResult cc = run({"/usr/bin/cc", "-m32", "-pthread", "-O1", "-o", exe,
                            std::string(VMATLAS_SOURCE_DIR) + "/tests/core/child32.c"});
        if (cc.status != 0) {
            d.why_not = "this machine cannot build 32-bit programs (gcc-multilib): " + cc.err;
            return d;
        }
        // A kernel built without IA-32 emulation, or booted with ia32_emulation=0, refuses them:
        // execv fails and the harness's child exits 127. Any other failure is the test's to see.
        if (RunResult probe = run({exe, "--probe"}); probe.status == 127) {
            d.why_not = "this kernel does not run 32-bit programs (the probe's exit status: " +
                        std::to_string(probe.status) + ")";
            return d;
        }
        d.dumps = make_dumps({exe}, "vmatlas core32");
        return d;
    }();
    return d;
}

TEST(KernelCore32, EveryLiveRowWithItsFieldsAndName) {
    const Dumps32& d = dumps32();
    if (!d.dumps) GTEST_SKIP() << d.why_not;
    if (!d.dumps->kernel) GTEST_SKIP() << d.dumps->why_no_kernel_core;
    expect_rows_and_names(*d.dumps, "child32");
    const json view = core_view(*d.dumps->kernel);
    for (const json& row : view.at("mappings"))
        EXPECT_LE(row.at("end").get<std::string>().size(), 10u) << "not a 32-bit address";
}

TEST(KernelCore32, ThreadStacksOfEveryThread) {
    const Dumps32& d = dumps32();
    if (!d.dumps) GTEST_SKIP() << d.why_not;
    if (!d.dumps->kernel) GTEST_SKIP() << d.dumps->why_no_kernel_core;
    expect_thread_stacks(*d.dumps->kernel, *d.dumps, true);
}

TEST(Gcore32, ThreadStacksOfEveryThread) {
    const Dumps32& d = dumps32();
    if (!d.dumps) GTEST_SKIP() << d.why_not;
    if (!d.dumps->gdb) GTEST_SKIP() << "gcore could not dump the child";
    expect_thread_stacks(*d.dumps->gdb, *d.dumps, false);
}

}  // namespace
}  // namespace vmtest
