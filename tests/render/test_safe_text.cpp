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

// plain_run() looks at eight bytes at a time: every byte value, at every place in a word and in
// the tail after the last whole word, must stop the run exactly where a byte-by-byte look does.
TEST(SafeText, PlainRunStopsAtTheFirstByteThatNeedsAnEscape) {
    auto bytewise = [](std::string_view s) {
        std::size_t i = 0;
        while (i < s.size() && static_cast<unsigned char>(s[i]) >= 0x20 &&
               static_cast<unsigned char>(s[i]) < 0x7f && s[i] != '\\')
            ++i;
        return i;
    };
    for (int byte = 0; byte < 256; ++byte) {
        for (std::size_t at = 0; at < 19; ++at) {
            std::string s(19, 'a');
            s[at] = static_cast<char>(byte);
            ASSERT_EQ(plain_run(s), bytewise(s)) << "byte " << byte << " at " << at;
            // A second odd byte after it must not move the stop.
            if (at + 1 < s.size()) s[at + 1] = '\x01';
            ASSERT_EQ(plain_run(s), bytewise(s)) << "byte " << byte << " at " << at;
            ASSERT_EQ(is_plain_text(s), bytewise(s) == s.size());
        }
    }
    EXPECT_EQ(plain_run(""), 0u);
    EXPECT_EQ(plain_run("~ }"), 3u);
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

// A CSV field: escaped for the terminal first, then quoted only when a comma or a quote needs it,
// appended after what the line already holds.
TEST(CsvField, QuotedOnlyWhenItMustBe) {
    auto csv = [](std::string_view s) {
        std::string out = "a,";
        append_csv_field(out, s);
        return out;
    };
    EXPECT_EQ(csv("/usr/lib/libc.so.6"), "a,/usr/lib/libc.so.6");
    EXPECT_EQ(csv(""), "a,");
    EXPECT_EQ(csv("x,y"), "a,\"x,y\"");
    EXPECT_EQ(csv("say \"hi\""), "a,\"say \"\"hi\"\"\"");
    EXPECT_EQ(csv("new\nline, \x1b[31m"), "a,\"new\\nline, \\x1b[31m\"");
    EXPECT_EQ(csv("back\\slash"), "a,back\\\\slash");
}

}  // namespace
}  // namespace vmatlas
