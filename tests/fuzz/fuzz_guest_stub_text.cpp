// Fuzz target of the text the live guest source reads: QEMU's `info registers -a` (parsed by
// parse_info_registers, src/sources/guest_stub.hpp) and a kallsyms file (read_kernel_symbols,
// src/sources/kernel_regions.hpp). For any bytes:
// - parse_info_registers() never crashes, counts at most one CPU a "CPU#" line, and gives
//   registers only for a CPU it counted;
// - read_kernel_symbols() of the bytes as a file keeps only the symbols the regions use.
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sources/guest_stub.hpp"
#include "sources/kernel_regions.hpp"

namespace {

[[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "fuzz_guest_stub_text: %s\n", why);
    std::abort();
}

void check_registers(std::string_view text) {
    std::size_t lines = 0;
    for (std::size_t at = text.find("CPU#"); at != std::string_view::npos;
         at = text.find("CPU#", at + 1))
        ++lines;
    for (std::size_t cpu : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
        const auto seen = vmatlas::guest::parse_info_registers(text, cpu);
        if (seen.cpus > lines) fail("more CPUs than CPU# lines");
        if (seen.registers && cpu >= seen.cpus) fail("registers of a CPU not counted");
    }
}

void check_kallsyms(std::string_view bytes) {
    char path[] = "/tmp/fuzz_kallsyms.XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd < 0) return;
    const bool written =
        ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
    ::close(fd);
    if (written) {
        auto symbols = vmatlas::paging::read_kernel_symbols(path);
        if (symbols && symbols->size() > 13) fail("more symbols than the regions use");
    }
    ::unlink(path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    check_registers(bytes);
    check_kallsyms(bytes);
    return 0;
}
