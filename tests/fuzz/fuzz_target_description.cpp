// Fuzz target of the target description reader of the live guest source
// (src/sources/guest_stub.hpp), and of the kallsyms reader (src/sources/kernel_regions.hpp).
// The input is a target description; every <xi:include> is answered with the input again, so
// that an input including itself must end at the depth bound. For any bytes:
// - parse_target_description() returns registers or an error, never crashes, and asks for at most
//   8 levels of includes;
// - a register without a regnum has the number after the one before it;
// - read_kernel_symbols() of the bytes as a file keeps only the symbols it reads, with an address.
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
    std::fprintf(stderr, "fuzz_target_description: %s\n", why);
    std::abort();
}

void check_description(std::string_view xml) {
    int asked = 0;
    auto regs = vmatlas::guest::parse_target_description(
        xml, [&](std::string_view) -> vmatlas::Result<std::string> {
            if (++asked > 1 << 20) fail("includes without end");
            return std::string(xml);
        });
    if (!regs) return;
    for (std::size_t i = 1; i < regs->size(); ++i)
        if (xml.find("regnum") == std::string_view::npos &&
            (*regs)[i].number != (*regs)[i - 1].number + 1)
            fail("a register numbered out of order");
}

void check_kallsyms(std::string_view bytes) {
    char path[] = "/tmp/fuzz_kallsyms.XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd < 0) return;
    const bool written = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
    ::close(fd);
    if (written) {
        if (auto symbols = vmatlas::paging::read_kernel_symbols(path); symbols && symbols->size() > 13)
            fail("more symbols than the regions use");
    }
    ::unlink(path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    check_description(bytes);
    check_kallsyms(bytes);
    return 0;
}
