// Where the output goes: a full device, a file system that fills, a pipe whose reader has gone,
// and save -o onto what is not a plain file. A write that fails is told, with status 10 and one
// sentence; a reader that has gone is no failure; nothing save -o writes through is replaced.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include <regex>
#include <thread>

#include "reliability/support.hpp"

namespace vmtest {
namespace {

// A maps text of n rows, as the kernel writes them: some 100 bytes a row.
std::string maps_rows(std::size_t n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) {
        char row[160];
        std::snprintf(row, sizeof row,
                      "%012llx-%012llx rw-p 00000000 08:01 %zu                       /usr/lib/"
                      "x86_64-linux-gnu/libexample-%zu.so\n",
                      0x7f0000000000ULL + i * 0x2000, 0x7f0000001000ULL + i * 0x2000, 1000 + i, i);
        text += row;
    }
    return text;
}

// A scratch directory with a maps text of 3,000 rows (a table of some 300 KB) in it.
class Output : public ::testing::Test {
  protected:
    TempDir dir{"vmatlas output"};
    std::string maps = dir / "big.maps";
    void SetUp() override { write_text(maps, maps_rows(3000)); }

    // The snapshot `vmatlas save maps` writes on standard output, without the second it was
    // taken in (two runs may fall in two seconds).
    std::string snapshot() {
        const RunResult r = cli({"save", maps});
        EXPECT_EQ(r.status, 0) << r.err;
        return untimed(r.out);
    }

    // A snapshot with its "time" left empty.
    static std::string untimed(const std::string& snapshot) {
        return std::regex_replace(snapshot, std::regex(R"re("time":"[^"]*")re"), R"("time":"")",
                                  std::regex_constants::format_first_only);
    }
};

// Standard output is `path`, opened for writing (in the child, before exec).
std::function<void()> stdout_to(const std::string& path) {
    return [path] {
        const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) _exit(125);
        dup2(fd, 1);
        close(fd);
    };
}

// ---- standard output -----------------------------------------------------------------------

TEST_F(Output, EveryViewToDevFullIsStatus10AndOneSentence) {
    const std::string self = std::to_string(getpid());
    const std::vector<std::vector<std::string>> views = {
        {self},         {"--json", self},     {"--csv", maps},      {maps, "--gaps"},
        {"pmap", maps}, {"pmap", "-x", self}, {"mappings", maps},   {"summary", maps},
        {"save", maps}, {"diff", maps, maps}, {"elf", "/bin/true"},
    };
    for (const auto& args : views) {
        const RunResult r = cli(args, {}, stdout_to("/dev/full"));
        SCOPED_TRACE(args.front() + " " + args.back());
        EXPECT_EQ(r.status, 10);
        EXPECT_EQ(r.err, "vmatlas: cannot write to standard output: No space left on device\n");
    }
}

// A small tmpfs of its own, mounted for the test (root only; skipped where mounting is refused).
class SmallFileSystem : public Output {
  protected:
    std::string mount_point = dir / "small fs";
    bool mounted = false;

    void SetUp() override {
        Output::SetUp();
        std::filesystem::create_directory(mount_point);
        mounted =
            mount("tmpfs", mount_point.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") == 0;
        if (!mounted)
            GTEST_SKIP() << "cannot mount a 64 KiB tmpfs here (" << std::strerror(errno)
                         << "): the full-file-system tests need root";
    }
    void TearDown() override {
        if (mounted) umount2(mount_point.c_str(), MNT_DETACH);
    }
};

TEST_F(SmallFileSystem, StandardOutputFillingItIsStatus10) {
    const std::string out = mount_point + "/table.txt";
    const RunResult r = cli({maps}, {}, stdout_to(out));
    EXPECT_EQ(r.status, 10);
    EXPECT_EQ(r.err, "vmatlas: cannot write to standard output: No space left on device\n");
}

TEST_F(SmallFileSystem, SaveOutputFillingItIsStatus10AndLeavesNothingBehind) {
    const std::string out = mount_point + "/snap.json";
    const RunResult r = cli({"save", maps, "-o", out});
    EXPECT_EQ(r.status, 10);
    EXPECT_EQ(r.err, "vmatlas: cannot write " + out + ": No space left on device\n");
    EXPECT_TRUE(std::filesystem::is_empty(mount_point)) << "a half-written file was left";

    // A file that was there stays as it was.
    write_text(out, "the old contents\n");
    const RunResult again = cli({"save", maps, "-o", out});
    EXPECT_EQ(again.status, 10);
    EXPECT_EQ(slurp(out), "the old contents\n");
}

// ---- a reader that has gone ----------------------------------------------------------------

// `vmatlas ARGS | head -1` through a shell, SIGPIPE as `disposition` says: what vmatlas exited
// with, and what it said on stderr.
RunResult into_head(const std::vector<std::string>& args, void (*disposition)(int)) {
    std::string command = "'" + cli_path() + "'";
    for (const std::string& a : args) command += " '" + a + "'";
    command += " | head -1 >/dev/null; echo \"status ${PIPESTATUS[0]}\" >&3";
    // stderr of vmatlas is the shell's; the status goes to fd 3, which is the shell's stdout.
    RunResult r = run({"/bin/bash", "-c", "exec 3>&1; " + command}, {},
                      [disposition] { signal(SIGPIPE, disposition); });
    return r;
}

TEST_F(Output, AReaderThatHasGoneIsNoFailure) {
    // With SIGPIPE at its default (a shell's): vmatlas ends quietly at the first write after.
    const RunResult dfl = into_head({maps}, SIG_DFL);
    EXPECT_EQ(dfl.out, "status 141\n");
    EXPECT_EQ(dfl.err, "");
    // With SIGPIPE ignored by the parent: the write fails with EPIPE, and that is no failure.
    const RunResult ign = into_head({maps}, SIG_IGN);
    EXPECT_EQ(ign.out, "status 0\n");
    EXPECT_EQ(ign.err, "");
    // Also when the output was partial (9): the status stays that of the map.
    write_text(dir / "bad.maps", maps_rows(3000) + "zz-1 r--p 0 0:0 0\n");
    const RunResult partial = into_head({dir / "bad.maps"}, SIG_IGN);
    EXPECT_EQ(partial.out, "status 9\n");
    EXPECT_EQ(partial.err,
              "vmatlas: warning: line 3001, column 1: bad start address 'zz-1'\n"
              "vmatlas: 1 of 3001 rows could not be read and are not shown\n");
}

// ---- save -o onto what is there -------------------------------------------------------------

struct stat stat_of(const std::string& path, bool follow = true) {
    struct stat st {};
    (follow ? ::stat : ::lstat)(path.c_str(), &st);
    return st;
}

TEST_F(Output, SaveOntoADeviceNodeWritesToIt) {
    const std::string null = dir / "null";
    ASSERT_EQ(mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0) << std::strerror(errno);
    const RunResult r = cli({"save", maps, "-o", null});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const struct stat st = stat_of(null, false);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node was replaced";
    EXPECT_EQ(st.st_rdev, makedev(1, 3));
}

TEST_F(Output, SaveOntoAFifoWritesToItsReader) {
    const std::string fifo = dir / "fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    std::string got;
    std::thread reader([&] { got = slurp(fifo); });
    const RunResult r = cli({"save", maps, "-o", fifo});
    reader.join();
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(untimed(got), snapshot());
    EXPECT_TRUE(S_ISFIFO(stat_of(fifo, false).st_mode)) << "the FIFO was replaced";
}

TEST_F(Output, SaveThroughASymlinkWritesWhatItNames) {
    const std::string target = dir / "target.json", link = dir / "link.json";
    write_text(target, "old\n");
    ASSERT_EQ(chmod(target.c_str(), 0640), 0);
    ASSERT_EQ(symlink("target.json", link.c_str()), 0);
    const RunResult r = cli({"save", maps, "-o", link});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(S_ISLNK(stat_of(link, false).st_mode)) << "the link was replaced";
    EXPECT_EQ(untimed(slurp(target)), snapshot());
    EXPECT_EQ(stat_of(target).st_mode & 07777, 0640u);
}

TEST_F(Output, SaveThroughADanglingSymlinkMakesTheFileItNames) {
    const std::string link = dir / "dangling.json";
    ASSERT_EQ(symlink("made.json", link.c_str()), 0);
    const RunResult r = cli({"save", maps, "-o", link});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(S_ISLNK(stat_of(link, false).st_mode)) << "the link was replaced";
    EXPECT_EQ(untimed(slurp(dir / "made.json")), snapshot());
}

TEST_F(Output, SaveOntoA0600FileKeepsItsMode) {
    const std::string file = dir / "private.json";
    write_text(file, "old\n");
    ASSERT_EQ(chmod(file.c_str(), 0600), 0);
    const RunResult r = cli({"save", maps, "-o", file});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(stat_of(file).st_mode & 07777, 0600u);
    EXPECT_EQ(untimed(slurp(file)), snapshot());
}

TEST_F(Output, SaveOntoAnotherUsersFileKeepsItsOwner) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root, to give the file to another user";
    const std::string file = dir / "theirs.json";
    write_text(file, "old\n");
    ASSERT_EQ(chown(file.c_str(), 65534, 65534), 0);
    const RunResult r = cli({"save", maps, "-o", file});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(stat_of(file).st_uid, 65534u);
    EXPECT_EQ(stat_of(file).st_gid, 65534u);
    EXPECT_EQ(untimed(slurp(file)), snapshot());
}

TEST_F(Output, SaveOntoADirectoryIsRefused) {
    const std::string sub = dir / "a directory";
    std::filesystem::create_directory(sub);
    const RunResult r = cli({"save", maps, "-o", sub});
    EXPECT_EQ(r.status, 10);
    EXPECT_EQ(r.err, "vmatlas: cannot write " + sub + ": it is a directory\n");
    EXPECT_TRUE(std::filesystem::is_directory(sub));
    EXPECT_TRUE(std::filesystem::is_empty(sub));
}

}  // namespace
}  // namespace vmtest
