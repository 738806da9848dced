// The pmap family on a live process: the demo, stopped with SIGSTOP so that vmatlas, procps pmap
// and this test's own reading of /proc/PID/smaps all see the same map and the same figures; then
// let go with SIGCONT. Ground truth is procps pmap 4 (its totals) and /proc read here by hand.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "sources/proc_stream.hpp"
#include "support/harness.hpp"
#include "vmatlas/procfs.hpp"
#include "vmatlas/smaps.hpp"

namespace vmtest {
namespace {

// ---- the stopped demo ----------------------------------------------------------------------

// The demo, with every thread stopped for as long as this object lives.
struct StoppedDemo : Demo {
    StoppedDemo() { pause(); }
};

// ---- /proc/PID/smaps, read by hand ---------------------------------------------------------

struct SmapsRow {
    ProcRow row;
    std::map<std::string, std::uint64_t> kb;  // "Rss" -> kB
    std::string vm_flags;
};

std::vector<SmapsRow> read_smaps(pid_t pid) {
    std::vector<SmapsRow> rows;
    for (const std::string& line : lines(slurp("/proc/" + std::to_string(pid) + "/smaps"))) {
        std::size_t pos = 0;
        const std::string_view first = next_word(line, pos);
        if (first.empty()) continue;
        if (first.back() == ':') {
            const std::string key(first.substr(0, first.size() - 1));
            if (key == "VmFlags") {
                rows.back().vm_flags = line.substr(pos);
                while (rows.back().vm_flags.ends_with(' ')) rows.back().vm_flags.pop_back();
                while (rows.back().vm_flags.starts_with(' ')) rows.back().vm_flags.erase(0, 1);
            } else {
                rows.back().kb[key] = std::stoull(std::string(next_word(line, pos)));
            }
        } else {
            rows.push_back({parse_proc_row(line), {}, {}});
        }
    }
    return rows;
}

// ---- procps pmap ---------------------------------------------------------------------------

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    for (std::string_view w; !(w = next_word(line, pos)).empty();) out.emplace_back(w);
    return out;
}

// procps `pmap -x`: "total kB  Kbytes RSS Dirty".
std::vector<std::uint64_t> procps_x_totals(pid_t pid) {
    const RunResult r = run({"/usr/bin/pmap", "-x", std::to_string(pid)});
    if (r.status != 0) throw std::runtime_error("pmap -x failed: " + r.err);
    const auto w = words(lines(r.out).back());
    if (w.size() != 5 || w[0] != "total") throw std::runtime_error("pmap -x: " + r.out);
    return {std::stoull(w[2]), std::stoull(w[3]), std::stoull(w[4])};
}

// procps `pmap -X`: the totals line, keyed by the header's names (Size, Rss, ...), in kB.
std::map<std::string, std::uint64_t> procps_X_totals(pid_t pid) {
    const RunResult r = run({"/usr/bin/pmap", "-X", std::to_string(pid)});
    if (r.status != 0) throw std::runtime_error("pmap -X failed: " + r.err);
    const auto ls = lines(r.out);
    const auto header = words(ls.at(1));
    auto totals = words(ls.back());
    if (totals.empty() || totals.back() != "KB") throw std::runtime_error("pmap -X: " + r.out);
    totals.pop_back();
    // Address Perm Offset Device Inode, then one number per column up to Mapping.
    std::map<std::string, std::uint64_t> out;
    for (std::size_t k = 0; k < totals.size() && 5 + k < header.size(); ++k)
        out[header[5 + k]] = std::stoull(totals[k]);
    return out;
}

// ---- vmatlas -------------------------------------------------------------------------------

nlohmann::json vmatlas_json(std::vector<std::string> args) {
    args.push_back("--json");
    const RunResult r = vmatlas(args);
    if (r.status != 0) throw std::runtime_error("vmatlas failed: " + r.err);
    return parse_json(r);
}

struct XTable {
    std::vector<std::vector<std::string>> rows;  // the words of each row
    std::vector<std::string> total;              // "total" "Kb" Kbytes RSS Anon Locked
};

std::uint64_t kb(const std::string& w) {
    return w == "-" ? 0 : std::stoull(w);
}

XTable vmatlas_x_table(const std::vector<std::string>& args) {
    const RunResult r = vmatlas(args);
    if (r.status != 0) throw std::runtime_error("vmatlas failed: " + r.err);
    const auto ls = lines(r.out);
    XTable t;
    if (ls.size() < 4 || !ls[1].starts_with("Address")) throw std::runtime_error(r.out);
    for (std::size_t k = 2; k + 2 < ls.size(); ++k) t.rows.push_back(words(ls[k]));
    t.total = words(ls.back());
    if (t.total.size() != 6 || t.total[0] != "total") throw std::runtime_error(r.out);
    return t;
}

// ---- the tests -----------------------------------------------------------------------------

TEST(PmapLive, XTotalsEqualProcpsOnTheSameStoppedProcess) {
    StoppedDemo demo;
    const XTable table = vmatlas_x_table({"pmap", "-x", "--color=never", demo.pid_text()});
    const nlohmann::json json = vmatlas_json({"pmap", "-x", demo.pid_text()});
    const auto procps_x = procps_x_totals(demo.pid());
    const auto procps_X = procps_X_totals(demo.pid());

    // The columns both tools have: Kbytes and RSS from -x; Anon and Locked from procps -X.
    EXPECT_EQ(kb(table.total[2]), procps_x[0]);
    EXPECT_EQ(kb(table.total[3]), procps_x[1]);
    EXPECT_EQ(kb(table.total[4]), procps_X.at("Anonymous"));
    EXPECT_EQ(kb(table.total[5]), procps_X.at("Locked"));
    const auto& totals = json["totals"];
    EXPECT_EQ(totals["size"].get<std::uint64_t>(), procps_x[0] * 1024);
    EXPECT_EQ(totals["rss"].get<std::uint64_t>(), procps_x[1] * 1024);
    EXPECT_EQ(totals["anonymous"].get<std::uint64_t>(), procps_X.at("Anonymous") * 1024);
    EXPECT_EQ(totals["locked"].get<std::uint64_t>(), procps_X.at("Locked") * 1024);
    EXPECT_EQ(totals["count"].get<std::size_t>(), json["mappings"].size());

    // And the totals are the sums of the rows printed.
    std::uint64_t sums[4] = {};
    for (const auto& row : table.rows)
        for (int c = 0; c < 4; ++c) sums[c] += kb(row.at(1 + c));
    for (int c = 0; c < 4; ++c) EXPECT_EQ(sums[c], kb(table.total[2 + c])) << "column " << c;
}

TEST(PmapLive, BigXTotalsEqualProcpsForEveryFigureBothShow) {
    StoppedDemo demo;
    const nlohmann::json json = vmatlas_json({"pmap", "-X", demo.pid_text()});
    const auto procps = procps_X_totals(demo.pid());
    // Not Pss or SwapPss: a page's share depends on who else maps it at the moment, and
    // vmatlas and procps map different libraries while they read.
    const std::pair<const char*, const char*> keys[] = {
        {"Size", "size"},
        {"Rss", "rss"},
        {"Pss_Dirty", "pss_dirty"},
        {"Referenced", "referenced"},
        {"Anonymous", "anonymous"},
        {"KSM", "ksm"},
        {"LazyFree", "lazy_free"},
        {"ShmemPmdMapped", "shmem_pmd_mapped"},
        {"FilePmdMapped", "file_pmd_mapped"},
        {"Shared_Hugetlb", "shared_hugetlb"},
        {"Private_Hugetlb", "private_hugetlb"},
        {"Swap", "swap"},
        {"Locked", "locked"},
    };
    std::size_t compared = 0;
    for (const auto& [procps_key, our_key] : keys) {
        if (!procps.contains(procps_key)) continue;  // procps shows only some by default
        ++compared;
        EXPECT_EQ(json["totals"][our_key].get<std::uint64_t>(), procps.at(procps_key) * 1024)
            << procps_key;
    }
    EXPECT_GE(compared, 10u);
    // Not sizes: not summed.
    EXPECT_FALSE(json["totals"].contains("thp_eligible"));
    EXPECT_FALSE(json["totals"].contains("kernel_page_size"));
}

TEST(PmapLive, EveryRowEqualsSmaps) {
    StoppedDemo demo;
    const nlohmann::json json = vmatlas_json({"pmap", "-X", demo.pid_text()});
    const auto smaps = read_smaps(demo.pid());
    const auto& rows = json["mappings"];
    ASSERT_EQ(rows.size(), smaps.size());
    for (std::size_t i = 0; i < smaps.size(); ++i) {
        const auto& got = rows[i];
        const SmapsRow& want = smaps[i];
        const std::string where = "row " + std::to_string(i) + " " + want.row.path;
        EXPECT_EQ(hex(got["start"].get<std::string>()), want.row.start) << where;
        EXPECT_EQ(hex(got["end"].get<std::string>()), want.row.end) << where;
        EXPECT_EQ(got["perms"], want.row.perms) << where;
        EXPECT_EQ(got["size"].get<std::uint64_t>(), want.kb.at("Size") * 1024) << where;
        EXPECT_EQ(got["rss"].get<std::uint64_t>(), want.kb.at("Rss") * 1024) << where;
        EXPECT_EQ(got["anonymous"].get<std::uint64_t>(), want.kb.at("Anonymous") * 1024) << where;
        EXPECT_EQ(got["locked"].get<std::uint64_t>(), want.kb.at("Locked") * 1024) << where;
        EXPECT_EQ(got["private_dirty"].get<std::uint64_t>(), want.kb.at("Private_Dirty") * 1024)
            << where;
        EXPECT_EQ(got["swap"].get<std::uint64_t>(), want.kb.at("Swap") * 1024) << where;
        EXPECT_EQ(got["thp_eligible"].get<bool>(), want.kb.at("THPeligible") == 1) << where;
        std::string flags;  // the kernel's line, from JSON's array of its words
        for (const auto& flag : got["vm_flags"])
            flags += (flags.empty() ? "" : " ") + flag.get<std::string>();
        EXPECT_EQ(flags, want.vm_flags) << where;
    }
}

TEST(PmapLive, XTableRowsEqualSmaps) {
    StoppedDemo demo;
    const XTable table = vmatlas_x_table({"pmap", "-x", "--color=never", demo.pid_text()});
    const auto smaps = read_smaps(demo.pid());
    ASSERT_EQ(table.rows.size(), smaps.size());
    for (std::size_t i = 0; i < smaps.size(); ++i) {
        const auto& w = table.rows[i];
        const SmapsRow& s = smaps[i];
        EXPECT_EQ(hex(w.at(0)), s.row.start) << i;
        EXPECT_EQ(w.at(0).size(), 16u);
        EXPECT_EQ(kb(w.at(1)), s.kb.at("Size")) << i;
        EXPECT_EQ(kb(w.at(2)), s.kb.at("Rss")) << i;
        EXPECT_EQ(kb(w.at(3)), s.kb.at("Anonymous")) << i;
        EXPECT_EQ(kb(w.at(4)), s.kb.at("Locked")) << i;
        EXPECT_EQ(w.at(5), s.row.perms) << i;
    }
}

TEST(PmapLive, RangeTotalsAreTheSumOfTheRowsShown) {
    StoppedDemo demo;
    const auto maps = read_proc_maps(demo.pid());
    ASSERT_GT(maps.size(), 12u);
    // From the middle of one row to the middle of another: both clipped rows are shown whole.
    const std::size_t a = maps.size() / 3, b = a + 6;
    const std::uint64_t lo = maps[a].start + maps[a].size() / 2;
    const std::uint64_t hi = maps[b].start + maps[b].size() / 2;
    const std::string range = to_hex(lo, false) + "," + to_hex(hi, false);

    const nlohmann::json json = vmatlas_json({"pmap", "-x", "-A", range, demo.pid_text()});
    const auto& rows = json["mappings"];
    ASSERT_EQ(rows.size(), b - a + 1);
    std::uint64_t size = 0, rss = 0, anon = 0, locked = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        EXPECT_EQ(hex(rows[k]["start"].get<std::string>()), maps[a + k].start);
        size += rows[k]["size"].get<std::uint64_t>();
        rss += rows[k]["rss"].get<std::uint64_t>();
        anon += rows[k]["anonymous"].get<std::uint64_t>();
        locked += rows[k]["locked"].get<std::uint64_t>();
    }
    EXPECT_EQ(json["totals"]["size"].get<std::uint64_t>(), size);
    EXPECT_EQ(json["totals"]["rss"].get<std::uint64_t>(), rss);
    EXPECT_EQ(json["totals"]["anonymous"].get<std::uint64_t>(), anon);
    EXPECT_EQ(json["totals"]["locked"].get<std::uint64_t>(), locked);
    EXPECT_EQ(json["totals"]["count"].get<std::size_t>(), rows.size());

    const XTable table =
        vmatlas_x_table({"pmap", "-x", "--color=never", "-A", range, demo.pid_text()});
    ASSERT_EQ(table.rows.size(), rows.size());
    std::uint64_t sums[4] = {};
    for (const auto& row : table.rows)
        for (int c = 0; c < 4; ++c) sums[c] += kb(row.at(1 + c));
    for (int c = 0; c < 4; ++c) EXPECT_EQ(sums[c], kb(table.total[2 + c])) << "column " << c;
    EXPECT_EQ(sums[0] * 1024, size);

    // The basic view under the same range: " total NK" is the sum of its rows.
    const RunResult basic = vmatlas({"pmap", "--color=never", "-A", range, demo.pid_text()});
    ASSERT_EQ(basic.status, 0) << basic.err;
    const auto ls = lines(basic.out);
    ASSERT_EQ(ls.size(), rows.size() + 2);
    std::uint64_t k_sum = 0;
    for (std::size_t k = 1; k + 1 < ls.size(); ++k) {
        const auto w = words(ls[k]);
        k_sum += std::stoull(w.at(1));  // "388K"
    }
    EXPECT_EQ(words(ls.back()), (std::vector<std::string>{"total", std::to_string(k_sum) + "K"}));
}

TEST(PmapLive, BasicViewAndMappingsFollowProc) {
    StoppedDemo demo;
    const auto maps = read_proc_maps(demo.pid());
    const RunResult basic = vmatlas({"pmap", "--color=never", demo.pid_text()});
    ASSERT_EQ(basic.status, 0) << basic.err;
    const auto ls = lines(basic.out);
    ASSERT_EQ(ls.size(), maps.size() + 2);
    EXPECT_EQ(ls[0], demo.pid_text() + ": " VMATLAS_DEMO_BIN " --seconds 120");
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < maps.size(); ++i) {
        const auto w = words(ls[i + 1]);
        EXPECT_EQ(hex(w.at(0)), maps[i].start);
        EXPECT_EQ(w.at(1), std::to_string(maps[i].size() / 1024) + "K");
        EXPECT_EQ(w.at(2), maps[i].perms);
        total += maps[i].size() / 1024;
        if (maps[i].path.ends_with("/mapped file.bin")) {
            EXPECT_TRUE(ls[i + 1].ends_with(maps[i].path)) << ls[i + 1];
        }
        if (maps[i].deleted && !maps[i].path.starts_with("/memfd:")) {
            EXPECT_TRUE(ls[i + 1].ends_with(maps[i].path + " (deleted)")) << ls[i + 1];
        }
        if (maps[i].path == "[heap]") {
            EXPECT_TRUE(ls[i + 1].ends_with(" [ heap ]"));
        }
    }
    EXPECT_EQ(words(ls.back()), (std::vector<std::string>{"total", std::to_string(total) + "K"}));

    const nlohmann::json json = vmatlas_json({"mappings", demo.pid_text()});
    ASSERT_EQ(json["mappings"].size(), maps.size());
    for (std::size_t i = 0; i < maps.size(); ++i) {
        const auto& r = json["mappings"][i];
        EXPECT_EQ(hex(r["start"].get<std::string>()), maps[i].start);
        EXPECT_EQ(hex(r["end"].get<std::string>()), maps[i].end);
        EXPECT_EQ(r["size"].get<std::uint64_t>(), maps[i].size());
        if (!maps[i].anonymous() && !maps[i].kernel_name()) {
            EXPECT_EQ(r["path"], maps[i].path);
        }
    }
    const RunResult table = vmatlas({"mappings", "--color=never", "-b", demo.pid_text()});
    ASSERT_EQ(table.status, 0) << table.err;
    const auto tl = lines(table.out);
    ASSERT_EQ(tl.size(), maps.size() + 1);
    EXPECT_EQ(words(tl[0]), (std::vector<std::string>{"BASE", "LIMIT", "SIZE", "NAME"}));
    for (std::size_t i = 0; i < maps.size(); ++i) {
        const auto w = words(tl[i + 1]);
        EXPECT_EQ(w.at(0), to_hex(maps[i].start, false));
        EXPECT_EQ(w.at(1), to_hex(maps[i].end, false));
        EXPECT_EQ(w.at(2), to_hex(maps[i].size(), false));
    }
}

// A child with 8,000 mappings, stopped: its smaps (some 5.8 MB) spans more of the reader's 256 KB
// blocks than the reader may fill ahead of the parser (16, 4 MB; the limit itself is not
// asserted here).
TEST(PmapLive, BigSmapsStreamsInBlocksAndParsesAsTheWholeText) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        for (int i = 0; i < 8000; ++i) {
            // One page, then a hole: the kernel cannot merge them.
            void* p = mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
            if (p == MAP_FAILED) _exit(1);
            munmap(static_cast<char*>(p) + kPage, kPage);
            static_cast<char*>(p)[0] = 1;
        }
        raise(SIGSTOP);
        _exit(0);
    }
    int ws = 0;
    ASSERT_EQ(waitpid(child, &ws, WUNTRACED), child);
    ASSERT_TRUE(WIFSTOPPED(ws));

    const std::string text = slurp("/proc/" + std::to_string(child) + "/smaps");
    EXPECT_GT(text.size(), 9u << 19);  // 4.5 MB: more than 16 of the reader's blocks
    std::size_t pieces = 0, bytes = 0;
    const auto read = vmatlas::stream_process_text(child, "smaps", [&](std::string_view p) {
        ++pieces;
        bytes += p.size();
    });
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(read->bytes, bytes);
    EXPECT_EQ(bytes, text.size());
    EXPECT_GT(pieces, 2u);

    const auto live = vmatlas::read_process_smaps(child);
    ASSERT_TRUE(live.ok()) << live.error().message;
    const vmatlas::AddressSpace whole =
        vmatlas::parse_smaps_text(text, {vmatlas::SourceKind::MapsText, "", 0, ""});
    EXPECT_TRUE(vmatlas::check_invariants(*live).empty());
    EXPECT_TRUE(live->diagnostics().empty());
    EXPECT_GT(live->size(), 8000u);
    ASSERT_EQ(live->mappings(), whole.mappings());
    ASSERT_EQ(live->figures().size(), whole.figures().size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
        EXPECT_EQ(live->figures()[i].rss, whole.figures()[i].rss) << i;
        EXPECT_EQ(live->figures()[i].anonymous, whole.figures()[i].anonymous) << i;
        EXPECT_EQ(live->figures()[i].vm_flags, whole.figures()[i].vm_flags) << i;
    }

    // A consumer that stops for a while at the first piece past the text read on the calling
    // thread (the first from the reader thread's blocks), so that the reader runs out of blocks
    // and waits for one to come back: the pieces still arrive whole and in order.
    std::string joined;
    std::size_t block_pieces = 0;
    const auto slow = vmatlas::stream_process_text(child, "smaps", [&](std::string_view p) {
        if (joined.size() >= vmatlas::kStreamBlockBytes && ++block_pieces == 1)
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        joined += p;
    });
    ASSERT_TRUE(slow.ok()) << slow.error().message;
    EXPECT_EQ(slow->bytes, joined.size());
    EXPECT_GT(block_pieces, 16u);  // more blocks than the reader may fill ahead
    const vmatlas::AddressSpace rejoined =
        vmatlas::parse_smaps_text(joined, {vmatlas::SourceKind::MapsText, "", 0, ""});
    EXPECT_TRUE(rejoined.diagnostics().empty());
    ASSERT_EQ(rejoined.mappings(), whole.mappings());

    // A consumer that throws at its second piece from the reader thread stops the reader and
    // gets its exception back.
    std::size_t seen = 0, thread_calls = 0;
    EXPECT_THROW((void)vmatlas::stream_process_text(child, "smaps",
                                                    [&](std::string_view p) {
                                                        if (seen >= vmatlas::kStreamBlockBytes &&
                                                            ++thread_calls == 2)
                                                            throw std::runtime_error("stop");
                                                        seen += p.size();
                                                    }),
                 std::runtime_error);
    EXPECT_EQ(thread_calls, 2u);
    EXPECT_LT(seen, text.size());

    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
}

// The first line names the process by its command line, as procps shows it: "PID:   ARGS" with
// the arguments separated by spaces, so that "--name" "two words" reads as three words. vmatlas
// pmap follows Solaris ("PID: ARGS", one space), procps -d keeps procps's three.
TEST(PmapLive, TitleIsTheCommandLineAsProcpsShowsIt) {
    Demo child({"--name", "two words"});
    child.pause();
    const std::string args = VMATLAS_DEMO_BIN " --seconds 120 --name two words";
    const RunResult procps = run({"/usr/bin/pmap", child.pid_text()});
    ASSERT_EQ(procps.status, 0) << procps.err;
    ASSERT_EQ(lines(procps.out).at(0), child.pid_text() + ":   " + args);
    for (const std::vector<std::string>& view :
         {std::vector<std::string>{"pmap"}, {"pmap", "-x"}, {"pmap", "-X"}}) {
        std::vector<std::string> argv = view;
        argv.push_back(child.pid_text());
        const RunResult r = vmatlas(argv);
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(lines(r.out).at(0), child.pid_text() + ": " + args) << argv.at(1);
    }
}

// procps `pmap -d` and `vmatlas pmap -d` on the same stopped demo (a file whose name has a space,
// a deleted file, a memfd, threads' stacks, the vsyscall page): the same bytes, with and without
// -q.
TEST(PmapLive, DeviceFormatIsProcpsByteForByte) {
    StoppedDemo demo;
    for (const std::vector<std::string>& options : {std::vector<std::string>{"-d"}, {"-d", "-q"}}) {
        std::vector<std::string> procps = {"/usr/bin/pmap"}, ours = {"pmap"};
        for (const auto& o : options) procps.push_back(o), ours.push_back(o);
        procps.push_back(demo.pid_text());
        ours.push_back(demo.pid_text());
        const RunResult want = run(procps);
        ASSERT_EQ(want.status, 0) << want.err;
        const RunResult got = vmatlas(ours);
        ASSERT_EQ(got.status, 0) << got.err;
        EXPECT_EQ(got.out, want.out) << options.back();
        EXPECT_EQ(got.err, "");
    }
}

// -S: each row's Swap is the commit charge smaps says the kernel takes for it (VmFlags "ac": the
// whole row), on a child that maps one region of each kind; the totals are their sum.
TEST(PmapLive, SwapIsTheCommitChargeOfEachRow) {
    constexpr std::size_t kSize = 1 << 20;
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
        void* maps[] = {
            mmap(nullptr, kSize, PROT_READ | PROT_WRITE, anon, -1, 0),
            mmap(nullptr, kSize, PROT_READ | PROT_WRITE, anon | MAP_NORESERVE, -1, 0),
            mmap(nullptr, kSize, PROT_READ, anon, -1, 0),
            mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)};
        if (write(ready[1], maps, sizeof maps) != sizeof maps) _exit(1);
        pause();
        _exit(0);
    }
    close(ready[1]);
    void* maps[4];
    ASSERT_EQ(read(ready[0], maps, sizeof maps), static_cast<ssize_t>(sizeof maps));
    close(ready[0]);
    kill(child, SIGSTOP);
    waitpid(child, nullptr, WUNTRACED);

    const nlohmann::json json = vmatlas_json({"pmap", "-S", std::to_string(child)});
    const auto smaps = read_smaps(child);
    const auto& rows = json["mappings"];
    ASSERT_EQ(rows.size(), smaps.size());
    std::map<std::uint64_t, std::uint64_t> reserved;  // start -> bytes
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < smaps.size(); ++i) {
        const SmapsRow& want = smaps[i];
        const bool accounted = (" " + want.vm_flags + " ").find(" ac ") != std::string::npos;
        const std::uint64_t bytes = accounted ? want.row.end - want.row.start : 0;
        EXPECT_EQ(rows[i]["swap_reserved"].get<std::uint64_t>(), bytes) << want.row.path;
        reserved[want.row.start] = bytes;
        total += bytes;
    }
    EXPECT_EQ(json["totals"]["swap_reserved"].get<std::uint64_t>(), total);
    auto at = [&](void* p) { return reserved.at(reinterpret_cast<std::uintptr_t>(p)); };
    EXPECT_EQ(at(maps[0]), kSize);  // private, writable: reserved
    // MAP_NORESERVE is honoured unless the kernel never overcommits.
    if (slurp("/proc/sys/vm/overcommit_memory") != "2\n") {
        EXPECT_EQ(at(maps[1]), 0u);
    }
    EXPECT_EQ(at(maps[2]), 0u);  // read-only: nothing to reserve
    EXPECT_EQ(at(maps[3]), 0u);  // shared: tmpfs accounts it, not the mapping

    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
}

// Several targets, as procps takes several PIDs: each one's block in the order given; one that is
// gone is said on stderr and the others are still shown; the status is the first failure's.
TEST(PmapLive, SeveralProcessesInTheOrderGiven) {
    StoppedDemo first, second;
    pid_t gone;
    {
        Demo demo;
        gone = demo.pid();
    }
    const std::string a = first.pid_text(), b = second.pid_text(), g = std::to_string(gone);
    const RunResult both = vmatlas({"pmap", "-x", b, g, a});
    EXPECT_EQ(both.status, 3);
    EXPECT_EQ(both.out, vmatlas({"pmap", "-x", b}).out + vmatlas({"pmap", "-x", a}).out);
    EXPECT_EQ(both.err, "vmatlas: no process has PID " + g + "\n");

    // procps prints the same blocks, and says nothing of the missing one but its status, 42.
    const RunResult procps = run({"/usr/bin/pmap", "-d", a, g, b});
    EXPECT_EQ(procps.status, 42);
    const RunResult ours = vmatlas({"pmap", "-d", a, g, b});
    EXPECT_EQ(ours.status, 3);
    EXPECT_EQ(ours.out, procps.out);
}

TEST(PmapLive, ProcessThatIsGoneIsNoSuchProcess) {
    pid_t pid;
    {
        Demo demo;
        pid = demo.pid();
    }
    for (const char* cmd : {"pmap", "mappings"}) {
        const RunResult r = vmatlas({cmd, std::to_string(pid)});
        EXPECT_EQ(r.status, 3) << cmd << ": " << r.err;
        EXPECT_EQ(r.out, "");
    }
    const RunResult x = vmatlas({"pmap", "-x", std::to_string(pid)});
    EXPECT_EQ(x.status, 3) << x.err;
}

}  // namespace
}  // namespace vmtest
