// vmatlas.Map: a target's named map, read once, and what the command shows of it. The rows,
// source and warnings are those of the default view's JSON (`vmatlas --json TARGET`), parsed once
// from the library's own JSON writer; render() is the default view's text; save() the snapshot
// `vmatlas save` writes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "vmatlas/named_map.hpp"

namespace vmatlas::python {

class Map {
  public:
    // The target's named map as the command reads it (figures: smaps, as pmap -x; add: regions
    // files, as --add). Raises vmatlas.Error when the command would fail.
    static Map open(std::string target, bool figures, std::vector<std::string> add);

    const std::string& target() const { return target_; }
    // The map as the command's views see it: its notes hold no sections (no -v).
    const NamedMap& named() const { return map_; }

    // The default view's JSON document, parsed on first use.
    pybind11::object document();
    pybind11::object rows() { return document()["mappings"]; }

    // `vmatlas [--color=never|always] [-w] [-x] [-B N] [-A N] [--gaps] TARGET [FILTER]`'s stdout.
    // strict: a filter that matches nothing raises vmatlas.Error "no_match" with the command's
    // sentence, that text as its .output.
    std::string render(std::optional<std::string> filter, bool writable, bool executable,
                       std::optional<unsigned> before, std::optional<unsigned> after, bool gaps,
                       bool color, bool strict) const;

    // Writes the snapshot of the map as `vmatlas save -o PATH` does.
    void save(const std::string& path) const;

    std::string repr();

  private:
    Map(std::string target, NamedMap map);

    std::string target_;  // as the command would be given it
    NamedMap map_;
    std::vector<std::string> sections_;  // the ELF sections of each row: for save() only
    pybind11::object document_;
};

// Raises vmatlas.Error, as the command fails, for a map with no rows; target as given.
void check_has_rows(const NamedMap& map, const std::string& target);

// Adds the Map class and open() to the module.
void add_map(pybind11::module_& m);

}  // namespace vmatlas::python
