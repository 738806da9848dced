// model/utf8.hpp: well-formed UTF-8 only, as RFC 3629 defines it.
#include <gtest/gtest.h>

#include <string>

#include "model/utf8.hpp"

namespace vmatlas {
namespace {

TEST(Utf8, WellFormedSequencesOfEveryLength) {
    EXPECT_TRUE(valid_utf8(""));
    EXPECT_TRUE(valid_utf8("/usr/lib/libc.so.6"));
    EXPECT_TRUE(valid_utf8("caf\xc3\xa9"));       // U+00E9
    EXPECT_TRUE(valid_utf8("\xe2\x80\x8b"));      // U+200B
    EXPECT_TRUE(valid_utf8("\xf0\x9f\x98\x80"));  // U+1F600
    EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last
    char32_t cp = 0;
    EXPECT_EQ(utf8_sequence("\xf0\x9f\x98\x80", 0, cp), 4u);
    EXPECT_EQ(cp, U'\U0001F600');
}

TEST(Utf8, IllFormedSequencesAreRefused) {
    EXPECT_FALSE(valid_utf8("\x80"));              // a continuation byte alone
    EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // an overlong '/'
    EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));      // an overlong '/' in three bytes
    EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // U+D800, a surrogate
    EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // U+110000, past the last
    EXPECT_FALSE(valid_utf8("caf\xc3"));           // cut short
    EXPECT_FALSE(valid_utf8("\xe2\x28\xa1"));      // a second byte that is no continuation
    char32_t cp = 0;
    EXPECT_EQ(utf8_sequence("\xc0\xaf", 0, cp), 0u);
}

}  // namespace
}  // namespace vmatlas
