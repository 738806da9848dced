// The live map walk (vmatlas/map_walk.hpp) against /proc/PID/maps of the watch child, read by the
// harness's own reader: every entry equal on a stopped child, End only for an unchanged map,
// Changed when the child maps a page in the middle of a walk.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/harness.hpp"
#include "vmatlas/map_walk.hpp"
#include "vmatlas/procfs.hpp"

namespace {

using vmatlas::MapWalk;
using vmatlas::WalkCursor;
using vmatlas::WalkStatus;

constexpr std::uint64_t kRegion = 0x100000000000;

// Sends one command line to the child.
void tell(vmtest::Child& child, const std::string& command) {
    const std::string line = command + "\n";
    ASSERT_EQ(write(child.stdin_fd(), line.data(), line.size()), static_cast<ssize_t>(line.size()));
}

// Waits until the child's map has a row starting at kRegion (or has none), as /proc says.
void wait_for_region(pid_t pid, bool present) {
    for (int i = 0; i < 1000; ++i) {
        bool found = false;
        for (const auto& r : vmtest::read_proc_maps(pid)) found = found || r.start == kRegion;
        if (found == present) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL() << "the child's map did not change";
}

std::vector<vmtest::ProcRow> truth_without_gate_area(pid_t pid) {
    std::vector<vmtest::ProcRow> rows;
    for (auto& r : vmtest::read_proc_maps(pid))
        if (r.path != "[vsyscall]") rows.push_back(std::move(r));
    return rows;
}

TEST(MapWalk, EveryEntryOfAStoppedChildEqualsItsProcMaps) {
    vmtest::Child child({VMATLAS_WATCH_CHILD});
    tell(child, "map");
    wait_for_region(child.pid(), true);
    child.pause();
    const auto truth = truth_without_gate_area(child.pid());

    auto walk = MapWalk::open(child.pid());
    ASSERT_TRUE(walk) << walk.error().message;
    ASSERT_TRUE(walk->uses_procmap_query());
    WalkCursor cursor;
    std::size_t i = 0;
    std::optional<std::uint64_t> generation;
    for (;; ++i) {
        auto step = walk->next(cursor);
        ASSERT_TRUE(step) << step.error().message;
        if (step->status == WalkStatus::End) {
            EXPECT_EQ(step->generation, *generation);
            break;
        }
        ASSERT_EQ(step->status, WalkStatus::Entry) << "at entry " << i;
        ASSERT_LT(i, truth.size());
        const auto& m = step->entry.mapping;
        const auto& t = truth[i];
        EXPECT_EQ(m.start, t.start) << i;
        EXPECT_EQ(m.end, t.end) << i;
        EXPECT_EQ(std::string(m.perms.view()), t.perms) << i;
        EXPECT_EQ(raw(m.offset), t.offset) << i;
        EXPECT_EQ(fmt::format("{:02x}:{:02x}", m.dev_major, m.dev_minor), t.dev) << i;
        EXPECT_EQ(m.inode, t.inode) << i;
        EXPECT_EQ(step->entry.name, t.path) << i;
        EXPECT_EQ((m.flags & vmatlas::kDeleted) != 0, t.deleted) << i;
        if (generation) EXPECT_EQ(step->generation, *generation);
        generation = step->generation;
        EXPECT_EQ(step->cursor.next, m.end);
        cursor = step->cursor;
    }
    EXPECT_EQ(i, truth.size());

    // The stamp: the same for the walk, a later poll, and the map read as text.
    auto now = walk->generation();
    ASSERT_TRUE(now);
    EXPECT_EQ(*now, *generation);
    auto space = vmatlas::read_process_maps(child.pid());
    ASSERT_TRUE(space);
    EXPECT_EQ(vmatlas::walk_generation(*space), *generation);
}

TEST(MapWalk, GenerationChangesOnlyWithTheMap) {
    vmtest::Child child({VMATLAS_WATCH_CHILD});
    auto walk = MapWalk::open(child.pid());
    ASSERT_TRUE(walk);
    auto idle = walk->generation();
    ASSERT_TRUE(idle);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(*walk->generation(), *idle);
    tell(child, "map");
    wait_for_region(child.pid(), true);
    auto mapped = walk->generation();
    ASSERT_TRUE(mapped);
    EXPECT_NE(*mapped, *idle);
    tell(child, "unmap");
    wait_for_region(child.pid(), false);
    EXPECT_EQ(*walk->generation(), *idle);  // the same map again: the same stamp
}

TEST(MapWalk, AMappingMadeMidWalkIsChangedNotEnd) {
    vmtest::Child child({VMATLAS_WATCH_CHILD});
    auto walk = MapWalk::open(child.pid());
    ASSERT_TRUE(walk);
    auto first = walk->next({});
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status, WalkStatus::Entry);
    const std::uint64_t started = first->generation;

    tell(child, "map");
    wait_for_region(child.pid(), true);
    WalkCursor cursor = first->cursor;
    std::size_t steps = 0;
    for (;; ++steps) {
        auto step = walk->next(cursor);
        ASSERT_TRUE(step) << step.error().message;
        ASSERT_NE(step->status, WalkStatus::End) << "the walk ended as if the map had not changed";
        if (step->status == WalkStatus::Changed) {
            EXPECT_NE(step->generation, started);
            EXPECT_EQ(step->generation, *walk->generation());
            break;
        }
        cursor = step->cursor;
    }
    // The walk is over: its cursor is refused, as FreeBSD refuses a stale cookie.
    auto stale = walk->next(cursor);
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->status, WalkStatus::Changed);
}

TEST(MapWalk, ANewWalkAfterAChangeEndsCleanly) {
    vmtest::Child child({VMATLAS_WATCH_CHILD});
    auto walk = MapWalk::open(child.pid());
    ASSERT_TRUE(walk);
    WalkCursor cursor;
    std::size_t entries = 0;
    for (;;) {
        auto step = walk->next(cursor);
        ASSERT_TRUE(step);
        if (step->status == WalkStatus::End) break;
        ASSERT_EQ(step->status, WalkStatus::Entry);
        cursor = step->cursor, ++entries;
    }
    EXPECT_EQ(entries, truth_without_gate_area(child.pid()).size());
}

TEST(MapWalk, AnExecIsTheEndOfTheWalkedMap) {
    vmtest::Child child({VMATLAS_WATCH_CHILD});
    auto walk = MapWalk::open(child.pid());
    ASSERT_TRUE(walk);
    ASSERT_TRUE(walk->generation());
    tell(child, "exec");
    // The new image runs with "--after-exec" in its command line.
    const std::string cmdline = "/proc/" + std::to_string(child.pid()) + "/cmdline";
    for (int i = 0; i < 1000 && vmtest::slurp(cmdline).find("--after-exec") == std::string::npos;
         ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_NE(vmtest::slurp(cmdline).find("--after-exec"), std::string::npos);
    auto now = walk->generation();
    ASSERT_FALSE(now);
    EXPECT_EQ(now.error().kind, vmatlas::ErrorKind::ProcessExited);
    EXPECT_EQ(now.error().message, "process " + std::to_string(child.pid()) +
                                       " ran exec: the map that was watched is gone");
    auto step = walk->next({});
    ASSERT_FALSE(step);
    EXPECT_EQ(step.error().kind, vmatlas::ErrorKind::ProcessExited);
}

TEST(MapWalk, APidThatDoesNotExist) {
    auto walk = MapWalk::open(2147483647);
    ASSERT_FALSE(walk);
    EXPECT_EQ(walk.error().kind, vmatlas::ErrorKind::NoSuchProcess);
    EXPECT_EQ(walk.error().message, "no process has PID 2147483647");
}

}  // namespace
