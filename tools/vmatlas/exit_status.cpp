#include "exit_status.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "render/safe_text.hpp"

namespace vmatlas::cli {

namespace {
void print_err(std::string_view prefix, std::string_view message) {
    std::string line = "vmatlas: ";
    line += prefix;
    append_safe(line, message);  // messages quote names a process chose
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
}
}  // namespace

int report(const Error& error) {
    print_err("", error.message);
    return exit_status(error.kind);
}

int usage_error(std::string_view message) {
    print_err("", message);
    return kUsage;
}

void report_warning(std::string_view message) {
    print_err("warning: ", message);
}

int report_diagnostics(const AddressSpace& space, std::string_view about) {
    const std::string who = about.empty() ? std::string() : fmt::format("{}: ", about);
    constexpr std::size_t kMaxShown = 20;
    const auto& diags = space.diagnostics();
    for (std::size_t k = 0; k < diags.size() && k < kMaxShown; ++k) {
        const Diagnostic& d = diags[k];
        if (d.line)
            print_err(fmt::format("warning: {}line {}, column {}: ", who, d.line, d.column),
                      d.message);
        else
            print_err(fmt::format("warning: {}", who), d.message);
    }
    if (diags.size() > kMaxShown)
        print_err("", fmt::format("warning: {}{} more warnings not shown", who,
                                  diags.size() - kMaxShown));
    if (!space.partial()) return kOk;
    if (space.rows().rejected > 0)
        print_err("", fmt::format("{}{} of {} rows could not be read and are not shown", who,
                                  space.rows().rejected, space.rows().read));
    return space.loss() == Loss::Exited ? kExited : kPartial;
}

}  // namespace vmatlas::cli
