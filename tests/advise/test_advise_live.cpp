// vmatlas advise on a child with regions at known addresses (advise_child.cpp): which rows each
// selector picks, what the kernel did (its /proc/PID/smaps before and after), and every refusal
// with its sentence and exit status.
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include <map>
#include <sstream>

#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif

#include "support/harness.hpp"

namespace vmtest {
namespace {

// The child, with the addresses it said: "private" -> 0x7f...
struct AdviseChild : Child {
    explicit AdviseChild(std::vector<std::string> extra = {})
        : Child([&] {
              std::vector<std::string> a = {VMATLAS_ADVISE_CHILD};
              a.insert(a.end(), extra.begin(), extra.end());
              return a;
          }()) {
        std::istringstream words(ready_line().substr(6));
        std::string word;
        while (words >> word) {
            const auto eq = word.find('=');
            if (word.substr(0, eq) == "tid")
                tid = std::stoi(word.substr(eq + 1));
            else
                at[word.substr(0, eq)] = std::stoull(word.substr(eq + 1), nullptr, 16);
        }
    }
    std::string hex(const std::string& region) const {
        return fmt::format("0x{:x}", at.at(region));
    }
    // The -v line that starts at a region: its address as pmap shows it.
    std::string row_start(std::uint64_t a) const { return fmt::format("{:016X} ", a); }
    std::map<std::string, std::uint64_t> at;
    int tid = 0;  // the second thread's
};

// The rows -v marks, each as "START <= MARK" (START as /proc/PID/maps writes it).
std::vector<std::string> marked_rows(const std::string& out) {
    std::vector<std::string> rows;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        const auto mark = line.find("  <= ");
        if (mark == std::string::npos || line.size() < 17) continue;
        rows.push_back(fmt::format("{:x} <= {}", hex(line.substr(0, 16)), line.substr(mark + 5)));
    }
    return rows;
}

// A field of the smaps row that starts at `start` ("Rss" -> kB; "VmFlags" -> its words).
std::string smaps_field(pid_t pid, std::uint64_t start, const std::string& key) {
    std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/smaps"));
    const std::string head = fmt::format("{:x}-", start);
    bool in_row = false;
    for (std::string line; std::getline(in, line);) {
        if (line.find(':') == std::string::npos || line.find('-') < line.find(':'))
            if (std::isxdigit(static_cast<unsigned char>(line[0])) && line.find(' ') > 8)
                in_row = line.starts_with(head);
        if (in_row && line.starts_with(key + ":")) {
            std::string value = line.substr(key.size() + 1);
            value.erase(0, value.find_first_not_of(' '));
            if (key != "VmFlags") value = value.substr(0, value.find(' '));
            while (!value.empty() && value.back() == ' ') value.pop_back();
            return value;
        }
    }
    return "(no row at " + head + ")";
}

// The line of text that starts with prefix, or "".
std::string line_starting(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(prefix)) return line;
    return "";
}

// Whether /proc/swaps lists a swap device below its header line.
bool has_swap() {
    const std::string swaps = slurp("/proc/swaps");
    return std::count(swaps.begin(), swaps.end(), '\n') > 1;
}

TEST(Advise, PageoutOfAFileRowDropsItsRss) {
    AdviseChild child;
    const std::uint64_t file = child.at.at("file");
    ASSERT_EQ(smaps_field(child.pid(), file, "Rss"), "1024");
    const RunResult r = vmatlas({"advise", "-o", child.hex("file") + "=pageout", child.pid_text()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "pageout: 1048576 of 1048576 bytes advised (1 ranges)\n");
    EXPECT_EQ(smaps_field(child.pid(), file, "Rss"), "0");
}

TEST(Advise, PageoutOfATouchedAnonymousRowDropsItsRssWhenThereIsSwap) {
    if (!has_swap()) GTEST_SKIP() << "no swap device: anonymous pages cannot be paged out";
    AdviseChild child;
    const std::uint64_t priv = child.at.at("private");
    ASSERT_EQ(smaps_field(child.pid(), priv, "Rss"), "4096");
    const RunResult r =
        vmatlas({"advise", "-o", child.hex("private") + "=pageout", child.pid_text()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "pageout: 4194304 of 4194304 bytes advised (1 ranges)\n");
    EXPECT_LT(std::stoull(smaps_field(child.pid(), priv, "Rss")), 4096u);
}

TEST(Advise, WillneedAndColdSayTheBytesAdvised) {
    AdviseChild child;
    const RunResult r = vmatlas(
        {"advise", "-o", child.hex("private") + ":64K=willneed," + child.hex("shared") + "=cold",
         child.pid_text()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out,
              "willneed: 65536 of 65536 bytes advised (1 ranges)\n"
              "cold: 1048576 of 1048576 bytes advised (1 ranges)\n");
    EXPECT_EQ(r.err, "");
}

TEST(Advise, AnAddressRangeWinsOverHeapWhichWinsOverPrivate) {
    AdviseChild child;
    const RunResult r =
        vmatlas({"advise", "-v", "-o",
                 "private=cold,heap=willneed," + child.hex("private") + ":64K=willneed,shared=cold",
                 child.pid_text()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(line_starting(r.out, child.row_start(child.at.at("private")))
                    .ends_with("[ anon ]  <= willneed (64K), cold (4032K)"))
        << r.out;
    std::istringstream in(r.out);
    std::size_t heap_rows = 0;
    for (std::string line; std::getline(in, line);)
        if (line.find("[ heap ]") != std::string::npos) {
            ++heap_rows;
            EXPECT_TRUE(line.ends_with("[ heap ]  <= willneed")) << line;
        }
    EXPECT_EQ(heap_rows, 1u) << r.out;
    EXPECT_TRUE(line_starting(r.out, child.row_start(child.at.at("shared"))).ends_with("  <= cold"))
        << r.out;
    // Every private row is cold but for the heap and the range; the guard pages too.
    EXPECT_TRUE(
        line_starting(r.out, child.row_start(child.at.at("random"))).ends_with("[ anon ]  <= cold"))
        << r.out;
}

TEST(Advise, SharedPicksTheSharedRowAlone) {
    AdviseChild child;
    const RunResult r = vmatlas({"advise", "-v", "-o", "shared=willneed", child.pid_text()});
    EXPECT_EQ(r.status, 0) << r.err;
    std::istringstream in(r.out);
    std::vector<std::string> marked;
    for (std::string line; std::getline(in, line);)
        if (line.find("  <= ") != std::string::npos) marked.push_back(line);
    ASSERT_EQ(marked.size(), 1u) << r.out;
    EXPECT_TRUE(marked[0].starts_with(child.row_start(child.at.at("shared")))) << marked[0];
    EXPECT_TRUE(marked[0].ends_with(" 1024K rw-s /dev/zero (deleted)  <= willneed")) << marked[0];
    EXPECT_EQ(line_starting(r.out, "willneed: "),
              "willneed: 1048576 of 1048576 bytes advised (1 ranges)");
}

TEST(Advise, AnAdviceProcessMadviseCannotGiveIsRefusedWithTheReason) {
    AdviseChild child;
    const RunResult r = vmatlas({"advise", "-o", "heap=random", child.pid_text()});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "vmatlas: 'random' sets how the process itself reads ahead, which "
              "process_madvise(2) does not apply to another process; the process can call "
              "madvise(2) on itself, or 'willneed' reads a range in now\n");
    const RunResult numa = vmatlas({"advise", "-o", "heap=access_lwp", child.pid_text()});
    EXPECT_EQ(numa.status, 2);
    EXPECT_NE(numa.err.find("'access_lwp' is Solaris's advice"), std::string::npos) << numa.err;
}

TEST(Advise, APidThatDoesNotExistIsSaid) {
    const pid_t gone = fork();
    if (gone == 0) _exit(0);
    waitpid(gone, nullptr, 0);
    const RunResult r = vmatlas({"advise", "-o", "heap=cold", std::to_string(gone)});
    EXPECT_EQ(r.status, 3);
    EXPECT_EQ(r.err, fmt::format("vmatlas: no process has PID {}\n", gone));
}

TEST(Advise, ASelectorThatMatchesNoRowIsSaid) {
    AdviseChild child;
    const RunResult r = vmatlas({"advise", "-o", "nosuch=cold", child.pid_text()});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, fmt::format("vmatlas: 'nosuch' matches no row of process {}\n", child.pid()));
}

TEST(Advise, WithoutDashOTheAdviceInVmFlagsIsShown) {
    AdviseChild child;
    const RunResult r = vmatlas({"advise", child.pid_text()});
    EXPECT_EQ(r.status, 0) << r.err;
    const std::pair<const char*, const char*> cases[] = {
        {"random", "rr"}, {"dontdump", "dd"}, {"hugepage", "hg"}};
    for (const auto& [region, flag] : cases) {
        const std::uint64_t a = child.at.at(region);
        const std::string flags = smaps_field(child.pid(), a, "VmFlags");
        ASSERT_NE((" " + flags + " ").find(std::string(" ") + flag + " "), std::string::npos)
            << flags;
        EXPECT_TRUE(line_starting(r.out, child.row_start(a))
                        .ends_with(std::string("[ anon ]  <= ") + region))
            << region << "\n"
            << r.out;
    }
    EXPECT_EQ(line_starting(r.out, child.row_start(child.at.at("private"))).find("<="),
              std::string::npos);
}

// The rows of the child's /proc/PID/maps that hold a file whose last component is `file`, with
// the permissions `perms`, each as "START <= advice", and their bytes.
std::pair<std::vector<std::string>, std::uint64_t> maps_rows_of(pid_t pid, const std::string& file,
                                                                const std::string& perms,
                                                                const std::string& advice) {
    std::vector<std::string> rows;
    std::uint64_t bytes = 0;
    for (const ProcRow& r : read_proc_maps(pid))
        if (!r.kernel_name() && std::filesystem::path(r.path).filename() == file &&
            r.perms == perms) {
            rows.push_back(fmt::format("{:x} <= {}", r.start, advice));
            bytes += r.size();
        }
    return {rows, bytes};
}

TEST(Advise, ObjectColonSegmentMarksThatObjectsRowsAlone) {
    AdviseChild child;
    const auto [text_rows, text_bytes] = maps_rows_of(child.pid(), "libc.so.6", "r-xp", "willneed");
    ASSERT_FALSE(text_rows.empty());
    const RunResult r =
        vmatlas({"advise", "-v", "-o", "libc.so.6:text=willneed", child.pid_text()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(marked_rows(r.out), text_rows) << r.out;
    EXPECT_EQ(line_starting(r.out, "willneed: "),
              fmt::format("willneed: {} of {} bytes advised ({} ranges)", text_bytes, text_bytes,
                          text_rows.size()));

    const auto [data_rows, data_bytes] = maps_rows_of(child.pid(), "libc.so.6", "rw-p", "cold");
    ASSERT_FALSE(data_rows.empty());
    const RunResult data = vmatlas({"advise", "-v", "-o", "libc.so.6:data=cold", child.pid_text()});
    EXPECT_EQ(data.status, 0) << data.err;
    EXPECT_EQ(marked_rows(data.out), data_rows) << data.out;
    EXPECT_EQ(line_starting(data.out, "cold: "),
              fmt::format("cold: {} of {} bytes advised ({} ranges)", data_bytes, data_bytes,
                          data_rows.size()));
}

TEST(Advise, ASegmentNameAloneIsTheProgramsOwn) {
    AdviseChild child;
    const std::string program = std::filesystem::path(VMATLAS_ADVISE_CHILD).filename();
    const std::pair<const char*, const char*> cases[] = {{"text", "r-xp"}, {"data", "rw-p"}};
    for (const auto& [segment, perms] : cases) {
        const auto [rows, bytes] = maps_rows_of(child.pid(), program, perms, "willneed");
        ASSERT_FALSE(rows.empty()) << segment;
        const RunResult r =
            vmatlas({"advise", "-v", "-o", std::string(segment) + "=willneed", child.pid_text()});
        EXPECT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(marked_rows(r.out), rows) << segment << "\n" << r.out;
        EXPECT_EQ(
            line_starting(r.out, "willneed: "),
            fmt::format("willneed: {} of {} bytes advised ({} ranges)", bytes, bytes, rows.size()));
    }
}

TEST(Advise, StackTidMarksTheRowThatHoldsThatThreadsStack) {
    AdviseChild child;
    ASSERT_GT(child.tid, 0);
    ASSERT_NE(child.tid, child.pid());
    const std::uint64_t sp = child.at.at("thread_sp");
    std::optional<ProcRow> stack;
    for (const ProcRow& r : read_proc_maps(child.pid()))
        if (r.start <= sp && sp < r.end) stack = r;
    ASSERT_TRUE(stack);
    ASSERT_EQ(stack->perms, "rw-p");
    ASSERT_TRUE(stack->anonymous());
    const RunResult r = vmatlas(
        {"advise", "-v", "-o", fmt::format("stack tid={}=willneed", child.tid), child.pid_text()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(marked_rows(r.out), std::vector{fmt::format("{:x} <= willneed", stack->start)})
        << r.out;
    EXPECT_EQ(
        line_starting(r.out, "willneed: "),
        fmt::format("willneed: {} of {} bytes advised (1 ranges)", stack->size(), stack->size()));
    // "stack" is the main thread's alone.
    const RunResult main_stack = vmatlas({"advise", "-v", "-o", "stack=cold", child.pid_text()});
    EXPECT_EQ(main_stack.status, 0) << main_stack.err;
    std::vector<std::string> main_rows;
    for (const ProcRow& row : read_proc_maps(child.pid()))
        if (row.path == "[stack]") main_rows.push_back(fmt::format("{:x} <= cold", row.start));
    ASSERT_EQ(main_rows.size(), 1u);
    EXPECT_EQ(marked_rows(main_stack.out), main_rows) << main_stack.out;
}

// /sys/kernel/mm/transparent_hugepage/enabled's setting: the word in brackets.
std::string thp_setting() {
    const std::string text = slurp("/sys/kernel/mm/transparent_hugepage/enabled");
    const auto open = text.find('['), close = text.find(']');
    if (open == std::string::npos || close == std::string::npos) return "";
    return text.substr(open + 1, close - open - 1);
}

TEST(Advise, CollapseMakesAHugePageOfATouched2MiBRegion) {
    const std::string thp = thp_setting();
    if (thp.empty() || thp == "never")
        GTEST_SKIP() << "transparent huge pages are '" << thp << "': the kernel collapses nothing";
    AdviseChild child;
    const std::uint64_t region = child.at.at("thp");
    ASSERT_EQ(region % (2 << 20), 0u);
    ASSERT_EQ(smaps_field(child.pid(), region, "Rss"), "2048");
    if (thp != "always") {  // the pages are small ones until collapsed
        ASSERT_EQ(smaps_field(child.pid(), region, "AnonHugePages"), "0");
    }
    const RunResult r = vmatlas({"advise", "-o", child.hex("thp") + "=collapse", child.pid_text()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "collapse: 2097152 of 2097152 bytes advised (1 ranges)\n");
    EXPECT_EQ(smaps_field(child.pid(), region, "AnonHugePages"), "2048");
    EXPECT_EQ(smaps_field(child.pid(), region, "Rss"), "2048");
}

TEST(Advise, CollapseOfARowThatCannotHoldAHugePageIsRefusedAndTheOthersAreCollapsed) {
    const std::string thp = thp_setting();
    if (thp.empty() || thp == "never")
        GTEST_SKIP() << "transparent huge pages are '" << thp << "': the kernel collapses nothing";
    AdviseChild child;
    const std::uint64_t random = child.at.at("random"), region = child.at.at("thp");
    const std::string refused = fmt::format(
        "vmatlas: the kernel refused 'collapse' on {:#x}-{:#x}: its row cannot hold a transparent "
        "huge page, or they are disabled for it\n",
        random, random + (64 << 10));
    const RunResult alone =
        vmatlas({"advise", "-o", child.hex("random") + "=collapse", child.pid_text()});
    EXPECT_EQ(alone.status, 9) << alone.err;
    EXPECT_EQ(alone.out, "collapse: 0 of 65536 bytes advised (1 ranges)\n");
    EXPECT_EQ(alone.err, refused);

    const RunResult both = vmatlas(
        {"advise", "-o", child.hex("random") + "=collapse," + child.hex("thp") + "=collapse",
         child.pid_text()});
    EXPECT_EQ(both.status, 9) << both.err;
    EXPECT_EQ(both.out, "collapse: 2097152 of 2162688 bytes advised (2 ranges)\n");
    EXPECT_EQ(both.err, refused);
    EXPECT_EQ(smaps_field(child.pid(), region, "AnonHugePages"), "2048");
}

// In the command's process, before it runs: process_madvise(2) fails with `error` for the advice
// `madv` (or for every advice when madv is -1), as on a kernel that lacks it.
void process_madvise_fails(int error, int madv) {
    constexpr unsigned kNr = offsetof(seccomp_data, nr);
    constexpr unsigned kAdvice = offsetof(seccomp_data, args) + 3 * sizeof(std::uint64_t);
    const auto ret_error = static_cast<std::uint32_t>(SECCOMP_RET_ERRNO | error);
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNr),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_madvise, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kAdvice),  // the low half, on little-endian x86-64
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(madv), 1, 0),
        BPF_STMT(BPF_RET | BPF_K, madv == -1 ? ret_error : SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, ret_error),
    };
    const sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0)
        _exit(98);
}

TEST(Advise, AKernelWithoutProcessMadviseIsUnsupported) {
#if !defined(__x86_64__)
    GTEST_SKIP() << "the seccomp filter that stands for an older kernel is x86-64's";
#endif
    AdviseChild child;
    const RunResult r =
        vmatlas({"advise", "-o", child.hex("file") + "=pageout," + child.hex("shared") + "=cold",
                 child.pid_text()},
                {}, [] { process_madvise_fails(ENOSYS, -1); });
    EXPECT_EQ(r.status, 7) << r.err;
    EXPECT_EQ(r.out,
              "pageout: 0 of 1048576 bytes advised (1 ranges)\n"
              "cold: 0 of 1048576 bytes advised (1 ranges)\n");
    EXPECT_EQ(r.err,
              "vmatlas: this kernel has no process_madvise(2) (Linux 5.10 added it)\n"
              "vmatlas: this kernel has no process_madvise(2) (Linux 5.10 added it)\n");
    EXPECT_EQ(smaps_field(child.pid(), child.at.at("file"), "Rss"), "1024");
}

TEST(Advise, AKernelWithoutCollapseIsUnsupportedAndTheOtherAdviceIsGiven) {
#if !defined(__x86_64__)
    GTEST_SKIP() << "the seccomp filter that stands for an older kernel is x86-64's";
#endif
    AdviseChild child;
    // What Linux 5.10 to 6.0 do: EINVAL for MADV_COLLAPSE (25), whatever the range.
    const RunResult r =
        vmatlas({"advise", "-o", child.hex("thp") + "=collapse," + child.hex("file") + "=pageout",
                 child.pid_text()},
                {}, [] { process_madvise_fails(EINVAL, 25); });
    EXPECT_EQ(r.status, 7) << r.err;
    EXPECT_EQ(r.out,
              "collapse: 0 of 2097152 bytes advised (1 ranges)\n"
              "pageout: 1048576 of 1048576 bytes advised (1 ranges)\n");
    EXPECT_EQ(r.err,
              "vmatlas: this kernel has no 'collapse' for process_madvise(2) (Linux 6.1 added "
              "it)\n");
    EXPECT_EQ(smaps_field(child.pid(), child.at.at("file"), "Rss"), "0");
}

TEST(Advise, ARangeTheKernelRefusesIsSaidAndTheOthersAreStillAdvised) {
    // MADV_PAGEOUT and MADV_COLD refuse a locked row (EINVAL); the file row is paged out all the
    // same, whichever side of the locked row it lies.
    AdviseChild child({"--mlock"});
    const std::uint64_t locked = child.at.at("locked"), file = child.at.at("file");
    ASSERT_EQ(smaps_field(child.pid(), file, "Rss"), "1024");
    ASSERT_EQ(smaps_field(child.pid(), locked, "Locked"), "64");
    const RunResult r =
        vmatlas({"advise", "-o", child.hex("locked") + "=pageout," + child.hex("file") + "=pageout",
                 child.pid_text()});
    EXPECT_EQ(r.status, 9) << r.err;
    EXPECT_EQ(r.out, "pageout: 1048576 of 1114112 bytes advised (2 ranges)\n");
    EXPECT_EQ(r.err, fmt::format("vmatlas: the kernel refused 'pageout' on {:#x}-{:#x}: Invalid "
                                 "argument\n",
                                 locked, locked + (64 << 10)));
    EXPECT_EQ(smaps_field(child.pid(), file, "Rss"), "0");
    EXPECT_EQ(smaps_field(child.pid(), locked, "Rss"), "64");

    // Two advice: the refusal of one leaves the other's count whole, and the status is still 9.
    const RunResult two = vmatlas({"advise", "-o",
                                   child.hex("shared") + "=willneed," + child.hex("locked") +
                                       "=cold," + child.hex("private") + "=cold",
                                   child.pid_text()});
    EXPECT_EQ(two.status, 9) << two.err;
    EXPECT_EQ(two.out,
              "willneed: 1048576 of 1048576 bytes advised (1 ranges)\n"
              "cold: 4194304 of 4259840 bytes advised (2 ranges)\n");
    EXPECT_EQ(two.err, fmt::format("vmatlas: the kernel refused 'cold' on {:#x}-{:#x}: Invalid "
                                   "argument\n",
                                   locked, locked + (64 << 10)));
}

// The command as user 65534, with no capabilities.
void as_nobody() {
    if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
}

TEST(Advise, ARootProcessCannotBeAdvisedByAnotherUser) {
    AdviseChild child;
    const RunResult r = vmatlas({"advise", "-o", "heap=cold", child.pid_text()}, {}, as_nobody);
    EXPECT_EQ(r.status, 4) << r.err;
    EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
    EXPECT_EQ(smaps_field(child.pid(), child.at.at("private"), "Rss"), "4096");
}

TEST(Advise, AProcessOfOnesOwnNeedsCapSysNice) {
    AdviseChild child({"--nobody"});
    const RunResult r =
        vmatlas({"advise", "-o", child.hex("file") + "=pageout", child.pid_text()}, {}, as_nobody);
    EXPECT_EQ(r.status, 4) << r.err;
    EXPECT_EQ(r.out, "pageout: 0 of 1048576 bytes advised (1 ranges)\n");
    // A warning may come first: map_files cannot be read by a process without CAP_SYS_ADMIN.
    EXPECT_TRUE(
        r.err.ends_with(fmt::format("vmatlas: permission denied advising process {}: "
                                    "process_madvise(2) needs CAP_SYS_NICE and ptrace "
                                    "read access to it: run vmatlas as root\n",
                                    child.pid())))
        << r.err;
    EXPECT_EQ(smaps_field(child.pid(), child.at.at("file"), "Rss"), "1024");
}

}  // namespace
}  // namespace vmtest
