// Internal to the sources: the regions parser (regions.cpp) fed in pieces, for a regions target
// or an --add file read as a stream (target.cpp, text_input.hpp). Not part of the public API.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "sources/text.hpp"
#include "vmatlas/address_space.hpp"

namespace vmatlas::detail {

// The lines of a regions text (include/vmatlas/regions.hpp has the grammar), handed over in
// pieces of any size: each region goes to out, and each bad line, or one that overlaps a region
// kept from an earlier line or a row of `existing` (when not null), is rejected with `note`
// appended to its sentence (" (in FILE)").
class RegionLines {
  public:
    RegionLines(AddressSpaceBuilder& out, const AddressSpace* existing, std::string note);
    ~RegionLines();
    RegionLines(const RegionLines&) = delete;
    RegionLines& operator=(const RegionLines&) = delete;
    void feed(std::string_view piece);
    void finish();

    class Kept;  // the regions kept so far, by start

  private:
    void line(std::string_view line);
    void long_line(std::size_t length);

    AddressSpaceBuilder& out_;
    const AddressSpace* existing_;
    std::string note_;
    std::unique_ptr<Kept> kept_;
    text::LineCarry carry_;
    std::size_t line_no_ = 0;
};

}  // namespace vmatlas::detail
