// Golden cases of the command: a cases.txt whose lines are `NAME | ARGS [< STDIN_FILE]` (blank
// lines and `#` comments skipped; "double quotes" keep blanks inside one argument), each run in a
// given directory and compared byte for byte with NAME.out: stdout, then stderr after a
// `--- stderr` line, then `--- exit N`. VMATLAS_UPDATE_GOLDEN=1 writes the files instead (then
// read the diff).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/run.hpp"

namespace vmtest {

struct GoldenCase {
    std::string name;
    std::vector<std::string> args;
    std::string stdin_file;  // relative to the directory the case runs in; "" for none
};

// gtest names a failed case by this, not by its bytes.
inline void PrintTo(const GoldenCase& c, std::ostream* os) {
    *os << c.name;
}

// Splits on blanks; "double quotes" keep blanks inside one argument.
inline std::vector<std::string> split_args(const std::string& s) {
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

// The cases of a cases.txt; throws when it cannot be read, so that a suite never passes empty.
inline std::vector<GoldenCase> load_golden_cases(const std::string& cases_txt) {
    std::ifstream in(cases_txt);
    if (!in) throw std::runtime_error("cannot read " + cases_txt);
    std::vector<GoldenCase> cases;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto bar = line.find('|');
        if (bar == std::string::npos) continue;
        GoldenCase c;
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

// A case's name as a gtest parameter name: letters and digits, '_' for the rest.
inline std::string golden_test_name(const ::testing::TestParamInfo<GoldenCase>& info) {
    std::string n = info.param.name;
    for (char& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return n;
}

// What the command printed for the case, run in dir, as a .out file holds it.
inline std::string run_golden_case(const GoldenCase& c, const std::string& dir) {
    std::string input;
    if (!c.stdin_file.empty()) {
        input = slurp(dir + "/" + c.stdin_file);
        if (input.empty()) throw std::runtime_error("no stdin file " + c.stdin_file);
    }
    const auto r = vmatlas(c.args, input, [&] {
        if (chdir(dir.c_str()) != 0) _exit(126);
    });
    return r.out + "--- stderr\n" + r.err + "--- exit " + std::to_string(r.status) + "\n";
}

inline bool updating_golden() {
    const char* u = std::getenv("VMATLAS_UPDATE_GOLDEN");
    return u && *u;
}

// Compares got with the file at path (or writes it, and skips).
inline void expect_golden(const std::string& path, const std::string& got) {
    if (updating_golden()) {
        write_text(path, got);
        GTEST_SKIP() << "wrote " << path;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "no golden file " << path << " (run with VMATLAS_UPDATE_GOLDEN=1)";
    EXPECT_EQ(got, slurp(path)) << "golden " << path;
}

// Every case has its .out file (the suite's MatchesItsOutFile) and every .out file in dir is a
// case's or one of `others` (the names of files other tests write there); names are unique and
// there is at least one case.
inline void expect_every_out_file_is_a_case(const std::vector<GoldenCase>& cases,
                                            const std::string& dir,
                                            const std::set<std::string>& others = {}) {
    std::set<std::string> names, outs;
    for (const GoldenCase& c : cases) EXPECT_TRUE(names.insert(c.name).second) << c.name;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".out" && !others.contains(e.path().stem().string()))
            outs.insert(e.path().stem().string());
    EXPECT_EQ(names, outs);
    EXPECT_FALSE(names.empty());
}

}  // namespace vmtest
