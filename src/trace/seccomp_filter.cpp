// The seccomp filter of seccomp_filter.hpp.
#include "trace/seccomp_filter.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "trace/syscall_table.hpp"

namespace vmatlas::trace {

namespace {

// Bit 30 of the number marks the x32 ABI, whose calls report the x86-64 architecture.
constexpr std::uint32_t kX32Bit = 0x40000000;

sock_filter statement(std::uint16_t code, std::uint32_t k) {
    return sock_filter{code, 0, 0, k};
}

sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t if_true, std::uint8_t if_false) {
    return sock_filter{code, if_true, if_false, k};
}

// A jump's offset to the instruction at `to` from the one at `from`. It fits in 8 bits: the
// longest jump passes one test per map-changing call, fewer than 250 (syscall_table.cpp).
std::uint8_t offset(std::size_t from, std::size_t to) {
    return static_cast<std::uint8_t>(to - from - 1);
}

}  // namespace

std::vector<sock_filter> trace_filter(bool every_call) {
    const auto calls = map_changing_calls();
    // 0 load arch; 1 other ABI?; 2 load nr; 3 x32?; 4.. one test per call; then the three
    // returns: not a listed call, a listed call, another ABI.
    const std::size_t first_test = 4;
    const std::size_t unlisted = first_test + calls.size();
    const std::size_t listed = unlisted + 1;
    const std::size_t other_abi = listed + 1;

    std::vector<sock_filter> p;
    p.reserve(other_abi + 1);
    p.push_back(statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, offset(1, other_abi)));
    p.push_back(statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    // Negative numbers have the bit too: they are no x86-64 call either.
    p.push_back(jump(BPF_JMP | BPF_JSET | BPF_K, kX32Bit, offset(3, other_abi), 0));
    for (std::size_t i = 0; i < calls.size(); ++i) {
        const std::size_t at = first_test + i;
        p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(calls[i]),
                         offset(at, listed), 0));
    }
    p.push_back(statement(BPF_RET | BPF_K,
                          every_call ? SECCOMP_RET_TRACE | kStopOther : SECCOMP_RET_ALLOW));
    p.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_TRACE | kStopMapChanging));
    p.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_TRACE | kStopOtherAbi));
    return p;
}

FilterFailure install_filter_quietly(const std::vector<sock_filter>& program) noexcept {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return {"prctl(PR_SET_NO_NEW_PRIVS)", errno};
    sock_fprog fprog{};
    fprog.len = static_cast<unsigned short>(program.size());
    // The kernel copies the program and never writes to it.
    fprog.filter = const_cast<sock_filter*>(program.data());
    if (program.size() > BPF_MAXINSNS) return {"seccomp(SECCOMP_SET_MODE_FILTER)", EINVAL};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
        return {"seccomp(SECCOMP_SET_MODE_FILTER)", errno};
    return {};
}

Result<bool> install_filter(const std::vector<sock_filter>& program) {
    const FilterFailure failure = install_filter_quietly(program);
    if (failure.call == nullptr) return true;
    return make_error(ErrorKind::Unsupported,
                      std::string("cannot install the seccomp filter of the trace: ") +
                          failure.call + " failed: " + std::strerror(failure.error));
}

}  // namespace vmatlas::trace
