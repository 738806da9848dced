// The annotation pipeline: every stage in order (see stages.hpp).
#include "vmatlas/annotate.hpp"
#include "annotate/stages.hpp"

namespace vmatlas {

Annotations annotate(const AddressSpace& space, const AnnotateContext& ctx) {
    Annotations notes;
    notes.labels.resize(space.size());
    if (ctx.want_sections) notes.sections.resize(space.size());
    stages::name_kernel(space, notes);
    if (ctx.described_by_hand) {
        assign_roles(space, notes);
        return notes;
    }
    stages::name_elf_segments(space, ctx, notes);
    stages::name_process_areas(space, ctx, notes);
    stages::name_thread_stacks(space, ctx, notes);
    stages::name_heaps(space, notes);
    assign_roles(space, notes);
    return notes;
}

Annotations annotate_kernel_names(const AddressSpace& space) {
    Annotations notes;
    notes.labels.resize(space.size());
    stages::name_kernel(space, notes);
    stages::name_heaps(space, notes);
    assign_roles(space, notes);
    return notes;
}

}  // namespace vmatlas
