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

// The UTF-8 bytes of a code point.
std::string utf8(char32_t cp) {
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xc0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        s += static_cast<char>(0xe0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        s += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        s += static_cast<char>(0xf0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        s += static_cast<char>(0x80 | (cp & 0x3f));
    }
    return s;
}

// Characters that print as nothing (or move text) would let one file name pass for another:
// every one is escaped, and counted as wide as its escape.
TEST(SafeText, InvisibleAndFormatCharactersAreEscaped) {
    struct Case {
        char32_t cp;
        const char* escaped;
    };
    const Case cases[] = {
        {0x00ad, "\\u00ad"},       // soft hyphen
        {0x061c, "\\u061c"},       // Arabic letter mark
        {0x180e, "\\u180e"},       // Mongolian vowel separator
        {0x200b, "\\u200b"},       // zero width space
        {0x200c, "\\u200c"},       // zero width non-joiner
        {0x200d, "\\u200d"},       // zero width joiner
        {0x200e, "\\u200e"},       // left-to-right mark
        {0x2028, "\\u2028"},       // line separator
        {0x2029, "\\u2029"},       // paragraph separator
        {0x2060, "\\u2060"},       // word joiner
        {0x2064, "\\u2064"},       // invisible plus
        {0x2066, "\\u2066"},       // left-to-right isolate
        {0x206f, "\\u206f"},       // nominal digit shapes
        {0xfeff, "\\ufeff"},       // zero width no-break space, the byte order mark
        {0xfff9, "\\ufff9"},       // interlinear annotation anchor
        {0x110bd, "\\U000110bd"},  // Kaithi number sign
        {0x1d173, "\\U0001d173"},  // musical symbol begin beam
        {0xe0000, "\\U000e0000"},  // the tags block, from its first code point
        {0xe0001, "\\U000e0001"},  // language tag
        {0xe0041, "\\U000e0041"},  // tag latin capital letter a
        {0xe007f, "\\U000e007f"},  // cancel tag
    };
    for (const Case& c : cases) {
        std::size_t cols = 0;
        const std::string name = "/tmp/a" + utf8(c.cp) + "b";
        EXPECT_EQ(safe(name, &cols), std::string("/tmp/a") + c.escaped + "b")
            << std::hex << static_cast<unsigned>(c.cp);
        EXPECT_EQ(cols, 7 + std::string_view(c.escaped).size())
            << std::hex << static_cast<unsigned>(c.cp);
        EXPECT_EQ(safe_width(name), cols) << std::hex << static_cast<unsigned>(c.cp);
    }
    // Their neighbours, visible characters, stay as they are, one column each.
    for (const char32_t cp : {0x00ac, 0x00ae, 0x200a, 0x2010, 0x2027, 0x2030, 0x205f, 0x2070,
                              0xfefe, 0xff00, 0xe0080, 0xe0100}) {
        std::size_t cols = 0;
        EXPECT_EQ(safe(utf8(cp), &cols), utf8(cp)) << std::hex << static_cast<unsigned>(cp);
        EXPECT_EQ(cols, 1u) << std::hex << static_cast<unsigned>(cp);
    }
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
