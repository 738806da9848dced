// The command line on the regions fixtures: every case of golden/cases.txt, run from
// tests/fixtures, must print exactly golden/NAME.out (stdout, stderr and exit status), and a
// regions file on standard input must print what the same file does.
// VMATLAS_UPDATE_GOLDEN=1 rewrites the files instead (then read the diff).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "integration/harness.hpp"

namespace {

const std::string kGolden = VMATLAS_REGIONS_GOLDEN;
const std::string kFixtures = VMATLAS_FIXTURES;

struct Case {
    std::string name;
    std::vector<std::string> args;
};

// Test names show the case, not its bytes.
void PrintTo(const Case& c, std::ostream* os) {
    *os << c.name;
}

std::vector<std::string> split_args(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string word; in >> word;) out.push_back(word);
    return out;
}

std::vector<Case> load_cases() {
    std::ifstream in(kGolden + "/cases.txt");
    std::vector<Case> cases;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        const auto bar = line.find('|');
        if (bar == std::string::npos) continue;
        std::string name = line.substr(0, bar);
        name.erase(name.find_last_not_of(' ') + 1);
        cases.push_back({name, split_args(line.substr(bar + 1))});
    }
    return cases;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

vmtest::RunResult run_in_fixtures(const std::vector<std::string>& args,
                                  const std::string& stdin_text = {}) {
    return vmtest::vmatlas(args, stdin_text, [] {
        if (chdir(VMATLAS_FIXTURES) != 0) _exit(126);
    });
}

class RegionsCli : public ::testing::TestWithParam<Case> {};

TEST_P(RegionsCli, MatchesItsOutFile) {
    const Case& c = GetParam();
    const auto r = run_in_fixtures(c.args);
    const std::string got =
        r.out + "--- stderr\n" + r.err + "--- exit " + std::to_string(r.status) + "\n";
    const std::string path = kGolden + "/" + c.name + ".out";
    if (const char* u = std::getenv("VMATLAS_UPDATE_GOLDEN"); u && *u) {
        std::ofstream(path, std::ios::binary) << got;
        GTEST_SKIP() << "wrote " << path;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "no golden file " << path << " (run with VMATLAS_UPDATE_GOLDEN=1)";
    EXPECT_EQ(got, slurp(path)) << "case " << c.name;
}

INSTANTIATE_TEST_SUITE_P(Cases, RegionsCli, ::testing::ValuesIn(load_cases()),
                         [](const auto& info) {
                             std::string n = info.param.name;
                             for (char& ch : n)
                                 if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return n;
                         });

TEST(RegionsCliStdin, StandardInputIsRecognizedToo) {
    const auto file = run_in_fixtures({"board.regions"});
    const auto piped = run_in_fixtures({"-"}, slurp(kFixtures + "/board.regions"));
    EXPECT_EQ(piped.status, 0) << piped.err;
    EXPECT_EQ(piped.err, "");
    EXPECT_EQ(piped.out, file.out);
    EXPECT_NE(piped.out.find("[mmio:gpioa]"), std::string::npos);
}

TEST(RegionsCliViews, AddIsAcceptedByEveryView) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"host.maps"},
                                                 {"pmap", "host.maps"},
                                                 {"mappings", "host.maps"},
                                                 {"summary", "host.maps"}}) {
        std::vector<std::string> with = args;
        with.insert(with.end(), {"--add", "extra.regions"});
        const auto r = run_in_fixtures(with);
        SCOPED_TRACE(with[0]);
        EXPECT_EQ(r.status, 9) << r.err;  // extra.regions has one overlapping region
        EXPECT_NE(r.out.find("firmware.elf"), std::string::npos) << r.out;
        EXPECT_NE(r.err.find("(in extra.regions)"), std::string::npos) << r.err;
    }
}

}  // namespace
