// vmatlas where [OPTIONS] TARGET [ADDR...]: what is at each address (docs/where.md).
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "render/where_answers.hpp"
#include "render/where_view.hpp"
#include "sources/text.hpp"
#include "vmatlas/where.hpp"

namespace vmatlas::cli {

namespace {

// Standard input is read while more is ready, up to this much, before a batch is answered.
constexpr std::size_t kBatchBytes = 4u << 20;
// A line of standard input longer than this is no address (the longest C++ symbol names are a
// few KiB): reading stops there, so that memory is bounded whatever is offered.
constexpr std::size_t kLongestLine = text::kMaxLineBytes;

// The answers of a run, and what they say about its exit status.
class Answerer {
  public:
    Answerer(Locator& where, WhereView& view) : where_(where), view_(view) {}

    // Answers the inputs in order, resolved as one batch (where_answers.hpp), and writes them.
    void batch(const std::vector<std::string>& inputs, bool skip_blank) {
        answer_inputs(where_, view_, inputs, skip_blank, out_, tally_, [](std::string& text) {
            write_stdout(text);
            text.clear();
        });
        flush();
    }

    void flush() {
        write_stdout(out_);
        out_.clear();
    }
    std::string& out() { return out_; }

    // One sentence for the addresses in no mapping and the inputs that are no address.
    bool all_found() const {
        const WhereTally& t = tally_;
        const std::size_t total = t.answered + t.failed;
        if (t.missing > 0)
            report({ErrorKind::UnreadableInput,
                    t.missing == 1 && total == 1
                        ? fmt::format("no mapping contains {:#x}", t.first_missing)
                        : fmt::format("{} of {} addresses are in no mapping (the first {:#x})",
                                      t.missing, total, t.first_missing)});
        if (t.failed > 0)
            report({ErrorKind::Usage, t.failed == 1
                                          ? t.first_failed
                                          : fmt::format("{} of {} inputs are no address "
                                                        "of the map (the first: {})",
                                                        t.failed, total, t.first_failed)});
        return t.missing == 0 && t.failed == 0;
    }

  private:
    Locator& where_;
    WhereView& view_;
    std::string out_;
    WhereTally tally_;
};

// A list separated by commas, cut after a comma into lines of at most `width` characters.
std::string wrapped(std::string_view list, std::size_t width) {
    std::string out;
    std::size_t line = 0;
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view item =
            list.substr(0, comma == std::string_view::npos ? list.size() : comma + 1);
        list.remove_prefix(item.size());
        if (line > 0 && line + item.size() > width) {
            out.push_back('\n');
            line = 0;
        }
        out += item;
        line += item.size();
    }
    return out;
}

bool more_ready(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP));
}

// Addresses on standard input, one a line: each batch is what was ready to be read, answered
// before the next read that would wait (a terminal's line, a pipe's pause).
std::optional<std::string> answer_stdin(Answerer& answers) {
    text::LineCarry carry;
    std::vector<std::string> lines;
    bool too_long = false;
    const auto on_line = [&](std::string_view line) {
        if (too_long) return false;  // the lines after a line too long are not answered
        lines.emplace_back(line);
        return true;
    };
    const auto on_long = [&](std::size_t) { too_long = true; };
    std::vector<char> buf(1 << 16);
    bool end = false;
    while (!end) {
        std::size_t taken = 0;
        do {
            const ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return fmt::format("cannot read standard input: {}", std::strerror(errno));
            if (n == 0) {
                end = true;
                break;
            }
            taken += static_cast<std::size_t>(n);
            text::feed_lines(carry, std::string_view(buf.data(), static_cast<std::size_t>(n)),
                             on_line, on_long);
            if (too_long || carry.length > 0) break;
        } while (taken < kBatchBytes && more_ready(STDIN_FILENO));
        if (end) text::finish_lines(carry, on_line, on_long);
        answers.batch(lines, true);
        lines.clear();
        if (too_long || carry.length > 0)
            return fmt::format(
                "standard input: a line is longer than {} bytes, which no address is; the "
                "lines before it are answered",
                kLongestLine);
    }
    return std::nullopt;
}

}  // namespace

int run_where(int argc, char** argv) {
    ArgParser app{
        "What is at each address: the mapping that holds it and its name, the object "
        "(image) and where it is loaded, the offsets into the mapping, the file, the "
        "ELF segment and section, the symbol, and the source line with the calls it "
        "was inlined through (PANDA memorymap, pwndbg xinfo, addr2line).",
        "vmatlas where"};
    app.footer(
        "KEYS, in the order of the full answer:\n" + wrapped(WhereView::keys(), 88) +
        "\n\n"
        "ADDR is 0x hex, decimal, or octal with a leading 0 (C's and PANDA's convention);\n"
        "MODULE+OFFSET (from the object's image base: libc.so.6+0x1234, libc+0x1234);\n"
        "SYMBOL[+OFFSET] (malloc+16); or NAME[+OFFSET] for a vmatlas name ([heap]+0x10,\n"
        "[anon_7ffff7ccd], 'stack tid=1234'). Without ADDR, or with '-', addresses are read one\n"
        "a line from standard input and each is answered as soon as it has been read.\n"
        "One address is a block; more are a line each (key=value, PANDA's order).\n"
        "Exit status: 0 every address found, 1 an address in no mapping or an input that is no\n"
        "address (each is still answered, in its place), 2 usage, 3 no such process or file,\n"
        "4 permission denied, 5 process exited, 6 kernel thread, 7 bad input, 8 ambiguous name,\n"
        "9 partial input, 10 the output cannot be written, 11 out of memory.");
    TargetArgs args;
    std::vector<std::string> addresses;
    bool json = false, csv = false, block = false, oneline = false, demangle = false,
         no_lines = false;
    std::string fields;
    args.add_to(app);
    app.add_option("ADDR", addresses, "an address, in any form below ('-' or none: stdin)");
    app.add_flag("--json", json, "JSON Lines: one object an address (docs/where.md)");
    app.add_flag("--csv", csv, "CSV: a header, then a row an address");
    app.add_flag("--block", block, "a block of 'field value' lines for every address");
    app.add_flag("--oneline", oneline, "a line of key=value pairs for every address");
    app.add_option("--fields KEYS", fields,
                   "only these fields, in this order: keys (below) separated by commas");
    app.add_flag("-C,--demangle", demangle, "C++ symbol and function names demangled");
    app.add_flag("--no-lines", no_lines, "no source lines (DWARF is not read)");
    if (const auto status = app.parse(argc, argv)) return *status;
    if (json + csv + block + oneline > 1)
        return usage_error("--json, --csv, --block and --oneline choose one output: give one");

    const bool from_stdin = addresses.empty() || (addresses.size() == 1 && addresses[0] == "-");
    if (!from_stdin)
        for (const std::string& a : addresses)
            if (a == "-") return usage_error("'-' (standard input) comes alone, without ADDR");
    if (from_stdin && args.target == "-")
        return usage_error("the addresses and the target cannot both come from standard input");

    // A few numbers for a live process: the kernel is asked for their rows alone (open_map_for).
    auto loaded = load(args, {}, [&](const std::string& target, const NamedMapOptions& options) {
        return open_map_for(target, from_stdin ? std::vector<std::string>() : addresses, options);
    });
    if (!loaded) return loaded.error();
    const NamedMap& map = *loaded.operator->();
    int status = loaded->status;

    WhereViewOptions view_options;
    view_options.style = json                                   ? WhereStyle::Json
                         : csv                                  ? WhereStyle::Csv
                         : block                                ? WhereStyle::Block
                         : oneline                              ? WhereStyle::Line
                         : !from_stdin && addresses.size() == 1 ? WhereStyle::Block
                                                                : WhereStyle::Line;
    view_options.fields = fields;
    view_options.demangle = demangle;
    auto view = WhereView::make(map, view_options);
    if (!view) {
        keep_until_exit(loaded);
        return report(view.error());
    }
    Locator where(map, {.lines = !no_lines});
    Answerer answers(where, *view);
    view->begin(answers.out());
    if (from_stdin) {
        if (auto error = answer_stdin(answers)) {
            answers.flush();
            keep_until_exit(loaded);
            return report({ErrorKind::UnreadableInput, *error});
        }
    } else {
        answers.batch(addresses, false);
    }
    answers.flush();
    for (const std::string& w : where.warnings()) report_warning(w);
    if (!answers.all_found() && status == kOk) status = kNoMatch;
    keep_until_exit(loaded);
    return status;
}

}  // namespace vmatlas::cli
