// The command-line parser (tools/vmatlas/args.hpp): the spellings getopt_long users type, and one
// sentence with the usage status for each kind of mistake.
#include "vmatlas/args.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "vmatlas/exit_status.hpp"

namespace {

using vmatlas::cli::ArgParser;

// A command shaped like `vmatlas` itself: flags, a number, text with choices, a list, and a
// required and an optional positional.
struct Command {
    bool writable = false, executable = false, json = false;
    std::optional<unsigned> after;
    std::string color = "auto", target, filter;
    std::vector<std::string> add;
    ArgParser parser{"Shows things.", "vmatlas test"};

    Command() {
        parser.footer("Exit status: 0 ok.");
        parser.add_option("TARGET", target, "what to show")->required();
        parser.add_option("FILTER", filter, "which rows");
        parser.add_flag("-w,--writable", writable, "writable rows only");
        parser.add_flag("-x,--executable", executable, "executable rows only");
        parser.add_flag("--json", json, "JSON");
        parser.add_option("-A,--lines-after", after, "rows after each match");
        parser.add_option("--color WHEN", color, "auto, always or never")
            ->one_of({"auto", "always", "never"});
        parser.add_option("--add FILE", add, "a regions file (repeatable)");
    }

    // Parses `words` (argv[0] is added); the exit status, or -1 when the command would go on.
    // stderr_text gets what was said on stderr, stdout_text what was printed on stdout.
    int parse(std::initializer_list<const char*> words) {
        std::vector<std::string> storage{"test"};
        for (const char* w : words) storage.emplace_back(w);
        std::vector<char*> argv;
        for (std::string& s : storage) argv.push_back(s.data());
        testing::internal::CaptureStderr();
        testing::internal::CaptureStdout();
        const auto status = parser.parse(static_cast<int>(argv.size()), argv.data());
        stdout_text = testing::internal::GetCapturedStdout();
        stderr_text = testing::internal::GetCapturedStderr();
        return status ? *status : -1;
    }
    std::string stdout_text, stderr_text;
};

std::string usage_message(const std::string& sentence) {
    return "vmatlas: " + sentence + "\nRun 'vmatlas test --help' for more information.\n";
}

TEST(Args, PositionalsFillInOrderAndTheOptionalOneMayBeLeftOut) {
    Command a;
    EXPECT_EQ(a.parse({"1234"}), -1);
    EXPECT_EQ(a.target, "1234");
    EXPECT_EQ(a.filter, "");
    Command b;
    EXPECT_EQ(b.parse({"1234", "libc"}), -1);
    EXPECT_EQ(b.target, "1234");
    EXPECT_EQ(b.filter, "libc");
    EXPECT_EQ(b.stderr_text, "");
    EXPECT_EQ(b.stdout_text, "");
}

TEST(Args, AListAsTheLastPositionalTakesEveryWordLeft) {
    std::string target;
    std::vector<std::string> addrs;
    bool json = false;
    ArgParser parser{"Answers addresses.", "vmatlas test"};
    parser.add_option("TARGET", target, "what")->required();
    parser.add_option("ADDR", addrs, "addresses");
    parser.add_flag("--json", json, "JSON");
    std::vector<std::string> storage{"test", "1234", "0x10", "--json", "malloc+16", "--", "-"};
    std::vector<char*> argv;
    for (std::string& s : storage) argv.push_back(s.data());
    EXPECT_FALSE(parser.parse(static_cast<int>(argv.size()), argv.data()).has_value());
    EXPECT_EQ(target, "1234");
    EXPECT_EQ(addrs, (std::vector<std::string>{"0x10", "malloc+16", "-"}));
    EXPECT_TRUE(json);
    EXPECT_NE(parser.help().find("Usage: vmatlas test [OPTIONS] TARGET [ADDR...]"),
              std::string::npos)
        << parser.help();
}

TEST(Args, ShortFlagsMayBeBundledAndLongOnesSpelledOut) {
    Command a;
    EXPECT_EQ(a.parse({"-wx", "1"}), -1);
    EXPECT_TRUE(a.writable);
    EXPECT_TRUE(a.executable);
    EXPECT_FALSE(a.json);
    Command b;
    EXPECT_EQ(b.parse({"1", "--executable", "--json"}), -1);
    EXPECT_FALSE(b.writable);
    EXPECT_TRUE(b.executable);
    EXPECT_TRUE(b.json);
}

TEST(Args, AValueMayBeAttachedOrTheNextWord) {
    for (auto words : {std::initializer_list<const char*>{"-A3", "1"},
                       {"-A", "3", "1"},
                       {"--lines-after=3", "1"},
                       {"--lines-after", "3", "1"},
                       {"-wA3", "1"}}) {
        Command c;
        EXPECT_EQ(c.parse(words), -1) << c.stderr_text;
        EXPECT_EQ(c.after, 3u);
        EXPECT_EQ(c.target, "1");
    }
    Command next;  // a value is the next word even when it starts with '-'
    EXPECT_EQ(next.parse({"--add", "-w", "-A", "0", "--add", "--", "1"}), -1) << next.stderr_text;
    EXPECT_EQ(next.add, (std::vector<std::string>{"-w", "--"}));
    EXPECT_FALSE(next.writable);
    EXPECT_EQ(next.after, 0u);
    EXPECT_EQ(next.target, "1");
    Command bundle;  // a bundle's last flag may take the next word
    EXPECT_EQ(bundle.parse({"-wA", "3", "1"}), -1) << bundle.stderr_text;
    EXPECT_TRUE(bundle.writable);
    EXPECT_EQ(bundle.after, 3u);
    EXPECT_EQ(bundle.target, "1");
}

TEST(Args, TheLastValueOfAnOptionWinsAndAListKeepsThemAll) {
    Command c;
    EXPECT_EQ(c.parse({"--color=always", "--add", "a", "1", "--color", "never", "--add=b"}), -1);
    EXPECT_EQ(c.color, "never");
    EXPECT_EQ(c.add, (std::vector<std::string>{"a", "b"}));
}

TEST(Args, ALoneDashIsAPositionalAndDoubleDashEndsTheOptions) {
    Command a;
    EXPECT_EQ(a.parse({"-", "-w"}), -1);
    EXPECT_EQ(a.target, "-");
    EXPECT_TRUE(a.writable);
    Command b;
    EXPECT_EQ(b.parse({"--", "-w", "--help"}), -1);
    EXPECT_EQ(b.target, "-w");
    EXPECT_EQ(b.filter, "--help");
    EXPECT_FALSE(b.writable);
    EXPECT_EQ(b.stdout_text, "");
}

TEST(Args, EachMistakeIsOneSentenceAndTheUsageStatus) {
    const struct {
        std::initializer_list<const char*> words;
        const char* sentence;
    } cases[] = {
        {{}, "TARGET is required"},
        {{"-w"}, "TARGET is required"},
        {{"1", "2", "3"}, "unexpected argument '3'"},
        {{"--bogus", "1"}, "unknown option --bogus"},
        {{"-wz", "1"}, "unknown option -z"},
        {{"1", "-A"}, "-A needs a value"},
        {{"1", "--lines-after"}, "--lines-after needs a value"},
        {{"--json=yes", "1"}, "--json takes no value"},
        {{"-A", "x", "1"}, "-A takes a whole number, not 'x'"},
        {{"-A", "-1", "1"}, "-A takes a whole number, not '-1'"},
        {{"--lines-after=", "1"}, "--lines-after takes a whole number, not ''"},
        {{"-A4294967296", "1"}, "-A takes a whole number, not '4294967296'"},
        {{"-A3x", "1"}, "-A takes a whole number, not '3x'"},
        {{"--color", "blue", "1"}, "--color takes auto, always or never, not 'blue'"},
    };
    for (const auto& c : cases) {
        Command cmd;
        EXPECT_EQ(cmd.parse(c.words), vmatlas::cli::kUsage) << c.sentence;
        EXPECT_EQ(cmd.stderr_text, usage_message(c.sentence));
        EXPECT_EQ(cmd.stdout_text, "");
    }
}

TEST(Args, HelpAnywhereBeforeDoubleDashIsPrintedAndSucceeds) {
    for (auto words : {std::initializer_list<const char*>{"--help"},
                       {"1", "-h"},
                       {"--bogus", "--help"},
                       {"-wh"},
                       {"-A", "3", "-xh", "1"}}) {
        Command c;
        EXPECT_EQ(c.parse(words), vmatlas::cli::kOk);
        EXPECT_EQ(c.stderr_text, "");
        EXPECT_EQ(c.stdout_text, c.parser.help());
    }
}

TEST(Args, HelpListsEveryArgumentWithItsValueAndTheFooter) {
    Command c;
    const std::string help = c.parser.help();
    EXPECT_EQ(help.rfind("Shows things.\n\nUsage: vmatlas test [OPTIONS] TARGET [FILTER]\n", 0), 0u)
        << help;
    // Names padded to the longest ("-A, --lines-after N"), then the help.
    for (const char* line :
         {"\n  TARGET               what to show\n", "\n  FILTER               which rows\n",
          "\n  -h, --help           this help\n", "\n  -w, --writable       writable rows only\n",
          "\n  --json               JSON\n", "\n  -A, --lines-after N  rows after each match\n",
          "\n  --color WHEN         auto, always or never\n",
          "\n  --add FILE           a regions file (repeatable)\n"})
        EXPECT_NE(help.find(line), std::string::npos) << line << "in\n" << help;
    EXPECT_TRUE(help.ends_with("\nExit status: 0 ok.\n")) << help;
}

TEST(Args, HelpInsideAValueIsAValue) {
    Command c;  // "-h" after -A, or as the rest of -Ah, is the number -A was given
    EXPECT_EQ(c.parse({"-A", "-h", "1"}), vmatlas::cli::kUsage);
    EXPECT_EQ(c.stderr_text, usage_message("-A takes a whole number, not '-h'"));
    EXPECT_EQ(c.stdout_text, "");
}

TEST(Args, AWideNameGetsItsHelpOnTheNextLineAndNoArgumentsHeadingWithoutPositionals) {
    bool flag = false;
    ArgParser p{"Wide.", "vmatlas wide"};
    p.add_flag("--a-very-long-option-name-indeed", flag, "its help");
    const std::string help = p.help();
    EXPECT_EQ(help.find("Arguments:"), std::string::npos) << help;
    EXPECT_NE(
        help.find("\n  --a-very-long-option-name-indeed\n" + std::string(28, ' ') + "its help\n"),
        std::string::npos)
        << help;
    EXPECT_EQ(help.find(" \n"), std::string::npos) << "a line ends in a space:\n" << help;
}

TEST(Args, HelpLinesAreWrappedAtOneHundredColumns) {
    std::string target;
    ArgParser p{std::string(30, 'd') + " " + std::string(80, 'e'), "vmatlas wrap"};
    std::string long_help;
    for (int i = 0; i < 40; ++i) long_help += "word ";
    p.add_option("TARGET", target, long_help);
    const std::string help = p.help();
    std::istringstream lines(help);
    std::size_t count = 0;
    for (std::string line; std::getline(lines, line); ++count) EXPECT_LE(line.size(), 100u) << line;
    EXPECT_GT(count, 8u) << help;  // the description and the help took more than a line each
    EXPECT_EQ(help.rfind(std::string(30, 'd') + "\n" + std::string(80, 'e') + "\n", 0), 0u) << help;
}

}  // namespace
