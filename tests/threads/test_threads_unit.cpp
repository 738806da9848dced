// The thread-stack and arena stages on hand-written maps, the parser of
// /proc/PID/task/TID/syscall text, and Yama's note. The layouts copy what glibc 2.36 makes on
// x86-64: a thread stack is an 8 MiB rw-p row with a 4 KiB ---p guard below it; an arena is a
// rw-p row on a 64 MiB boundary with the ---p rest of its 64 MiB reservation above it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "annotate/stages.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/threads.hpp"

namespace vmatlas {
namespace {

constexpr std::uint8_t R = Perms::kRead, W = Perms::kWrite, X = Perms::kExec;
constexpr Addr MiB = 1024 * 1024;

struct Row {
    Addr start, end;
    std::uint8_t perms;
    std::string path;
};

AddressSpace space_of(const std::vector<Row>& rows) {
    AddressSpaceBuilder b({vmatlas::SourceKind::MapsText, "", 0, ""});
    for (const Row& r : rows) {
        Mapping m;
        m.start = r.start;
        m.end = r.end;
        m.perms = Perms(r.perms);
        m.path = b.intern(r.path);
        b.add(m);
    }
    AddressSpace s = std::move(b).build();
    EXPECT_TRUE(check_invariants(s).empty());
    return s;
}

Annotations kernel_names(const AddressSpace& s) {
    Annotations notes;
    notes.labels.resize(s.size());
    notes.roles.resize(s.size());
    stages::name_kernel(s, notes);
    return notes;
}

ThreadInfo thread(pid_t tid, std::optional<Addr> sp, std::string error = "") {
    ThreadInfo t;
    t.tid = tid;
    t.sp = sp;
    t.sp_source = sp ? StackPointerSource::Syscall : StackPointerSource::None;
    t.sp_error = std::move(error);
    return t;
}

// --- /proc/PID/task/TID/syscall ---------------------------------------------------------------

TEST(SyscallText, BlockedInASyscall) {
    // A thread in pause(2) on x86-64 (nr 34), as kernel 6.x prints it.
    EXPECT_EQ(parse_syscall_stack_pointer("34 0x0 0x0 0x0 0x0 0x0 0x0 0x7f2a1bffed58 "
                                          "0x7f2a1c0a3f5a\n"),
              Addr{0x7f2a1bffed58});
}

TEST(SyscallText, BlockedOutsideASyscall) {
    EXPECT_EQ(parse_syscall_stack_pointer("-1 0x7ffd4b3c9e18 0x401136\n"), Addr{0x7ffd4b3c9e18});
}

TEST(SyscallText, RunningAndMalformedHaveNoStackPointer) {
    EXPECT_FALSE(parse_syscall_stack_pointer("running\n"));
    EXPECT_FALSE(parse_syscall_stack_pointer(""));
    EXPECT_FALSE(parse_syscall_stack_pointer("34 0x0 0x0\n"));  // nr >= 0, 3 words
    EXPECT_FALSE(parse_syscall_stack_pointer("-1 0x0 0x0 0x0 0x0 0x0 0x0 0x1 0x2"));  // 9, nr < 0
    EXPECT_FALSE(parse_syscall_stack_pointer("-1 0xzz 0x401136"));
    EXPECT_FALSE(parse_syscall_stack_pointer("x 0x1 0x2"));
    EXPECT_FALSE(parse_syscall_stack_pointer("-1 0x1ffffffffffffffff 0x2"));  // overflows
}

// --- thread stacks ----------------------------------------------------------------------------

// Two thread stacks, each with its guard below; the main [stack] on top.
std::vector<Row> two_thread_layout() {
    return {
        {0x7f0000000000, 0x7f0000001000, 0, ""},      // guard of 11
        {0x7f0000001000, 0x7f0000801000, R | W, ""},  // stack of 11
        {0x7f0000801000, 0x7f0000802000, 0, ""},      // guard of 12
        {0x7f0000802000, 0x7f0001002000, R | W, ""},  // stack of 12
        {0x7f0001002000, 0x7f0001010000, R | X, "/usr/lib/libc.so.6"},
        {0x7ffc00000000, 0x7ffc00021000, R | W, "[stack]"},
    };
}

// Yama's word comes only from its sysctl file, and only when it restricts attaching.
TEST(YamaNote, OnlyWhereYamaRestrictsAttaching) {
    char dir_template[] = "/tmp/vmatlas yama XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    const std::string dir = dir_template, file = dir + "/ptrace_scope";
    auto with = [&](const std::string& text) {
        std::FILE* f = std::fopen(file.c_str(), "w");
        std::fputs(text.c_str(), f);
        std::fclose(f);
        return vmatlas::yama_ptrace_note(file);
    };
    EXPECT_EQ(vmatlas::yama_ptrace_note(dir + "/no such file"), "");  // a kernel without Yama
    EXPECT_EQ(with("0\n"), "");
    EXPECT_EQ(with("1\n"), "Yama's ptrace_scope is 1 (" + file +
                               ": only a process's ancestors, or CAP_SYS_PTRACE, may attach)");
    EXPECT_EQ(with("2\n"),
              "Yama's ptrace_scope is 2 (" + file + ": only CAP_SYS_PTRACE may attach)");
    EXPECT_EQ(with("3\n"), "Yama's ptrace_scope is 3 (" + file + ": no process may attach)");
    EXPECT_EQ(with(""), "");
    EXPECT_EQ(with("x\n"), "");
    std::remove(file.c_str());
    rmdir(dir.c_str());
    // This machine's: empty unless it has Yama and Yama restricts something.
    const bool restricts = [] {
        std::FILE* f = std::fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
        if (!f) return false;
        const int c = std::fgetc(f);
        std::fclose(f);
        return c > '0' && c <= '9';
    }();
    EXPECT_EQ(vmatlas::yama_ptrace_note().empty(), !restricts);
}

TEST(ThreadStacks, NamesEachStackAndTheGuardBelowIt) {
    const AddressSpace s = space_of(two_thread_layout());
    Annotations notes = kernel_names(s);
    stages::name_thread_stacks_from(
        s, 10, {thread(10, 0x7ffc00020000), thread(11, 0x7f0000800d58), thread(12, 0x7f0001001000)},
        notes);
    EXPECT_EQ(notes.labels[0].name, "guard tid=11");
    EXPECT_EQ(notes.labels[1].name, "stack tid=11");
    EXPECT_EQ(notes.labels[2].name, "guard tid=12");
    EXPECT_EQ(notes.labels[3].name, "stack tid=12");
    for (int i = 0; i < 4; ++i) EXPECT_EQ(notes.labels[i].source, NameSource::Registers) << i;
    EXPECT_EQ(notes.labels[4].name, "");  // a file row
    EXPECT_EQ(notes.labels[5].name, "[stack]");
    EXPECT_EQ(notes.labels[5].source, NameSource::Kernel);
    EXPECT_TRUE(notes.warnings.empty());
}

TEST(ThreadStacks, GuardMustBeAdjacentAnonymousAndInaccessible) {
    std::vector<Row> rows = {
        {0x10000, 0x11000, 0, ""},        // not adjacent: a hole follows
        {0x12000, 0x20000, R | W, ""},    // stack of 11
        {0x20000, 0x21000, R, ""},        // readable: not a guard
        {0x21000, 0x30000, R | W, ""},    // stack of 12
        {0x30000, 0x31000, 0, "/lib/x"},  // a file's ---p row: not a guard
        {0x31000, 0x40000, R | W, ""},    // stack of 13
    };
    const AddressSpace s = space_of(rows);
    Annotations notes = kernel_names(s);
    stages::name_thread_stacks_from(
        s, 10, {thread(11, 0x12100), thread(12, 0x21100), thread(13, 0x31100)}, notes);
    EXPECT_EQ(notes.labels[1].name, "stack tid=11");
    EXPECT_EQ(notes.labels[3].name, "stack tid=12");
    EXPECT_EQ(notes.labels[5].name, "stack tid=13");
    EXPECT_EQ(notes.labels[0].name, anon_name(0x10000));
    EXPECT_EQ(notes.labels[2].name, anon_name(0x20000));
    EXPECT_EQ(notes.labels[4].name, "");
}

TEST(ThreadStacks, KnownRowsAreNotRenamed) {
    std::vector<Row> rows = {
        {0x10000, 0x20000, R | W, "[heap]"},  // a coroutine stack from malloc
        {0x20000, 0x21000, 0, ""},           {0x21000, 0x30000, R | W, "[anon:stack_and_tls:12]"},
        {0x30000, 0x31000, R | W, ""},  // named by the ELF stage: a stack in .bss
        {0x31000, 0x32000, 0, ""},      // sp in a guard: an overflow
    };
    const AddressSpace s = space_of(rows);
    Annotations notes = kernel_names(s);
    notes.labels[3] = {"bss", NameSource::Elf};
    stages::name_thread_stacks_from(
        s, 10, {thread(11, 0x10100), thread(12, 0x21100), thread(13, 0x30100), thread(14, 0x31100)},
        notes);
    EXPECT_EQ(notes.labels[0].name, "[heap]");
    EXPECT_EQ(notes.labels[1].name, anon_name(0x20000));
    EXPECT_EQ(notes.labels[2].name, "[anon:stack_and_tls:12]");
    EXPECT_EQ(notes.labels[3].name, "bss");
    EXPECT_EQ(notes.labels[4].name, anon_name(0x31000));
    EXPECT_TRUE(notes.warnings.empty());
}

TEST(ThreadStacks, ThreadsSharingARowAreListed) {
    const AddressSpace s = space_of({{0x10000, 0x11000, 0, ""}, {0x11000, 0x40000, R | W, ""}});
    Annotations notes = kernel_names(s);
    stages::name_thread_stacks_from(s, 10, {thread(12, 0x30000), thread(11, 0x20000)}, notes);
    EXPECT_EQ(notes.labels[1].name, "stack tid=12,11");
    EXPECT_EQ(notes.labels[0].name, "guard tid=12,11");
}

TEST(ThreadStacks, NoRegistersMeansOneWarningAndKernelNames) {
    const AddressSpace s = space_of(two_thread_layout());
    Annotations notes = kernel_names(s);
    const std::string why = "syscall: Permission denied; ptrace: Operation not permitted";
    stages::name_thread_stacks_from(s, 10,
                                    {thread(10, std::nullopt, why), thread(11, std::nullopt, why),
                                     thread(12, std::nullopt, why)},
                                    notes);
    ASSERT_EQ(notes.warnings.size(), 1u);
    EXPECT_EQ(notes.warnings[0],
              "cannot read the registers of process 10's threads (" + why +
                  "): thread stacks are not named; run as root or as the same user with ptrace "
                  "allowed");
    for (const Label& l : notes.labels) EXPECT_EQ(l.source == NameSource::Registers, false);
    EXPECT_EQ(notes.labels[5].name, "[stack]");
}

TEST(ThreadStacks, SomeThreadsUnreadable) {
    const AddressSpace s = space_of(two_thread_layout());
    Annotations notes = kernel_names(s);
    stages::name_thread_stacks_from(
        s, 10, {thread(11, 0x7f0000800d58), thread(12, std::nullopt, "running; ptrace: x")}, notes);
    ASSERT_EQ(notes.warnings.size(), 1u);
    EXPECT_EQ(notes.warnings[0].rfind("cannot read the registers of 1 of process 10's 2 threads "
                                      "(running; ptrace: x): their stacks are not named",
                                      0),
              0u)
        << notes.warnings[0];
    EXPECT_EQ(notes.labels[1].name, "stack tid=11");
    EXPECT_EQ(notes.labels[3].name, anon_name(0x7f0000802000));
}

TEST(ThreadStacks, NothingForAFileOrASingleThread) {
    const AddressSpace s = space_of(two_thread_layout());
    Annotations notes = kernel_names(s);
    stages::name_thread_stacks(s, AnnotateContext{}, notes);  // pid 0: not a live process
    stages::name_thread_stacks_from(s, 10, {thread(10, 0x7ffc00020000)}, notes);
    EXPECT_EQ(notes.labels[1].name, anon_name(0x7f0000001000));
    EXPECT_TRUE(notes.warnings.empty());
}

// --- malloc arenas ----------------------------------------------------------------------------

constexpr Addr kArena = 0x7f1c24000000;  // a multiple of 64 MiB

TEST(Heaps, ArenaAndItsReservation) {
    const AddressSpace s = space_of({
        {kArena, kArena + 0x21000, R | W, ""},
        {kArena + 0x21000, kArena + 64 * MiB, 0, ""},
        {kArena + 64 * MiB, kArena + 64 * MiB + 0x1000, 0, ""},  // a separate guard above
        {0x7ffc00000000, 0x7ffc00021000, R | W, "[stack]"},
    });
    Annotations notes = kernel_names(s);
    stages::name_heaps(s, notes);
    EXPECT_EQ(notes.labels[0].name, "heap");
    EXPECT_EQ(notes.labels[0].source, NameSource::Heuristic);
    EXPECT_EQ(notes.labels[1].name, "heap (reserved)");
    EXPECT_EQ(notes.labels[2].name, anon_name(0x7f1c28000000));
    assign_roles(s, notes);
    EXPECT_EQ(notes.roles[0], Role::Heap);
    EXPECT_EQ(notes.roles[1], Role::Guard);
}

TEST(Heaps, FullArenaHasNoReservation) {
    const AddressSpace s = space_of({
        {kArena, kArena + 64 * MiB, R | W, ""},
        {kArena + 64 * MiB, kArena + 64 * MiB + 0x21000, R | W, ""},  // next heap, not aligned
        {0x7ffc00000000, 0x7ffc00021000, R | W, "[stack]"},
    });
    Annotations notes = kernel_names(s);
    stages::name_heaps(s, notes);
    EXPECT_EQ(notes.labels[0].name, "heap");
    EXPECT_EQ(notes.labels[1].name, anon_name(0x7f1c28000000));
}

TEST(Heaps, LookalikesAreNotHeaps) {
    const AddressSpace s = space_of({
        // Not aligned.
        {kArena + 0x1000, kArena + 0x22000, R | W, ""},
        {kArena + 0x22000, kArena + 64 * MiB, 0, ""},
        // Aligned, but the ---p row runs past the 64 MiB reservation.
        {kArena + 64 * MiB, kArena + 64 * MiB + 0x21000, R | W, ""},
        {kArena + 64 * MiB + 0x21000, kArena + 128 * MiB + 0x1000, 0, ""},
        // Aligned, no tail, smaller than 64 MiB.
        {kArena + 192 * MiB, kArena + 192 * MiB + 0x21000, R | W, ""},
        // Aligned with a tail, but executable.
        {kArena + 256 * MiB, kArena + 256 * MiB + 0x21000, R | W | X, ""},
        {kArena + 256 * MiB + 0x21000, kArena + 320 * MiB, 0, ""},
        // Aligned with a tail, but a file.
        {kArena + 320 * MiB, kArena + 320 * MiB + 0x21000, R | W, "/dev/zero"},
        {kArena + 320 * MiB + 0x21000, kArena + 384 * MiB, 0, ""},
        {0x7ffc00000000, 0x7ffc00021000, R | W, "[stack]"},
    });
    Annotations notes = kernel_names(s);
    stages::name_heaps(s, notes);
    for (std::size_t i = 0; i < s.size(); ++i)
        EXPECT_TRUE(notes.labels[i].name.find("heap") == std::string::npos)
            << i << " " << notes.labels[i].name;
}

TEST(Heaps, FactsWin) {
    const AddressSpace s = space_of({
        {kArena, kArena + 0x21000, R | W, ""},
        {kArena + 0x21000, kArena + 64 * MiB, 0, ""},
        {0x7ffc00000000, 0x7ffc00021000, R | W, "[stack]"},
    });
    Annotations notes = kernel_names(s);
    notes.labels[0] = {"stack tid=7", NameSource::Registers};
    stages::name_heaps(s, notes);
    EXPECT_EQ(notes.labels[0].name, "stack tid=7");
    notes.labels[0] = {"bss", NameSource::Elf};
    stages::name_heaps(s, notes);
    EXPECT_EQ(notes.labels[0].name, "bss");
}

// A 32-bit process: HEAP_MAX_SIZE is 1 MiB and nothing is mapped above 4 GiB.
TEST(Heaps, ThirtyTwoBitArenas) {
    const AddressSpace s = space_of({
        {0xf6900000, 0xf6921000, R | W, ""},
        {0xf6921000, 0xf6a00000, 0, ""},
        {0xf6a00000, 0xf6b00000, R | W, ""},  // a full 1 MiB heap
        {0xff8e0000, 0xff901000, R | W, "[stack]"},
    });
    Annotations notes = kernel_names(s);
    stages::name_heaps(s, notes);
    EXPECT_EQ(notes.labels[0].name, "heap");
    EXPECT_EQ(notes.labels[1].name, "heap (reserved)");
    EXPECT_EQ(notes.labels[2].name, "heap");
}

}  // namespace
}  // namespace vmatlas
