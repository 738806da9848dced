// gdb's own text taken by gdb at test time: the demo stopped, its /proc/PID/maps read, then gdb
// attached to print `info proc mappings` and to gcore it, and gdb on that core. Whatever gdb is
// installed, what it prints must read back to the rows of the maps text.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/harness.hpp"
#include "vmatlas/address_space.hpp"
#include "vmatlas/gdb_text.hpp"
#include "vmatlas/maps_text.hpp"

namespace vmatlas {
namespace {

AddressSpace gdb(std::string_view text) {
    return parse_gdb_text(text, SourceInfo{SourceKind::MapsText, "gdb", 0, ""});
}

constexpr Perms kUnknown{Perms::kAccessUnknown | Perms::kSharingUnknown};

void expect_same(const AddressSpace& got, std::size_t i, const AddressSpace& want, std::size_t j,
                 bool perms_known) {
    SCOPED_TRACE("row " + std::to_string(i) + ", " + std::string(want.path(want[j])));
    EXPECT_EQ(got[i].start, want[j].start);
    EXPECT_EQ(got[i].end, want[j].end);
    EXPECT_EQ(raw(got[i].offset), raw(want[j].offset));
    EXPECT_EQ(got[i].perms, perms_known ? want[j].perms : kUnknown);
    EXPECT_EQ(got.path(got[i]), want.path(want[j]));
    EXPECT_EQ(got[i].deleted(), want[j].deleted());
}

TEST(GdbTextLive, WhatGdbPrintsIsTheMapsText) {
    const vmtest::TempDir dir("vmatlas gdbtext");
    vmtest::Child child({VMATLAS_DEMO_BIN, "--seconds", "120"}, {.dir = dir.path().string()});
    child.pause();
    const std::string pid = child.pid_text();
    const std::string maps_text = vmtest::slurp("/proc/" + pid + "/maps");
    const std::string core = dir / "gcore";
    const vmtest::RunResult live =
        vmtest::run({"/usr/bin/gdb", "-nx", "-q", "-batch", "-ex", "info proc mappings", "-ex",
                     "gcore " + core, "-p", pid});
    ASSERT_EQ(vmtest::slurp("/proc/" + pid + "/maps"), maps_text) << "the map changed";
    const std::string exe = "/proc/" + pid + "/exe";
    const std::string exe_path = std::filesystem::read_symlink(exe).string();
    child.stop();
    const AddressSpace maps =
        parse_maps_text(maps_text, SourceInfo{SourceKind::MapsText, "maps", 0, ""});

    const AddressSpace space = gdb(live.out);
    EXPECT_EQ(space.rows().rejected, 0u) << live.out;
    ASSERT_EQ(space.size(), maps.size()) << live.out;
    for (std::size_t i = 0; i < maps.size(); ++i) expect_same(space, i, maps, i, true);

    // The map through the command, from gdb's text and from the maps text.
    const std::string gdb_file = dir / "mappings.gdb", maps_file = dir / "maps.txt";
    vmtest::write_text(gdb_file, live.out);
    vmtest::write_text(maps_file, maps_text);
    const auto a = vmtest::run({VMATLAS_BIN, maps_file});
    const auto b = vmtest::run({VMATLAS_BIN, gdb_file});
    EXPECT_EQ(b.out, a.out) << b.err;

    if (!std::filesystem::exists(core)) GTEST_SKIP() << "gcore made no core";
    std::size_t files = 0;
    for (std::size_t j = 0; j < maps.size(); ++j) files += maps.path(maps[j]).starts_with('/');
    // The file rows of the core's NT_FILE note, then the core's PT_LOAD headers: each row is one
    // of the map's.
    for (const char* command : {"info proc mappings", "maintenance info sections"}) {
        SCOPED_TRACE(command);
        const vmtest::RunResult r =
            vmtest::run({"/usr/bin/gdb", "-nx", "-q", "-batch", "-ex", command, exe_path, core});
        const AddressSpace from_core = gdb(r.out);
        EXPECT_EQ(from_core.rows().rejected, 0u) << r.out;
        EXPECT_FALSE(from_core.partial()) << r.out;
        if (command[0] == 'i') EXPECT_EQ(from_core.size(), files) << r.out;
        EXPECT_FALSE(from_core.empty()) << r.out;
        for (std::size_t i = 0; i < from_core.size(); ++i) {
            const auto j = maps.find(from_core[i].start);
            ASSERT_TRUE(j.has_value()) << std::hex << from_core[i].start;
            EXPECT_EQ(maps[*j].start, from_core[i].start);
            EXPECT_EQ(maps[*j].end, from_core[i].end);
            EXPECT_EQ(from_core[i].perms, kUnknown);
        }
    }
}

}  // namespace
}  // namespace vmatlas
