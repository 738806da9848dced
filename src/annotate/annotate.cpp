// The annotation pipeline: every stage in order (see stages.hpp).
#include "annotate/objects.hpp"
#include "annotate/stages.hpp"
#include "vmatlas/annotate.hpp"

namespace vmatlas {

Annotations annotate(const AddressSpace& space, const AnnotateContext& ctx) {
    ObjectTable objects;
    return annotate(space, ctx, objects);
}

Annotations annotate(const AddressSpace& space, const AnnotateContext& ctx, ObjectTable& objects) {
    Annotations notes;
    notes.labels.resize(space.size());
    if (ctx.want_sections) notes.sections.resize(space.size());
    stages::name_kernel(space, notes);
    if (ctx.described_by_hand) {
        assign_roles(space, notes);
        return notes;
    }
    objects = collect_objects(space, ctx, ctx.want_sections, notes.warnings);
    stages::name_elf_segments(space, objects, ctx.want_sections, notes);
    stages::name_by_layout(space, objects, notes);
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
