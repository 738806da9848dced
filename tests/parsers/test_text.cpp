// The grammars of src/sources/text.hpp: what each accepts, with its exact value, and what it
// refuses, with the reason; the overflow edges; lines cut from pieces.
#include <charconv>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "sources/text.hpp"

namespace vmatlas::text {
namespace {

constexpr std::uint64_t kMax = UINT64_MAX;

// ---- Characters ---------------------------------------------------------------------------

TEST(TextHexDigit, EveryByte) {
    for (int b = 0; b < 256; ++b) {
        const char c = static_cast<char>(b);
        int want = -1;
        if (b >= '0' && b <= '9') want = b - '0';
        if (b >= 'a' && b <= 'f') want = b - 'a' + 10;
        if (b >= 'A' && b <= 'F') want = b - 'A' + 10;
        EXPECT_EQ(hex_digit(c), want) << b;
        EXPECT_EQ(is_digit(c), b >= '0' && b <= '9') << b;
        EXPECT_EQ(is_blank(c), b == ' ' || b == '\t') << b;
    }
}

TEST(TextHexDigit, Prefix) {
    EXPECT_TRUE(has_hex_prefix("0x"));
    EXPECT_TRUE(has_hex_prefix("0X1"));
    EXPECT_FALSE(has_hex_prefix("x1"));
    EXPECT_FALSE(has_hex_prefix("0"));
    EXPECT_FALSE(has_hex_prefix("00x1"));
    EXPECT_FALSE(has_hex_prefix(""));
}

// ---- Numbers at the start of a text -------------------------------------------------------

void expect_run(const DigitRun& r, std::uint64_t value, std::size_t length) {
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.value, value);
    EXPECT_EQ(r.length, length);
}

TEST(TextScanHex, ReadsTheRunAndStopsAtTheFirstOtherByte) {
    expect_run(scan_hex("7f35f09a3000-7f35f09a4000", 16), 0x7f35f09a3000, 12);
    expect_run(scan_hex("aBcDeF 1", 16), 0xabcdef, 6);
    expect_run(scan_hex("0", 16), 0, 1);
    expect_run(scan_hex("fe:01", 8), 0xfe, 2);
    for (const std::string_view none : {"", "g", "-1", " 1", "x1"}) {
        const DigitRun r = scan_hex(none);
        EXPECT_FALSE(r.ok()) << none;
        EXPECT_EQ(r.length, 0u) << none;
    }
}

TEST(TextScanHex, SixteenDigitsFitSeventeenDoNot) {
    expect_run(scan_hex("ffffffffffffffff", 16), kMax, 16);
    expect_run(scan_hex("ffffffffffffffff"), kMax, 16);
    // With a limit of 16 digits, a 17th is too long, whatever its value; the run is read only
    // to that 17th digit.
    DigitRun r = scan_hex("00000000000000001", 16);
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(r.too_long);
    EXPECT_EQ(r.length, 17u);
    r = scan_hex("123456789abcdef0123", 16);
    EXPECT_TRUE(r.too_long);
    EXPECT_EQ(r.length, 17u);
    // Without a limit, leading zeros are free and only the value counts.
    expect_run(scan_hex("00000000000000001"), 1, 17);
    expect_run(scan_hex("0000000000000000000000ffffffffffffffff"), kMax, 38);
    r = scan_hex("10000000000000000");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(r.overflow);
    EXPECT_FALSE(r.too_long);
    EXPECT_EQ(r.length, 17u);
    EXPECT_TRUE(scan_hex("1ffffffffffffffff").overflow);
}

TEST(TextScanHex, DigitLimits) {
    expect_run(scan_hex("12345678", 8), 0x12345678, 8);
    EXPECT_TRUE(scan_hex("123456789", 8).too_long);
    EXPECT_EQ(scan_hex("123456789", 8).length, 9u);
    EXPECT_TRUE(scan_hex("12", 1).too_long);
}

TEST(TextScanDecimal, ReadsTheRunAndChecksOverflow) {
    expect_run(scan_decimal("123 kB"), 123, 3);
    expect_run(scan_decimal("0"), 0, 1);
    expect_run(scan_decimal("18446744073709551615"), kMax, 20);
    expect_run(scan_decimal("000000000000000000000018446744073709551615"), kMax, 42);
    for (const std::string_view big :
         {"18446744073709551616", "18446744073709551620", "99999999999999999999",
          "100000000000000000000", "184467440737095516150"}) {
        const DigitRun r = scan_decimal(big);
        EXPECT_FALSE(r.ok()) << big;
        EXPECT_TRUE(r.overflow) << big;
        EXPECT_EQ(r.length, big.size()) << big;
    }
    for (const std::string_view none : {"", "a", "-1", "+1", " 1"})
        EXPECT_EQ(scan_decimal(none).length, 0u) << none;
    EXPECT_TRUE(scan_decimal("123", 2).too_long);
    expect_run(scan_decimal("12", 2), 12, 2);
}

TEST(TextScanNumbers, AgreeWithFromCharsOnRandomNumbers) {
    std::mt19937_64 random(16);
    for (int i = 0; i < 20000; ++i) {
        const std::uint64_t v = random() >> (random() % 64);
        char buf[32];
        for (const int base : {10, 16}) {
            const auto end = std::to_chars(buf, buf + sizeof buf, v, base).ptr;
            const std::string digits(buf, end);
            const DigitRun r = base == 10 ? scan_decimal(digits + " x") : scan_hex(digits + "-x");
            ASSERT_TRUE(r.ok()) << digits;
            ASSERT_EQ(r.value, v) << digits;
            ASSERT_EQ(r.length, digits.size()) << digits;
        }
    }
}

// ---- Numbers that are all of a text -------------------------------------------------------

void expect_number(const Number& n, std::uint64_t value) {
    EXPECT_TRUE(n.ok());
    EXPECT_EQ(n.value, value);
    EXPECT_EQ(n.optional(), value);
}

TEST(TextParseHex, Prefixes) {
    expect_number(parse_hex("1f"), 0x1f);
    expect_number(parse_hex("1F", HexPrefix::Optional), 0x1f);
    expect_number(parse_hex("0x1f", HexPrefix::Optional), 0x1f);
    expect_number(parse_hex("0X1f", HexPrefix::Optional), 0x1f);
    expect_number(parse_hex("0x1f", HexPrefix::Required), 0x1f);
    expect_number(parse_hex("0x0", HexPrefix::Required), 0);
    // "0x" is a prefix only where one is allowed; without, it is a '0' and a stray 'x'.
    EXPECT_EQ(parse_hex("0x1f").error, NumberError::Bad);
    EXPECT_EQ(parse_hex("1f", HexPrefix::Required).error, NumberError::Bad);
    for (const HexPrefix p : {HexPrefix::None, HexPrefix::Optional, HexPrefix::Required}) {
        for (const std::string_view bad :
             {"", "0x", "0X", "0x0x1", "0xg", " 0x1", "0x1 ", "0x-1", "0x+1", "0x1.0"}) {
            const Number n = parse_hex(bad, p);
            EXPECT_EQ(n.error, NumberError::Bad) << bad;
            EXPECT_FALSE(n.optional()) << bad;
        }
    }
}

TEST(TextParseHex, DigitLimitAndOverflow) {
    expect_number(parse_hex("ffffffffffffffff", HexPrefix::None, 16), kMax);
    expect_number(parse_hex("0xFFFFFFFFFFFFFFFF", HexPrefix::Optional, 16), kMax);
    // 17 digits: too many under a limit of 16 (Bad), too large without a limit.
    EXPECT_EQ(parse_hex("10000000000000000", HexPrefix::None, 16).error, NumberError::Bad);
    EXPECT_EQ(parse_hex("00000000000000001", HexPrefix::None, 16).error, NumberError::Bad);
    EXPECT_EQ(parse_hex("10000000000000000").error, NumberError::TooLarge);
    expect_number(parse_hex("00000000000000001"), 1);
    EXPECT_EQ(parse_hex("0x10000000000000000", HexPrefix::Required).error, NumberError::TooLarge);
    // A byte that is no digit makes it Bad, however many digits come first.
    EXPECT_EQ(parse_hex("0x10000000000000000g", HexPrefix::Required).error, NumberError::Bad);
}

TEST(TextParseDecimal, EdgesAndLimits) {
    expect_number(parse_decimal("0"), 0);
    expect_number(parse_decimal("18446744073709551615"), kMax);
    EXPECT_EQ(parse_decimal("18446744073709551616").error, NumberError::TooLarge);
    expect_number(parse_decimal("00000000000000000001", 20), 1);
    EXPECT_EQ(parse_decimal("000000000000000000001", 20).error, NumberError::Bad);
    for (const std::string_view bad : {"", "-1", "+1", " 1", "1 ", "1a", "0x1", "1.5", "1,0"})
        EXPECT_EQ(parse_decimal(bad).error, NumberError::Bad) << bad;
}

TEST(TextUserAddress, HexOctalOrDecimal) {
    EXPECT_EQ(parse_user_address("0x1f"), 0x1fu);
    EXPECT_EQ(parse_user_address("0X1F"), 0x1fu);
    EXPECT_EQ(parse_user_address("31"), 31u);
    EXPECT_EQ(parse_user_address("0"), 0u);
    EXPECT_EQ(parse_user_address("0xffffffffffffffff"), kMax);
    EXPECT_EQ(parse_user_address("0x0000000000000001"), 1u);  // 16 digits
    EXPECT_EQ(parse_user_address("18446744073709551615"), kMax);
    // A leading zero is octal, as in C and PANDA, however many zeros lead.
    EXPECT_EQ(parse_user_address("037"), 31u);
    EXPECT_EQ(parse_user_address("00"), 0u);
    EXPECT_EQ(parse_user_address("0755"), 0755u);
    EXPECT_EQ(parse_user_address("00000000000000000031"), 031u);
    EXPECT_EQ(parse_user_address("01777777777777777777777"), kMax);
    EXPECT_EQ(parse_user_address("0001777777777777777777777"), kMax);
    for (const std::string_view no : {"",
                                      "0x",
                                      "0X",
                                      "cafe",
                                      "libc",
                                      "0x10000000000000000",
                                      "0x00000000000000001",
                                      "18446744073709551616",
                                      "-1",
                                      "+1",
                                      " 1",
                                      "1 ",
                                      "0x 1",
                                      "1x",
                                      "0x1g",
                                      "1f",
                                      "08",
                                      "09",
                                      "0778",
                                      "02000000000000000000000",
                                      "0o7",
                                      "0b1"})
        EXPECT_FALSE(parse_user_address(no)) << no;
}

TEST(TextAddressExpr, NumbersTermsAndOffsets) {
    auto expr = [](std::string_view s) {
        const auto e = parse_address_expr(s);
        EXPECT_TRUE(e.has_value()) << s;
        return e.value_or(AddressExpr{});
    };
    EXPECT_EQ(expr("0x10").value, 0x10u);
    EXPECT_TRUE(expr("0x10").term.empty());
    EXPECT_EQ(expr(" 0x10\t").value, 0x10u);
    EXPECT_EQ(expr("0x1000+0x10").value, 0x1010u);  // a sum of numbers is a number
    EXPECT_TRUE(expr("0x1000+0x10").term.empty());
    EXPECT_EQ(expr("010+1").value, 9u);

    AddressExpr e = expr("libc.so.6+0x1234");
    EXPECT_EQ(e.term, "libc.so.6");
    EXPECT_EQ(e.value, 0x1234u);
    EXPECT_TRUE(e.has_offset);
    e = expr("libstdc++.so.6+0x10");  // the last '+' followed by a number splits
    EXPECT_EQ(e.term, "libstdc++.so.6");
    EXPECT_EQ(e.value, 0x10u);
    e = expr("libstdc++.so.6");
    EXPECT_EQ(e.term, "libstdc++.so.6");
    EXPECT_FALSE(e.has_offset);
    e = expr("malloc+16");
    EXPECT_EQ(e.term, "malloc");
    EXPECT_EQ(e.value, 16u);
    e = expr("malloc + 020");
    EXPECT_EQ(e.term, "malloc");
    EXPECT_EQ(e.value, 16u);
    e = expr("[heap]+0x10");
    EXPECT_EQ(e.term, "[heap]");
    EXPECT_EQ(e.value, 0x10u);
    e = expr("stack tid=1234");  // a name with a blank in it
    EXPECT_EQ(e.term, "stack tid=1234");
    EXPECT_EQ(e.value, 0u);
    e = expr("operator+");
    EXPECT_EQ(e.term, "operator+");
    e = expr("f+08");  // not a number after the '+': all of it is a name
    EXPECT_EQ(e.term, "f+08");
    e = expr("+0x10");
    EXPECT_EQ(e.term, "+0x10");
    e = expr("08");
    EXPECT_EQ(e.term, "08");

    EXPECT_FALSE(parse_address_expr(""));
    EXPECT_FALSE(parse_address_expr(" \t "));
    EXPECT_FALSE(parse_address_expr("0xffffffffffffffff+1"));  // wraps
}

TEST(TextRegionsNumber, AcceptedForms) {
    expect_number(parse_regions_number("0x1000"), 0x1000);
    expect_number(parse_regions_number("0X1000"), 0x1000);
    expect_number(parse_regions_number("0x0"), 0);
    expect_number(parse_regions_number("4096"), 4096);
    expect_number(parse_regions_number("0"), 0);
    expect_number(parse_regions_number("0x00000000000000000000ffffffffffffffff"), kMax);
    expect_number(parse_regions_number("18446744073709551615"), kMax);
}

TEST(TextRegionsNumber, RefusedWithTheReason) {
    struct Case {
        std::string_view text;
        NumberError error;
    };
    for (const Case& c : std::initializer_list<Case>{
             {"", NumberError::Bad},
             {"0x", NumberError::Bad},
             {"0xg", NumberError::Bad},
             {"0x0800000g", NumberError::Bad},
             {"0x1000-0x2000", NumberError::Bad},
             {"-1", NumberError::Bad},
             {"+1", NumberError::Bad},
             {"1a", NumberError::Bad},
             {"0800g", NumberError::Bad},  // Bad before Ambiguous
             {"0800", NumberError::Ambiguous},
             {"00", NumberError::Ambiguous},
             {"018446744073709551616", NumberError::Ambiguous},  // Ambiguous before TooLarge
             {"18446744073709551616", NumberError::TooLarge},
             {"0x10000000000000000", NumberError::TooLarge},
             {"0x1ffffffffffffffff", NumberError::TooLarge},
             {"0x10000000000000000g", NumberError::Bad},  // Bad before TooLarge
         })
        EXPECT_EQ(parse_regions_number(c.text).error, c.error) << c.text;
}

// ---- Permissions --------------------------------------------------------------------------

TEST(TextPerms, KernelForm) {
    EXPECT_EQ(parse_perms("r-xp", PermsForm::Kernel), Perms(Perms::kRead | Perms::kExec));
    EXPECT_EQ(parse_perms("rw-s", PermsForm::Kernel),
              Perms(Perms::kRead | Perms::kWrite | Perms::kShared));
    EXPECT_EQ(parse_perms("---p", PermsForm::Kernel), Perms(0));
    EXPECT_EQ(parse_perms("rwxs", PermsForm::Kernel),
              Perms(Perms::kRead | Perms::kWrite | Perms::kExec | Perms::kShared));
    for (const std::string_view bad : {"", "r-x", "r-xpp", "rwxP", "RWXP", "wr-p", "r-x?", "???p",
                                       "r x ", "rw-q", "-rwp", "r-x-"})
        EXPECT_FALSE(parse_perms(bad, PermsForm::Kernel)) << bad;
}

TEST(TextPerms, RegionsForm) {
    EXPECT_EQ(parse_perms("rw-", PermsForm::Regions), Perms(Perms::kRead | Perms::kWrite));
    EXPECT_EQ(parse_perms("r-x", PermsForm::Regions), Perms(Perms::kRead | Perms::kExec));
    EXPECT_EQ(parse_perms("---", PermsForm::Regions), Perms(0));
    EXPECT_EQ(parse_perms("rw-p", PermsForm::Regions), Perms(Perms::kRead | Perms::kWrite));
    EXPECT_EQ(parse_perms("rw-s", PermsForm::Regions),
              Perms(Perms::kRead | Perms::kWrite | Perms::kShared));
    for (const std::string_view bad :
         {"", "rw", "rw-x", "rw-pp", "RW-", "wr-", "rw-?", "???", "???p", "rwxps"})
        EXPECT_FALSE(parse_perms(bad, PermsForm::Regions)) << bad;
}

TEST(TextPerms, SnapshotForm) {
    EXPECT_EQ(parse_perms("r-xp", PermsForm::Snapshot), Perms(Perms::kRead | Perms::kExec));
    EXPECT_EQ(parse_perms("r-x?", PermsForm::Snapshot),
              Perms(Perms::kRead | Perms::kExec | Perms::kSharingUnknown));
    EXPECT_EQ(parse_perms("???p", PermsForm::Snapshot), Perms(Perms::kAccessUnknown));
    EXPECT_EQ(parse_perms("????", PermsForm::Snapshot),
              Perms(Perms::kAccessUnknown | Perms::kSharingUnknown));
    // ("?" "?-p": "??-" in one literal would read as a trigraph.)
    for (const std::string_view bad : {"", "???",
                                       "?"
                                       "?-p",
                                       "r?xp", "r-x", "r-x??", "r-xq"})
        EXPECT_FALSE(parse_perms(bad, PermsForm::Snapshot)) << bad;
}

TEST(TextPerms, EveryTextPermsWritesReadsBack) {
    for (std::uint8_t bits = 0; bits < 64; ++bits) {
        const Perms p(bits);
        const auto parsed = parse_perms(p.view(), PermsForm::Snapshot);
        ASSERT_TRUE(parsed) << p.view();
        EXPECT_EQ(parsed->view(), p.view());
        const bool known = p.access_known() && p.sharing_known();
        EXPECT_EQ(parse_perms(p.view(), PermsForm::Kernel).has_value(), known) << p.view();
        if (known) {
            EXPECT_EQ(parse_perms(p.view(), PermsForm::Kernel), p);
        }
    }
}

// ---- Devices ------------------------------------------------------------------------------

TEST(TextDevice, ScanReadsMajorColonMinor) {
    DeviceRun d = scan_device("fe:01 1234", 8);
    EXPECT_EQ(d.bad, DeviceRun::Part::None);
    EXPECT_EQ(d.major, 0xfeu);
    EXPECT_EQ(d.minor, 1u);
    EXPECT_EQ(d.length, 5u);
    EXPECT_EQ(d.minor_at, 3u);
    // The minor number is the run of digits after the colon; what follows is the caller's.
    d = scan_device("08:0g", 8);
    EXPECT_EQ(d.bad, DeviceRun::Part::None);
    EXPECT_EQ(d.length, 4u);
    d = scan_device("ffffffff:FFFFFFFF", 8);
    EXPECT_EQ(d.bad, DeviceRun::Part::None);
    EXPECT_EQ(d.major, UINT32_MAX);
    EXPECT_EQ(d.minor, UINT32_MAX);
}

TEST(TextDevice, ScanSaysWhichNumberIsBad) {
    struct Case {
        std::string_view text;
        DeviceRun::Part bad;
        std::size_t minor_at;
    };
    for (const Case& c : std::initializer_list<Case>{
             {"", DeviceRun::Part::Major, 0},
             {":01", DeviceRun::Part::Major, 0},
             {"0g:00", DeviceRun::Part::Major, 0},
             {"fe", DeviceRun::Part::Major, 0},
             {"fe 01", DeviceRun::Part::Major, 0},
             {"123456789:0", DeviceRun::Part::Major, 0},  // nine digits
             {"fe:", DeviceRun::Part::Minor, 3},
             {"fe:g", DeviceRun::Part::Minor, 3},
             {"fe: 1", DeviceRun::Part::Minor, 3},
             {"1:123456789", DeviceRun::Part::Minor, 2},
         }) {
        const DeviceRun d = scan_device(c.text, 8);
        EXPECT_EQ(d.bad, c.bad) << c.text;
        if (c.bad == DeviceRun::Part::Minor) {
            EXPECT_EQ(d.minor_at, c.minor_at) << c.text;
        }
    }
}

TEST(TextDevice, ParseIsAllOfTheTextIn32Bits) {
    auto dev = parse_device("fe:1", 16);
    ASSERT_TRUE(dev);
    EXPECT_EQ(dev->major, 0xfeu);
    EXPECT_EQ(dev->minor, 1u);
    dev = parse_device("0000000001:02", 16);  // ten digits: within a limit of 16
    ASSERT_TRUE(dev);
    EXPECT_EQ(dev->major, 1u);
    EXPECT_EQ(dev->minor, 2u);
    EXPECT_FALSE(parse_device("0000000001:02", 8));
    EXPECT_TRUE(parse_device("ffffffff:ffffffff", 16));
    for (const std::string_view bad : {"", "fe", "fe:", ":1", "100000000:0", "0:100000000", "1:2:3",
                                       "1:2 ", " 1:2", "fe01", "00000000000000001:0"})
        EXPECT_FALSE(parse_device(bad, 16)) << bad;
}

// ---- Lines --------------------------------------------------------------------------------

std::vector<std::string> lines_of_pieces(const std::vector<std::string_view>& pieces) {
    std::vector<std::string> lines;
    LineCarry carry;
    auto on_line = [&](std::string_view l) { lines.emplace_back(l); };
    auto on_long = [&](std::size_t n) { lines.push_back("<" + std::to_string(n) + " bytes>"); };
    for (const std::string_view piece : pieces)
        EXPECT_TRUE(feed_lines(carry, piece, on_line, on_long));
    EXPECT_TRUE(finish_lines(carry, on_line, on_long));
    EXPECT_TRUE(carry.empty());
    return lines;
}

auto no_long_line = [](std::size_t n) { ADD_FAILURE() << "a long line of " << n << " bytes"; };

using Lines = std::vector<std::string>;

TEST(TextLines, WholeTexts) {
    EXPECT_EQ(lines_of_pieces({""}), Lines{});
    EXPECT_EQ(lines_of_pieces({}), Lines{});
    EXPECT_EQ(lines_of_pieces({"a"}), Lines{"a"});
    EXPECT_EQ(lines_of_pieces({"a\n"}), Lines{"a"});
    EXPECT_EQ(lines_of_pieces({"\n"}), Lines{""});
    EXPECT_EQ(lines_of_pieces({"a\n\n"}), (Lines{"a", ""}));
    EXPECT_EQ(lines_of_pieces({"a\r\nb\r\n"}), (Lines{"a", "b"}));
    EXPECT_EQ(lines_of_pieces({"a\r"}), Lines{"a"});  // a last line without '\n'
    EXPECT_EQ(lines_of_pieces({"\r\n"}), Lines{""});
    EXPECT_EQ(lines_of_pieces({"a\r\r\n"}), Lines{"a\r"});  // one '\r' is dropped, not two
    EXPECT_EQ(lines_of_pieces({"a\rb\n"}), Lines{"a\rb"});  // '\r' alone ends no line
    EXPECT_EQ(lines_of_pieces({"a\0b\n"}), Lines{"a"});     // (a C string: "a")
    EXPECT_EQ(lines_of_pieces({std::string_view("a\0b\n", 4)}), Lines{std::string("a\0b", 3)});
}

TEST(TextLines, EveryCutGivesTheLinesOfTheWhole) {
    const std::string text = "first\nsecond line\r\n\nx\r\nlast without newline\r";
    const Lines whole = lines_of_pieces({text});
    EXPECT_EQ(whole, (Lines{"first", "second line", "", "x", "last without newline"}));
    const std::string_view t = text;
    for (std::size_t a = 0; a <= t.size(); ++a) {
        for (std::size_t b = a; b <= t.size(); ++b) {
            ASSERT_EQ(lines_of_pieces({t.substr(0, a), t.substr(a, b - a), t.substr(b)}), whole)
                << a << " " << b;
        }
    }
    // One byte at a time, with empty pieces between.
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < t.size(); ++i) {
        bytes.push_back(t.substr(i, 1));
        bytes.push_back(t.substr(i, 0));
    }
    EXPECT_EQ(lines_of_pieces(bytes), whole);
}

// A line longer than kMaxLineBytes goes to on_long with its length, wherever the text is cut,
// and its bytes are not kept while its end is awaited.
TEST(TextLines, LongLinesAreHandedOnAsTheirLengthWhereverCut) {
    const std::string longest(kMaxLineBytes, 'a'), past(kMaxLineBytes + 1, 'b');
    const std::string text = "x\n" + longest + "\n" + past + "\r\n" + longest + "\r\ny\n" + past;
    const Lines want = {"x", longest, "<65538 bytes>", "<65537 bytes>", "y", "<65537 bytes>"};
    EXPECT_EQ(lines_of_pieces({text}), want);
    const std::string_view t = text;
    for (const std::size_t a : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{100},
                                kMaxLineBytes, kMaxLineBytes + 2, kMaxLineBytes + 3,
                                2 * kMaxLineBytes + 3, 2 * kMaxLineBytes + 4, t.size() - 1}) {
        EXPECT_EQ(lines_of_pieces({t.substr(0, a), t.substr(a)}), want) << a;
        if (a + 7 <= t.size())
            EXPECT_EQ(lines_of_pieces({t.substr(0, a), t.substr(a, 7), t.substr(a + 7)}), want)
                << a;
    }
    // Piece by piece of 4 KiB: the carry never holds more than kMaxLineBytes.
    LineCarry carry;
    std::size_t most = 0, longs = 0;
    auto on_line = [](std::string_view) {};
    auto on_long = [&](std::size_t) { ++longs; };
    for (std::size_t at = 0; at < t.size(); at += 4096) {
        feed_lines(carry, t.substr(at, 4096), on_line, on_long);
        most = std::max(most, carry.bytes.capacity());
    }
    finish_lines(carry, on_line, on_long);
    EXPECT_EQ(longs, 3u);
    EXPECT_LE(most, 2 * kMaxLineBytes);
}

TEST(TextLines, FalseFromOnLineStopsTheText) {
    LineCarry carry;
    Lines seen;
    auto stop_at_b = [&](std::string_view l) {
        seen.emplace_back(l);
        return l != "b";
    };
    EXPECT_TRUE(feed_lines(carry, "a\nb", stop_at_b, no_long_line));
    EXPECT_FALSE(feed_lines(carry, "\nc\nd\n", stop_at_b, no_long_line));
    EXPECT_TRUE(carry.empty());
    EXPECT_EQ(seen, (Lines{"a", "b"}));

    seen.clear();
    EXPECT_FALSE(for_each_line("a\nb\nc", stop_at_b, no_long_line));
    EXPECT_EQ(seen, (Lines{"a", "b"}));
    seen.clear();
    EXPECT_FALSE(for_each_line("a\nb", stop_at_b, no_long_line));  // stopped by the last line
    EXPECT_EQ(seen, (Lines{"a", "b"}));
    seen.clear();
    EXPECT_TRUE(for_each_line("a\nc\n", stop_at_b, no_long_line));
    EXPECT_EQ(seen, (Lines{"a", "c"}));
}

// A take() that takes the whole lines that start with '#' where they lie, as smaps takes the
// kernel's lines: together with on_line, every line once, in order, whatever the cuts.
TEST(TextLines, TakeTakesWholeLinesAndNeverACarriedOne) {
    const std::string text = "#a\n#bb\nc\n#d\ne\r\n#f\r\n#g";
    const std::string_view t = text;
    for (std::size_t a = 0; a <= t.size(); ++a) {
        LineCarry carry;
        Lines seen;
        auto on_line = [&](std::string_view l) { seen.emplace_back(l); };
        auto take = [&](const char* p, const char* end) {
            while (p < end && *p == '#') {
                const char* nl = find_newline(p, end);
                if (!nl) break;
                seen.emplace_back(std::string("taken ") + std::string(p, nl));
                p = nl + 1;
            }
            return p;
        };
        feed_lines(carry, t.substr(0, a), on_line, no_long_line, take);
        feed_lines(carry, t.substr(a), on_line, no_long_line, take);
        finish_lines(carry, on_line, no_long_line);
        Lines want;
        for (const std::string& l : lines_of_pieces({t})) want.push_back(l);
        ASSERT_EQ(seen.size(), want.size()) << a;
        for (std::size_t i = 0; i < want.size(); ++i) {
            // A '#' line is taken unless the cut falls inside it (then it is carried) or it is the
            // last, which has no '\n'; a taken line keeps its '\r' (take sees the raw bytes).
            const std::string& s = seen[i];
            if (s.starts_with("taken ")) {
                std::string raw = s.substr(6);
                if (raw.ends_with('\r')) raw.pop_back();
                EXPECT_EQ(raw, want[i]) << a;
            } else {
                EXPECT_EQ(s, want[i]) << a;
            }
        }
    }
}

TEST(TextLines, FindNewline) {
    const std::string_view s = "abc\ndef\n";
    EXPECT_EQ(find_newline(s.data(), s.data() + s.size()), s.data() + 3);
    EXPECT_EQ(find_newline(s.data() + 4, s.data() + s.size()), s.data() + 7);
    EXPECT_EQ(find_newline(s.data(), s.data() + 3), nullptr);
    EXPECT_EQ(find_newline(s.data(), s.data()), nullptr);
}

}  // namespace
}  // namespace vmatlas::text
