#include "render/advice_view.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "render/mapping_fields.hpp"
#include "render/safe_text.hpp"

namespace vmatlas {

namespace {

// The VmFlags words that record madvise(2) advice, and the advice's name.
struct FlagAdvice {
    std::string_view flag, advice;
};

constexpr FlagAdvice kFlagAdvice[] = {
    {"sr", "sequential"}, {"rr", "random"},    {"hg", "hugepage"}, {"nh", "nohugepage"},
    {"dd", "dontdump"},   {"mg", "mergeable"}, {"dc", "dontfork"}, {"wf", "wipeonfork"},
};

}  // namespace

std::string advice_in_vm_flags(std::string_view vm_flags) {
    std::string out;
    for (const FlagAdvice& f : kFlagAdvice) {
        bool found = false;
        for (std::size_t pos = 0; pos < vm_flags.size(); pos += 3)
            found = found || vm_flags.substr(pos, 2) == f.flag;
        if (!found) continue;
        if (!out.empty()) out += ", ";
        out += f.advice;
    }
    return out;
}

void render_advice_rows(const AddressSpace& space, const Annotations& notes,
                        const std::vector<std::string>& marks, std::string& out) {
    const SourceInfo& src = space.source();
    if (src.pid > 0) {
        fmt::format_to(std::back_inserter(out), "{}:", src.pid);
        const std::string& args = src.arguments.empty() ? src.process_name : src.arguments;
        if (!args.empty()) {
            out += ' ';
            append_safe(out, args);
        }
    } else {
        append_safe(out, src.origin);
    }
    out += '\n';
    std::size_t size_width = 1;
    for (const Mapping& m : space.mappings())
        size_width = std::max(size_width, fmt::formatted_size("{}K", m.size() / 1024));
    for (std::size_t i = 0; i < space.size(); ++i) {
        const Mapping& m = space[i];
        fmt::format_to(std::back_inserter(out), "{:016X} {:>{}} {} ", m.start,
                       fmt::format("{}K", m.size() / 1024), size_width, m.perms.view());
        append_mapped_file(out, space, notes, i, false, false);
        if (i < marks.size() && !marks[i].empty()) {
            out += "  <= ";
            out += marks[i];
        }
        out += '\n';
    }
}

}  // namespace vmatlas
