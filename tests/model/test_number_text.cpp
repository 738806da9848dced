// The hex writers of every view, against snprintf.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "model/number_text.hpp"

namespace vmatlas {
namespace {

std::string printf_hex(std::uint64_t v, int digits) {
    char text[40];
    std::snprintf(text, sizeof text, "%0*llx", digits, static_cast<unsigned long long>(v));
    return text;
}

std::string put_hex(std::uint64_t v, int digits) {
    // Guard bytes either side: the writer must touch exactly `digits` bytes before end.
    std::string buf(40, '#');
    put_hex_before(buf.data() + 20, v, digits);
    EXPECT_EQ(buf.substr(0, 20 - static_cast<std::size_t>(digits)),
              std::string(20 - static_cast<std::size_t>(digits), '#'));
    EXPECT_EQ(buf.substr(20), std::string(20, '#'));
    return buf.substr(20 - static_cast<std::size_t>(digits), static_cast<std::size_t>(digits));
}

TEST(NumberText, HexDigitsCountsSignificantNibbles) {
    EXPECT_EQ(hex_digits(0), 1);
    EXPECT_EQ(hex_digits(0xf), 1);
    EXPECT_EQ(hex_digits(0x10), 2);
    EXPECT_EQ(hex_digits(0x7ffd12345000), 12);
    EXPECT_EQ(hex_digits(~0ULL), 16);
}

TEST(NumberText, PutHexBeforeMatchesPrintfForEveryWidth) {
    std::mt19937_64 rng(7);
    std::vector<std::uint64_t> values = {0,
                                         1,
                                         9,
                                         10,
                                         15,
                                         16,
                                         0xabcdef,
                                         0x7fffffff,
                                         0x80000000,
                                         0xffffffff,
                                         0x100000000,
                                         ~0ULL,
                                         0x0123456789abcdefULL};
    for (int k = 0; k < 2000; ++k) values.push_back(rng() >> (k % 64));
    for (const std::uint64_t v : values)
        for (int digits = hex_digits(v); digits <= 16; ++digits)
            ASSERT_EQ(put_hex(v, digits), printf_hex(v, digits)) << v << " " << digits;
}

TEST(NumberText, UpperCaseHexMatchesPrintf) {
    for (const std::uint64_t v : {0ULL, 0xaULL, 0xabcULL, 0xdeadbeefULL, 0x7ffdabcdef01ULL, ~0ULL})
        for (int digits = hex_digits(v); digits <= 16; ++digits) {
            char buf[16];
            put_hex_before(buf + 16, v, digits, true);
            char want[24];
            std::snprintf(want, sizeof want, "%0*llX", digits, static_cast<unsigned long long>(v));
            ASSERT_EQ(std::string(buf + 16 - digits, static_cast<std::size_t>(digits)), want);
        }
}

TEST(NumberText, AppendHexPadsToTheMinimumAndAddressesArePrefixed) {
    std::string s;
    append_hex(s, 0x5, 2);
    append_hex(s, 0xabc);
    append_hex(s, 0, 0);
    append_address(s, 0x7f0000001000);
    EXPECT_EQ(s, "05abc00x7f0000001000");
}

}  // namespace
}  // namespace vmatlas
