// Populating pages ahead of their first write: the pages asked for become present, the contents
// are those a plain push_back or resize gives, and a vector that moves is followed.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <new>
#include <vector>

#include <gtest/gtest.h>

#include "vmatlas/populate.hpp"

namespace {

const std::size_t kPage = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));

std::uintptr_t page_of(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p) & ~(kPage - 1);
}

// How many of the pages that hold [begin, end) there are, and how many are resident (mincore).
std::size_t pages_holding(const void* begin, const void* end) {
    return (page_of(static_cast<const char*>(end) + kPage - 1) - page_of(begin)) / kPage;
}
std::size_t resident_pages(const void* begin, const void* end) {
    const auto lo = page_of(begin);
    const auto hi = page_of(static_cast<const char*>(end) + kPage - 1);
    if (hi <= lo) return 0;
    std::vector<unsigned char> in((hi - lo) / kPage);
    if (mincore(reinterpret_cast<void*>(lo), hi - lo, in.data()) != 0) return 0;
    std::size_t n = 0;
    for (unsigned char c : in) n += c & 1;
    return n;
}

// A fresh anonymous mapping: none of its pages is resident until written or populated.
struct FreshPages {
    explicit FreshPages(std::size_t pages) : size(pages * kPage) {
        base = static_cast<char*>(
            mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    }
    ~FreshPages() { munmap(base, size); }
    char* base;
    std::size_t size;
};

// Gives every allocation fresh pages of its own, as glibc does for big blocks, but sure to.
template <class T>
struct FreshAllocator {
    using value_type = T;
    FreshAllocator() = default;
    template <class U>
    FreshAllocator(const FreshAllocator<U>&) {}
    T* allocate(std::size_t n) {
        void* p = mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        madvise(p, n * sizeof(T), MADV_NOHUGEPAGE);  // one fault must not bring in 2 MB
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t n) { munmap(p, n * sizeof(T)); }
    friend bool operator==(const FreshAllocator&, const FreshAllocator&) { return true; }
};

bool kernel_populates() {
    FreshPages probe(1);
    return madvise(probe.base, probe.size, MADV_POPULATE_WRITE) == 0;
}

TEST(Populate, MakesThePagesThatHoldTheRangePresent) {
    if (!kernel_populates()) GTEST_SKIP() << "this kernel has no MADV_POPULATE_WRITE";
    FreshPages fresh(16);
    ASSERT_NE(fresh.base, MAP_FAILED);
    EXPECT_EQ(resident_pages(fresh.base, fresh.base + fresh.size), 0u);
    // From the middle of page 1 to the middle of page 9: pages 1 to 9.
    vmatlas::populate_pages(fresh.base + kPage + 1, fresh.base + 9 * kPage + 1);
    EXPECT_EQ(resident_pages(fresh.base, fresh.base + kPage), 0u);
    EXPECT_EQ(resident_pages(fresh.base + kPage, fresh.base + 10 * kPage), 9u);
    EXPECT_EQ(resident_pages(fresh.base + 10 * kPage, fresh.base + fresh.size), 0u);
    for (std::size_t i = 0; i < fresh.size; ++i) ASSERT_EQ(fresh.base[i], 0) << i;
}

TEST(Populate, AnEmptyOrBackwardRangeDoesNothing) {
    FreshPages fresh(4);
    vmatlas::populate_pages(fresh.base + 2 * kPage + 1, fresh.base + 2 * kPage + 1);
    vmatlas::populate_pages(fresh.base + 3 * kPage + 1, fresh.base + kPage + 1);
    EXPECT_EQ(resident_pages(fresh.base, fresh.base + fresh.size), 0u);
}

TEST(Populate, AheadOfPushesTheNextRowsPagesArePresentAndAMoveIsFollowed) {
    if (!kernel_populates()) GTEST_SKIP() << "this kernel has no MADV_POPULATE_WRITE";
    struct Row {
        std::uint64_t a, b, c;
    };
    using Rows = std::vector<Row, FreshAllocator<Row>>;
    // The pages the next row lands on are present before it is written.
    auto next_row_present = [](const Rows& v) {
        const Row* next = v.data() + v.size();
        return v.size() == v.capacity() ||
               resident_pages(next, next + 1) == pages_holding(next, next + 1);
    };
    Rows rows;
    std::vector<Row> plain;
    rows.reserve(200000);  // 4.8 MB of fresh pages
    vmatlas::PopulateAhead ahead;
    for (std::uint64_t i = 0; i < 100000; ++i) {
        ahead.before_push(rows);
        ASSERT_TRUE(next_row_present(rows)) << "row " << i;
        rows.push_back({i, i * 2, i * 3});
        plain.push_back({i, i * 2, i * 3});
    }
    // Far past what was pushed, nothing was populated.
    const char* far = reinterpret_cast<const char*>(rows.data() + 150000);
    EXPECT_EQ(resident_pages(far, reinterpret_cast<const char*>(rows.data() + rows.capacity())),
              0u);
    ASSERT_EQ(rows.size(), plain.size());
    for (std::size_t i = 0; i < rows.size(); ++i) ASSERT_EQ(rows[i].b, plain[i].b) << i;

    // A vector that moves to new pages, by a reserve() while its populated part runs ahead of its
    // rows and by outgrowing its room: the pushes after each move find their pages present too.
    Rows small;
    small.reserve(1000);
    vmatlas::PopulateAhead small_ahead;
    const Row* first_room = small.data();
    for (std::uint64_t i = 0; i < 50000; ++i) {
        if (i == 100) small.reserve(5000);
        small_ahead.before_push(small);
        ASSERT_TRUE(next_row_present(small)) << "row " << i;
        small.push_back({i, i, i});
    }
    EXPECT_NE(small.data(), first_room);
    ASSERT_EQ(small.size(), 50000u);
    for (std::uint64_t i = 0; i < 50000; ++i) ASSERT_EQ(small[i].c, i);
}

TEST(Populate, ResizeGivesWhatResizeGives) {
    std::vector<std::uint32_t> v = {7, 8, 9}, w = v;
    vmatlas::resize_populated(v, 300000);
    w.resize(300000);
    EXPECT_EQ(v, w);
    vmatlas::resize_populated(v, 2);
    w.resize(2);
    EXPECT_EQ(v, w);
}

}  // namespace
