// The synthetic maps text the micro benchmarks read: 60,000 rows shaped like a big process.
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace vmatlas::bench {

inline constexpr std::size_t kRows = 60000;
inline const std::uint64_t kPage = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));

// Appends one row exactly as the kernel prints it: the path, when there is one, starts in
// column 74 of a 64-bit map; an anonymous row ends with the space after the inode.
inline void append_row(std::string& out, std::uint64_t start, std::uint64_t end, const char* perms,
                       std::uint64_t offset, unsigned major, unsigned minor, std::uint64_t inode,
                       std::string_view path) {
    std::size_t line_start = out.size();
    fmt::format_to(std::back_inserter(out), "{:08x}-{:08x} {} {:08x} {:02x}:{:02x} {} ", start, end,
                   perms, offset, major, minor, inode);
    if (!path.empty()) {
        std::size_t width = out.size() - line_start;
        if (width < 73) out.append(73 - width, ' ');
        out.append(path);
    }
    out.push_back('\n');
}

// A maps text shaped like a big process: shared libraries of five rows each (headers, text,
// rodata, relro, data) with their bss, thread stacks with guard pages, malloc arenas, named
// anonymous regions, a few paths with spaces and deleted files, [heap], [stack], [vdso].
inline std::string synthetic_maps(std::size_t rows) {
    std::mt19937_64 rng(42);
    auto pages = [&](std::uint64_t lo, std::uint64_t hi) {
        return (lo + rng() % (hi - lo + 1)) * kPage;
    };
    static const char* const kDirs[] = {"/usr/lib/x86_64-linux-gnu/", "/usr/lib/",
                                        "/opt/google/chrome/", "/home/user/.cache/ms-playwright/",
                                        "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/"};
    static const char* const kStems[] = {"libc",   "libstdc++", "libgtk-3",   "libglib-2.0",
                                         "libssl", "libcrypto", "libz",       "libpython3.11",
                                         "libjvm", "libnss3",   "libX11-xcb", "libicudata",
                                         "libm",   "libdbus-1", "libffi",     "libsqlite3"};
    std::string out;
    out.reserve(rows * 110);
    std::uint64_t at = 0x55a628f7e000;
    std::size_t n = 0;
    auto add = [&](std::uint64_t size, const char* perms, std::uint64_t off, unsigned maj,
                   unsigned min, std::uint64_t inode, std::string_view path) {
        append_row(out, at, at + size, perms, off, maj, min, inode, path);
        at += size;
        ++n;
    };
    add(pages(2, 8), "r--p", 0, 0xfe, 1, 247498, "/usr/bin/bench-app");
    add(pages(1, 4), "rw-p", 0, 0, 0, 0, "[heap]");
    at = 0x7f0000000000;
    for (std::size_t i = 0; n < rows - 4; ++i) {
        at += pages(0, 16);
        switch (rng() % 8) {
            case 0:
            case 1:
            case 2: {  // a shared library and its bss
                std::string path = fmt::format("{}{}-{}.so.{}", kDirs[rng() % 5],
                                               kStems[rng() % 16], i, rng() % 12);
                if (rng() % 200 == 0) path = "/home/user/My Projects/build dir/libplug in.so";
                if (rng() % 300 == 0) path += " (deleted)";
                std::uint64_t inode = 100000 + rng() % 900000, off = 0;
                const char* perms[] = {"r--p", "r-xp", "r--p", "r--p", "rw-p"};
                for (const char* p : perms) {
                    std::uint64_t size = pages(1, 40);
                    add(size, p, off, 0xfe, 1, inode, path);
                    off += size;
                }
                add(pages(1, 8), "rw-p", 0, 0, 0, 0, "");
                break;
            }
            case 3:  // a thread stack and its guard page
                add(kPage, "---p", 0, 0, 0, 0, "");
                add(pages(128, 2048), "rw-p", 0, 0, 0, 0, "");
                break;
            case 4:  // a malloc arena: used part and reserved tail
                add(pages(32, 256), "rw-p", 0, 0, 0, 0, "");
                add(pages(256, 16000), "---p", 0, 0, 0, 0, "");
                break;
            case 5:
                add(pages(1, 64), "rw-p", 0, 0, 0, 0,
                    fmt::format("[anon:{}]", rng() % 2 ? "v8 code space" : "dalvik-alloc"));
                break;
            case 6:
                add(pages(1, 64), "rw-s", 0, 0, 1, 2048 + rng() % 100,
                    rng() % 2 ? "/memfd:wayland-shm (deleted)" : "/dev/shm/pulse-shm-12345");
                break;
            default:
                add(pages(1, 512), rng() % 2 ? "rw-p" : "r--p", 0, 0, 0, 0, "");
        }
    }
    at = 0x7ffc2dade000;
    add(pages(33, 33), "rw-p", 0, 0, 0, 0, "[stack]");
    add(pages(4, 4), "r--p", 0, 0, 0, 0, "[vvar]");
    add(pages(2, 2), "r-xp", 0, 0, 0, 0, "[vdso]");
    at = 0xffffffffff600000;
    add(kPage, "--xp", 0, 0, 0, 0, "[vsyscall]");
    while (n > rows) {  // a library can overshoot by a few rows; keep the count exact
        out.erase(out.rfind('\n', out.size() - 2) + 1);
        --n;
    }
    return out;
}

// Made once, however many benchmarks read it.
inline const std::string& maps_60k() {
    static const std::string text = synthetic_maps(kRows);
    return text;
}

}  // namespace vmatlas::bench
