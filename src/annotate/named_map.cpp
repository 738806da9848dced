// The rule that turns any target into its named map (vmatlas/named_map.hpp): the target's own
// names when it brings them, else the annotator stages its kind allows.
#include "vmatlas/named_map.hpp"

#include "annotate/objects.hpp"
#include "annotate/stages.hpp"
#include "vmatlas/regions.hpp"

namespace vmatlas {

NamedMap name_target(Target target, bool sections) {
    Annotations notes;
    std::shared_ptr<ObjectTable> objects;
    if (target.names) {
        notes = std::move(*target.names);
        if (!sections) {
            notes.sections.clear();
            notes.pages.clear();
        }
        // Rows a regions file added to the target have no name yet: they get a regions file's.
        stages::name_kernel(target.space, notes);
        assign_roles(target.space, notes);
    } else {
        AnnotateContext ctx;
        ctx.pid = target.kind == TargetKind::Process ? target.space.source().pid : 0;
        ctx.want_sections = sections;
        ctx.facts = &target.facts;
        ctx.objects = target.objects.get();
        ctx.described_by_hand = target.kind == TargetKind::Regions;
        objects = std::make_shared<ObjectTable>();
        notes = annotate(target.space, ctx, *objects);
        if (ctx.described_by_hand) objects.reset();
    }
    return NamedMap{target.kind,        std::move(target.space),
                    std::move(notes),   std::move(target.facts),
                    std::move(objects), std::move(target.objects)};
}

Result<NamedMap> open_named_map(std::string_view spec, const NamedMapOptions& options) {
    auto opened = open_target(spec, {.live_figures = options.figures,
                                     .base = options.base,
                                     .by_sections = options.by_sections,
                                     .remote_pid = options.remote_pid,
                                     .sysroot = options.sysroot,
                                     .page_tables = options.page_tables});
    if (!opened) return opened.error();
    for (const std::string& file : options.add)
        if (auto added = add_regions_file(*opened, file); !added) return added.error();
    return name_target(std::move(*opened), options.sections);
}

}  // namespace vmatlas
