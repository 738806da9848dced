// Names that pass for what they are not: a file named like the kernel's marks (" (deleted)",
// "\012") and names holding invisible characters. A live process's true names are read (from
// /proc/PID/map_files); where they cannot be (saved text), the name is said to be ambiguous;
// invisible characters are escaped, so that one name cannot pass for another.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <fmt/format.h>

#include "reliability/support.hpp"

namespace vmtest {
namespace {

using nlohmann::json;

// A child that maps each of `files` (shared, read-only), unlinks those in `unlink_after`, says
// "ready", and waits to be killed.
class MappingChild {
  public:
    MappingChild(const std::vector<std::string>& files, const std::vector<std::string>& unlinked) {
        int out[2];
        if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            for (const std::string& f : files) {
                const int fd = open(f.c_str(), O_RDONLY);
                if (fd < 0 || mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
                    _exit(120);
                close(fd);
            }
            for (const std::string& f : unlinked)
                if (unlink(f.c_str()) != 0) _exit(121);
            if (write(out[1], "ready\n", 6) != 6) _exit(122);
            pause();
            _exit(0);
        }
        close(out[1]);
        const std::string line = read_line(out[0]);
        close(out[0]);
        if (line != "ready") throw std::runtime_error("the mapping child did not say ready");
    }
    ~MappingChild() {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    std::string pid_text() const { return std::to_string(pid_); }

  private:
    pid_t pid_ = -1;
};

class MarkNames : public ::testing::Test {
  protected:
    TempDir dir{"vmatlas names"};
    std::string fake = dir / "fake (deleted)";   // exists: the kernel prints it as if deleted
    std::string literal = dir / "lit\\012eral";  // a backslash, then 012: not a newline
    std::string gone = dir / "gone";             // really deleted
    void SetUp() override {
        for (const std::string& f : {fake, literal, gone}) write_text(f, std::string(4096, 'x'));
    }
};

// The rows of the files in dir, from a map's JSON: path and deleted.
std::vector<std::pair<std::string, bool>> rows_in(const json& j, const std::string& dir) {
    std::vector<std::pair<std::string, bool>> rows;
    for (const json& m : j["mappings"])
        if (m["path"].get<std::string>().starts_with(dir))
            rows.emplace_back(m["path"], m["deleted"]);
    std::sort(rows.begin(), rows.end());
    return rows;
}

TEST_F(MarkNames, ALiveProcessGivesTheTrueNames) {
    const MappingChild child({fake, literal, gone}, {gone});
    const std::vector<std::pair<std::string, bool>> want = {
        {fake, false}, {gone, true}, {literal, false}};
    // From /proc/PID/maps.
    const RunResult r = cli({"--json", child.pid_text()});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const json j = json::parse(r.out);
    EXPECT_EQ(rows_in(j, dir.path().string()), want);
    EXPECT_EQ(j["warnings"], json::array());

    // From /proc/PID/smaps, through a snapshot (whose rows say deleted in their flags).
    const RunResult s = cli({"save", child.pid_text()});
    ASSERT_EQ(s.status, 0) << s.err;
    EXPECT_EQ(s.err, "");
    std::vector<std::pair<std::string, bool>> saved;
    const json snapshot = json::parse(s.out);
    for (const json& row : snapshot["rows"])
        if (row["path"].is_string() &&
            row["path"].get<std::string>().starts_with(dir.path().string()))
            saved.emplace_back(row["path"], row["flags"] == json::array({"deleted"}));
    std::sort(saved.begin(), saved.end());
    EXPECT_EQ(saved, want);
}

TEST_F(MarkNames, SavedTextSaysTheNamesAreAmbiguous) {
    const MappingChild child({fake, literal}, {});
    const std::string text = slurp("/proc/" + child.pid_text() + "/maps");
    std::string mine;  // the two rows of the files, as the kernel wrote them
    for (const std::string& line : lines(text))
        if (line.find(dir.path().string()) != std::string::npos) mine += line + "\n";
    ASSERT_EQ(lines(mine).size(), 2u) << mine;
    write_text(dir / "saved.maps", mine);
    const RunResult r = cli({"--json", dir / "saved.maps"});
    EXPECT_EQ(r.status, 0);
    const std::size_t column = mine.find('/') + 1;
    EXPECT_EQ(r.err, fmt::format("vmatlas: warning: line 1, column {}: this row's name and 1 more "
                                 "end in \" (deleted)\" or hold a backslash and 012, which the "
                                 "kernel writes for a deleted file and a newline but a file's own "
                                 "name may hold: read as the kernel's marks, unchecked (the files "
                                 "are not at hand)\n",
                                 column));
    // Read as the kernel's marks, as said: the text alone cannot tell.
    const std::vector<std::pair<std::string, bool>> marks = {{dir / "fake", true},
                                                             {dir / "lit\neral", false}};
    EXPECT_EQ(rows_in(json::parse(r.out), dir.path().string()), marks);
}

TEST(InvisibleNames, AreEscapedInTablesSoThatNoNamePassesForAnother) {
    TempDir dir("vmatlas names");
    // U+200B, U+200D, U+FEFF, U+2028, U+2029 and a tag character (U+E0041) in names that would
    // otherwise print as "/tmp/ab".
    write_text(dir / "names.maps",
               "1000-2000 r--p 00000000 00:00 0 /tmp/a\xe2\x80\x8b"
               "b\n"
               "2000-3000 r--p 00000000 00:00 0 /tmp/a\xe2\x80\x8d"
               "b\n"
               "3000-4000 r--p 00000000 00:00 0 /tmp/a\xef\xbb\xbf"
               "b\n"
               "4000-5000 r--p 00000000 00:00 0 /tmp/a\xe2\x80\xa8"
               "b\n"
               "5000-6000 r--p 00000000 00:00 0 /tmp/a\xe2\x80\xa9"
               "b\n"
               "6000-7000 r--p 00000000 00:00 0 /tmp/a\xf3\xa0\x81\x81"
               "b\n"
               "7000-8000 r--p 00000000 00:00 0 /tmp/ab\n");
    const RunResult r = cli({"mappings", dir / "names.maps"});
    EXPECT_EQ(r.status, 0) << r.err;
    for (const std::string escaped : {"/tmp/a\\u200bb", "/tmp/a\\u200db", "/tmp/a\\ufeffb",
                                      "/tmp/a\\u2028b", "/tmp/a\\u2029b", "/tmp/a\\U000e0041b"})
        EXPECT_NE(r.out.find(escaped), std::string::npos) << escaped << " in\n" << r.out;
    // Nothing invisible is left in the table.
    for (const std::string raw : {"\xe2\x80\x8b", "\xe2\x80\x8d", "\xef\xbb\xbf", "\xe2\x80\xa8",
                                  "\xe2\x80\xa9", "\xf3\xa0\x81\x81"})
        EXPECT_EQ(r.out.find(raw), std::string::npos);
}

}  // namespace
}  // namespace vmtest
