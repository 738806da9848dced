// Internal to the sources and their tests: the smaps parser (smaps.cpp) with its fast path for
// the lines in the kernel's exact form on or off, so that a test can hold the two to the same
// result, and fed in pieces, for a smaps text read as a stream (target.cpp). Not part of the
// public API.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "vmatlas/address_space.hpp"

namespace vmatlas::detail {

// parse_smaps_text of pieces; kernel_lines false reads every line the careful way. Both give the
// same rows, figures and diagnostics for any text.
AddressSpace parse_smaps_pieces(std::span<const std::string_view> pieces, SourceInfo source,
                                bool kernel_lines);

class SmapsParser;

// Smaps text handed over in pieces of any size, its rows and figures going to out. When the text
// held no figure line at all, the address space built from out is to have no figures().
class SmapsStream {
  public:
    explicit SmapsStream(AddressSpaceBuilder& out);
    ~SmapsStream();
    SmapsStream(const SmapsStream&) = delete;
    SmapsStream& operator=(const SmapsStream&) = delete;
    void feed(std::string_view piece);
    void finish();
    bool saw_figures() const;

  private:
    std::unique_ptr<SmapsParser> parser_;
};

}  // namespace vmatlas::detail
