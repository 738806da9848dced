// Fuzz target of the core-file source (src/sources/core*.cpp) and of the annotators that read a
// core's facts and objects. The bytes are written to a memfd and read as a file, as the command
// line reads a core. For any bytes:
// - the result is an error with a sentence, or a Target whose address space holds the invariants
//   (sorted, non-overlapping, every row accounted for);
// - annotating it gives one label and one role per row;
// - threads have stack pointers only where the registers were decoded.
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "input_file.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/core.hpp"

namespace {

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "fuzz_core: %s\n", why.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = vmfuzz::input_file("fuzz_core", data, size);
    auto core = vmatlas::read_core(path);
    if (!core.ok()) {
        if (core.error().message.empty()) fail("an error without a sentence");
        return 0;
    }
    const vmatlas::AddressSpace& space = core->space;
    if (auto broken = vmatlas::check_invariants(space); !broken.empty()) fail(broken.front());
    if (core->kind != vmatlas::TargetKind::Core) fail("a core that is not of kind core");
    for (const vmatlas::ThreadInfo& t : core->facts.threads)
        if (t.sp.has_value() != (t.sp_source == vmatlas::StackPointerSource::Registers))
            fail(fmt::format("thread {}: stack pointer and its source disagree", t.tid));
    vmatlas::AnnotateContext ctx;
    ctx.facts = &core->facts;
    ctx.objects = core->objects.get();
    ctx.want_sections = true;
    const vmatlas::Annotations notes = vmatlas::annotate(space, ctx);
    if (notes.labels.size() != space.size() || notes.roles.size() != space.size() ||
        notes.sections.size() != space.size())
        fail("annotations are not parallel to the rows");
    return 0;
}
