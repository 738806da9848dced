// TextInput (src/sources/text_input.hpp): the input handed on piece by piece, from its start
// past a byte order mark, whatever happens to the object in between.
#include <gtest/gtest.h>

#include <fstream>

#include "core/core_support.hpp"
#include "sources/text_input.hpp"

namespace vmtest {
namespace {

// A text of n bytes, no two neighbouring blocks alike.
std::string text_of(std::size_t n) {
    std::string text;
    for (std::size_t i = 0; text.size() < n; ++i) text += std::to_string(i) + "\n";
    text.resize(n);
    return text;
}

std::string file_with(const TempDir& dir, const std::string& bytes) {
    const std::string path = dir / "input";
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

TEST(TextInput, AMovedInputGoesOnWhereItWas) {
    TempDir dir("vmatlas input");
    const std::string text = text_of(600 * 1024);  // more than two of its 256 KiB blocks
    auto opened = vmatlas::TextInput::open(file_with(dir, text));
    ASSERT_TRUE(opened);
    auto first = opened->next_piece();
    ASSERT_TRUE(first);
    std::string got(*first);
    ASSERT_LT(got.size(), text.size());
    vmatlas::TextInput moved = std::move(*opened);
    for (;;) {
        auto piece = moved.next_piece();
        ASSERT_TRUE(piece);
        if (piece->empty()) break;
        got += *piece;
    }
    EXPECT_EQ(got.size(), text.size());
    EXPECT_TRUE(got == text);
}

TEST(TextInput, AByteOrderMarkIsSkippedOnceAtTheStart) {
    TempDir dir("vmatlas input");
    const std::string bom = "\xef\xbb\xbf";
    auto in = vmatlas::TextInput::open(file_with(dir, bom + "1000-2000 r--p 0 0:0 0\n" + bom));
    ASSERT_TRUE(in);
    auto head = in->head(4);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->substr(0, 4), "1000");
    std::string got;
    const auto end = in->pump([&](std::string_view piece) { got += piece; }, [] { return 0; });
    EXPECT_EQ(end.stop, vmatlas::TextInput::Stop::End);
    EXPECT_EQ(got, "1000-2000 r--p 0 0:0 0\n" + bom);  // only the first is a mark
}

}  // namespace
}  // namespace vmtest
