// The answers to a list of inputs as `vmatlas where` gives them, in the inputs' order: each input
// resolved to an address by the Locator or refused (and why), the addresses located as one batch,
// and each answer or refusal written by the view in its input's place. The command and the Python
// module (vmatlas.where) answer through it.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "render/format.hpp"
#include "render/where_view.hpp"
#include "vmatlas/where.hpp"

namespace vmatlas {

// What the answers said, over every batch.
struct WhereTally {
    std::size_t answered = 0;  // inputs that are addresses
    std::size_t missing = 0;   // of those, addresses in no mapping
    std::size_t failed = 0;    // inputs that are no address of the map
    Addr first_missing = 0;
    std::string first_failed;  // why the first failed input is no address
};

// Appends the answers to inputs to out. A blank input is skipped when skip_blank (an empty line
// of standard input), else it is an input that is no address. flush, when given, is called
// whenever out holds Table::kFlushBytes; it writes and empties out.
void answer_inputs(Locator& where, WhereView& view, std::span<const std::string> inputs,
                   bool skip_blank, std::string& out, WhereTally& tally, const Flush& flush = {});

}  // namespace vmatlas
