// Fuzz target of what a gdbserver says of its process (src/sources/remote_process.hpp). For any
// bytes:
// - parse_threads_xml() gives threads whose tids are above 0, or an error;
// - parse_target_description() ends, the bytes included as every include's document too (so a
//   document that includes itself stops at the limits), and the stack pointer found in it is one
//   of its registers, at most 8 bytes wide, its g offset below 8 bytes a register before it;
// - decode_auxv_facts() fails exactly when the length is no whole number of entries;
// - decode_register() reads only text of exactly two digits a byte.
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sources/remote_process.hpp"

namespace {

namespace remote = vmatlas::remote;

[[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "fuzz_remote_process: %s\n", why);
    std::abort();
}

void check_threads(std::string_view bytes) {
    auto threads = remote::parse_threads_xml(bytes);
    if (!threads) return;
    for (const remote::StubThread& t : *threads) {
        if (t.tid <= 0) fail("a thread whose tid is not above 0");
        if (t.pid && *t.pid <= 0) fail("a thread whose pid is not above 0");
    }
}

void check_description(std::string_view bytes) {
    int includes = 0;
    auto d = remote::parse_target_description(
        bytes, [&](const std::string&) -> vmatlas::Result<std::string> {
            ++includes;
            return std::string(bytes);
        });
    if (includes > 64) fail("more includes read than the limit");
    if (!d) return;
    const auto sp = remote::find_stack_pointer(*d);
    if (!sp) return;
    if (sp->bytes == 0 || sp->bytes > 8) fail("a stack pointer wider than 8 bytes");
    if (sp->word != 4 && sp->word != 8) fail("an auxv word that is neither 4 nor 8 bytes");
    if (!d->registers.empty()) {
        bool found = false;
        for (const remote::RegisterInfo& r : d->registers)
            found = found || (r.name == sp->name && r.regnum == sp->regnum);
        if (!found) fail("a stack pointer that is no register of the description");
    }
    if (sp->g_offset && !d->registers.empty() && *sp->g_offset > std::size_t{8192} * sp->regnum)
        fail("a g offset past the registers before it");
}

void check_auxv(std::string_view bytes) {
    for (const unsigned word : {4u, 8u}) {
        const bool whole = bytes.size() % (2 * word) == 0;
        if (static_cast<bool>(remote::decode_auxv_facts(bytes, word)) != whole)
            fail("an auxv read or refused against its length");
    }
}

void check_register(std::string_view bytes) {
    for (const unsigned width : {4u, 8u}) {
        const std::string_view text = bytes.substr(0, 2 * width);
        if (remote::decode_register(text, width) && text.size() != 2 * width)
            fail("a register read from text of the wrong length");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    check_threads(bytes);
    check_description(bytes);
    check_auxv(bytes);
    check_register(bytes);
    return 0;
}
