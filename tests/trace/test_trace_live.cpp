// vmatlas trace on programs of the test's own: the instructions it reports checked against a
// bare single-step loop run here, against the symbols nm reads from the same files, and against
// what the traced program says of itself on stderr (its tids, its checksums, its pid).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_output.hpp"
#include "support/run.hpp"

namespace {

using nlohmann::json;
using vmtest::run;
using vmtest::RunResult;

const std::string kVmatlas = VMATLAS_BIN;
const std::string kChild = VMATLAS_TRACE_CHILD;
const std::string kCountChild = VMATLAS_TRACE_COUNT_CHILD;
const std::string kLib = VMATLAS_TRACE_LIB;

std::vector<json> rows_of(const RunResult& r) {
    std::vector<json> rows;
    for (const std::string& line : vmtest::lines(r.out)) rows.push_back(json::parse(line));
    return rows;
}

// The value nm gives a symbol of a file: its address in the file (p_vaddr's).
std::uint64_t nm_value(const std::string& file, const std::string& symbol) {
    const RunResult r = run({"nm", file});
    for (const std::string& line : vmtest::lines(r.out)) {
        const auto blank = line.rfind(' ');
        if (blank != std::string::npos && line.substr(blank + 1) == symbol)
            return std::stoull(line.substr(0, line.find(' ')), nullptr, 16);
    }
    ADD_FAILURE() << "nm finds no " << symbol << " in " << file;
    return 0;
}

std::uint64_t hex(const json& v) {
    return std::stoull(v.get<std::string>(), nullptr, 16);
}

// "key value" lines of the traced program's stderr.
std::multimap<std::string, std::uint64_t> said(const std::string& err) {
    std::multimap<std::string, std::uint64_t> out;
    for (const std::string& line : vmtest::lines(err)) {
        const auto blank = line.find(' ');
        if (blank == std::string::npos) continue;
        out.emplace(line.substr(0, blank), std::stoull(line.substr(blank + 1)));
    }
    return out;
}

// The pc before each instruction of a program run to its end under a bare PTRACE_SINGLESTEP
// loop: element k - 1 is instruction k's.
std::vector<std::uint64_t> bare_single_step(std::vector<std::string> argv) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t child = fork();
    if (child == 0) {
        personality(ADDR_NO_RANDOMIZE);  // the same addresses as under `setarch -R`
        ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
        const int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);  // the exec's SIGTRAP
    std::vector<std::uint64_t> pcs;
    for (;;) {
        user_regs_struct regs{};
        ptrace(PTRACE_GETREGS, child, nullptr, &regs);
        pcs.push_back(regs.rip);
        ptrace(PTRACE_SINGLESTEP, child, nullptr, nullptr);
        waitpid(child, &status, 0);
        if (!WIFSTOPPED(status)) break;
    }
    return pcs;
}

// A process of the test's, its stdin, stdout and stderr pipes held here.
struct Spawned {
    pid_t pid = -1;
    int in = -1, out = -1, err = -1;

    explicit Spawned(std::vector<std::string> argv) {
        int i[2], o[2], e[2];
        if (pipe2(i, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) std::abort();
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        pid = fork();
        if (pid == 0) {
            dup2(i[0], 0);
            dup2(o[1], 1);
            dup2(e[1], 2);
            execv(args[0], args.data());
            _exit(127);
        }
        close(i[0]);
        close(o[1]);
        close(e[1]);
        in = i[1];
        out = o[0];
        err = e[0];
    }
    ~Spawned() {
        if (in >= 0) close(in);
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
        close(out);
        close(err);
    }
    void close_stdin() {
        close(in);
        in = -1;
    }
    // Its exit status (128 + signal when killed), waiting at most 20 s.
    int wait() {
        for (int i = 0; i < 2000; ++i) {
            int status = 0;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return -1;
    }
};

// The whole lines read from fd until they are `lines` or 20 s passed.
std::string read_lines(int fd, std::size_t lines) {
    std::string text;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) < lines &&
           std::chrono::steady_clock::now() < until) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text.substr(0, text.rfind('\n') + 1);  // whole lines only
}

std::string read_all(int fd) {
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
        text.append(buf, static_cast<std::size_t>(n));
    return text;
}

// ---- counts: exact, against the bare loop ----

TEST(Counts, TheCountOfAPointIsTheBareLoops) {
    const std::vector<std::uint64_t> bare = bare_single_step({kCountChild});
    const std::uint64_t known = nm_value(kCountChild, "known_point");
    const auto at = std::find(bare.begin(), bare.end(), known);
    ASSERT_NE(at, bare.end());
    const std::uint64_t number = static_cast<std::uint64_t>(at - bare.begin()) + 1;

    const RunResult r =
        run({kVmatlas, "trace", "--json", "--counts", std::to_string(number), "--", kCountChild});
    EXPECT_EQ(r.status, 7) << r.err;  // the program's own exit status
    const auto rows = rows_of(r);
    ASSERT_EQ(rows.size(), 1u) << r.out;
    EXPECT_EQ(hex(rows[0]["pc"]), known);
    EXPECT_EQ(rows[0]["instr_count"], number);
    EXPECT_EQ(rows[0]["symbol"], "known_point");
    EXPECT_EQ(rows[0]["symbol_offset"], 0);
    EXPECT_EQ(rows[0]["in_kernel"], false);
    EXPECT_EQ(rows[0]["image_path"], kCountChild);
    EXPECT_EQ(rows[0]["segment"], "text");
    EXPECT_EQ(rows[0]["schema"], "vmatlas.trace/1");
}

TEST(Counts, EveryInstructionIsTheBareLoopsSequence) {
    const std::vector<std::uint64_t> bare = bare_single_step({kCountChild});
    const RunResult r = run({kVmatlas, "trace", "--json", "--", kCountChild});
    EXPECT_EQ(r.status, 7) << r.err;
    const auto rows = rows_of(r);
    ASSERT_EQ(rows.size(), bare.size());
    for (std::size_t k = 0; k < rows.size(); ++k) {
        ASSERT_EQ(hex(rows[k]["pc"]), bare[k]) << "instruction " << k + 1;
        ASSERT_EQ(rows[k]["instr_count"], k + 1);
    }
}

TEST(Counts, WithoutTheFilterTheSameSequence) {
    // --on-exit detach: no seccomp filter; each step's trap tells a system call instead.
    const std::vector<std::uint64_t> bare = bare_single_step({kCountChild});
    const RunResult r =
        run({kVmatlas, "trace", "--json", "--syscalls", "--on-exit", "detach", "--", kCountChild});
    EXPECT_EQ(r.status, 7) << r.err;
    std::vector<json> steps, calls;
    for (const json& row : rows_of(r)) (row["in_kernel"] == true ? calls : steps).push_back(row);
    ASSERT_EQ(steps.size(), bare.size());
    for (std::size_t k = 0; k < steps.size(); ++k) ASSERT_EQ(hex(steps[k]["pc"]), bare[k]) << k + 1;
    // The write is seen from the trap of its step; exit_group ends the process first.
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0]["syscall"], "write");
}

TEST(Counts, SeveralCountsAndTheTextLine) {
    const std::vector<std::uint64_t> bare = bare_single_step({kCountChild});
    ASSERT_GT(bare.size(), 40u);
    // Dashes and commas, octal and hex, out of order: PANDA's lists.
    const RunResult r = run({kVmatlas, "trace", "--counts", "0x20-1,010", "--", kCountChild});
    EXPECT_EQ(r.status, 7) << r.err;
    const auto lines = vmtest::lines(r.out);
    ASSERT_EQ(lines.size(), 3u) << r.out;
    const std::uint64_t counts[] = {1, 8, 32};
    for (std::size_t k = 0; k < 3; ++k) {
        // PANDA's nine fields first, in its order.
        const std::string head =
            fmt::format("pc={:#x} instr_count={} process=", bare[counts[k] - 1], counts[k]);
        EXPECT_TRUE(lines[k].starts_with(head)) << lines[k] << "\nwanted " << head;
        const auto in_kernel =
            lines[k].find(" in_kernel=false image_name=vmatlas-trace-count-child ");
        EXPECT_NE(in_kernel, std::string::npos) << lines[k];
        EXPECT_NE(lines[k].find(" generation=1"), std::string::npos) << lines[k];
    }
}

TEST(Syscalls, EachCallIsARowInTheKernel) {
    const std::uint64_t known = nm_value(kCountChild, "known_point");
    const RunResult r =
        run({kVmatlas, "trace", "--json", "--syscalls", "--pcs", "known_point", "--", kCountChild});
    EXPECT_EQ(r.status, 7) << r.err;
    const auto rows = rows_of(r);
    ASSERT_EQ(rows.size(), 3u) << r.out;
    EXPECT_EQ(hex(rows[0]["pc"]), known);
    EXPECT_EQ(rows[0]["in_kernel"], false);
    EXPECT_TRUE(rows[0]["instr_count"].is_null());  // breakpoints do not count
    EXPECT_EQ(rows[1]["syscall"], "write");
    EXPECT_EQ(rows[1]["in_kernel"], true);
    EXPECT_EQ(rows[2]["syscall"], "exit_group");
    EXPECT_EQ(rows[2]["in_kernel"], true);
    for (const auto& row : {rows[1], rows[2]}) {
        EXPECT_EQ(row["symbol"], "_start");  // the calls are made from _start
        EXPECT_EQ(row["image_path"], kCountChild);
    }
}

// ---- points ----

TEST(Points, ALibraryPointFiresOnceTheLibraryIsLoaded) {
    const RunResult r = run(
        {kVmatlas, "trace", "--json", "--pcs", "lib_point,point_a", "--", kChild, "dlopen", kLib});
    EXPECT_EQ(r.status, 0) << r.err;
    const auto rows = rows_of(r);
    ASSERT_EQ(rows.size(), 4u) << r.out;
    EXPECT_EQ(rows[0]["symbol"], "point_a");
    EXPECT_EQ(rows[0]["image_path"], kChild);
    EXPECT_EQ(hex(rows[0]["pc"]), hex(rows[0]["image_base"]) + nm_value(kChild, "point_a"));
    const std::uint64_t lib_point = nm_value(kLib, "lib_point");
    for (std::size_t k = 1; k < 4; ++k) {
        EXPECT_EQ(rows[k]["symbol"], "lib_point");
        EXPECT_EQ(rows[k]["image_path"], kLib);
        EXPECT_EQ(hex(rows[k]["pc"]), hex(rows[k]["image_base"]) + lib_point);
        // The dlopen changed the map after point_a.
        EXPECT_GT(rows[k]["generation"].get<std::uint64_t>(),
                  rows[0]["generation"].get<std::uint64_t>());
    }
}

TEST(Points, ObjectPlusOffset) {
    const std::string name = std::filesystem::path(kLib).filename();
    const std::string offset = fmt::format("{:#x}", nm_value(kLib, "lib_point"));
    const RunResult r = run(
        {kVmatlas, "trace", "--json", "--pcs", name + "+" + offset, "--", kChild, "dlopen", kLib});
    EXPECT_EQ(r.status, 0) << r.err;
    const auto rows = rows_of(r);
    ASSERT_EQ(rows.size(), 3u) << r.out;
    for (const auto& row : rows) EXPECT_EQ(row["symbol"], "lib_point");
}

TEST(Points, EachMapChangeIsAGeneration) {
    const RunResult r = run(
        {kVmatlas, "trace", "--json", "--pcs", "point_a,point_b,point_c", "--", kChild, "maps"});
    EXPECT_EQ(r.status, 0) << r.err;
    const auto rows = rows_of(r);
    ASSERT_EQ(rows.size(), 3u) << r.out;
    const auto g = rows[0]["generation"].get<std::uint64_t>();
    EXPECT_EQ(rows[1]["generation"], g + 1);  // mmap
    EXPECT_EQ(rows[2]["generation"], g + 2);  // munmap
    for (const auto& row : rows) EXPECT_EQ(row["image_path"], kChild);
}

TEST(Points, TheFirstFourListedAreDebugRegistersTheRestInt3s) {
    const RunResult plain = run({kChild, "bytes"});
    const auto own = said(plain.err);
    const RunResult r =
        run({kVmatlas, "trace", "--json", "--pcs",
             "point_f,point_e,point_d,point_c,point_b,point_a", "--", kChild, "bytes"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(rows_of(r).size(), 6u);
    const auto traced = said(r.err);
    for (const char* key : {"byte_c", "byte_d", "byte_e", "byte_f"})
        EXPECT_EQ(traced.find(key)->second, own.find(key)->second) << key;
    for (const char* key : {"byte_a", "byte_b"}) {
        EXPECT_NE(own.find(key)->second, 0xCCu) << key;
        EXPECT_EQ(traced.find(key)->second, 0xCCu) << key;
    }
}

TEST(Points, TheGenerationCountsEveryChangeWhateverIsAsked) {
    // Counted to point_c's first instruction by the bare loop: one row there, with no row
    // (and no reading of the map for one) at either change before it. Every run without address
    // randomization, so that the addresses are the bare loop's.
    const std::vector<std::uint64_t> bare = bare_single_step({kChild, "maps"});
    const RunResult by_points = run({"setarch", "-R", kVmatlas, "trace", "--json", "--pcs",
                                     "point_a,point_c", "--", kChild, "maps"});
    const auto points = rows_of(by_points);
    ASSERT_EQ(points.size(), 2u) << by_points.out;
    const std::uint64_t point_c = hex(points[1]["pc"]);
    const auto at = std::find(bare.begin(), bare.end(), point_c);
    ASSERT_NE(at, bare.end());
    const RunResult by_count = run({"setarch", "-R", kVmatlas, "trace", "--json", "--counts",
                                    std::to_string(at - bare.begin() + 1), "--", kChild, "maps"});
    const auto counted = rows_of(by_count);
    ASSERT_EQ(counted.size(), 1u) << by_count.out << by_count.err;
    EXPECT_EQ(hex(counted[0]["pc"]), point_c);
    EXPECT_EQ(counted[0]["generation"], points[1]["generation"]);
    EXPECT_EQ(points[1]["generation"], points[0]["generation"].get<std::uint64_t>() + 2);
}

TEST(Points, ThreadsReportTheirOwnTids) {
    const RunResult r =
        run({kVmatlas, "trace", "--json", "--pcs", "thread_point", "--", kChild, "threads"});
    EXPECT_EQ(r.status, 0) << r.err;
    const auto rows = rows_of(r);
    ASSERT_EQ(rows.size(), 3u) << r.out;
    std::set<std::uint64_t> tids;
    for (const auto& [key, value] : said(r.err))
        if (key == "tid") tids.insert(value);
    std::set<std::uint64_t> row_tids;
    for (const auto& row : rows) {
        row_tids.insert(row["tid"].get<std::uint64_t>());
        EXPECT_EQ(row["pid"], rows[0]["pid"]);
        EXPECT_NE(row["tid"], row["pid"]);
    }
    EXPECT_EQ(row_tids, tids);
}

TEST(Points, HardwarePointsLeaveTheCodeAsItIs) {
    const RunResult plain = run({kChild, "checksum"});
    const auto untraced = said(plain.err);
    const RunResult r = run({kVmatlas, "trace", "--json", "--pcs",
                             "point_a,point_b,point_c,point_d", "--", kChild, "checksum"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(rows_of(r).size(), 400u);
    const auto traced = said(r.err);
    // The program read its own code while every point was armed: it saw its own bytes.
    EXPECT_EQ(traced.find("checksum_before")->second, untraced.find("checksum_before")->second);
    EXPECT_EQ(traced.find("checksum_after")->second, untraced.find("checksum_before")->second);
}

TEST(Points, MoreThanFourPointsUseInt3AndStepOverThem) {
    const RunResult r =
        run({kVmatlas, "trace", "--json", "--pcs",
             "point_a,point_b,point_c,point_d,point_e,point_f", "--", kChild, "checksum"});
    EXPECT_EQ(r.status, 0) << r.err;
    const auto rows = rows_of(r);
    ASSERT_EQ(rows.size(), 600u);
    // In the order the program calls them, each of the 100 rounds.
    const char* order[] = {"point_a", "point_b", "point_c", "point_d", "point_e", "point_f"};
    for (std::size_t k = 0; k < rows.size(); ++k) ASSERT_EQ(rows[k]["symbol"], order[k % 6]) << k;
}

// Six points, the last two listed int3s.
const std::string kSixPoints = "point_a,point_b,point_c,point_d,point_e,point_f";

TEST(Points, Int3sSteppedOverWhileOtherThreadsRun) {
    const RunResult r = run({"timeout", "-k", "5", "60", kVmatlas, "trace", "--json", "--pcs",
                             kSixPoints, "--", kChild, "threads6"});
    EXPECT_EQ(r.status, 0) << r.err;
    const auto rows = rows_of(r);
    ASSERT_EQ(rows.size(), 3u * 50 * 6);
    std::map<std::uint64_t, std::map<std::string, int>> per_thread;
    for (const auto& row : rows)
        ++per_thread[row["tid"].get<std::uint64_t>()][row["symbol"].get<std::string>()];
    ASSERT_EQ(per_thread.size(), 3u);
    for (const auto& [tid, counts] : per_thread) {
        EXPECT_EQ(counts.size(), 6u);
        for (const auto& [symbol, n] : counts) EXPECT_EQ(n, 50) << tid << " " << symbol;
    }
}

TEST(Points, ALeaderThatExitsFirst) {
    const RunResult r = run({"timeout", "-k", "5", "60", kVmatlas, "trace", "--json", "--pcs",
                             kSixPoints, "--", kChild, "leader_exit"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(rows_of(r).size(), 18u);
}

TEST(Points, AVforkChildAmongItsParentsInt3s) {
    // point_e is an int3 (the fifth listed); the child is not followed: no row of its own.
    const RunResult r =
        run({"timeout", "-k", "5", "60", kVmatlas, "trace", "--json", "--pcs",
             "point_b,point_c,point_d,point_f,point_e,point_a", "--", kChild, "vfork"});
    EXPECT_EQ(r.status, 0) << r.err;
    const auto rows = rows_of(r);
    ASSERT_EQ(rows.size(), 1u) << r.out;
    EXPECT_EQ(rows[0]["symbol"], "point_a");
}

// ---- processes ----

TEST(Processes, ForksAreFollowedWhenAsked) {
    const RunResult alone =
        run({kVmatlas, "trace", "--json", "--pcs", "point_a,point_b", "--", kChild, "fork"});
    EXPECT_EQ(alone.status, 0) << alone.err;
    auto rows = rows_of(alone);
    ASSERT_EQ(rows.size(), 1u) << alone.out;
    EXPECT_EQ(rows[0]["symbol"], "point_b");

    const RunResult followed = run({kVmatlas, "trace", "--json", "--follow-forks", "--pcs",
                                    "point_a,point_b", "--", kChild, "fork"});
    EXPECT_EQ(followed.status, 0) << followed.err;
    rows = rows_of(followed);
    ASSERT_EQ(rows.size(), 2u) << followed.out;
    EXPECT_EQ(rows[0]["symbol"], "point_a");
    EXPECT_EQ(rows[0]["pid"].get<std::uint64_t>(), said(followed.err).find("child")->second);
    EXPECT_EQ(rows[1]["symbol"], "point_b");
    EXPECT_NE(rows[1]["pid"], rows[0]["pid"]);
}

TEST(Processes, AnExecIsANewImage) {
    const RunResult r = run({kVmatlas, "trace", "--json", "--pcs", "point_a,known_point", "--",
                             kChild, "exec", kCountChild});
    EXPECT_EQ(r.status, 7) << r.err;  // the status of the program it became
    const auto rows = rows_of(r);
    ASSERT_EQ(rows.size(), 2u) << r.out;
    EXPECT_EQ(rows[0]["symbol"], "point_a");
    EXPECT_EQ(rows[0]["image_path"], kChild);
    EXPECT_EQ(rows[1]["symbol"], "known_point");
    EXPECT_EQ(rows[1]["image_path"], kCountChild);
    EXPECT_EQ(hex(rows[1]["pc"]), nm_value(kCountChild, "known_point"));
    EXPECT_EQ(rows[1]["pid"], rows[0]["pid"]);
    // The name is the kernel's, 15 characters at most: the same for both programs here.
    EXPECT_EQ(rows[0]["process"], "vmatlas-trace-c");
    EXPECT_EQ(rows[1]["process"], "vmatlas-trace-c");
}

TEST(Processes, TheCommandStartsWithTheShellsDispositions) {
    // vmatlas ignores SIGPIPE for itself; the command it runs gets what vmatlas was given: the
    // default here, as a shell gives it.
    const auto shell_like = [] { signal(SIGPIPE, SIG_DFL); };
    const RunResult r =
        run({kVmatlas, "trace", "--pcs", "0x1", "--", "/bin/grep", "SigIgn", "/proc/self/status"},
            {}, shell_like);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "SigIgn:\t0000000000000000\n");
}

TEST(Processes, AKilledTraceeGivesItsSignal) {
    const RunResult r =
        run({kVmatlas, "trace", "--json", "--pcs", "point_a", "--", kChild, "kill"});
    EXPECT_EQ(r.status, 128 + SIGKILL) << r.err;
    EXPECT_EQ(rows_of(r).size(), 1u);
}

TEST(Processes, CtrlCKillsACommand) {
    Spawned v({kVmatlas, "trace", "--json", "--pcs", "point_a", "--", kChild, "loop"});
    const std::string first = read_lines(v.out, 3);
    ASSERT_GE(vmtest::lines(first).size(), 3u);
    const auto pid = json::parse(vmtest::lines(first)[0])["pid"].get<pid_t>();
    kill(v.pid, SIGINT);
    EXPECT_EQ(v.wait(), 130);
    const std::string err = read_all(v.err);
    EXPECT_NE(err.find("killed"), std::string::npos) << err;
    EXPECT_NE(kill(pid, 0), 0);  // gone, and reaped
}

TEST(Processes, AttachedWithInt3sAndDetachedNothingIsLeft) {
    Spawned child({kChild, "loop"});
    const auto ready = said(read_lines(child.err, 2));
    ASSERT_TRUE(ready.contains("ready"));
    const auto pid = ready.find("ready")->second;
    const auto checksum = ready.find("checksum")->second;
    {
        // Six points: two of them int3s in the running program's code.
        Spawned v({kVmatlas, "trace", "--json", "--pcs",
                   "point_a,point_b,point_c,point_d,point_e,point_f", "--pid",
                   std::to_string(pid)});
        const std::string rows = read_lines(v.out, 24);
        ASSERT_GE(vmtest::lines(rows).size(), 24u);
        for (const std::string& line : vmtest::lines(rows))
            EXPECT_EQ(json::parse(line)["pid"], pid);
        kill(v.pid, SIGINT);
        EXPECT_EQ(v.wait(), 130);
        const std::string err = read_all(v.err);
        EXPECT_NE(err.find("detached"), std::string::npos) << err;
    }
    // Still running, and its code is its own again.
    EXPECT_EQ(kill(static_cast<pid_t>(pid), 0), 0);
    child.close_stdin();
    EXPECT_EQ(child.wait(), 0);
    const auto end = said(read_all(child.err));
    ASSERT_TRUE(end.contains("checksum_end"));
    EXPECT_EQ(end.find("checksum_end")->second, checksum);
}

TEST(Processes, AttachedCountsAndTheProcessEndsTheTrace) {
    Spawned child({kChild, "loop"});
    const auto ready = said(read_lines(child.err, 2));
    ASSERT_TRUE(ready.contains("ready"));
    const auto pid = ready.find("ready")->second;
    Spawned v({kVmatlas, "trace", "--json", "--counts", "1,2,3", "--pid", std::to_string(pid)});
    const std::string rows = read_lines(v.out, 3);
    ASSERT_EQ(vmtest::lines(rows).size(), 3u) << rows;
    for (std::size_t k = 0; k < 3; ++k) {
        const json row = json::parse(vmtest::lines(rows)[k]);
        EXPECT_EQ(row["instr_count"], k + 1);
        EXPECT_EQ(row["pid"], pid);
    }
    // Past the last count it runs free, until it exits: its status is vmatlas's.
    child.close_stdin();
    EXPECT_EQ(v.wait(), 0);
}

TEST(Processes, AttachedEachSystemCallIsSeen) {
    Spawned child({kChild, "loop"});
    const auto ready = said(read_lines(child.err, 2));
    ASSERT_TRUE(ready.contains("ready"));
    const auto pid = ready.find("ready")->second;
    Spawned v({kVmatlas, "trace", "--json", "--syscalls", "--pcs", "point_a", "--pid",
               std::to_string(pid)});
    const std::string text = read_lines(v.out, 12);
    const auto lines = vmtest::lines(text);
    ASSERT_GE(lines.size(), 12u);
    // The loop: the points, then a wait on its stdin; nothing else.
    std::size_t calls = 0, points = 0;
    for (const std::string& line : lines) {
        const json row = json::parse(line);
        if (row["in_kernel"] == true) {
            ++calls;
            EXPECT_TRUE(row["syscall"] == "select" || row["syscall"] == "pselect6") << line;
            EXPECT_TRUE(row["instr_count"].is_null());
        } else {
            ++points;
            EXPECT_EQ(row["symbol"], "point_a") << line;
        }
    }
    EXPECT_GE(calls, 5u);
    EXPECT_GE(points, 5u);
    kill(v.pid, SIGINT);
    EXPECT_EQ(v.wait(), 130);
}

// ---- errors ----

TEST(Errors, SentencesAndStatuses) {
    RunResult r = run({kVmatlas, "trace", "--", "/nonexistent/program"});
    EXPECT_EQ(r.status, 127);
    EXPECT_EQ(r.err, "vmatlas: /nonexistent/program: No such file or directory\n");
    r = run({kVmatlas, "trace", "--", "/etc/passwd"});
    EXPECT_EQ(r.status, 126);
    EXPECT_EQ(r.err, "vmatlas: /etc/passwd: Permission denied\n");
    r = run({kVmatlas, "trace", "--pid", "999999999"});
    EXPECT_EQ(r.status, 3) << r.err;
    r = run({kVmatlas, "trace", "--pcs", "0x12g", "--", kCountChild});
    EXPECT_EQ(r.status, 2);
    r = run({kVmatlas, "trace"});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "vmatlas: trace takes a command after '--', or --pid PID\n");
    r = run({kVmatlas, "trace", "--on-exit", "later", "--", kCountChild});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "vmatlas: --on-exit takes kill or detach, not 'later'\n");
}

}  // namespace
