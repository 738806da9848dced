// Golden tests of the default view and of the command line: every case of cases.txt, run from
// this directory, must print exactly NAME.out (support/golden.hpp).
#include <gtest/gtest.h>

#include "support/golden.hpp"

namespace {

const std::string kDir = VMATLAS_GOLDEN_DIR;

const std::vector<vmtest::GoldenCase>& cases() {
    static const auto all = vmtest::load_golden_cases(kDir + "/cases.txt");
    return all;
}

class Golden : public ::testing::TestWithParam<vmtest::GoldenCase> {};

TEST_P(Golden, MatchesItsOutFile) {
    const vmtest::GoldenCase& c = GetParam();
    vmtest::expect_golden(kDir + "/" + c.name + ".out", vmtest::run_golden_case(c, kDir));
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, ::testing::ValuesIn(cases()), vmtest::golden_test_name);

TEST(GoldenCases, EveryOutFileIsACase) {
    vmtest::expect_every_out_file_is_a_case(cases(), kDir);
}

}  // namespace
