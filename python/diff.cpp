// vmatlas.diff(a, b): the document of `vmatlas diff --json A B`.
#include "vmatlas/diff.hpp"
#include "errors.hpp"
#include "functions.hpp"
#include "json_objects.hpp"
#include "render/diff_view.hpp"

namespace py = pybind11;

namespace vmatlas::python {

namespace {

// The file a side that is a snapshot was read from, as the command names it (cmd_diff.cpp): a
// snapshot keeps the source it was taken from, and the file tells two snapshots of it apart.
std::string snapshot_file(const Map& map) {
    if (map.named().kind != TargetKind::Snapshot) return {};
    return map.target() == "-" ? std::string("standard input") : map.target();
}

}  // namespace

py::object diff(const Map& a, const Map& b) {
    DiffViewOptions view;
    view.a_snapshot = snapshot_file(a);
    view.b_snapshot = snapshot_file(b);
    const NamedMap &am = a.named(), &bm = b.named();
    std::string out;
    {
        py::gil_scoped_release unlocked;
        const MapDiff d =
            diff_maps(am.space, am.notes, bm.space, bm.notes, {.segment_names = true});
        render_diff(am.space, am.notes, bm.space, bm.notes, d, view, Format::Json, Palette{false},
                    out);
    }
    return parse_json(out);
}

}  // namespace vmatlas::python
