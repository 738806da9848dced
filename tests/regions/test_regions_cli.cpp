// The command line on the regions fixtures: every case of golden/cases.txt, run from
// tests/fixtures, must print exactly golden/NAME.out (stdout, stderr and exit status), and a
// regions file on standard input must print what the same file does.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/golden.hpp"
#include "support/run.hpp"

namespace {

const std::string kGolden = VMATLAS_REGIONS_GOLDEN;
const std::string kFixtures = VMATLAS_FIXTURES;

vmtest::RunResult run_in_fixtures(const std::vector<std::string>& args,
                                  const std::string& stdin_text = {}) {
    return vmtest::vmatlas(args, stdin_text, [] {
        if (chdir(VMATLAS_FIXTURES) != 0) _exit(126);
    });
}

const std::vector<vmtest::GoldenCase>& cases() {
    static const auto all = vmtest::load_golden_cases(kGolden + "/cases.txt");
    return all;
}

class RegionsCli : public ::testing::TestWithParam<vmtest::GoldenCase> {};

TEST_P(RegionsCli, MatchesItsOutFile) {
    const vmtest::GoldenCase& c = GetParam();
    vmtest::expect_golden(kGolden + "/" + c.name + ".out", vmtest::run_golden_case(c, kFixtures));
}

INSTANTIATE_TEST_SUITE_P(Cases, RegionsCli, ::testing::ValuesIn(cases()), vmtest::golden_test_name);

TEST(RegionsCliCases, EveryOutFileIsACase) {
    vmtest::expect_every_out_file_is_a_case(cases(), kGolden);
}

TEST(RegionsCliStdin, StandardInputIsRecognizedToo) {
    const auto file = run_in_fixtures({"board.regions"});
    const auto piped = run_in_fixtures({"-"}, vmtest::slurp(kFixtures + "/board.regions"));
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
