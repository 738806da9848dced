// A fuzz input as a file, for the sources that read a path (cores, guest dumps): one memfd for
// the whole run, rewritten for each input, and named by its /proc/self/fd path.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace vmfuzz {

// The path of a file holding exactly data; aborts with a sentence naming `fuzzer` when the memfd
// cannot be made or written.
inline std::string input_file(const char* fuzzer, const std::uint8_t* data, std::size_t size) {
    static const int fd = memfd_create(fuzzer, MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, 0) != 0 ||
        pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) {
        std::fprintf(stderr, "%s: cannot write the input to a memfd\n", fuzzer);
        std::abort();
    }
    return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace vmfuzz
