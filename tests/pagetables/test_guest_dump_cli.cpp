// `vmatlas DUMP` on a QEMU guest memory dump the test builds (guest_dump_file.hpp): the rows of
// its first CPU's page tables, in the table and in JSON, and the statuses of dumps it cannot show.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "pagetables/guest_dump_file.hpp"
#include "support/files.hpp"
#include "support/run.hpp"

namespace {

using vmtest::GuestCpu;
using vmtest::GuestDumpSpec;
using vmtest::GuestRam;
using vmtest::small_guest;

constexpr std::uint64_t P = 1, W = 2, U = 4;
using vmtest::kCr0;
using vmtest::kCr4;

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    vmtest::write_text(path, std::string(bytes.begin(), bytes.end()));
}

std::string dump_file(const vmtest::TempDir& dir, const GuestRam& ram, std::vector<GuestCpu> cpus,
                      const std::string& name = "guest.core") {
    GuestDumpSpec spec;
    spec.cpus = std::move(cpus);
    spec.ram = ram.blocks();
    const std::string path = dir / name;
    write_file(path, make_guest_dump(spec));
    return path;
}

TEST(GuestDumpCli, TheRowsOfTheFirstCpu) {
    vmtest::TempDir dir;
    const std::string path = dump_file(
        dir, small_guest(),
        {GuestCpu{{kCr0, 0, 0, 0x1000 | 0x5, kCr4}}, GuestCpu{{kCr0, 0, 0, 0x77000, kCr4}}});
    const auto r = vmtest::vmatlas({path});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out,
              "             Start                End Perm     Size Offset Name         File\n"
              "          0x400000           0x402000 r-xp     2000      0 [user]\n"
              "          0x402000           0x403000 rw-p     1000      0 [user]\n"
              "    0x7fffffffe000     0x800000000000 rw-p     2000      0 [user]\n"
              "0xffff888000000000 0xffff888040000000 rw-p 40000000      0 [supervisor]\n"
              "0xffffffff81000000 0xffffffff81400000 r-xp   400000      0 [supervisor]\n"
              "0xffffffff81400000 0xffffffff81600000 rw-p   200000      0 [supervisor]\n");
    EXPECT_EQ(r.err, "");

    const auto j = vmtest::vmatlas({"--json", path});
    ASSERT_EQ(j.status, 0) << j.err;
    const auto doc = nlohmann::json::parse(j.out);
    EXPECT_EQ(doc["source"]["kind"], "guest dump");
    ASSERT_EQ(doc["mappings"].size(), 6u) << j.out;
    EXPECT_EQ(doc["mappings"][3]["start"], "0xffff888000000000");
    EXPECT_EQ(doc["mappings"][3]["perms"], "rw-p");

    // Saved as a snapshot, read back as it was shown.
    const auto saved = vmtest::vmatlas({"save", "-o", dir / "snap.json", path});
    ASSERT_EQ(saved.status, 0) << saved.err;
    const auto again = vmtest::vmatlas({dir / "snap.json"});
    EXPECT_EQ(again.status, 0) << again.err;
    EXPECT_EQ(again.out, r.out);
}

TEST(GuestDumpCli, TablesOutsideTheDumpMakeItPartial) {
    vmtest::TempDir dir;
    GuestRam ram = small_guest();
    ram.set(0x1000, 1, 0x40000000 | P | W | U);  // a PDPT past the dumped RAM
    const std::string path = dump_file(dir, ram, {GuestCpu{{kCr0, 0, 0, 0x1000, kCr4}}});
    const auto r = vmtest::vmatlas({path});
    EXPECT_EQ(r.status, 9) << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 7) << r.out;
    EXPECT_EQ(r.err,
              "vmatlas: warning: the PDPT at physical address 0x40000000 is not in the memory: "
              "0x8000000000-0x10000000000 is left out\n");
}

TEST(GuestDumpCli, DumpsThatCannotBeShown) {
    vmtest::TempDir dir;
    // Paging off.
    auto r = vmtest::vmatlas(
        {dump_file(dir, small_guest(), {GuestCpu{{0x11, 0, 0, 0x1000, kCr4}}}, "real")});
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.err, "vmatlas: " + dir / "real" +
                         ": CPU 0 has paging off (CR0 is 0x11): its addresses are physical, and "
                         "there are no page tables to walk\n");
    // No CPU state.
    GuestDumpSpec spec;
    spec.cpus = {GuestCpu{{kCr0, 0, 0, 0x1000, kCr4}}};
    spec.ram = small_guest().blocks();
    spec.qemu_desc_size = 100;
    write_file(dir / "short", make_guest_dump(spec));
    r = vmtest::vmatlas({dir / "short"});
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.err, "vmatlas: " + dir / "short" + " holds no CPU state that can be read\n");
    // A 32-bit guest.
    spec.qemu_desc_size = 440;
    spec.machine = EM_386;
    write_file(dir / "i386", make_guest_dump(spec));
    r = vmtest::vmatlas({dir / "i386"});
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.err, "vmatlas: " + dir / "i386" +
                         " is a dump of machine 3, not x86-64 in long mode: its page tables are "
                         "not walked\n");
}

}  // namespace
