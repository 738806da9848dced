// LabelName: a label's text, inline up to 23 bytes, on the heap past that.
#include <gtest/gtest.h>

#include <sstream>
#include <utility>
#include <vector>

#include "vmatlas/annotations.hpp"
#include "vmatlas/label_name.hpp"

namespace vmatlas {
namespace {

TEST(LabelName, HoldsShortAndLongTextAlike) {
    const std::string longest_inline(LabelName::kInline, 'x');
    const std::string first_on_heap(LabelName::kInline + 1, 'y');
    const std::string anon80 = "[anon:" + std::string(80, 'z') + "]";
    for (const std::string& text :
         {std::string(), std::string("bss"), longest_inline, first_on_heap, anon80}) {
        const LabelName n(text);
        EXPECT_EQ(n.view(), text);
        EXPECT_EQ(n.size(), text.size());
        EXPECT_EQ(n.empty(), text.empty());
        EXPECT_EQ(n, text);
        EXPECT_EQ(n.str(), text);
    }
}

TEST(LabelName, CopiesAndMovesKeepTheText) {
    const std::string long_text = "[anon:a name longer than twenty-three bytes]";
    std::vector<LabelName> names = {LabelName("[heap]"), LabelName(long_text)};
    std::vector<LabelName> copies = names;  // deep copies: each owns its heap text
    names.clear();
    EXPECT_EQ(copies[0], "[heap]");
    EXPECT_EQ(copies[1], long_text);

    LabelName moved = std::move(copies[1]);
    EXPECT_EQ(moved, long_text);
    EXPECT_TRUE(copies[1].empty());  // NOLINT: a moved-from name is empty

    LabelName assigned("stack tid=7");
    assigned = moved;  // short from long
    EXPECT_EQ(assigned, long_text);
    assigned = LabelName("gap");  // long from short
    EXPECT_EQ(assigned, "gap");
    assigned = assigned;  // NOLINT: self-assignment keeps the text
    EXPECT_EQ(assigned, "gap");
}

TEST(LabelName, SearchesAndPrintsLikeAString) {
    const LabelName n("stack tid=4242");
    EXPECT_TRUE(n.starts_with("stack tid="));
    EXPECT_TRUE(n.ends_with("4242"));
    EXPECT_EQ(n.find("tid"), 6u);
    std::ostringstream os;
    os << n;
    EXPECT_EQ(os.str(), "stack tid=4242");
    EXPECT_EQ("name: " + n, "name: stack tid=4242");
}

TEST(LabelName, PwndbgAnonNamesFitInline) {
    // The longest user-space address on x86-64 makes a 16-byte name: inside the 23.
    const LabelName n = anon_name(0x7fffffffe000);
    EXPECT_EQ(n, "[anon_7fffffffe]");
    EXPECT_LE(n.size(), LabelName::kInline);
    EXPECT_EQ(anon_name(0xffffffffff600000), "[anon_ffffffffff600]");
}

}  // namespace
}  // namespace vmatlas
