// Fuzz target of what the QEMU user-mode source reads: QEMU's command line (parse_invocation,
// src/sources/qemu_user.hpp) and QEMU's own map (find_guest, guest_map). The input is the
// command line's NUL-separated arguments, a line "--maps--", then maps text. For any bytes:
// - parse_invocation() never crashes, and a program it finds is one of the arguments;
// - find_guest() never crashes, and a window it gives holds the guest program's row;
// - guest_map() gives rows in address order, none empty, each inside the window moved down by
//   the base (no address wraps).
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sources/qemu_user.hpp"
#include "vmatlas/maps_text.hpp"

namespace {

[[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "fuzz_qemu_user: %s\n", why);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace vmatlas;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t split = input.find("\n--maps--\n");
    const std::string_view command = input.substr(0, split);
    const std::string_view maps =
        split == std::string_view::npos ? std::string_view() : input.substr(split + 10);

    std::vector<std::string> argv;
    for (std::size_t at = 0; at <= command.size();) {
        const std::size_t nul = std::min(command.find('\0', at), command.size());
        argv.emplace_back(command.substr(at, nul - at));
        at = nul + 1;
    }
    const auto inv = qemu_user::parse_invocation(argv, {});
    if (inv && std::find(argv.begin(), argv.end(), inv->program) == argv.end())
        fail("a program that is none of the arguments");

    const AddressSpace qemu = parse_maps_text(maps, SourceInfo{SourceKind::MapsText});
    for (const bool wide : {true, false}) {
        qemu_user::GuestFacts facts;
        facts.qemu = "/usr/bin/qemu-x86_64";
        facts.program = qemu.empty() ? "/p" : std::string(qemu.path(qemu[qemu.size() / 2]));
        facts.program_as_given = "./p";
        facts.wide = wide;
        facts.x86_64 = true;
        if (inv) facts.guest_base = inv->guest_base, facts.reserved = inv->reserved;
        facts.read_before = [](Addr end, std::size_t n) {
            return end % 3 == 0 ? std::string(n, '\0') + "./p" + '\0' : std::string();
        };
        const auto window = qemu_user::find_guest(qemu, facts);
        if (!window) continue;
        bool holds_program = false;
        for (const Mapping& m : qemu.mappings())
            holds_program |=
                qemu.path(m) == facts.program && m.start >= window->begin && m.end <= window->end;
        if (!holds_program) fail("a window without the guest program's row");
        const AddressSpace guest =
            qemu_user::guest_map(qemu, facts, *window, SourceInfo{SourceKind::QemuUser});
        Addr last = 0;
        for (const Mapping& m : guest.mappings()) {
            if (m.start < last) fail("rows out of order");
            if (m.start >= m.end) fail("an empty or inverted row");
            last = m.end;
            if (guest.path(m) == "[vsyscall]") continue;
            if (m.start > UINT64_MAX - window->base || m.end - 1 > UINT64_MAX - window->base ||
                m.start + window->base < window->begin || m.end + window->base > window->end)
                fail("a row outside the window");
        }
    }
    return 0;
}
