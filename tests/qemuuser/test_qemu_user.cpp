// QEMU user-mode guests from QEMU's own map (src/sources/qemu_user.*), on maps captured from real
// qemu-aarch64, qemu-x86_64, qemu-i386 and qemu-x86_64-static processes together with the guest's
// own /proc/self/maps (tests/fixtures/qemu-user/capture.sh): the guest's map found in QEMU's must
// be the one the guest printed.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "sources/qemu_user.hpp"
#include "vmatlas/maps_text.hpp"

namespace vmatlas::qemu_user {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string fixture(const std::string& name) {
    return std::string(VMATLAS_FIXTURES) + "/qemu-user/" + name;
}

// A fixture's facts (ARCH.facts: "key value" lines), and memory that holds the guest program's
// name at the end of the guest stack, as QEMU's did.
GuestFacts facts_of(const std::string& arch) {
    std::map<std::string, std::string> f;
    std::istringstream lines(slurp(fixture(arch + ".facts")));
    for (std::string key, value; lines >> key >> value;) f[key] = value;
    GuestFacts facts;
    facts.qemu = f.at("qemu");
    facts.program = f.at("program");
    facts.program_as_given = f.at("as_given");
    facts.wide = arch != "i386";
    facts.x86_64 = arch.starts_with("x86_64");
    const Addr stack_end = std::stoull(f.at("stack_end"), nullptr, 16);
    const std::string name = facts.program_as_given;
    facts.read_before = [stack_end, name](Addr end, std::size_t n) {
        std::string bytes(n, '\0');
        if (end == stack_end) bytes.replace(n - name.size() - 9, name.size() + 1, name + '\0');
        return bytes;
    };
    return facts;
}

// A row as compared: addresses, what it maps and how, its name; execute permission apart (QEMU
// never gives guest pages execute permission in its own map: the guest's own text shows the
// guest's).
using Row = std::tuple<Addr, Addr, char, char, char, std::uint64_t, std::uint64_t, std::string>;

Row row_of(const AddressSpace& space, const Mapping& m) {
    const auto p = m.perms.text();
    return {m.start, m.end, p[0], p[1], p[3], raw(m.offset), m.inode, std::string(space.path(m))};
}

std::set<Row> rows_of(const AddressSpace& space) {
    std::set<Row> out;
    for (const Mapping& m : space.mappings()) out.insert(row_of(space, m));
    return out;
}

struct Found {
    GuestWindow window;
    AddressSpace guest;
};

Found find(const std::string& arch, const GuestFacts& facts) {
    const AddressSpace qemu =
        parse_maps_text(slurp(fixture(arch + ".host.maps")), SourceInfo{SourceKind::MapsText});
    auto window = find_guest(qemu, facts);
    EXPECT_TRUE(window) << (window ? "" : window.error().message);
    if (!window) return {};
    return {*window, guest_map(qemu, facts, *window, SourceInfo{SourceKind::QemuUser, arch})};
}

AddressSpace printed_by_guest(const std::string& arch) {
    return parse_maps_text(slurp(fixture(arch + ".guest.maps")), SourceInfo{SourceKind::MapsText});
}

TEST(QemuUserGuest, Aarch64GuestIsExactlyWhatTheGuestPrinted) {
    const Found found = find("aarch64", facts_of("aarch64"));
    EXPECT_EQ(found.window.base, 0u);
    EXPECT_EQ(found.window.end, 0x556e4f9f2000u);  // qemu-aarch64's first row
    EXPECT_FALSE(found.window.reserved);
    EXPECT_EQ(rows_of(found.guest), rows_of(printed_by_guest("aarch64")));
    // Only the stack is named by its contents; QEMU's host rows never execute guest code.
    std::size_t stacks = 0;
    for (const Mapping& m : found.guest.mappings()) {
        stacks += found.guest.path(m) == "[stack]";
        EXPECT_FALSE(m.perms.executable()) << std::hex << m.start;
    }
    EXPECT_EQ(stacks, 1u);
}

TEST(QemuUserGuest, X86_64GuestHasQemusVsyscallPageOnce) {
    const Found found = find("x86_64", facts_of("x86_64"));
    EXPECT_EQ(found.window.base, 0u);
    // QEMU 7.2 prints the guest's [vsyscall] row twice (its own host row, and the page it serves
    // the guest): as a set, the rows are the same.
    EXPECT_EQ(rows_of(found.guest), rows_of(printed_by_guest("x86_64")));
    const Mapping& last = found.guest.mappings().back();
    EXPECT_EQ(last.start, 0xffffffffff600000u);
    EXPECT_EQ(found.guest.path(last), "[vsyscall]");
    EXPECT_EQ(std::string(last.perms.text().data(), 4), "--xp");
}

TEST(QemuUserGuest, StaticQemuAtTheTopOfTheMapEndsTheGuestAtItsHeap) {
    // qemu-x86_64-static is a static PIE: Linux maps it among the mappings at the top, and its
    // [heap] where a dynamically linked QEMU's executable would be.
    const GuestFacts facts = facts_of("x86_64-static");
    const Found found = find("x86_64-static", facts);
    EXPECT_EQ(found.window.end, 0x55557fb54000u);  // its [heap]
    EXPECT_EQ(rows_of(found.guest), rows_of(printed_by_guest("x86_64-static")));
}

TEST(QemuUserGuest, I386GuestIsItsReservationLessQemusFiller) {
    const Found found = find("i386", facts_of("i386"));
    EXPECT_TRUE(found.window.reserved);
    EXPECT_EQ(found.window.base, 0x1000u);  // QEMU's 4 GiB reservation starts at 0x1000
    EXPECT_EQ(found.window.end - found.window.begin, 0xfffff000u);
    // Every row the guest printed is there but those with no access, which cannot be told from
    // QEMU's filler: the guest's guard page below its stack and its PROT_NONE mapping.
    const AddressSpace printed = printed_by_guest("i386");
    const std::set<Row> ours = rows_of(found.guest);
    std::set<Row> expected;
    std::vector<Addr> left_out;
    for (const Mapping& m : printed.mappings())
        if (m.perms.none() && printed.path(m).empty())
            left_out.push_back(m.start);
        else
            expected.insert(row_of(printed, m));
    EXPECT_EQ(ours, expected);
    EXPECT_EQ(left_out, (std::vector<Addr>{0x3f48b000, 0x3f7ff000}));
}

TEST(QemuUserGuest, GivenGuestBaseMovesTheRowsDown) {
    GuestFacts facts = facts_of("aarch64");
    facts.guest_base = 0x1000000000;
    const Found found = find("aarch64", facts);
    EXPECT_EQ(found.window.base, 0x1000000000u);
    EXPECT_EQ(found.guest.mappings().front().start, 0x4500000000u);
    EXPECT_NE(found.window.how.find("given to QEMU"), std::string::npos);
}

TEST(QemuUserGuest, MissingProgramIsAnError) {
    GuestFacts facts = facts_of("aarch64");
    facts.program = "/nowhere/guest";
    const AddressSpace qemu =
        parse_maps_text(slurp(fixture("aarch64.host.maps")), SourceInfo{SourceKind::MapsText});
    auto window = find_guest(qemu, facts);
    ASSERT_FALSE(window);
    EXPECT_NE(window.error().message.find("no row of the guest program /nowhere/guest"),
              std::string::npos);
}

TEST(QemuUserGuest, UnreadableMemoryLeavesTheStackUnnamedAndSaysSo) {
    GuestFacts facts = facts_of("aarch64");
    facts.read_before = nullptr;
    facts.memory_error = "cannot read /proc/1/mem (Permission denied)";
    const Found found = find("aarch64", facts);
    for (const Mapping& m : found.guest.mappings()) EXPECT_NE(found.guest.path(m), "[stack]");
    ASSERT_EQ(found.guest.diagnostics().size(), 1u);
    EXPECT_EQ(found.guest.diagnostics()[0].message,
              "the guest's stack is not named: cannot read /proc/1/mem (Permission denied)");
}

TEST(QemuUserInvocation, OptionsWithValuesAreSkipped) {
    const auto inv =
        parse_invocation({"qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", "--cpu", "max", "-strace",
                          "-B", "0x2000000000", "-E", "A=1", "./prog", "-B", "x"},
                         {});
    ASSERT_TRUE(inv);
    EXPECT_EQ(inv->program, "./prog");
    EXPECT_EQ(inv->arguments, (std::vector<std::string>{"-B", "x"}));
    EXPECT_EQ(inv->guest_base, Addr{0x2000000000});
}

TEST(QemuUserInvocation, EnvironmentBaseAndDoubleDash) {
    const auto inv = parse_invocation({"qemu-x86_64", "--", "-prog"}, {"QEMU_GUEST_BASE=4096"});
    ASSERT_TRUE(inv);
    EXPECT_EQ(inv->program, "-prog");
    EXPECT_EQ(inv->guest_base, Addr{4096});
}

TEST(QemuUserInvocation, NoProgramOrBadBaseIsNothing) {
    EXPECT_FALSE(parse_invocation({"qemu-x86_64", "-g", "1234"}, {}));
    EXPECT_FALSE(parse_invocation({"qemu-x86_64", "-g"}, {}));
    EXPECT_FALSE(parse_invocation({"qemu-x86_64", "-B", "zz", "./p"}, {}));
    EXPECT_FALSE(parse_invocation({"qemu-x86_64", "./p"}, {"QEMU_GUEST_BASE=-1"}));
}

}  // namespace
}  // namespace vmatlas::qemu_user
