// Making pages present ahead of their first write.
//
// A page a program writes for the first time costs it a page fault. On this project's VM a fault
// costs some 13 us, where madvise(MADV_POPULATE_WRITE) makes pages present for 1.3 us each
// (4,096 pages each way, session 9; README, Performance). The arrays that grow to megabytes (a
// 60,000-mapping process's rows, its smaps figures, its labels, the blocks its text is read
// into, the table's text) are populated ahead of their writes: arrays that grow by pushes a
// chunk at a time (PopulateAhead), so that at most one chunk of their room is made present and
// not used; arrays sized at once, the reader's blocks and the table's text as they are made.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace vmatlas {

// Makes the pages that hold [begin, end) present and writable, in one system call. Does
// nothing on a kernel without MADV_POPULATE_WRITE (before 5.14) or when the call fails: the pages
// are then faulted in one by one when written, as they would be without it.
void populate_pages(const void* begin, const void* end);

// v.resize(n), with the room for the new elements made present first.
template <class T, class A>
void resize_populated(std::vector<T, A>& v, std::size_t n) {
    if (n > v.size()) {
        v.reserve(n);
        populate_pages(v.data() + v.size(), v.data() + n);
    }
    v.resize(n);
}

// Populates a vector's reserved room a chunk at a time ahead of its pushes: call before each
// push_back. Three comparisons on a push that stays inside the populated part.
class PopulateAhead {
  public:
    static constexpr std::size_t kChunk = 64 * 1024;

    template <class T, class A>
    void before_push(const std::vector<T, A>& v) {
        if (v.size() == v.capacity()) return;  // this push moves the elements to new room
        const char* base = reinterpret_cast<const char*>(v.data());
        const std::size_t next = (v.size() + 1) * sizeof(T);
        if (base == base_ && next <= ready_) return;
        if (base != base_) {
            base_ = base;
            ready_ = v.size() * sizeof(T);  // written when the elements were moved here
        }
        const std::size_t to = std::min(v.capacity() * sizeof(T), std::max(next, ready_) + kChunk);
        populate_pages(base + ready_, base + to);
        ready_ = to;
    }

  private:
    const char* base_ = nullptr;
    std::size_t ready_ = 0;  // bytes from base_ that are present
};

}  // namespace vmatlas
