// `vmatlas diff` on a real child (vmatlas-diff-child) whose map changes in known ways between two
// captures of its /proc/PID/maps: the diff must report exactly those changes, between the two
// captures and between the first capture and the live process. Ground truth is what the child
// did (see diff_child.cpp), checked first against /proc with the harness's own reader.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>

#include "support/harness.hpp"

namespace {

using nlohmann::json;
using vmtest::TempDir;
using vmtest::write_text;

// The child, started with pipes on its stdin and stdout; it exits when its stdin closes.
class Child {
  public:
    Child() {
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            execl(VMATLAS_DIFF_CHILD, VMATLAS_DIFF_CHILD, nullptr);
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        stdin_ = in[1];
        stdout_ = out[0];
        const std::string window = read_line();
        const std::string ready = read_line();
        if (!window.starts_with("window ") || ready != "ready " + std::to_string(pid_))
            throw std::runtime_error("the child did not start: '" + window + "', '" + ready + "'");
        window_ = vmtest::hex(window.substr(7));
    }
    ~Child() {
        close(stdin_);
        close(stdout_);
        for (int i = 0; i < 500; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
            usleep(10'000);
        }
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    std::uint64_t window() const { return window_; }

    void change() {
        if (write(stdin_, "change\n", 7) != 7) throw std::runtime_error("write to the child");
        const std::string reply = read_line();
        if (reply != "changed") throw std::runtime_error("the child said '" + reply + "'");
    }

  private:
    std::string read_line() { return vmtest::read_line(stdout_); }

    pid_t pid_ = -1;
    int stdin_ = -1, stdout_ = -1;
    std::uint64_t window_ = 0;
};

// A row of the child's window as the child made it: pages [first, first + pages).
struct Region {
    long first, pages;
    std::string perms;
    long offset_pages = 0;
    std::string file;  // basename, "" for anonymous
    bool deleted = false;
};

const std::vector<Region> kBefore = {
    {0, 4, "rw-p"},  {6, 5, "rw-p"},  {13, 4, "r--p", 0, "mapped file.bin"}, {19, 1, "r--p"},
    {20, 1, "rw-p"}, {28, 2, "rw-p"}, {34, 1, "r--p", 0, "doomed file.bin"}, {37, 1, "rw-p"},
    {42, 2, "rw-p"},
};
const std::vector<Region> kAfter = {
    {6, 2, "rw-p"},  {8, 1, "r--p"},  {9, 2, "rw-p"},  {13, 4, "r--p", 1, "mapped file.bin"},
    {19, 2, "rw-p"}, {23, 3, "r-xp"}, {28, 4, "rw-p"}, {34, 1, "r--p", 0, "doomed file.bin", true},
    {37, 1, "rw-p"}, {42, 2, "r--p"},
};
constexpr long kWindowPages = 64;

std::string basename_of(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

// The rows of a capture inside the child's window, and the rows outside it.
struct Split {
    std::vector<vmtest::ProcRow> inside, outside;
};

Split split(const std::vector<vmtest::ProcRow>& rows, std::uint64_t window) {
    const std::uint64_t end = window + kWindowPages * vmtest::kPage;
    Split s;
    for (const auto& r : rows)
        (r.start >= window && r.end <= end ? s.inside : s.outside).push_back(r);
    return s;
}

// What is wrong with the window's rows against what the child made; empty when nothing is.
std::string window_problems(const std::vector<vmtest::ProcRow>& rows,
                            const std::vector<Region>& want, std::uint64_t window) {
    if (rows.size() != want.size())
        return std::to_string(rows.size()) + " rows in the window, not " +
               std::to_string(want.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        const Region& w = want[i];
        if (r.start != window + w.first * vmtest::kPage ||
            r.end != window + (w.first + w.pages) * vmtest::kPage || r.perms != w.perms ||
            r.offset != static_cast<std::uint64_t>(w.offset_pages * vmtest::kPage) ||
            (w.file.empty() ? !r.path.empty() : basename_of(r.path) != w.file) ||
            r.deleted != w.deleted)
            return "row " + std::to_string(i) + " is " + vmtest::to_hex(r.start) + "-" +
                   vmtest::to_hex(r.end) + " " + r.perms + " " + r.path;
    }
    return "";
}

// What the diff must report, entry by entry, in address order. An "end" in old is a page number
// (the window's address is known only at run time).
struct Expected {
    std::string change;
    long first, pages;
    std::string perms;
    std::map<std::string, json> old;              // changed: the keys that changed and A's values
    std::vector<std::pair<long, long>> overlaps;  // added/removed: [first, end) pages
};

std::vector<Expected> expected_entries() {
    const long p = vmtest::kPage;
    return {
        {"removed", 0, 4, "rw-p", {}, {}},
        {"changed", 6, 2, "rw-p", {{"end", 11}, {"size", 5 * p}}, {}},
        {"added", 8, 1, "r--p", {}, {{6, 11}}},
        {"added", 9, 2, "rw-p", {}, {{6, 11}}},
        {"changed", 13, 4, "r--p", {{"offset", 0}}, {}},
        {"changed", 19, 2, "rw-p", {{"perms", "r--p"}, {"end", 20}, {"size", p}}, {}},
        {"removed", 20, 1, "rw-p", {}, {{19, 21}}},
        {"added", 23, 3, "r-xp", {}, {}},
        {"changed", 28, 4, "rw-p", {{"end", 30}, {"size", 2 * p}}, {}},
        {"changed", 34, 1, "r--p", {{"deleted", false}}, {}},
        {"changed", 42, 2, "r--p", {{"perms", "rw-p"}}, {}},
    };
}

// Checks the diff's JSON mappings against expected_entries().
void check_entries(const json& doc, std::uint64_t window) {
    const auto page_addr = [&](long page) { return vmtest::to_hex(window + page * vmtest::kPage); };
    const auto want = expected_entries();
    const json& got = doc.at("mappings");
    ASSERT_EQ(got.size(), want.size()) << doc.dump(1);
    for (std::size_t k = 0; k < want.size(); ++k) {
        const Expected& w = want[k];
        const json& g = got[k];
        SCOPED_TRACE("entry " + std::to_string(k) + ": " + g.dump());
        EXPECT_EQ(g.at("change"), w.change);
        EXPECT_EQ(g.at("start"), page_addr(w.first));
        EXPECT_EQ(g.at("end"), page_addr(w.first + w.pages));
        EXPECT_EQ(g.at("size"), w.pages * vmtest::kPage);
        EXPECT_EQ(g.at("perms"), w.perms);
        if (w.change == "changed") {
            std::set<std::string> keys;
            for (const auto& key : g.at("changed")) keys.insert(key.get<std::string>());
            std::set<std::string> want_keys;
            for (const auto& [key, value] : w.old) want_keys.insert(key);
            EXPECT_EQ(keys, want_keys);
            for (const auto& [key, value] : w.old) {
                const json expected = key == "end" ? json(page_addr(value.get<long>())) : value;
                EXPECT_EQ(g.at("old").at(key), expected) << key;
            }
            EXPECT_FALSE(g.contains("overlaps"));
        } else {
            EXPECT_FALSE(g.contains("changed"));
            ASSERT_EQ(g.at("overlaps").size(), w.overlaps.size());
            for (std::size_t i = 0; i < w.overlaps.size(); ++i) {
                EXPECT_EQ(g["overlaps"][i].at("start"), page_addr(w.overlaps[i].first));
                EXPECT_EQ(g["overlaps"][i].at("end"), page_addr(w.overlaps[i].second));
            }
        }
    }
}

TEST(DiffLive, ReportsExactlyWhatTheChildChanged) {
    Child child;
    TempDir dir;
    const std::string maps = "/proc/" + std::to_string(child.pid()) + "/maps";
    const std::string before_text = vmtest::slurp(maps);
    child.change();
    const std::string after_text = vmtest::slurp(maps);
    const std::string before = dir / "before.maps", after = dir / "after.maps";
    write_text(before, before_text);
    write_text(after, after_text);

    // The ground truth: the window holds what the child made, and nothing else moved.
    const Split b = split(vmtest::parse_proc_maps(before_text), child.window());
    const Split a = split(vmtest::parse_proc_maps(after_text), child.window());
    ASSERT_EQ(window_problems(b.inside, kBefore, child.window()), "") << before_text;
    ASSERT_EQ(window_problems(a.inside, kAfter, child.window()), "") << after_text;
    ASSERT_EQ(b.outside, a.outside) << "the child's map changed outside its window";
    const std::size_t unchanged = b.outside.size() + 1;  // and page 37

    // The two captures.
    const auto files = vmtest::vmatlas({"diff", before, after, "--json"});
    EXPECT_EQ(files.status, 1) << files.err;
    EXPECT_TRUE(vmtest::only_marked_names(vmtest::lines(files.err))) << files.err;
    const json doc = vmtest::parse_json(files);
    check_entries(doc, child.window());
    EXPECT_EQ(doc.at("same"), false);
    EXPECT_EQ(doc.at("counts"),
              json({{"added", 3}, {"removed", 2}, {"changed", 6}, {"unchanged", unchanged}}));
    EXPECT_EQ(doc.at("a").at("source").at("origin"), before);
    EXPECT_EQ(doc.at("b").at("source").at("origin"), after);
    for (const auto& m : doc.at("mappings")) {
        if (m.at("start") == vmtest::to_hex(child.window() + 13 * vmtest::kPage)) {
            EXPECT_EQ(basename_of(m.at("path").get<std::string>()), "mapped file.bin");
        }
    }

    // The first capture against the live process, now as the second capture saw it.
    const auto live = vmtest::vmatlas({"diff", before, std::to_string(child.pid()), "--json"});
    EXPECT_EQ(live.status, 1) << live.err;
    const json live_doc = vmtest::parse_json(live);
    check_entries(live_doc, child.window());
    EXPECT_EQ(live_doc.at("counts"), doc.at("counts"));
    EXPECT_EQ(live_doc.at("mappings"), doc.at("mappings"));
    EXPECT_EQ(live_doc.at("b").at("source").at("pid"), child.pid());

    // The second capture against the live process: the same map.
    const auto same = vmtest::vmatlas({"diff", after, std::to_string(child.pid())});
    EXPECT_EQ(same.status, 0) << same.out << same.err;
    EXPECT_TRUE(same.out.ends_with("0 added, 0 removed, 0 changed, " +
                                   std::to_string(b.outside.size() + kAfter.size()) +
                                   " unchanged\n"))
        << same.out;

    // The table: one line per difference, marked, and the summary.
    const auto table = vmtest::vmatlas({"diff", before, after, "--color=never"});
    EXPECT_EQ(table.status, 1);
    std::map<char, int> markers;
    for (const std::string& line : vmtest::lines(table.out))
        if (!line.empty() && std::string_view("+-~").find(line[0]) != std::string_view::npos)
            ++markers[line[0]];
    EXPECT_EQ(markers, (std::map<char, int>{{'+', 3}, {'-', 2}, {'~', 6}})) << table.out;
    EXPECT_TRUE(table.out.ends_with("3 added, 2 removed, 6 changed, " + std::to_string(unchanged) +
                                    " unchanged\n"))
        << table.out;
    EXPECT_NE(table.out.find("offset 0 \u2192 1000"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("deleted no \u2192 yes"), std::string::npos) << table.out;

    // Standard input as A.
    const auto piped = vmtest::vmatlas({"diff", "-", after, "--json"}, before_text);
    EXPECT_EQ(piped.status, 1) << piped.err;
    EXPECT_EQ(vmtest::parse_json(piped).at("mappings"), doc.at("mappings"));
}

TEST(DiffLive, ProcessThatDoesNotExist) {
    // A PID above the kernel's limit can never exist.
    const auto r = vmtest::vmatlas({"diff", "self", "99999999"});
    EXPECT_EQ(r.status, 3) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("99999999"), std::string::npos) << r.err;
}

}  // namespace
