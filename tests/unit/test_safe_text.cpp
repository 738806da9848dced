// Names a process chose are printed so that they cannot drive the terminal.
#include <gtest/gtest.h>

#include "render/safe_text.hpp"

namespace vmatlas {
namespace {

std::string safe(std::string_view s, std::size_t* cols = nullptr) {
    std::string out;
    const std::size_t n = append_safe(out, s);
    if (cols) *cols = n;
    return out;
}

std::string json(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

TEST(SafeText, PlainTextIsUnchanged) {
    std::size_t cols = 0;
    EXPECT_EQ(safe("/usr/lib/libc.so.6", &cols), "/usr/lib/libc.so.6");
    EXPECT_EQ(cols, 18u);
    EXPECT_EQ(safe("/tmp/a file with spaces"), "/tmp/a file with spaces");
}

TEST(SafeText, ControlsAndEscapesAreEscaped) {
    EXPECT_EQ(safe("a\nb\tc\rd"), "a\\nb\\tc\\rd");
    EXPECT_EQ(safe("\x1b[31mred"), "\\x1b[31mred");
    EXPECT_EQ(safe(std::string_view("nul\0x", 5)), "nul\\x00x");
    EXPECT_EQ(safe("del\x7f"), "del\\x7f");
    EXPECT_EQ(safe("back\\slash"), "back\\\\slash");
}

TEST(SafeText, Utf8KeptAndCountedByCodePoint) {
    std::size_t cols = 0;
    EXPECT_EQ(safe("/tmp/caf\xc3\xa9 \xe2\x96\xba", &cols), "/tmp/caf\xc3\xa9 \xe2\x96\xba");
    EXPECT_EQ(cols, 11u);
}

TEST(SafeText, InvalidUtf8AndDangerousCodePointsAreEscaped) {
    EXPECT_EQ(safe("bad\xff\xfe"), "bad\\xff\\xfe");
    EXPECT_EQ(safe("\xc0\xaf"), "\\xc0\\xaf");  // overlong '/'
    EXPECT_EQ(safe("\xc2\x9b"
                   "31m"),
              "\\u009b31m");  // C1 CSI
    EXPECT_EQ(safe("abc\xe2\x80\xae"
                   "fdp.exe"),
              "abc\\u202efdp.exe");                      // right-to-left override
    EXPECT_EQ(safe("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a UTF-16 surrogate
    EXPECT_EQ(safe("cut\xe2\x96"), "cut\\xe2\\x96");     // truncated sequence
}

TEST(JsonString, EscapesAsJsonDoes) {
    EXPECT_EQ(json("a\"b\\c"), "a\\\"b\\\\c");
    EXPECT_EQ(json("a\nb\x1b"), "a\\nb\\u001b");
    EXPECT_EQ(json("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(json("bad\xff"), "bad\xef\xbf\xbd");
}

}  // namespace
}  // namespace vmatlas
