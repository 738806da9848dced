// SpacedPages: count single-page mappings with a hole after each, so that none merge: a process
// with count more VMAs, for the benchmarks that read or query a big live map.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>

namespace vmatlas::bench {

inline const std::size_t kPageBytes = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));

class SpacedPages {
  public:
    explicit SpacedPages(std::size_t count) : span_(2 * count * kPageBytes) {
        if (count == 0) return;
        void* base = mmap(nullptr, span_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED) return;
        munmap(base, span_);
        base_ = static_cast<char*>(base);
        for (std::size_t i = 0; i < count; ++i) {
            void* p = mmap(base_ + 2 * i * kPageBytes, kPageBytes,
                           i % 2 ? PROT_READ : PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (p == MAP_FAILED) return;  // vm.max_map_count: ok() says so
            ++mapped_;
        }
    }
    ~SpacedPages() {
        if (base_) munmap(base_, span_);
    }
    SpacedPages(const SpacedPages&) = delete;
    SpacedPages& operator=(const SpacedPages&) = delete;
    std::size_t mapped() const { return mapped_; }
    // The address of the i-th page.
    void* page(std::size_t i) const { return base_ + 2 * i * kPageBytes; }

  private:
    std::size_t span_;
    char* base_ = nullptr;
    std::size_t mapped_ = 0;
};

}  // namespace vmatlas::bench
