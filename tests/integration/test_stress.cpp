// The map of a process that maps, mprotects and unmaps in a tight loop, read again and again:
// /proc/PID/maps is not read atomically, and every snapshot must still be a sound address space.
#include <gtest/gtest.h>

#include "harness.hpp"
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

}  // namespace
}  // namespace vmtest
