// Fuzz target of the snapshot reader. For any bytes:
// - an error is a sentence that names the input ("fuzz: rows[3].start: ...");
// - a snapshot that is read keeps the address space's invariants (sorted, non-overlapping,
//   start < end, every row accounted for), and its names stay parallel to its rows: as many
//   labels and roles as rows, sections none or as many, every bss object a path the space holds;
// - written again and read back, it is the same map, and writing that gives the same bytes: the
//   first write settles whatever the reader had to sort out.
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "vmatlas/snapshot.hpp"

namespace {

using namespace vmatlas;

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "fuzz_snapshot: %s\n", why.c_str());
    std::abort();
}

const SnapshotStamp kStamp{"2025-01-01T00:00:00Z", "Linux fuzz"};

void check_sound(const Target& t, const char* which) {
    if (t.kind != TargetKind::Snapshot) fail(fmt::format("{}: not a snapshot target", which));
    const AddressSpace& space = t.space;
    const auto broken = check_invariants(space);
    if (!broken.empty()) fail(fmt::format("{}: {}", which, broken.front()));
    if (space.empty()) fail(fmt::format("{}: a snapshot without rows was read", which));
    if (!t.names) fail(fmt::format("{}: a snapshot without names", which));
    const Annotations& n = *t.names;
    if (n.labels.size() != space.size() || n.roles.size() != space.size())
        fail(fmt::format("{}: {} labels and {} roles for {} rows", which, n.labels.size(),
                         n.roles.size(), space.size()));
    if (!n.sections.empty() && n.sections.size() != space.size())
        fail(fmt::format("{}: {} sections for {} rows", which, n.sections.size(), space.size()));
    for (std::size_t i = 0; i < n.labels.size(); ++i)
        if (n.labels[i].object >= space.paths().size())
            fail(fmt::format("{}: row {} names object path {} of {}", which, i, n.labels[i].object,
                             space.paths().size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto first = read_snapshot(text, "fuzz");
    if (!first) {
        const Error& e = first.error();
        if (!e.message.starts_with("fuzz: "))
            fail("an error that does not name the input: " + e.message);
        if (e.kind != ErrorKind::MalformedInput && e.kind != ErrorKind::Unsupported)
            fail("an error of an unexpected kind: " + e.message);
        return 0;
    }
    check_sound(*first, "read");

    const std::string once = write_snapshot(first->space, *first->names, first->facts, kStamp);
    auto second = read_snapshot(once, "fuzz");
    if (!second) fail("a written snapshot does not read back: " + second.error().message);
    check_sound(*second, "read back");
    if (second->space.size() != first->space.size() ||
        second->space.generation() != first->space.generation())
        fail(fmt::format("read back, {} rows become {}, or their generation changes",
                         first->space.size(), second->space.size()));
    const std::string twice = write_snapshot(second->space, *second->names, second->facts, kStamp);
    if (twice != once) fail("writing a snapshot read back gives other bytes");
    return 0;
}
