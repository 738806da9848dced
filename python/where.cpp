// vmatlas.where(target, addresses): the answers of `vmatlas where --json TARGET ADDR...`.
#include "functions.hpp"

#include <optional>

#include "errors.hpp"
#include "json_objects.hpp"
#include "map.hpp"
#include "render/where_answers.hpp"
#include "targets.hpp"

namespace py = pybind11;

namespace vmatlas::python {

namespace {

// The addresses: a list of ints and address expressions, or one of them.
std::vector<std::string> inputs_of(py::handle addresses) {
    std::vector<std::string> inputs;
    if (py::isinstance<py::int_>(addresses) || py::isinstance<py::str>(addresses)) {
        inputs.push_back(address_text(addresses));
    } else {
        for (py::handle a : addresses) inputs.push_back(address_text(a));
    }
    return inputs;
}

// The answers as JSON Lines, one object a line, as one list.
py::list answers(const NamedMap& map, const std::vector<std::string>& inputs) {
    auto view = WhereView::make(map, {.style = WhereStyle::Json});
    if (!view) raise(view.error());
    std::string lines;
    {
        py::gil_scoped_release unlocked;
        Locator where(map);
        WhereTally tally;
        view->begin(lines);
        answer_inputs(where, *view, inputs, false, lines, tally);
    }
    // The lines, each an object, as the elements of one array: parsed at once.
    std::string array = "[";
    for (std::size_t start = 0; start < lines.size();) {
        std::size_t end = lines.find('\n', start);
        if (end == std::string::npos) end = lines.size();
        if (array.size() > 1) array.push_back(',');
        array.append(lines, start, end - start);
        start = end + 1;
    }
    array.push_back(']');
    return parse_json(array);
}

}  // namespace

py::list where(py::handle target, py::handle addresses) {
    const std::vector<std::string> inputs = inputs_of(addresses);
    if (py::isinstance<Map>(target)) return answers(target.cast<const Map&>().named(), inputs);
    const std::string spec = target_text(target);
    auto named = [&] {
        py::gil_scoped_release unlocked;
        return open_map_for(spec, inputs);
    }();
    if (!named) raise(named.error());
    check_has_rows(*named, spec);
    return answers(*named, inputs);
}

}  // namespace vmatlas::python
