// Golden tests of `vmatlas diff`: every case of golden/cases.txt, run in fixtures/, must print
// exactly golden/NAME.out (stdout, then stderr after "--- stderr", then "--- exit N").
#include <gtest/gtest.h>

#include "support/golden.hpp"

namespace {

const std::string kDir = VMATLAS_DIFF_DIR;

const std::vector<vmtest::GoldenCase>& cases() {
    static const auto all = vmtest::load_golden_cases(kDir + "/golden/cases.txt");
    return all;
}

class DiffGolden : public ::testing::TestWithParam<vmtest::GoldenCase> {};

TEST_P(DiffGolden, MatchesItsOutFile) {
    const vmtest::GoldenCase& c = GetParam();
    vmtest::expect_golden(kDir + "/golden/" + c.name + ".out",
                          vmtest::run_golden_case(c, kDir + "/fixtures"));
}

INSTANTIATE_TEST_SUITE_P(Cases, DiffGolden, ::testing::ValuesIn(cases()), vmtest::golden_test_name);

TEST(DiffGoldenCases, EveryOutFileIsACase) {
    vmtest::expect_every_out_file_is_a_case(cases(), kDir + "/golden");
}

}  // namespace
