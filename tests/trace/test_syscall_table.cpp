// The x86-64 system-call table of `vmatlas trace` (src/trace/syscall_table.hpp): names against
// the system's <asm/unistd_64.h>, and which calls change the map.
#include <asm/unistd_64.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "trace/syscall_table.hpp"

namespace vmtest {
namespace {

using vmatlas::trace::changes_map;
using vmatlas::trace::map_changing_calls;
using vmatlas::trace::syscall_name;

TEST(SyscallTable, Names) {
    EXPECT_EQ(syscall_name(0), "read");
    EXPECT_EQ(syscall_name(9), "mmap");
    EXPECT_EQ(syscall_name(59), "execve");
    EXPECT_EQ(syscall_name(231), "exit_group");
    EXPECT_EQ(syscall_name(334), "rseq");
    EXPECT_EQ(syscall_name(424), "pidfd_send_signal");
    EXPECT_EQ(syscall_name(450), "set_mempolicy_home_node");
    EXPECT_EQ(syscall_name(453), "map_shadow_stack");
    EXPECT_EQ(syscall_name(462), "mseal");
}

TEST(SyscallTable, NumbersNoCallHas) {
    EXPECT_EQ(syscall_name(335), "");
    EXPECT_EQ(syscall_name(423), "");
    EXPECT_EQ(syscall_name(463), "");
    EXPECT_EQ(syscall_name(100000), "");
    EXPECT_EQ(syscall_name(-1), "");
    EXPECT_EQ(syscall_name(0x40000000 | 9), "");  // x32's mmap
}

// The names where the system's header has the number.
TEST(SyscallTable, NamesMatchTheSystemHeader) {
#define VMATLAS_EXPECT_SYSCALL(name) EXPECT_EQ(syscall_name(__NR_##name), #name)
    VMATLAS_EXPECT_SYSCALL(read);
    VMATLAS_EXPECT_SYSCALL(write);
    VMATLAS_EXPECT_SYSCALL(mmap);
    VMATLAS_EXPECT_SYSCALL(mprotect);
    VMATLAS_EXPECT_SYSCALL(munmap);
    VMATLAS_EXPECT_SYSCALL(brk);
    VMATLAS_EXPECT_SYSCALL(mremap);
    VMATLAS_EXPECT_SYSCALL(madvise);
    VMATLAS_EXPECT_SYSCALL(shmat);
    VMATLAS_EXPECT_SYSCALL(shmdt);
    VMATLAS_EXPECT_SYSCALL(getpid);
    VMATLAS_EXPECT_SYSCALL(clone);
    VMATLAS_EXPECT_SYSCALL(execve);
    VMATLAS_EXPECT_SYSCALL(exit_group);
    VMATLAS_EXPECT_SYSCALL(prctl);
    VMATLAS_EXPECT_SYSCALL(mlock);
    VMATLAS_EXPECT_SYSCALL(mlock2);
    VMATLAS_EXPECT_SYSCALL(mlockall);
    VMATLAS_EXPECT_SYSCALL(munlockall);
    VMATLAS_EXPECT_SYSCALL(remap_file_pages);
    VMATLAS_EXPECT_SYSCALL(mbind);
    VMATLAS_EXPECT_SYSCALL(io_setup);
    VMATLAS_EXPECT_SYSCALL(io_destroy);
    VMATLAS_EXPECT_SYSCALL(pkey_mprotect);
    VMATLAS_EXPECT_SYSCALL(execveat);
    VMATLAS_EXPECT_SYSCALL(seccomp);
    VMATLAS_EXPECT_SYSCALL(rseq);
    VMATLAS_EXPECT_SYSCALL(clone3);
    VMATLAS_EXPECT_SYSCALL(process_madvise);
    VMATLAS_EXPECT_SYSCALL(set_mempolicy_home_node);
#ifdef __NR_mseal
    VMATLAS_EXPECT_SYSCALL(mseal);
    VMATLAS_EXPECT_SYSCALL(map_shadow_stack);
#endif
#undef VMATLAS_EXPECT_SYSCALL
}

TEST(SyscallTable, ChangesMap) {
    for (const long call : {__NR_mmap, __NR_munmap, __NR_mprotect, __NR_brk, __NR_madvise,
                            __NR_mremap, __NR_execve, __NR_shmat, __NR_prctl})
        EXPECT_TRUE(changes_map(call)) << syscall_name(call);
    EXPECT_TRUE(changes_map(453)) << "map_shadow_stack";
    EXPECT_TRUE(changes_map(462)) << "mseal";
    for (const long call : {__NR_read, __NR_write, __NR_getpid, __NR_clone, __NR_process_madvise,
                            __NR_userfaultfd, __NR_exit_group})
        EXPECT_FALSE(changes_map(call)) << syscall_name(call);
    EXPECT_FALSE(changes_map(-1));
    EXPECT_FALSE(changes_map(100000));
}

// The map-changing calls are named ones, ascending, and the ones changes_map() says.
TEST(SyscallTable, MapChangingCallsAreTheOnesChangesMapSays) {
    const std::set<std::string> want = {"mmap",
                                        "munmap",
                                        "mremap",
                                        "brk",
                                        "remap_file_pages",
                                        "mprotect",
                                        "pkey_mprotect",
                                        "madvise",
                                        "mseal",
                                        "mlock",
                                        "mlock2",
                                        "munlock",
                                        "mlockall",
                                        "munlockall",
                                        "mbind",
                                        "set_mempolicy_home_node",
                                        "shmat",
                                        "shmdt",
                                        "io_setup",
                                        "io_destroy",
                                        "prctl",
                                        "map_shadow_stack",
                                        "execve",
                                        "execveat"};
    std::set<std::string> got;
    long previous = -1;
    for (const long call : map_changing_calls()) {
        EXPECT_LT(previous, call);
        previous = call;
        EXPECT_NE(syscall_name(call), "") << call;
        got.insert(std::string(syscall_name(call)));
    }
    EXPECT_EQ(got, want);
    std::size_t changing = 0;
    for (long n = -1; n <= vmatlas::trace::kLastSyscall + 1; ++n) changing += changes_map(n);
    EXPECT_EQ(changing, map_changing_calls().size());
}

}  // namespace
}  // namespace vmtest
