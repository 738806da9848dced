// Golden tests of `vmatlas diff`: every case of golden/cases.txt, run in fixtures/, must print
// exactly golden/NAME.out (stdout, then stderr after "--- stderr", then "--- exit N").
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "integration/harness.hpp"

namespace {

struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string stdin_file;  // "< FILE" at the end of the line: FILE on standard input
};

// gtest names a failed case by this, not by its bytes.
void PrintTo(const Case& c, std::ostream* os) {
    *os << c.name;
}

// Splits on blanks; "double quotes" keep blanks inside one argument.
std::vector<std::string> split_args(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false, any = false;
    for (char c : s) {
        if (c == '"') {
            quoted = !quoted;
            any = true;
        } else if ((c == ' ' || c == '\t') && !quoted) {
            if (any) out.push_back(cur);
            cur.clear();
            any = false;
        } else {
            cur.push_back(c);
            any = true;
        }
    }
    if (any) out.push_back(cur);
    return out;
}

const std::string kDir = VMATLAS_DIFF_DIR;

std::vector<Case> load_cases() {
    std::ifstream in(kDir + "/golden/cases.txt");
    std::vector<Case> cases;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto bar = line.find('|');
        if (bar == std::string::npos) continue;
        Case c;
        c.name = line.substr(0, bar);
        c.name.erase(c.name.find_last_not_of(' ') + 1);
        std::string args = line.substr(bar + 1);
        if (const auto lt = args.find(" < "); lt != std::string::npos) {
            c.stdin_file = args.substr(lt + 3);
            args.resize(lt);
        }
        c.args = split_args(args);
        cases.push_back(std::move(c));
    }
    return cases;
}

class DiffGolden : public ::testing::TestWithParam<Case> {};

TEST_P(DiffGolden, MatchesItsOutFile) {
    const Case& c = GetParam();
    const std::string fixtures = kDir + "/fixtures";
    std::string input;
    if (!c.stdin_file.empty()) {
        input = vmtest::slurp(fixtures + "/" + c.stdin_file);
        ASSERT_FALSE(input.empty()) << "no stdin file " << c.stdin_file;
    }
    const auto r = vmtest::vmatlas(c.args, input, [&] {
        if (chdir(fixtures.c_str()) != 0) _exit(126);
    });
    const std::string got =
        r.out + "--- stderr\n" + r.err + "--- exit " + std::to_string(r.status) + "\n";
    const std::string path = kDir + "/golden/" + c.name + ".out";
    if (const char* u = std::getenv("VMATLAS_UPDATE_GOLDEN"); u && *u) {
        std::ofstream(path, std::ios::binary) << got;
        GTEST_SKIP() << "wrote " << path;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "no golden file " << path << " (run with VMATLAS_UPDATE_GOLDEN=1)";
    std::stringstream want;
    want << in.rdbuf();
    EXPECT_EQ(got, want.str()) << "case " << c.name;
}

INSTANTIATE_TEST_SUITE_P(Cases, DiffGolden, ::testing::ValuesIn(load_cases()),
                         [](const auto& info) {
                             std::string n = info.param.name;
                             for (char& ch : n)
                                 if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return n;
                         });

// Every case has its .out file (MatchesItsOutFile) and every .out file its case: a missing or
// unreadable cases.txt would otherwise make this suite pass by running nothing.
TEST(DiffGoldenCases, EveryOutFileIsACase) {
    std::set<std::string> cases, outs;
    for (const Case& c : load_cases()) EXPECT_TRUE(cases.insert(c.name).second) << c.name;
    for (const auto& e : std::filesystem::directory_iterator(kDir + "/golden"))
        if (e.path().extension() == ".out") outs.insert(e.path().stem().string());
    EXPECT_EQ(cases, outs);
    EXPECT_FALSE(cases.empty());
}

}  // namespace
