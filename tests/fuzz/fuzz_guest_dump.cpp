// Fuzz target of the QEMU guest memory dump reader (src/sources/guest_dump.cpp) and of the walk of
// each CPU's tables in it. The bytes are written to a memfd and read as a file, as the command
// line reads a dump. For any bytes:
// - the result is an error with a sentence, or a dump whose segments are sorted by physical
//   address, non-empty, do not wrap, and lie inside the file;
// - a read answers only for bytes inside a segment;
// - the walk of each CPU (the first four) keeps its bounds.
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "input_file.hpp"
#include "sources/guest_dump.hpp"

namespace {

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "fuzz_guest_dump: %s\n", why.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = vmfuzz::input_file("fuzz_guest_dump", data, size);
    const bool qemu = vmatlas::guest::has_qemu_note(path);
    auto opened = vmatlas::guest::GuestDump::open(path);
    if (!opened.ok()) {
        if (opened.error().message.empty()) fail("an error without a sentence");
        return 0;
    }
    if (!qemu) fail("a dump opened that has_qemu_note does not see");
    vmatlas::guest::GuestDump& dump = **opened;
    std::uint64_t last = 0;
    for (const auto& s : dump.segments()) {
        if (s.size == 0) fail("an empty segment");
        if (s.paddr < last) fail("segments out of order");
        last = s.paddr;
        if (s.paddr + s.size < s.paddr) fail("a segment that wraps");
        if (s.offset > size || size - s.offset < s.size) fail("a segment past the file");
    }
    // A read at the first byte after each segment, unless another segment holds it.
    std::array<std::uint8_t, 8> buf;
    for (const auto& s : dump.segments()) {
        const std::uint64_t after = s.paddr + s.size;
        bool held = false;
        for (const auto& t : dump.segments())
            held = held || (after >= t.paddr && after - t.paddr < t.size);
        if (!held && dump.read(after, buf.data(), 1))
            fail(fmt::format("a read at {:#x}, in no segment, answered", after));
    }
    for (std::size_t i = 0; i < dump.cpus().size() && i < 4; ++i) {
        auto in = vmatlas::guest::walk_input(dump.cpus()[i]);
        in.max_tables = 64;
        in.max_rows = 1024;
        const auto r = vmatlas::paging::walk_page_tables(dump, in);
        if (r.tables_read > in.max_tables || r.runs.size() > in.max_rows)
            fail("the walk passed its bounds");
    }
    return 0;
}
