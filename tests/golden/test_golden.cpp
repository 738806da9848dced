// Golden tests: every case of cases.txt, run from this directory, must print exactly NAME.out.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "integration/harness.hpp"

namespace {

struct Case {
    std::string name;
    std::vector<std::string> args;
};

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

std::vector<Case> load_cases() {
    std::ifstream in(std::string(VMATLAS_GOLDEN_DIR) + "/cases.txt");
    std::vector<Case> cases;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto bar = line.find('|');
        if (bar == std::string::npos) continue;
        std::string name = line.substr(0, bar);
        name.erase(name.find_last_not_of(' ') + 1);
        cases.push_back({name, split_args(line.substr(bar + 1))});
    }
    return cases;
}

class Golden : public ::testing::TestWithParam<Case> {};

TEST_P(Golden, MatchesItsOutFile) {
    const Case& c = GetParam();
    const std::string dir = VMATLAS_GOLDEN_DIR;
    const auto r = vmtest::vmatlas(c.args, {}, [&] {
        if (chdir(dir.c_str()) != 0) _exit(126);
    });
    const std::string got =
        r.out + "--- stderr\n" + r.err + "--- exit " + std::to_string(r.status) + "\n";
    const std::string path = dir + "/" + c.name + ".out";
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

INSTANTIATE_TEST_SUITE_P(Cases, Golden, ::testing::ValuesIn(load_cases()), [](const auto& info) {
    std::string n = info.param.name;
    for (char& ch : n)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return n;
});

}  // namespace
