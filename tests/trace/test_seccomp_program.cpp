// The seccomp program of `vmatlas trace` (src/trace/seccomp_filter.hpp) run here, on a small
// classic-BPF interpreter of the instructions it may hold, for every system-call number and
// calling convention: what it returns for each, without installing it.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "trace/seccomp_filter.hpp"
#include "trace/syscall_table.hpp"

namespace vmtest {
namespace {

using vmatlas::trace::changes_map;
using vmatlas::trace::trace_filter;

// What `program` returns for a call, or nothing for a program the kernel would refuse or that
// holds an instruction this interpreter does not know.
std::optional<std::uint32_t> run(const std::vector<sock_filter>& program, std::int32_t nr,
                                 std::uint32_t arch) {
    seccomp_data data{};
    data.nr = nr;
    data.arch = arch;
    std::uint32_t a = 0;
    for (std::size_t pc = 0; pc < program.size(); ++pc) {
        const sock_filter& i = program[pc];
        switch (i.code) {
            case BPF_LD | BPF_W | BPF_ABS:
                if (i.k % 4 != 0 || i.k + 4 > sizeof data) return std::nullopt;
                std::memcpy(&a, reinterpret_cast<const char*>(&data) + i.k, 4);
                break;
            case BPF_JMP | BPF_JEQ | BPF_K:
                pc += a == i.k ? i.jt : i.jf;
                break;
            case BPF_JMP | BPF_JSET | BPF_K:
                pc += (a & i.k) != 0 ? i.jt : i.jf;
                break;
            case BPF_RET | BPF_K:
                return i.k;
            default:
                return std::nullopt;
        }
    }
    return std::nullopt;  // ran off its end
}

constexpr std::uint32_t kTrace = SECCOMP_RET_TRACE;

TEST(SeccompProgram, StopsAtTheMapChangingCallsAlone) {
    const auto program = trace_filter(false);
    ASSERT_LE(program.size(), 64u);
    for (std::int32_t nr = 0; nr <= vmatlas::trace::kLastSyscall + 10; ++nr) {
        const auto want =
            changes_map(nr) ? kTrace | vmatlas::trace::kStopMapChanging : SECCOMP_RET_ALLOW;
        EXPECT_EQ(run(program, nr, AUDIT_ARCH_X86_64), want) << nr;
    }
}

TEST(SeccompProgram, StopsAtEveryCallWithWhy) {
    const auto program = trace_filter(true);
    for (std::int32_t nr = 0; nr <= vmatlas::trace::kLastSyscall + 10; ++nr) {
        const auto want = kTrace | (changes_map(nr) ? vmatlas::trace::kStopMapChanging
                                                    : vmatlas::trace::kStopOther);
        EXPECT_EQ(run(program, nr, AUDIT_ARCH_X86_64), want) << nr;
    }
}

TEST(SeccompProgram, OtherConventionsAlwaysStop) {
    for (const bool every_call : {false, true}) {
        const auto program = trace_filter(every_call);
        const auto other = kTrace | vmatlas::trace::kStopOtherAbi;
        EXPECT_EQ(run(program, 20, AUDIT_ARCH_I386), other);                 // i386's getpid
        EXPECT_EQ(run(program, 192, AUDIT_ARCH_I386), other);                // i386's mmap2
        EXPECT_EQ(run(program, 0x40000000 | 39, AUDIT_ARCH_X86_64), other);  // x32's getpid
        EXPECT_EQ(run(program, 0x40000000 | 9, AUDIT_ARCH_X86_64), other);   // x32's mmap
        EXPECT_EQ(run(program, -1, AUDIT_ARCH_X86_64), other);
        EXPECT_EQ(run(program, 39, AUDIT_ARCH_AARCH64), other);
    }
}

}  // namespace
}  // namespace vmtest
