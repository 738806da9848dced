// ShortText: a short text kept in every row (a label's name, VmFlags), inline up to 23 bytes, on
// the heap past that.
#include <gtest/gtest.h>

#include <sstream>
#include <utility>
#include <vector>

#include "vmatlas/annotations.hpp"
#include "vmatlas/short_text.hpp"

namespace vmatlas {
namespace {

TEST(ShortText, HoldsShortAndLongTextAlike) {
    const std::string longest_inline(ShortText::kInline, 'x');
    const std::string first_on_heap(ShortText::kInline + 1, 'y');
    const std::string anon80 = "[anon:" + std::string(80, 'z') + "]";
    for (const std::string& text :
         {std::string(), std::string("bss"), longest_inline, first_on_heap, anon80}) {
        const ShortText n(text);
        EXPECT_EQ(n.view(), text);
        EXPECT_EQ(n.size(), text.size());
        EXPECT_EQ(n.empty(), text.empty());
        EXPECT_EQ(n, text);
        EXPECT_EQ(n.str(), text);
    }
}

TEST(ShortText, CopiesAndMovesKeepTheText) {
    const std::string long_text = "[anon:a name longer than twenty-three bytes]";
    std::vector<ShortText> names = {ShortText("[heap]"), ShortText(long_text)};
    std::vector<ShortText> copies = names;  // deep copies: each owns its heap text
    names.clear();
    EXPECT_EQ(copies[0], "[heap]");
    EXPECT_EQ(copies[1], long_text);

    ShortText moved = std::move(copies[1]);
    EXPECT_EQ(moved, long_text);
    EXPECT_TRUE(copies[1].empty());  // NOLINT: a moved-from name is empty

    ShortText assigned("stack tid=7");
    assigned = moved;  // short from long
    EXPECT_EQ(assigned, long_text);
    assigned = ShortText("gap");  // long from short
    EXPECT_EQ(assigned, "gap");
    assigned = assigned;  // NOLINT: self-assignment keeps the text
    EXPECT_EQ(assigned, "gap");

    // The same on the heap, where a careless release-then-copy would read freed memory.
    ShortText heap(long_text);
    heap = heap;  // NOLINT
    EXPECT_EQ(heap, long_text);
    heap = std::move(heap);  // NOLINT: self-move leaves it as it was
    EXPECT_EQ(heap, long_text);
    ShortText other("[anon:another name that is longer than twenty-three]");
    other = heap;  // heap to heap
    EXPECT_EQ(other, long_text);
    EXPECT_NE(other.data(), heap.data());  // its own copy
}

TEST(ShortText, SearchesAndPrintsLikeAString) {
    const ShortText n("stack tid=4242");
    EXPECT_TRUE(n.starts_with("stack tid="));
    EXPECT_TRUE(n.ends_with("4242"));
    EXPECT_EQ(n.find("tid"), 6u);
    std::ostringstream os;
    os << n;
    EXPECT_EQ(os.str(), "stack tid=4242");
    EXPECT_EQ("name: " + n, "name: stack tid=4242");
}

TEST(ShortText, PwndbgAnonNamesFitInline) {
    // The longest user-space address on x86-64 makes a 16-byte name: inside the 23.
    const ShortText n = anon_name(0x7fffffffe000);
    EXPECT_EQ(n, "[anon_7fffffffe]");
    // Its text lies inside the object: no allocation.
    const auto* object = reinterpret_cast<const char*>(&n);
    EXPECT_GE(n.data(), object);
    EXPECT_LE(n.data() + n.size(), object + sizeof n);
    EXPECT_EQ(anon_name(0xffffffffff600000), "[anon_ffffffffff600]");
}

}  // namespace
}  // namespace vmatlas
