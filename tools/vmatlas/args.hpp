// ArgParser: the command line of one subcommand. Flags, options that take a value, and
// positionals are declared with the variable each one fills, then argv is parsed in one pass.
//
//   ArgParser args{"What the command shows.", "vmatlas pmap"};
//   args.add_flag("-x", extended, "Kbytes RSS Anon Locked, with totals");
//   args.add_option("-A,--range", range_text, "only rows that intersect [lo, hi)");
//   args.add_option("TARGET", target, "a PID, ...")->required();
//   if (const auto status = args.parse(argc, argv)) return *status;
//
// What getopt_long users expect: `-x -q` or `-xq`, `-A 3` or `-A3`, `--range 1000` or
// `--range=1000`, `--` before a positional that starts with '-', and a lone `-` is a positional
// (standard input); unlike getopt_long, a long option is typed in full. -h (alone or in a
// bundle: -vh) and --help print the help on stdout. A mistake is one sentence on stderr
// and the usage exit status. An option given twice keeps its last value; a list option (--add)
// keeps them all, in order.
//
// It builds nothing before main and includes no <iostream>: a run that reads a small process's
// map takes a few milliseconds, and static constructors would be a measurable part of them.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vmatlas::cli {

class ArgParser;

// One declared argument. Returned by ArgParser::add_* for the modifiers below.
class Arg {
  public:
    // An argument that must be given ("TARGET is required"): a positional, as every command uses
    // it.
    Arg* required() {
        required_ = true;
        return this;
    }
    // A value that must be one of choices ("--color takes auto, always or never, not 'x'").
    Arg* one_of(std::vector<std::string> choices) {
        choices_ = std::move(choices);
        return this;
    }

  private:
    friend class ArgParser;
    // Where the value goes: a flag, text, a number, or a list (one value per occurrence).
    using Target =
        std::variant<bool*, std::string*, std::optional<unsigned>*, std::vector<std::string>*>;
    bool is_flag() const { return std::holds_alternative<bool*>(target_); }
    bool is_list() const { return std::holds_alternative<std::vector<std::string>*>(target_); }

    Target target_;
    std::vector<char> shorts_;        // 'x' for -x
    std::vector<std::string> longs_;  // "range" for --range
    std::string positional_;          // "TARGET"; empty for a flag or an option
    std::string help_;
    std::string metavar_;  // what the help shows after an option's name ("FILE", "N")
    bool required_ = false;
    bool seen_ = false;
    std::vector<std::string> choices_;
};

class ArgParser {
  public:
    // name: how the command is typed ("vmatlas pmap"), for the usage line and messages.
    ArgParser(std::string description, std::string name);

    // Printed at the end of the help.
    void footer(std::string text) { footer_ = std::move(text); }

    // What follows the options on the usage line and in the arguments' list when the command
    // reads it from argv itself (trace's "-- CMD [ARGS]", everything after the `--`).
    void rest(std::string usage, std::string help) {
        rest_ = std::move(usage);
        rest_help_ = std::move(help);
    }

    // names: "-w,--writable", "-b" or "--json"; for an option, what its value is may follow a
    // space ("-o,--output FILE"; else N for a number, VALUE for text). A positional has one name
    // without a dash, which is what the help and the messages call it ("TARGET").
    Arg* add_flag(std::string_view names, bool& value, std::string help);
    Arg* add_option(std::string_view names, std::string& value, std::string help);
    Arg* add_option(std::string_view names, std::optional<unsigned>& value, std::string help);
    // Repeatable: each occurrence adds one value. As the last positional, it takes every
    // positional left ("ADDR...").
    Arg* add_option(std::string_view names, std::vector<std::string>& values, std::string help);

    // Parses argv[1] to argv[argc - 1] into the declared variables. Nothing when the command
    // should go on; else its exit status: 0 after -h/--help (the help printed on stdout), the
    // usage status after a mistake (said on stderr, with a pointer to --help).
    std::optional<int> parse(int argc, char** argv);

    // The help text: description, usage line, arguments, options, footer.
    std::string help() const;
    const std::string& name() const { return name_; }

  private:
    Arg* declare(std::string_view names, Arg::Target target, std::string help);
    Arg* find_long(std::string_view name);
    Arg* find_short(char c);
    // Stores value into arg; a sentence when it does not fit ("-A takes a number ...").
    std::optional<std::string> take(Arg& arg, std::string_view spelled, std::string_view value);
    std::optional<std::string> parse_words(int argc, char** argv);
    // Whether -h or --help comes before any `--`, alone or in a bundle of short flags.
    bool asks_for_help(int argc, char** argv);

    std::string description_, name_, footer_, rest_, rest_help_;
    std::deque<Arg> args_;  // in declaration order; a deque, so that Arg* stay valid
};

}  // namespace vmatlas::cli
