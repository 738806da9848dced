#include "vmatlas/populate.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

// Linux 5.14; older headers lack it, and an older kernel answers EINVAL.
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace vmatlas {

void populate_pages(const void* begin, const void* end) {
    if (reinterpret_cast<std::uintptr_t>(end) <= reinterpret_cast<std::uintptr_t>(begin)) return;
    static const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    // The pages that hold the range: the first and the last may hold other data too, which
    // making them present does not touch.
    const std::uintptr_t lo = reinterpret_cast<std::uintptr_t>(begin) & ~(page - 1);
    const std::uintptr_t hi = (reinterpret_cast<std::uintptr_t>(end) + page - 1) & ~(page - 1);
    // Errors (EINVAL before Linux 5.14, ENOMEM, EFAULT) only mean the faults happen on first use.
    (void)madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_POPULATE_WRITE);
}

}  // namespace vmatlas
