// Where the input comes from: pipes and FIFOs (read as streams, waited for as cat waits),
// endless devices under a memory limit, a byte order mark, symbolic links that loop or lead
// nowhere, processes vmatlas may not read, and rows dropped for overlapping. Each failure gives
// one documented sentence and status (docs/reliability.md), and what could be read is shown.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <thread>

#include <fmt/format.h>

#include "reliability/support.hpp"

namespace vmtest {
namespace {

using nlohmann::json;

const std::string kCorpus = std::string(VMATLAS_SOURCE_DIR) + "/tests/fuzz/corpus";

// bash -c SCRIPT, with $V the vmatlas under test.
RunResult shell(const std::string& script, const std::function<void()>& in_child = {}) {
    return run({"/bin/bash", "-c", "V='" + cli_path() + "'; " + script}, {}, in_child);
}

// `sleep 60`, whose map stays as it is while the tests read it.
class Sleeper {
  public:
    Sleeper() {
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
            _exit(127);
        }
        // Until sleep sleeps: its map is then whole (libc and the locale's files mapped) and
        // stays as it is.
        for (int i = 0; i < 1000 && !asleep(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ~Sleeper() {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    std::string pid_text() const { return std::to_string(pid_); }
    std::string maps_path() const { return "/proc/" + pid_text() + "/maps"; }
    std::size_t rows() const { return read_proc_maps(pid_).size(); }

  private:
    bool asleep() const {
        const std::string stat = slurp("/proc/" + pid_text() + "/stat");
        const auto paren = stat.rfind(") ");
        return paren != std::string::npos && stat.compare(paren + 2, 1, "S") == 0 &&
               stat.find("(sleep)") != std::string::npos &&
               slurp(maps_path()).find("libc") != std::string::npos;
    }

    pid_t pid_ = -1;
};

// The JSON of a run, checked to be whole.
json parsed(const RunResult& r) {
    return json::parse(r.out);
}

// ---- pipes and FIFOs ------------------------------------------------------------------------

TEST(Streams, ProcessSubstitutionIsReadAsAStreamByEveryView) {
    const Sleeper sleeper;
    const std::string maps = sleeper.maps_path();
    const RunResult r = shell("\"$V\" --json <(cat " + maps + ")");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const json j = parsed(r);
    EXPECT_EQ(j["source"]["kind"], "maps text");
    EXPECT_EQ(j["partial"], false);
    EXPECT_EQ(j["mappings"].size(), sleeper.rows());

    for (const std::string view : {"pmap", "mappings", "summary", "save"}) {
        const RunResult v = shell("\"$V\" " + view + " <(cat " + maps + ")");
        EXPECT_EQ(v.status, 0) << view << ": " << v.err;
        EXPECT_EQ(v.err, "") << view;
        EXPECT_NE(v.out, "") << view;
    }
    // Both sides of a diff, and a regions file added, through pipes.
    const RunResult d = shell("\"$V\" diff <(cat " + maps + ") <(cat " + maps + ")");
    EXPECT_EQ(d.status, 0) << d.err;
    const RunResult add =
        shell("\"$V\" --json --add <(printf '0x1000 0x1000 rw- 0 by-hand\\n') " + maps);
    ASSERT_EQ(add.status, 0) << add.err;
    const json a = parsed(add);
    EXPECT_EQ(a["mappings"][0]["start"], "0x1000");
    EXPECT_EQ(a["mappings"][0]["path"], "by-hand");
}

// The write end of the FIFO at path, blocking, once a reader has opened it; -1 when none comes
// within ten seconds. Opened without blocking first: a reader that never came is a failure of
// the test, not a hang.
int open_fifo_for_writing(const std::string& path) {
    for (int i = 0; i < 1000; ++i) {
        const int fd = open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            fcntl(fd, F_SETFL, 0);
            return fd;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
}

// A FIFO at `path`, written `text` by a thread after `delay`, once vmatlas has opened it.
class LateWriter {
  public:
    LateWriter(std::string path, std::string text, std::chrono::milliseconds delay)
        : thread_([path = std::move(path), text = std::move(text), delay] {
              std::this_thread::sleep_for(delay);
              const int fd = open_fifo_for_writing(path);
              if (fd < 0) return;
              for (std::size_t at = 0; at < text.size();) {
                  const ssize_t n = write(fd, text.data() + at, text.size() - at);
                  if (n <= 0) break;
                  at += static_cast<std::size_t>(n);
              }
              close(fd);
          }) {}
    ~LateWriter() { thread_.join(); }

  private:
    std::thread thread_;
};

// CPU seconds the children reaped so far have used.
double children_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_CHILDREN, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

TEST(Streams, AFifoIsWaitedForWithoutSpinningUntilItsWriterComes) {
    const Sleeper sleeper;
    TempDir dir("vmatlas fifo");
    const std::string fifo = dir / "maps fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const std::string text = slurp(sleeper.maps_path());

    const double cpu_before = children_cpu_seconds();
    RunResult r;
    const double took = seconds_of([&] {
        LateWriter writer(fifo, text, std::chrono::milliseconds(500));
        r = cli({"--json", fifo});
    });
    const double cpu = children_cpu_seconds() - cpu_before;
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(parsed(r)["mappings"].size(), sleeper.rows());
    EXPECT_GE(took, 0.5);
    // Waiting is in poll(2): a loop of reads that find no writer would burn the half second.
    EXPECT_LT(cpu, 0.25) << "vmatlas used " << cpu << " s of CPU waiting " << took << " s";
}

TEST(Streams, AnAddedFifoIsReadAsARegionsFile) {
    TempDir dir("vmatlas fifo");
    const std::string fifo = dir / "regions";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    write_text(dir / "one.maps", "7f0000000000-7f0000001000 r--p 00000000 00:00 0\n");
    RunResult r;
    {
        LateWriter writer(fifo, "0x1000 0x1000 rw- 0 by-hand\n", std::chrono::milliseconds(100));
        r = cli({"--json", "--add", fifo, dir / "one.maps"});
    }
    ASSERT_EQ(r.status, 0) << r.err;
    const json j = parsed(r);
    ASSERT_EQ(j["mappings"].size(), 2u);
    EXPECT_EQ(j["mappings"][0]["path"], "by-hand");
}

TEST(Streams, AFifoClosedWithoutAWordHoldsNoMap) {
    TempDir dir("vmatlas fifo");
    const std::string fifo = dir / "silent";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    RunResult r;
    {
        LateWriter writer(fifo, "", std::chrono::milliseconds(100));
        r = cli({fifo});
    }
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.err, "vmatlas: " + fifo + " holds no memory map rows\n");
}

// ---- endless input under a memory limit -----------------------------------------------------

// stdin of the child is `path`, and its memory is limited.
std::function<void()> stdin_from(const std::string& path) {
    return [path] {
        if (kCanLimitMemory) limit_memory(kMemoryLimit);
        const int fd = open(path.c_str(), O_RDONLY);
        if (fd < 0) _exit(125);
        dup2(fd, 0);
        close(fd);
    };
}

TEST(EndlessInput, DevZeroIsNoMapAndCostsNothing) {
    struct Case {
        std::vector<std::string> args;
        std::string input;  // the child's stdin, when not the parent's
        std::string sentence;
    };
    const std::vector<Case> cases = {
        {{"/dev/zero"},
         "",
         "vmatlas: /dev/zero is not a memory map: it holds a NUL byte at offset 0x0"},
        {{"-"},
         "/dev/zero",
         "vmatlas: standard input is not a memory map: it holds a NUL byte at offset 0x0"},
        {{"pmap", "-X", "/dev/zero"},
         "",
         "vmatlas: /dev/zero is not a memory map: it holds a NUL byte at offset 0x0"},
        {{"save", "-"},
         "/dev/zero",
         "vmatlas: standard input is not a memory map: it holds a NUL byte at offset 0x0"},
        {{"--add", "/dev/zero", "/proc/self/maps"},
         "",
         "vmatlas: /dev/zero is not a regions file: it holds a NUL byte at offset 0x0"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.args.front());
        const RunResult r =
            cli(c.args, {}, c.input.empty() ? with_memory_limit() : stdin_from(c.input));
        EXPECT_EQ(r.status, 7);
        EXPECT_EQ(r.err, c.sentence + "\n");
        EXPECT_EQ(r.out, "");
    }
}

// A thread that writes `row` once, then lines of 'x' into the FIFO until its reader goes.
class EndlessWriter {
  public:
    EndlessWriter(std::string path, std::string first)
        : thread_([path = std::move(path), first = std::move(first)] {
              signal(SIGPIPE, SIG_IGN);
              const int fd = open_fifo_for_writing(path);
              if (fd < 0) return;
              if (write(fd, first.data(), first.size()) != static_cast<ssize_t>(first.size()))
                  return close(fd), void();
              const std::string block(64 * 1024, 'x');
              // Up to 64 MiB: far past every bound, and an end if the reader never leaves.
              for (int i = 0; i < 1024; ++i)
                  if (write(fd, block.data(), block.size()) <= 0) break;
              close(fd);
          }) {}
    ~EndlessWriter() { thread_.join(); }

  private:
    std::thread thread_;
};

TEST(EndlessInput, AFifoOfTextWithNoRowIsNoMap) {
    TempDir dir("vmatlas fifo");
    const std::string fifo = dir / "endless";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    RunResult r;
    {
        EndlessWriter writer(fifo, "");
        r = cli({fifo}, {}, with_memory_limit());
    }
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.err, "vmatlas: " + fifo + " is not a memory map: its first 4 MiB hold no row\n");
}

TEST(EndlessInput, AFifoOfRowsThenEndlessTextShowsTheRowsAsPartial) {
    TempDir dir("vmatlas fifo");
    const std::string fifo = dir / "endless";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const std::string row = "7f0000000000-7f0000001000 r--p 00000000 00:00 0 kept\n";
    RunResult r;
    {
        EndlessWriter writer(fifo, row);
        r = cli({"--json", fifo}, {}, with_memory_limit());
    }
    EXPECT_EQ(r.status, 9);
    const json j = parsed(r);
    EXPECT_EQ(j["partial"], true);
    ASSERT_EQ(j["mappings"].size(), 1u);
    EXPECT_EQ(j["mappings"][0]["path"], "kept");
    // The endless line is one rejected row, counted but never held (it is longer than any row
    // at 64 KiB: a row's figures then start after it), and the input ends 4 MiB later.
    const auto err = err_lines(r);
    ASSERT_EQ(err.size(), 3u) << r.err;
    EXPECT_TRUE(err[0].starts_with("vmatlas: warning: line 2, column 1: a line of ")) << err[0];
    EXPECT_TRUE(err[0].ends_with(" bytes, longer than any row (65536 bytes at most): skipped"))
        << err[0];
    // Where the last row was counted: the end of the piece of the stream that made the long
    // line a rejected row, past its first 64 KiB and within one 256 KiB block of it (a pipe's
    // pieces come as the writer's writes do).
    const std::string head =
        "vmatlas: warning: " + fifo + " holds no row in the 4 MiB after offset ";
    const std::string tail = ": the rest is not read";
    ASSERT_TRUE(err[1].starts_with(head) && err[1].ends_with(tail)) << err[1];
    const std::uint64_t at = std::stoull(
        err[1].substr(head.size(), err[1].size() - head.size() - tail.size()), nullptr, 16);
    EXPECT_GE(at, row.size() + 65536);
    EXPECT_LE(at, row.size() + 65536 + 256 * 1024);
    EXPECT_EQ(err[2], "vmatlas: 1 of 2 rows could not be read and are not shown");
}

TEST(EndlessInput, MemoryThatRunsOutIsStatus11AndNothingHalfWritten) {
    if (!kCanLimitMemory) GTEST_SKIP() << "under a sanitizer the address space cannot be limited";
    // 150,000 good rows, each with a name of its own: some 15 MB of rows and names kept, more
    // than the 24 MiB of address space the child gets leaves once vmatlas is loaded.
    TempDir dir("vmatlas memory");
    const std::string maps = dir / "many.maps";
    {
        std::ofstream out(maps, std::ios::binary);
        char row[160];
        for (unsigned long i = 0; i < 150'000; ++i) {
            const int n = std::snprintf(
                row, sizeof row, "%012lx-%012lx rw-p 00000000 08:01 %lu /lib/lib-%lu.so\n",
                0x7f0000000000UL + i * 0x2000, 0x7f0000001000UL + i * 0x2000, 1000 + i, i);
            out.write(row, n);
        }
    }
    const auto limited = [] { limit_memory(24u << 20); };
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{maps}, {"pmap", "-x", maps}, {"--json", maps}}) {
        const RunResult r = cli(args, {}, limited);
        SCOPED_TRACE(args.front());
        EXPECT_EQ(r.status, 11);
        EXPECT_EQ(r.err, "vmatlas: out of memory\n");
        EXPECT_EQ(r.out, "");
    }
    const std::string saved = dir / "saved.json";
    write_text(saved, "the old contents\n");
    const RunResult s = cli({"save", maps, "-o", saved}, {}, limited);
    EXPECT_EQ(s.status, 11);
    EXPECT_EQ(s.err, "vmatlas: out of memory\n");
    EXPECT_EQ(slurp(saved), "the old contents\n");
}

// ---- a core cut short ------------------------------------------------------------------------

TEST(CutCore, InsideItsHeaderSaysSoWithItsSize) {
    // A real core's first bytes (the corpus's kernel core of sleep), cut inside the ELF
    // identification and inside the ELF header: libelf's own word for both is "no error".
    const std::string core = slurp(kCorpus + "/core/kernel-sleep.stripped");
    ASSERT_GT(core.size(), 64u);
    TempDir dir("vmatlas cut core");
    const std::vector<std::pair<std::size_t, std::string>> cuts = {
        {10, "truncated ELF identification: 10 bytes of 16"},
        {30, "truncated ELF header: 30 bytes, an ELF64 header needs 64"},
    };
    for (const auto& [size, sentence] : cuts) {
        const std::string file = dir / ("cut-" + std::to_string(size));
        write_text(file, core.substr(0, size));
        for (const std::string view : {"map", "pmap", "save"}) {
            const RunResult r = cli({view, file});
            SCOPED_TRACE(view + " " + file);
            EXPECT_EQ(r.status, 7);
            EXPECT_EQ(r.err, "vmatlas: " + file + ": " + sentence + "\n");
            EXPECT_EQ(r.out, "");
        }
    }
}

// ---- a byte order mark ----------------------------------------------------------------------

TEST(ByteOrderMark, ASnapshotStartingWithOneIsReadAsASnapshot) {
    TempDir dir("vmatlas bom");
    const std::string maps = dir / "layout.maps";
    write_text(maps, slurp("/proc/self/maps"));
    const RunResult saved = cli({"save", maps});
    ASSERT_EQ(saved.status, 0) << saved.err;
    write_text(dir / "plain.json", saved.out);
    write_text(dir / "bom.json", "\xef\xbb\xbf" + saved.out);
    for (const std::string view : {"--json", "pmap", "summary"}) {
        const RunResult plain = cli({view, dir / "plain.json"});
        const RunResult bom = cli({view, dir / "bom.json"});
        EXPECT_EQ(bom.status, 0) << bom.err;
        EXPECT_EQ(bom.err, "");
        EXPECT_EQ(bom.out, plain.out) << view;
    }
    // Read as the snapshot it is: the source it recorded, not "maps text" of bom.json.
    EXPECT_EQ(parsed(cli({"--json", dir / "bom.json"}))["source"]["origin"], maps);
    // Through a pipe too.
    EXPECT_EQ(cli({"--json", "-"}, "\xef\xbb\xbf" + saved.out).out,
              cli({"--json", dir / "plain.json"}).out);
}

TEST(ByteOrderMark, MapsTextStartingWithOneReadsAsWithout) {
    const std::string text = slurp("/proc/self/maps");
    const RunResult plain = cli({"-"}, text);
    const RunResult bom = cli({"-"}, "\xef\xbb\xbf" + text);
    EXPECT_EQ(bom.status, 0) << bom.err;
    EXPECT_EQ(bom.err, "");
    EXPECT_EQ(bom.out, plain.out);
    EXPECT_EQ(plain.status, 0);
}

// ---- symbolic links -------------------------------------------------------------------------

// The child's working directory is dir.
std::function<void()> in_dir(const std::string& dir) {
    return [dir] {
        if (chdir(dir.c_str()) != 0) _exit(125);
    };
}

TEST(SymbolicLinks, ALoopIsSaidToLoopNotToBeAProcessName) {
    TempDir dir("vmatlas links");
    ASSERT_EQ(symlink("loop-b", (dir / "loop-a").c_str()), 0);
    ASSERT_EQ(symlink("loop-a", (dir / "loop-b").c_str()), 0);
    // A bare name (no slash), which would otherwise be a process's name, and a path.
    for (const std::string target : {std::string("loop-a"), dir / "loop-a"}) {
        for (const std::vector<std::string>& args :
             {std::vector<std::string>{target}, {"pmap", target}, {"save", target}}) {
            const RunResult r = cli(args, {}, in_dir(dir.path()));
            SCOPED_TRACE(args.front());
            EXPECT_EQ(r.status, 7);
            EXPECT_EQ(r.err, "vmatlas: " + target +
                                 " cannot be opened: its symbolic links loop (too many levels "
                                 "of symbolic links)\n");
        }
    }
    const RunResult add = cli({"--add", "loop-a", "/proc/self/maps"}, {}, in_dir(dir.path()));
    EXPECT_EQ(add.status, 7);
    EXPECT_EQ(add.err,
              "vmatlas: loop-a cannot be opened: its symbolic links loop (too many levels of "
              "symbolic links)\n");
}

TEST(SymbolicLinks, ADanglingLinkIsSaidToLeadNowhere) {
    TempDir dir("vmatlas links");
    ASSERT_EQ(symlink("gone.maps", (dir / "dangling").c_str()), 0);
    for (const std::string target : {std::string("dangling"), dir / "dangling"}) {
        const RunResult r = cli({target}, {}, in_dir(dir.path()));
        EXPECT_EQ(r.status, 3);
        EXPECT_EQ(r.err, "vmatlas: " + target +
                             " is a symbolic link to gone.maps, which does not exist\n");
    }
    const RunResult d = cli({"diff", "dangling", "/proc/self/maps"}, {}, in_dir(dir.path()));
    EXPECT_EQ(d.status, 3);
    EXPECT_EQ(d.err, "vmatlas: dangling is a symbolic link to gone.maps, which does not exist\n");
}

// ---- processes vmatlas may not read ---------------------------------------------------------

// The child runs as uid/gid `id` (a user with no capability).
std::function<void()> as_user(uid_t id) {
    return [id] {
        if (setgroups(0, nullptr) != 0 || setresgid(id, id, id) != 0 || setresuid(id, id, id) != 0)
            _exit(124);
    };
}

TEST(Permission, ARootProcessSaysToRunAsRootAndNothingOfYama) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root, to run vmatlas as another user";
    // Reading a map needs ptrace's read access, which Yama's ptrace_scope does not restrict
    // (it restricts attaching): the remedy never names it, whether Yama is there or not.
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"1"}, {"pmap", "-x", "1"}}) {
        const RunResult r = cli(args, {}, as_user(65534));
        EXPECT_EQ(r.status, 4);
        const std::string file = args.size() == 1 ? "maps" : "smaps";
        EXPECT_EQ(r.err, "vmatlas: permission denied reading /proc/1/" + file +
                             ": process 1 runs as root or is not dumpable: run vmatlas as "
                             "root\n");
        EXPECT_EQ(r.err.find("ptrace_scope"), std::string::npos);
    }
}

TEST(Permission, AnotherUsersProcessNamesTheUser) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root, to run processes as other users";
    const pid_t other = fork();
    ASSERT_GE(other, 0);
    if (other == 0) {
        as_user(65533)();
        execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
        _exit(127);
    }
    for (int i = 0; i < 500 && slurp("/proc/" + std::to_string(other) + "/comm") != "sleep\n"; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const RunResult r = cli({std::to_string(other)}, {}, as_user(65534));
    kill(other, SIGKILL);
    waitpid(other, nullptr, 0);
    EXPECT_EQ(r.status, 4);
    EXPECT_EQ(r.err, fmt::format("vmatlas: permission denied reading /proc/{0}/maps: process {0} "
                                 "runs as uid 65533: run vmatlas as that user or as root\n",
                                 other));
}

// ---- rows dropped for overlapping -----------------------------------------------------------

// Every view of the target, each to exit 9 with the warning first on stderr.
void every_view_is_partial(const std::string& target, const std::string& warning) {
    const std::vector<std::vector<std::string>> views = {
        {target},
        {"--json", target},
        {"--csv", target},
        {"--gaps", target},
        {"pmap", target},
        {"pmap", "-x", target},
        {"pmap", "-X", target},
        {"mappings", target},
        {"summary", target},
        {"save", target},
        {"diff", target, target},
    };
    for (const auto& args : views) {
        const RunResult r = cli(args);
        SCOPED_TRACE(args.front() + " " + args.back());
        EXPECT_EQ(r.status, 9) << r.err;
        EXPECT_NE(r.out, "");
        const auto err = err_lines(r);
        ASSERT_FALSE(err.empty());
        const std::string about = args.front() == "diff" ? target + ": " : "";
        EXPECT_EQ(err.front(), "vmatlas: warning: " + about + warning);
    }
    const json j = parsed(cli({"--json", target}));
    EXPECT_EQ(j["partial"], true);
    EXPECT_GT(j["rows"]["superseded"].get<int>(), 0);
}

TEST(Overlap, MapsTextRowsDroppedArePartialInEveryView) {
    TempDir dir("vmatlas overlap");
    const std::string maps = dir / "overlap.maps";
    write_text(maps,
               "1000-3000 r--p 00000000 00:00 0 first\n"
               "2000-4000 r--p 00000000 00:00 0 second\n"
               "5000-6000 r--p 00000000 00:00 0 third\n");
    every_view_is_partial(maps, "1 row(s) overlapped a later row and were dropped");
    const json j = parsed(cli({"--json", maps}));
    ASSERT_EQ(j["mappings"].size(), 2u);
    EXPECT_EQ(j["mappings"][0]["path"], "second");
}

TEST(Overlap, SnapshotRowsDroppedArePartialInEveryView) {
    every_view_is_partial(kCorpus + "/snapshot/hand-unsorted-overlapping",
                          "2 row(s) overlapped a later row and were dropped");
    // A snapshot saved of such a map says so again when it is read.
    TempDir dir("vmatlas overlap");
    write_text(dir / "o.maps", "1000-3000 r--p 0 00:00 0 a\n2000-4000 r--p 0 00:00 0 b\n");
    const RunResult saved = cli({"save", dir / "o.maps", "-o", dir / "o.json"});
    EXPECT_EQ(saved.status, 9);
    every_view_is_partial(dir / "o.json", "1 row(s) overlapped a later row and were dropped");
}

TEST(Overlap, CoreLoadsOverlappingArePartialInEveryView) {
    // A kernel core of sleep whose second PT_LOAD was moved to start inside the first
    // (made as tests/fuzz/make-core-corpus.py says).
    every_view_is_partial(kCorpus + "/core/kernel-sleep-overlapping-loads",
                          "1 row(s) overlapped a later row and were dropped");
}

}  // namespace
}  // namespace vmtest
