// The eight-digits-at-a-time hex reader of the maps parser (src/sources/hex_run.hpp), against
// std::from_chars on the same text.
#include <charconv>
#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "sources/hex_run.hpp"

namespace vmatlas::detail {
namespace {

bool is_lower_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// What lower_hex_run must return for text (at least 17 bytes), found digit by digit.
int expected_run(const std::string& text, std::uint64_t& value) {
    int n = 0;
    while (n < static_cast<int>(text.size()) && is_lower_hex(static_cast<unsigned char>(text[n])))
        ++n;
    if (n < 8 || n > 16) return 0;
    std::from_chars(text.data(), text.data() + n, value, 16);
    return n;
}

void expect_same(const std::string& text) {
    ASSERT_GE(text.size(), 17u);
    std::uint64_t want = 0, got = 0;
    const int n = expected_run(text, want);
    SCOPED_TRACE(text);
    ASSERT_EQ(lower_hex_run(text.data(), got), n);
    if (n > 0) {
        EXPECT_EQ(got, want);
    }
}

TEST(HexRun, EveryByteValueInEveryPosition) {
    // Each of the 17 bytes the reader looks at, set to each of the 256 values in turn, in a run
    // of 16 digits: only the lower-case digits may count, and the run ends at anything else.
    const std::string digits = "0123456789abcdef-";
    for (std::size_t at = 0; at < 17; ++at) {
        for (int b = 0; b < 256; ++b) {
            std::string text = digits;
            text[at] = static_cast<char>(b);
            expect_same(text + "      ");
        }
    }
    EXPECT_EQ(lower_hex_bytes(load8("09af:`g/")), 0x0000000080808080ULL);
}

TEST(HexRun, EveryLengthAndValue) {
    std::mt19937_64 random(12345);
    for (int length = 1; length <= 17; ++length) {
        for (int trial = 0; trial < 200; ++trial) {
            std::uint64_t v = random();
            std::string text;
            for (int k = 0; k < length; ++k, v >>= 4)
                text.insert(text.begin(), "0123456789abcdef"[trial == 0   ? 15
                                                             : trial == 1 ? 0
                                                                          : v & 15]);
            expect_same(text + " rw-p 00000000 00:00 0");
        }
    }
}

TEST(HexRun, UpperCaseIsLeftToTheDigitByDigitReader) {
    std::uint64_t v = 0;
    EXPECT_EQ(lower_hex_run("7F35F09A3000-7f35f09a4000", v), 0);
    EXPECT_EQ(lower_hex_run("7f35f09a3000-7f35f09a4000", v), 12);
    EXPECT_EQ(v, 0x7f35f09a3000u);
}

}  // namespace
}  // namespace vmatlas::detail
