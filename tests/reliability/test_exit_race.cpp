// Processes that exit while they are read. The kernel ends /proc/PID/maps (and smaps) early, as
// if at its end, once the process's memory map is released: every view must tell a map read
// whole (status 0) from one cut short (status 5, what was read shown and marked partial), and a
// process whose map is already gone from one that has none (status 5, never 7).
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "reliability/support.hpp"
#include "vmatlas/procfs.hpp"

namespace vmtest {
namespace {

using nlohmann::json;

std::string exited_while_read(pid_t pid) {
    return "process " + std::to_string(pid) +
           " exited while its map was being read: the rows read before it did are shown, and any "
           "after them are missing";
}

// The annotators' word when the process exited after its map was read but before the files it
// mapped, or its threads, could be read to name its rows: a fact about the names, not the map.
bool files_gone(const std::string& warning, pid_t pid) {
    const std::string process = "process " + std::to_string(pid);
    return (warning.starts_with(process + " exited before the files it mapped could be read: the "
                                          "segments of ") &&
            warning.ends_with(" are not named")) ||
           warning ==
               process + " exited before its threads could be read: thread stacks are not named";
}

// The warnings of a run, without the annotators' word above.
std::vector<std::string> without_files_gone(std::vector<std::string> warnings, pid_t pid) {
    std::erase_if(warnings, [&](const std::string& w) {
        return files_gone(w.starts_with("vmatlas: warning: ") ? w.substr(18) : w, pid);
    });
    return warnings;
}

// The sentences of a process whose map was gone before any row of it could be read.
std::vector<std::string> gone_before_read(pid_t pid) {
    const std::string p = "vmatlas: process " + std::to_string(pid);
    return {p + " has exited (it is a zombie): it has no memory map left",
            p + " is exiting: it has no memory map left",
            p + " exited while its map was being read"};
}

bool one_of(const std::string& s, const std::vector<std::string>& choices) {
    return std::find(choices.begin(), choices.end(), s) != choices.end();
}

// What a run gave, for the tally a test prints.
enum class Outcome { Whole, Partial, GoneBeforeRead, Reaped };

// The JSON preamble's facts (docs/json.md) and the warnings at its end, read without parsing
// the 60,000 rows between them.
struct JsonFacts {
    bool partial = false;
    std::size_t kept = 0;
    std::vector<std::string> warnings;
};

JsonFacts json_facts(const std::string& out) {
    JsonFacts f;
    const std::size_t rows = out.find("\"rows\":{");
    const std::size_t partial = out.find("\"partial\":");
    if (rows == std::string::npos || partial == std::string::npos)
        throw std::runtime_error("no JSON preamble: " + out.substr(0, 200));
    f.partial = out.compare(partial + 10, 4, "true") == 0;
    f.kept = json::parse(out.substr(rows + 7, out.find('}', rows) - rows - 6)).at("kept");
    const std::size_t warnings = out.rfind("\"warnings\":");
    f.warnings = json::parse(out.substr(warnings + 11, out.rfind('}') - warnings - 11))
                     .get<std::vector<std::string>>();
    return f;
}

// `vmatlas --json PID` on a child that exits: a whole map and 0, or a partial one and 5, or no
// map (it was gone before a row could be read) and 5; 3 only when the child was reaped while
// vmatlas started. Never a short map with 0, never 7.
Outcome expect_whole_or_marked(const RunResult& r, pid_t pid, std::size_t whole, bool reaped) {
    SCOPED_TRACE("stderr: " + r.err);
    if (r.status == 0) {
        const JsonFacts f = json_facts(r.out);
        EXPECT_FALSE(f.partial);
        EXPECT_EQ(f.kept, whole) << "a map cut short, with status 0";
        EXPECT_EQ(without_files_gone(f.warnings, pid), std::vector<std::string>{});
        EXPECT_EQ(without_files_gone(err_lines(r), pid), std::vector<std::string>{});
        return Outcome::Whole;
    }
    if (r.status == 5 && !r.out.empty()) {
        const JsonFacts f = json_facts(r.out);
        EXPECT_TRUE(f.partial);
        EXPECT_LE(f.kept, whole);
        EXPECT_GT(f.kept, 0u);
        EXPECT_EQ(without_files_gone(f.warnings, pid),
                  std::vector<std::string>{exited_while_read(pid)});
        EXPECT_EQ(without_files_gone(err_lines(r), pid),
                  std::vector<std::string>{"vmatlas: warning: " + exited_while_read(pid)});
        return Outcome::Partial;
    }
    if (r.status == 5) {
        EXPECT_EQ(err_lines(r).size(), 1u);
        EXPECT_TRUE(one_of(r.err.substr(0, r.err.size() - 1), gone_before_read(pid)));
        return Outcome::GoneBeforeRead;
    }
    if (r.status == 3 && reaped) {
        EXPECT_EQ(r.err, "vmatlas: no process has PID " + std::to_string(pid) + "\n");
        return Outcome::Reaped;
    }
    ADD_FAILURE() << "status " << r.status << " (never 7, nor 0 without the whole map)";
    return Outcome::Whole;
}

std::string tally(const std::vector<Outcome>& outcomes) {
    std::size_t n[4] = {};
    for (Outcome o : outcomes) ++n[static_cast<int>(o)];
    return "whole " + std::to_string(n[0]) + ", partial " + std::to_string(n[1]) +
           ", gone before the read " + std::to_string(n[2]) + ", reaped " + std::to_string(n[3]);
}

// Runs `runs` children of `pages` mappings, each exiting 0 to max_delay_us after it is ready,
// through `vmatlas --json PID`; every third is reaped while vmatlas starts.
std::vector<Outcome> race(long pages, int runs, long max_delay_us, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    std::vector<Outcome> outcomes;
    for (int i = 0; i < runs; ++i) {
        const long delay = static_cast<long>(random() % static_cast<std::uint64_t>(max_delay_us));
        ExitingChild child(pages, delay);
        const pid_t pid = child.pid();
        const std::size_t whole = child.rows();
        const bool reap_now = i % 3 == 2;
        std::thread reaper;
        if (reap_now) reaper = std::thread([&child] { child.reap(); });
        const RunResult r = cli({"--json", std::to_string(pid)});
        if (reaper.joinable()) reaper.join();
        SCOPED_TRACE("run " + std::to_string(i) + ", exit after " + std::to_string(delay) + " us");
        outcomes.push_back(expect_whole_or_marked(r, pid, whole, reap_now));
        child.reap();
    }
    return outcomes;
}

TEST(ExitRace, SixtyThousandMappingsExitingWhileRead) {
    const auto outcomes = race(60000, 8, 30'000, 2024);
    RecordProperty("outcomes", tally(outcomes));
    std::printf("60,000 mappings: %s\n", tally(outcomes).c_str());
}

TEST(ExitRace, SmallMapsExitingWhileRead) {
    const auto outcomes = race(40, 30, 12'000, 7);
    RecordProperty("outcomes", tally(outcomes));
    std::printf("40 mappings: %s\n", tally(outcomes).c_str());
}

// A table says the same with its status: 0 and every row, or 5 and the warning.
TEST(ExitRace, TheTableSaysItToo) {
    std::mt19937_64 random(99);
    for (int i = 0; i < 3; ++i) {
        ExitingChild child(60000, static_cast<long>(random() % 30'000));
        const RunResult r = cli({"--color=never", child.pid_text()});
        const std::size_t rows = r.out.empty() ? 0 : lines(r.out).size() - 1;  // less the header
        const auto said = without_files_gone(err_lines(r), child.pid());
        if (r.status == 0) {
            EXPECT_EQ(rows, child.rows()) << "a map cut short, with status 0";
            EXPECT_EQ(said, std::vector<std::string>{});
        } else {
            ASSERT_EQ(r.status, 5) << r.err;
            if (rows > 0)
                EXPECT_EQ(said, std::vector<std::string>{"vmatlas: warning: " +
                                                         exited_while_read(child.pid())});
            else
                EXPECT_TRUE(
                    one_of(r.err.substr(0, r.err.size() - 1), gone_before_read(child.pid())))
                    << r.err;
        }
    }
}

// save on a process that exits while its smaps is read: a whole snapshot and 0, or one whose
// account says incomplete (with the sentence among its diagnostics) and 5.
TEST(ExitRace, SaveWritesAnIncompleteSnapshot) {
    std::mt19937_64 random(5);
    std::size_t incomplete = 0;
    for (int i = 0; i < 3; ++i) {
        ExitingChild child(20000, static_cast<long>(random() % 40'000));
        const RunResult r = cli({"save", child.pid_text()});
        SCOPED_TRACE(r.err);
        if (r.status == 5 && r.out.empty()) continue;  // gone before a row could be read
        if (r.status == 0) {
            const json doc = parse_json(r);
            EXPECT_EQ(doc.at("account").at("incomplete"), false);
            EXPECT_EQ(doc.at("rows").size(), child.rows());
            continue;
        }
        ASSERT_EQ(r.status, 5);
        const json doc = parse_json(r);
        EXPECT_EQ(doc.at("account").at("incomplete"), true);
        EXPECT_LE(doc.at("rows").size(), child.rows());
        bool said = false;
        for (const json& d : doc.at("diagnostics"))
            said = said || d.at("message") == exited_while_read(child.pid());
        EXPECT_TRUE(said) << doc.at("diagnostics");
        ++incomplete;
        // Read back, the snapshot is partial (9): what it lost is no longer a process's exit.
        const std::string saved = r.out;
        const RunResult again = cli({"--json", "-"}, saved);
        EXPECT_EQ(again.status, 9) << again.err;
        EXPECT_EQ(parse_json(again).at("partial"), true);
    }
    std::printf("save: %zu of 3 incomplete\n", incomplete);
}

// The figures views read smaps: the same rule.
TEST(ExitRace, PmapXOnAnExitingProcess) {
    std::mt19937_64 random(11);
    for (int i = 0; i < 3; ++i) {
        ExitingChild child(20000, static_cast<long>(random() % 30'000));
        const RunResult r = cli({"pmap", "-x", "--json", child.pid_text()});
        SCOPED_TRACE(r.err);
        if (r.status == 0) {
            EXPECT_EQ(parse_json(r).at("mappings").size(), child.rows());
        } else if (!r.out.empty()) {
            EXPECT_EQ(r.status, 5);
            EXPECT_EQ(parse_json(r).at("partial"), true);
            EXPECT_EQ(err_lines(r).front(), "vmatlas: warning: " + exited_while_read(child.pid()));
        } else {
            EXPECT_EQ(r.status, 5);
        }
    }
}

// ---- a task whose memory map is gone but which is not yet a zombie ---------------------------

struct TaskState {
    char state = '?';
    unsigned long flags = 0;
};

std::optional<TaskState> task_state(pid_t pid) {
    const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    const std::size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return std::nullopt;
    TaskState t;
    t.state = stat[paren + 2];
    std::istringstream rest(stat.substr(paren + 3));
    std::string field;
    for (int i = 4; i <= 9 && rest >> field; ++i)
        if (i == 9) t.flags = std::stoul(field);
    return t;
}

// A child that fills `megabytes` of private memory, says "ready", and exits when told: freeing
// that many pages holds it for tens of milliseconds between releasing its memory map and
// becoming a zombie (PF_EXITING set, state R), where /proc/PID/maps reads as empty.
class ExitingSlowly {
  public:
    explicit ExitingSlowly(std::size_t megabytes) {
        int ready[2], go[2];
        if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC)) throw std::runtime_error("pipe2");
        pid_ = fork();
        if (pid_ == 0) {
            close(ready[0]);
            close(go[1]);  // so that the parent's close is the end of the pipe
            const std::size_t size = megabytes << 20;
            void* p =
                mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) _exit(120);
            madvise(p, size, MADV_NOHUGEPAGE);  // small pages: each one to free
            std::memset(p, 1, size);
            if (write(ready[1], "r", 1) != 1) _exit(121);
            char c;
            if (read(go[0], &c, 1) < 0) _exit(122);
            _exit(0);
        }
        close(ready[1]);
        close(go[0]);
        char c;
        if (read(ready[0], &c, 1) != 1) throw std::runtime_error("the child did not get ready");
        close(ready[0]);
        go_ = go[1];
    }
    ~ExitingSlowly() {
        if (go_ >= 0) close(go_);
        if (pid_ > 0) waitpid(pid_, nullptr, 0);
    }
    pid_t pid() const { return pid_; }
    std::string pid_text() const { return std::to_string(pid_); }

    // Tells it to exit, and waits until its memory map is gone while it is not yet a zombie;
    // false if that moment was missed.
    bool exit_until_map_gone() {
        close(go_);
        go_ = -1;
        const std::string maps = "/proc/" + std::to_string(pid_) + "/maps";
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            const auto t = task_state(pid_);
            if (!t || t->state == 'Z' || t->state == 'X') return false;
            if ((t->flags & 0x4) && slurp(maps).empty()) return true;
        }
        return false;
    }

  private:
    pid_t pid_ = 0;
    int go_ = -1;
};

TEST(ExitRace, MapGoneBeforeTheZombieIsAnExitNotAnEmptyMap) {
    int tries = 0;
    for (; tries < 5; ++tries) {
        ExitingSlowly child(512);
        if (!child.exit_until_map_gone()) continue;
        const RunResult r = cli({child.pid_text()});
        EXPECT_EQ(r.status, 5) << r.err;
        EXPECT_EQ(r.out, "");
        EXPECT_TRUE(one_of(r.err.substr(0, r.err.size() - 1), gone_before_read(child.pid())))
            << r.err;
        if (r.err.find("is exiting") != std::string::npos) break;  // the moment was caught
    }
    if (tries == 5) GTEST_SKIP() << "the exit never lasted long enough to be caught";
}

// The library says it too: an error of kind ProcessExited, not UnreadableInput.
TEST(ExitRace, TheLibrarySaysExitedForAMapGoneBeforeTheZombie) {
    for (int tries = 0; tries < 5; ++tries) {
        ExitingSlowly child(512);
        if (!child.exit_until_map_gone()) continue;
        const auto space = vmatlas::read_process_maps(child.pid());
        ASSERT_FALSE(space.ok());
        EXPECT_EQ(space.error().kind, vmatlas::ErrorKind::ProcessExited) << space.error().message;
        return;
    }
    GTEST_SKIP() << "the exit never lasted long enough to be caught";
}

}  // namespace
}  // namespace vmtest
