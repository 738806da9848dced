// vmatlas advise on a child with regions at known addresses (advise_child.cpp): which rows each
// selector picks, what the kernel did (its /proc/PID/smaps before and after), and every refusal
// with its sentence and exit status.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <sstream>

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
            at[word.substr(0, eq)] = std::stoull(word.substr(eq + 1), nullptr, 16);
        }
    }
    std::string hex(const std::string& region) const {
        return fmt::format("0x{:x}", at.at(region));
    }
    // The -v line that starts at a region: its address as pmap shows it.
    std::string row_start(std::uint64_t a) const { return fmt::format("{:016X} ", a); }
    std::map<std::string, std::uint64_t> at;
};

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
