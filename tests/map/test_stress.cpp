// The map of a process that maps, mprotects and unmaps in a tight loop, read again and again:
// /proc/PID/maps is not read atomically, and every snapshot must still be a sound address space.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/harness.hpp"
#include "vmatlas/maps_text.hpp"
#include "vmatlas/procfs.hpp"

namespace vmtest {
namespace {

TEST(Stress, LibraryReadsOfAChurningMapAreSound) {
    Demo demo({"--churn"});
    std::size_t superseded = 0;
    std::uint64_t first_generation = 0;
    bool generation_changed = false;
    for (int i = 0; i < 300; ++i) {
        auto space = vmatlas::read_process_maps(demo.pid());
        ASSERT_TRUE(space.ok()) << space.error().message;
        auto broken = vmatlas::check_invariants(*space);
        ASSERT_TRUE(broken.empty()) << "read " << i << ": " << broken.front();
        const auto& rows = space->rows();
        ASSERT_EQ(rows.read, rows.kept + rows.superseded + rows.rejected) << "read " << i;
        ASSERT_EQ(rows.kept, space->size());
        ASSERT_EQ(rows.rejected, 0u);
        ASSERT_GT(space->size(), 20u);
        superseded += rows.superseded;
        if (i == 0) first_generation = space->generation();
        generation_changed |= space->generation() != first_generation;
    }
    EXPECT_TRUE(generation_changed) << "the map changes all the time: so must the generation";
    RecordProperty("superseded_rows", static_cast<int>(superseded));
}

TEST(Stress, CliReadsOfAChurningMapAreSound) {
    Demo demo({"--churn"});
    for (int i = 0; i < 20; ++i) {
        RunResult r = vmatlas({"--json", demo.pid_text()});
        ASSERT_EQ(r.status, 0) << r.err;
        auto doc = parse_json(r);
        const auto& rows = doc["rows"];
        ASSERT_EQ(rows["read"].get<std::size_t>(), rows["kept"].get<std::size_t>() +
                                                       rows["superseded"].get<std::size_t>() +
                                                       rows["rejected"].get<std::size_t>());
        ASSERT_EQ(rows["kept"], doc["mappings"].size());
        std::uint64_t previous_end = 0;
        for (const auto& m : doc["mappings"]) {
            std::uint64_t start = hex(m["start"].get<std::string>());
            std::uint64_t end = hex(m["end"].get<std::string>());
            ASSERT_LT(start, end);
            ASSERT_LE(previous_end, start) << "sorted and non-overlapping";
            ASSERT_EQ(m["size"], end - start);
            previous_end = end;
        }
    }
}

// A child with 8,000 two-page mappings (a maps text of some 400 KB: past the first 256 KB block,
// so read by the reader thread while parsed) that splits and joins them with mprotect in a tight
// loop. It writes one byte to `ready` once mapped.
pid_t start_big_churning_child(int ready) {
    const pid_t pid = fork();
    if (pid != 0) return pid;
    constexpr std::size_t kCount = 8000;
    const std::size_t page = static_cast<std::size_t>(kPage);
    char* base = static_cast<char*>(
        mmap(nullptr, 3 * kCount * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base == MAP_FAILED) _exit(1);
    munmap(base, 3 * kCount * page);
    for (std::size_t i = 0; i < kCount; ++i)
        if (mmap(base + 3 * i * page, 2 * page, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED)
            _exit(1);
    if (write(ready, "r", 1) != 1) _exit(1);
    for (std::size_t i = 0;; i = (i + 7919) % kCount) {  // split one, then join it again
        mprotect(base + 3 * i * page, page, PROT_READ);
        mprotect(base + 3 * i * page, page, PROT_READ | PROT_WRITE);
    }
}

TEST(Stress, ReadsOfABigChurningMapAreSound) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = start_big_churning_child(fds[1]);
    ASSERT_GT(child, 0);
    close(fds[1]);
    char byte = 0;
    const bool ready = read(fds[0], &byte, 1) == 1;
    close(fds[0]);
    struct Reaper {
        pid_t pid;
        ~Reaper() {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    } reaper{child};
    ASSERT_TRUE(ready) << "the child could not map its pages";
    const std::string text = slurp("/proc/" + std::to_string(child) + "/maps");
    ASSERT_GT(text.size(), 256u * 1024) << "the map must be longer than the first block";
    for (int i = 0; i < 30; ++i) {
        auto space = vmatlas::read_process_maps(child);
        ASSERT_TRUE(space.ok()) << space.error().message;
        const auto broken = vmatlas::check_invariants(*space);
        ASSERT_TRUE(broken.empty()) << "read " << i << ": " << broken.front();
        const auto& rows = space->rows();
        ASSERT_EQ(rows.read, rows.kept + rows.superseded + rows.rejected) << "read " << i;
        ASSERT_EQ(rows.rejected, 0u) << "read " << i << ": a row cut between blocks was lost";
        ASSERT_GE(space->size(), 8000u) << "read " << i;
    }
    // Stopped, the map holds still: the streamed read equals the whole text parsed at once.
    ASSERT_EQ(kill(child, SIGSTOP), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, WUNTRACED), child);
    ASSERT_TRUE(WIFSTOPPED(status));
    auto streamed = vmatlas::read_process_maps(child);
    ASSERT_TRUE(streamed.ok()) << streamed.error().message;
    const vmatlas::AddressSpace whole = vmatlas::parse_maps_text(
        slurp("/proc/" + std::to_string(child) + "/maps"), vmatlas::SourceInfo{});
    ASSERT_EQ(streamed->size(), whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
        ASSERT_EQ((*streamed)[i].start, whole[i].start) << "row " << i;
        ASSERT_EQ((*streamed)[i].end, whole[i].end) << "row " << i;
        ASSERT_EQ((*streamed)[i].perms, whole[i].perms) << "row " << i;
        ASSERT_EQ(streamed->path((*streamed)[i]), whole.path(whole[i])) << "row " << i;
    }
}

}  // namespace
}  // namespace vmtest
