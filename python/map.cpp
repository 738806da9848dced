#include "map.hpp"

#include <utility>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "errors.hpp"
#include "json_objects.hpp"
#include "render/default_view.hpp"
#include "render/save_snapshot.hpp"
#include "render/write_file.hpp"
#include "targets.hpp"

namespace py = pybind11;

namespace vmatlas::python {

namespace {

// The default view's JSON document of a map.
std::string json_document(const NamedMap& map) {
    std::string out;
    render_default_view(map, {}, Format::Json, Palette{false}, out);
    return out;
}

}  // namespace

void check_has_rows(const NamedMap& map, const std::string& target) {
    const AddressSpace& space = map.space;
    if (!space.empty()) return;
    // What the command says of a map with no rows (tools/vmatlas/load.cpp, exit_status.cpp).
    const RowAccount& rows = space.rows();
    if (rows.rejected == 0)
        raise({ErrorKind::UnreadableInput, fmt::format("{} holds no memory map rows",
                                                       target == "-" ? "standard input" : target)});
    const py::object warnings = parse_json(json_document(map))["warnings"];
    raise(
        {ErrorKind::MalformedInput, fmt::format("{} of {} rows could not be read and are not shown",
                                                rows.rejected, rows.read)},
        kBadInput, warnings.cast<std::vector<std::string>>());
}

Map::Map(std::string target, NamedMap map) : target_(std::move(target)), map_(std::move(map)) {
    // The views show a map without its sections, as the command does without -v.
    sections_ = std::exchange(map_.notes.sections, {});
}

Map Map::open(std::string target, bool figures, std::vector<std::string> add) {
    auto named = [&] {
        py::gil_scoped_release unlocked;
        // Sections too, for save() to write what `vmatlas save` writes.
        return open_named_map(target,
                              {.figures = figures, .sections = true, .add = std::move(add)});
    }();
    if (!named) raise(named.error());
    check_has_rows(*named, target);
    return Map(std::move(target), std::move(*named));
}

py::object Map::document() {
    if (!document_) document_ = parse_json(json_document(map_));
    return document_;
}

std::string Map::render(std::optional<std::string> filter, bool writable, bool executable,
                        std::optional<unsigned> before, std::optional<unsigned> after, bool gaps,
                        bool color, bool strict) const {
    const DefaultViewRequest request{.filter = filter.value_or(""),
                                     .writable_only = writable,
                                     .executable_only = executable,
                                     .before = before,
                                     .after = after,
                                     .gaps = gaps};
    if (const auto mistake = check_request(request)) raise(*mistake);
    std::string out;
    std::optional<Error> no_match;
    {
        py::gil_scoped_release unlocked;
        no_match = render_default_view(map_, request, Format::Table, Palette{color}, out);
    }
    // A filter that matches nothing: the command says so on stderr and exits 1; its standard
    // output is what is returned, or the Error's output when strict.
    if (no_match && strict) raise_no_match(*no_match, std::move(out));
    return out;
}

void Map::save(const std::string& path) const {
    Annotations notes = map_.notes;
    notes.sections = sections_;
    SavedSnapshot saved = [&] {
        py::gil_scoped_release unlocked;
        return save_snapshot(map_.kind, map_.space, notes, map_.facts);
    }();
    for (const std::string& w : saved.warnings)
        if (PyErr_WarnEx(PyExc_RuntimeWarning, w.c_str(), 1) != 0) throw py::error_already_set();
    std::optional<Error> failed;
    {
        py::gil_scoped_release unlocked;
        failed = write_file(path, saved.text);
    }
    if (failed) raise(*failed, kWriteFailed);
}

std::string Map::repr() {
    return fmt::format("<vmatlas.Map of {}: {} rows>", target_, map_.space.size());
}

void add_map(py::module_& m) {
    py::class_<Map>(
        m, "Map", "A target's named map, read once: what `vmatlas TARGET` shows (docs/python.md).")
        .def_property_readonly(
            "rows", &Map::rows,
            "The rows: list[dict], == json.loads(`vmatlas --json TARGET`)[\"mappings\"]. Parsed "
            "once and shared between reads: copy a row before changing it.")
        .def_property_readonly(
            "source", [](Map& map) { return map.document()["source"]; },
            "Where the map came from: the JSON's \"source\" (kind, origin, pid, process, and "
            "method when the source had to tell the rows from others).")
        .def_property_readonly(
            "partial", [](Map& map) { return map.document()["partial"]; },
            "True when part of the input could not be read (the command's status 5 or 9).")
        .def_property_readonly(
            "warnings", [](Map& map) { return map.document()["warnings"]; },
            "What could not be read or named: the JSON's \"warnings\", list[str].")
        .def_property_readonly(
            "generation", [](Map& map) { return map.document()["generation"]; },
            "The digest of the rows, a str as in the JSON: equal maps have equal generations.")
        .def(
            "render",
            [](const Map& map, py::handle filter, bool writable, bool executable,
               std::optional<unsigned> before, std::optional<unsigned> after, bool gaps, bool color,
               bool strict) {
                // A str is FILTER; an int an address, as where() takes it.
                std::optional<std::string> text;
                if (!filter.is_none()) text = address_text(filter);
                return map.render(text, writable, executable, before, after, gaps, color, strict);
            },
            py::arg("filter") = py::none(), py::kw_only(), py::arg("writable") = false,
            py::arg("executable") = false, py::arg("before") = py::none(),
            py::arg("after") = py::none(), py::arg("gaps") = false, py::arg("color") = false,
            py::arg("strict") = false,
            "The text `vmatlas [--color=never|always] [-w] [-x] [-B N] [-A N] [--gaps] TARGET "
            "[FILTER]` prints on standard output. filter is a str as FILTER, or an int address; "
            "before and after None give the command's default (one row either side of an "
            "address). strict=True: a filter that matches nothing raises vmatlas.Error (kind "
            "'no_match', status 1, the command's sentence) whose output is that text.")
        .def(
            "save", [](const Map& map, py::handle path) { map.save(path_text(path)); },
            py::arg("path"),
            "Writes the snapshot `vmatlas save TARGET -o PATH` writes (with smaps figures when "
            "the map was opened with figures=True); vmatlas.open(path) reads it back.")
        .def("__repr__", &Map::repr);

    m.def(
        "open",
        [](py::handle target, bool figures, py::handle add) {
            return Map::open(target_text(target), figures, paths(add));
        },
        py::arg("target"), py::kw_only(), py::arg("figures") = false, py::arg("add") = py::tuple(),
        "The named map of a target: a PID (int), or a str as the command's TARGET ('self', a "
        "process name, a core file, an ELF file, a snapshot, a regions file, maps or smaps "
        "text). figures=True reads /proc/PID/smaps (as pmap -x); add lists regions files (as "
        "--add). Raises vmatlas.Error.");
}

}  // namespace vmatlas::python
