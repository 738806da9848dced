#include "args.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>

#include <fmt/format.h>

#include "exit_status.hpp"
#include "output.hpp"
#include "sources/text.hpp"

namespace vmatlas::cli {

namespace {

// text as lines of at most 100 columns, words kept whole, every line after the first indented by
// `indent` (the first starts where the caller is), with a newline at the end.
std::string wrapped(std::string_view text, std::size_t indent) {
    constexpr std::size_t kColumns = 100;
    std::string out;
    std::size_t column = indent;
    bool first = true;
    while (!text.empty()) {
        const std::size_t space = text.find(' ');
        const std::string_view word = text.substr(0, space);
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
        if (word.empty()) continue;
        if (!first && column + 1 + word.size() > kColumns) {
            out += '\n';
            out.append(indent, ' ');
            column = indent;
        } else if (!first) {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
        first = false;
    }
    out += '\n';
    return out;
}

}  // namespace

ArgParser::ArgParser(std::string description, std::string name)
    : description_(std::move(description)), name_(std::move(name)) {}

Arg* ArgParser::declare(std::string_view names, Arg::Target target, std::string help) {
    Arg& arg = args_.emplace_back();
    arg.target_ = target;
    arg.help_ = std::move(help);
    if (const std::size_t space = names.find(' '); space != std::string_view::npos) {
        arg.metavar_ = names.substr(space + 1);
        names = names.substr(0, space);
    } else if (!arg.is_flag()) {
        arg.metavar_ = std::holds_alternative<std::optional<unsigned>*>(target) ? "N" : "VALUE";
    }
    while (!names.empty()) {
        const std::size_t comma = names.find(',');
        const std::string_view name = names.substr(0, comma);
        names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 1);
        if (name.starts_with("--"))
            arg.longs_.emplace_back(name.substr(2));
        else if (name.size() == 2 && name[0] == '-')
            arg.shorts_.push_back(name[1]);
        else
            arg.positional_ = name;
    }
    return &arg;
}

Arg* ArgParser::add_flag(std::string_view names, bool& value, std::string help) {
    return declare(names, &value, std::move(help));
}

Arg* ArgParser::add_option(std::string_view names, std::string& value, std::string help) {
    return declare(names, &value, std::move(help));
}

Arg* ArgParser::add_option(std::string_view names, std::optional<unsigned>& value,
                           std::string help) {
    return declare(names, &value, std::move(help));
}

Arg* ArgParser::add_option(std::string_view names, std::vector<std::string>& values,
                           std::string help) {
    return declare(names, &values, std::move(help));
}

Arg* ArgParser::find_long(std::string_view name) {
    for (Arg& a : args_)
        if (std::find(a.longs_.begin(), a.longs_.end(), name) != a.longs_.end()) return &a;
    return nullptr;
}

Arg* ArgParser::find_short(char c) {
    for (Arg& a : args_)
        if (std::find(a.shorts_.begin(), a.shorts_.end(), c) != a.shorts_.end()) return &a;
    return nullptr;
}

std::optional<std::string> ArgParser::take(Arg& arg, std::string_view spelled,
                                           std::string_view value) {
    arg.seen_ = true;
    if (!arg.choices_.empty() &&
        std::find(arg.choices_.begin(), arg.choices_.end(), value) == arg.choices_.end()) {
        std::string list;
        for (std::size_t i = 0; i < arg.choices_.size(); ++i) {
            if (i > 0) list += i + 1 == arg.choices_.size() ? " or " : ", ";
            list += arg.choices_[i];
        }
        return fmt::format("{} takes {}, not '{}'", spelled, list, value);
    }
    if (auto* flag = std::get_if<bool*>(&arg.target_)) {
        **flag = true;
    } else if (auto* text = std::get_if<std::string*>(&arg.target_)) {
        **text = value;
    } else if (auto* list = std::get_if<std::vector<std::string>*>(&arg.target_)) {
        (*list)->emplace_back(value);
    } else if (auto* number = std::get_if<std::optional<unsigned>*>(&arg.target_)) {
        const vmatlas::text::Number n = vmatlas::text::parse_decimal(value);
        if (!n.ok() || n.value > UINT_MAX)
            return fmt::format("{} takes a whole number, not '{}'", spelled, value);
        **number = static_cast<unsigned>(n.value);
    }
    return std::nullopt;
}

std::optional<std::string> ArgParser::parse_words(int argc, char** argv) {
    std::size_t next_positional = 0;  // counts the positionals filled so far
    bool only_positionals = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (only_positionals || word.size() < 2 || word[0] != '-') {
            Arg* slot = nullptr;
            std::size_t k = 0;
            for (Arg& a : args_)
                if (!a.positional_.empty() && k++ == next_positional) slot = &a;
            if (slot == nullptr) return fmt::format("unexpected argument '{}'", word);
            // A list takes every positional from here on.
            if (!slot->is_list()) ++next_positional;
            if (auto error = take(*slot, slot->positional_, word)) return error;
            continue;
        }
        if (word == "--") {
            only_positionals = true;
            continue;
        }
        if (word.starts_with("--")) {
            const std::size_t eq = word.find('=');
            const std::string_view name =
                word.substr(2, eq == std::string_view::npos ? eq : eq - 2);
            const std::string spelled = fmt::format("--{}", name);
            Arg* arg = find_long(name);
            if (arg == nullptr) return fmt::format("unknown option {}", spelled);
            if (arg->is_flag()) {
                if (eq != std::string_view::npos) return fmt::format("{} takes no value", spelled);
                take(*arg, spelled, "");
            } else if (eq != std::string_view::npos) {
                if (auto error = take(*arg, spelled, word.substr(eq + 1))) return error;
            } else {
                if (i + 1 >= argc) return fmt::format("{} needs a value", spelled);
                if (auto error = take(*arg, spelled, argv[++i])) return error;
            }
            continue;
        }
        // One or more short flags (-xq), the last of which may take a value (-A3, -A 3).
        for (std::size_t j = 1; j < word.size(); ++j) {
            const std::string spelled = fmt::format("-{}", word[j]);
            Arg* arg = find_short(word[j]);
            if (arg == nullptr) return fmt::format("unknown option {}", spelled);
            if (arg->is_flag()) {
                take(*arg, spelled, "");
                continue;
            }
            if (j + 1 < word.size()) {
                if (auto error = take(*arg, spelled, word.substr(j + 1))) return error;
            } else {
                if (i + 1 >= argc) return fmt::format("{} needs a value", spelled);
                if (auto error = take(*arg, spelled, argv[++i])) return error;
            }
            break;
        }
    }
    for (const Arg& a : args_)
        if (a.required_ && !a.seen_)
            return fmt::format("{} is required", !a.positional_.empty() ? a.positional_
                                                 : !a.longs_.empty()
                                                     ? "--" + a.longs_[0]
                                                     : std::string{'-', a.shorts_.at(0)});
    return std::nullopt;
}

bool ArgParser::asks_for_help(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (word == "--") return false;
        if (word == "--help") return true;
        if (word.size() < 2 || word[0] != '-' || word[1] == '-') continue;
        // A bundle of short flags (-vh) up to the first that takes a value (-A3: the rest is it).
        for (std::size_t j = 1; j < word.size(); ++j) {
            if (word[j] == 'h') return true;
            const Arg* arg = find_short(word[j]);
            if (arg == nullptr || !arg->is_flag()) {
                if (arg != nullptr && j + 1 == word.size()) ++i;  // -A 3: skip the value
                break;
            }
        }
    }
    return false;
}

std::optional<int> ArgParser::parse(int argc, char** argv) {
    if (asks_for_help(argc, argv)) {
        const std::string text = help();
        write_stdout(text);
        return kOk;
    }
    if (auto error = parse_words(argc, argv)) {
        fmt::print(stderr, "vmatlas: {}\nRun '{} --help' for more information.\n", *error, name_);
        return kUsage;
    }
    return std::nullopt;
}

std::string ArgParser::help() const {
    auto spelled = [](const Arg& a) {
        std::string s;
        for (char c : a.shorts_) s += fmt::format("{}-{}", s.empty() ? "" : ", ", c);
        for (const std::string& l : a.longs_) s += fmt::format("{}--{}", s.empty() ? "" : ", ", l);
        if (!a.metavar_.empty()) s += " " + a.metavar_;
        return a.positional_.empty() ? s : a.positional_;
    };
    std::size_t width = std::string_view("-h, --help").size();
    std::string usage = name_ + " [OPTIONS]";
    for (const Arg& a : args_) {
        width = std::max(width, spelled(a).size());
        if (a.positional_.empty()) continue;
        const std::string word = a.positional_ + (a.is_list() ? "..." : "");
        usage += a.required_ ? " " + word : " [" + word + "]";
    }
    width = std::min<std::size_t>(width, 24);
    auto line = [&](std::string& out, const std::string& left, const std::string& help) {
        if (left.size() > width)
            out += fmt::format("  {}\n  {:{}}  ", left, "", width);
        else
            out += fmt::format("  {:{}}  ", left, width);
        out += wrapped(help, width + 4);
    };
    if (!rest_.empty()) usage += " " + rest_;
    std::string out = wrapped(description_, 0);
    out += fmt::format("\nUsage: {}\n", usage);
    if (!rest_.empty() || std::any_of(args_.begin(), args_.end(),
                                      [](const Arg& a) { return !a.positional_.empty(); }))
        out += "\nArguments:\n";
    for (const Arg& a : args_)
        if (!a.positional_.empty()) line(out, a.positional_, a.help_);
    if (!rest_.empty()) line(out, rest_, rest_help_);
    out += "\nOptions:\n";
    line(out, "-h, --help", "this help");
    for (const Arg& a : args_)
        if (a.positional_.empty()) line(out, spelled(a), a.help_);
    if (!footer_.empty()) out += fmt::format("\n{}\n", footer_);
    return out;
}

}  // namespace vmatlas::cli
