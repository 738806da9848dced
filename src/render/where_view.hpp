// vmatlas where: the answers for addresses, as a block a person reads (one address, like xinfo),
// as a line of key=value pairs each (PANDA memorymap's order), as JSON Lines, or as CSV. Every
// field is defined once (where_view.cpp), on the field layer (render/fields.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vmatlas/named_map.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/where.hpp"

namespace vmatlas {

enum class WhereStyle : std::uint8_t {
    Block,  // "Header  value" lines, the fields known; an empty line between addresses
    Line,   // key=value pairs, one line an address
    Json,   // one JSON object a line
    Csv,    // a header line, then a row an address
};

struct WhereViewOptions {
    WhereStyle style = WhereStyle::Line;
    // The keys to show, in order ("pc,symbol,line"); empty: every field the style shows.
    std::string fields;
    bool demangle = false;  // C++ names of symbols and functions demangled
};

class WhereView {
  public:
    // A Usage error names a key of `options.fields` that is no field.
    static Result<WhereView> make(const NamedMap& map, const WhereViewOptions& options);
    WhereView(WhereView&&) noexcept;
    WhereView& operator=(WhereView&&) noexcept;
    ~WhereView();

    // What comes before the first answer (CSV's header).
    void begin(std::string& out);
    // The answer for an address written `input`.
    void answer(std::string_view input, const WhereAnswer& a, std::string& out);
    // An input that is not an address of the map, and why.
    void failed(std::string_view input, std::string_view why, std::string& out);

    // Every field's key, in the order of the full list (for the help).
    static std::string keys();

  private:
    struct Impl;
    explicit WhereView(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace vmatlas
