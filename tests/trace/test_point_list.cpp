// The --pcs and --counts lists of `vmatlas trace` (src/trace/point_list.hpp): the points and
// counts read, exactly, and every sentence of a list that is wrong.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "trace/point_list.hpp"

namespace vmtest {
namespace {

using vmatlas::trace::parse_counts;
using vmatlas::trace::parse_points;
using vmatlas::trace::Point;
using Kind = vmatlas::trace::Point::Kind;

Point address(std::uint64_t value, std::string text) {
    return Point{Kind::Address, value, {}, {}, std::move(text)};
}

Point object_offset(std::string object, std::uint64_t offset, std::string text) {
    return Point{Kind::ObjectOffset, offset, std::move(object), {}, std::move(text)};
}

Point symbol(std::string name) {
    return Point{Kind::Symbol, 0, {}, name, name};
}

std::vector<Point> points(std::string_view list) {
    auto got = parse_points(list);
    EXPECT_TRUE(got) << list << ": " << (got ? "" : got.error().message);
    return got ? *got : std::vector<Point>{};
}

std::string points_error(std::string_view list) {
    auto got = parse_points(list);
    if (got) return "no error";
    EXPECT_EQ(got.error().kind, vmatlas::ErrorKind::Usage) << list;
    return got.error().message;
}

std::vector<std::uint64_t> counts(std::string_view list) {
    auto got = parse_counts(list);
    EXPECT_TRUE(got) << list << ": " << (got ? "" : got.error().message);
    return got ? *got : std::vector<std::uint64_t>{};
}

std::string counts_error(std::string_view list) {
    auto got = parse_counts(list);
    if (got) return "no error";
    EXPECT_EQ(got.error().kind, vmatlas::ErrorKind::Usage) << list;
    return got.error().message;
}

TEST(PointList, PandasOwnExample) {
    EXPECT_EQ(
        points("0xbfeee8bd-0x80069a0f"),
        (std::vector<Point>{address(0xbfeee8bd, "0xbfeee8bd"), address(0x80069a0f, "0x80069a0f")}));
}

TEST(PointList, HexOctalAndDecimal) {
    EXPECT_EQ(points("0X1F-017-17-0-0x0"),
              (std::vector<Point>{address(0x1f, "0X1F"), address(017, "017"), address(17, "17"),
                                  address(0, "0"), address(0, "0x0")}));
    EXPECT_EQ(points("0xffffffffffffffff,01777777777777777777777,18446744073709551615"),
              (std::vector<Point>{address(UINT64_MAX, "0xffffffffffffffff"),
                                  address(UINT64_MAX, "01777777777777777777777"),
                                  address(UINT64_MAX, "18446744073709551615")}));
}

TEST(PointList, CommasAndDashesMixed) {
    EXPECT_EQ(points("1-2,3,0x4-05"),
              (std::vector<Point>{address(1, "1"), address(2, "2"), address(3, "3"),
                                  address(4, "0x4"), address(5, "05")}));
    EXPECT_EQ(points(" 1 - 2 , main "),
              (std::vector<Point>{address(1, "1"), address(2, "2"), symbol("main")}));
}

TEST(PointList, ObjectsWithOffsets) {
    EXPECT_EQ(points("ld-linux-x86-64.so.2+0x1000"),
              (std::vector<Point>{
                  object_offset("ld-linux-x86-64.so.2", 0x1000, "ld-linux-x86-64.so.2+0x1000")}));
    EXPECT_EQ(points("libc.so.6+0"),
              (std::vector<Point>{object_offset("libc.so.6", 0, "libc.so.6+0")}));
    // The last '+' starts the offset; a path may hold blanks and dashes.
    EXPECT_EQ(
        points("libstdc++.so.6+010,/tmp/a dir/lib-x.so + 16,0x10-0x20"),
        (std::vector<Point>{object_offset("libstdc++.so.6", 8, "libstdc++.so.6+010"),
                            object_offset("/tmp/a dir/lib-x.so", 16, "/tmp/a dir/lib-x.so + 16"),
                            address(0x10, "0x10"), address(0x20, "0x20")}));
}

TEST(PointList, Symbols) {
    EXPECT_EQ(points("main"), (std::vector<Point>{symbol("main")}));
    EXPECT_EQ(points("_ZN3foo3barEv,memcpy@GLIBC_2.14,foo::bar,$x.1"),
              (std::vector<Point>{symbol("_ZN3foo3barEv"), symbol("memcpy@GLIBC_2.14"),
                                  symbol("foo::bar"), symbol("$x.1")}));
}

TEST(PointList, EverySentence) {
    EXPECT_EQ(points_error("0x12g"), "\"0x12g\" in --pcs is not a number, OBJECT+OFFSET or symbol");
    EXPECT_EQ(points_error("main,9lives"),
              "\"9lives\" in --pcs is not a number, OBJECT+OFFSET or symbol");
    EXPECT_EQ(points_error("foo-bar"),
              "\"foo-bar\" in --pcs is not a number, OBJECT+OFFSET or symbol");
    EXPECT_EQ(points_error("+0x10"), "\"+0x10\" in --pcs is not a number, OBJECT+OFFSET or symbol");
    EXPECT_EQ(points_error("libc.so.6+"),
              "\"libc.so.6+\" in --pcs is not a number, OBJECT+OFFSET or symbol");
    EXPECT_EQ(points_error("0x"), "\"0x\" in --pcs is not a number, OBJECT+OFFSET or symbol");
    EXPECT_EQ(points_error("1-0x1g"), "\"0x1g\" in --pcs is not a number, OBJECT+OFFSET or symbol");
    EXPECT_EQ(points_error("a\tb\x01"),
              "\"a\\x09b\\x01\" in --pcs is not a number, OBJECT+OFFSET or symbol");
    EXPECT_EQ(points_error(""), "--pcs is empty");
    EXPECT_EQ(points_error("  "), "--pcs is empty");
    EXPECT_EQ(points_error("1,,2"), "--pcs has an empty item");
    EXPECT_EQ(points_error("1,"), "--pcs has an empty item");
    EXPECT_EQ(points_error("0x10--0x20"), "--pcs has an empty item");
    EXPECT_EQ(points_error("-1"), "--pcs has an empty item");
    EXPECT_EQ(points_error("0x10000000000000000"),
              "\"0x10000000000000000\" in --pcs is larger than 64 bits");
    EXPECT_EQ(points_error("18446744073709551616"),
              "\"18446744073709551616\" in --pcs is larger than 64 bits");
    EXPECT_EQ(points_error("02000000000000000000000"),
              "\"02000000000000000000000\" in --pcs is larger than 64 bits");
    EXPECT_EQ(points_error("1-18446744073709551616"),
              "\"18446744073709551616\" in --pcs is larger than 64 bits");
    EXPECT_EQ(points_error("0x00000000000000001"),
              "\"0x00000000000000001\" in --pcs has more than 16 hex digits");
    EXPECT_EQ(points_error("089"),
              "\"089\" in --pcs has the digit 8 after its leading 0, which makes it octal");
    EXPECT_EQ(points_error("1-09"),
              "\"09\" in --pcs has the digit 9 after its leading 0, which makes it octal");
    EXPECT_EQ(points_error("libc.so.6+0x10000000000000000"),
              "\"libc.so.6+0x10000000000000000\" in --pcs has an offset that is larger than 64 "
              "bits");
    EXPECT_EQ(points_error("libc.so.6+08"),
              "\"libc.so.6+08\" in --pcs has an offset that has the digit 8 after its leading 0, "
              "which makes it octal");
}

TEST(CountList, SortedWithoutDuplicates) {
    EXPECT_EQ(counts("100-0x10,7,010-100 , 1"), (std::vector<std::uint64_t>{1, 7, 8, 16, 100}));
    EXPECT_EQ(counts("18446744073709551615"), (std::vector<std::uint64_t>{UINT64_MAX}));
}

TEST(CountList, EverySentence) {
    EXPECT_EQ(counts_error("abc"), "--counts: \"abc\" is not an instruction count");
    EXPECT_EQ(counts_error("1,libc.so.6+0x10"),
              "--counts: \"libc.so.6+0x10\" is not an instruction count");
    EXPECT_EQ(counts_error("5-0"), "--counts: instruction counts start at 1, not 0");
    EXPECT_EQ(counts_error("0x0"), "--counts: instruction counts start at 1, not 0");
    EXPECT_EQ(counts_error(""), "--counts is empty");
    EXPECT_EQ(counts_error("1--2"), "--counts has an empty item");
    EXPECT_EQ(counts_error("1,"), "--counts has an empty item");
    EXPECT_EQ(counts_error("18446744073709551616"),
              "--counts: \"18446744073709551616\" is larger than 64 bits");
    EXPECT_EQ(counts_error("0x00000000000000001"),
              "--counts: \"0x00000000000000001\" has more than 16 hex digits");
    EXPECT_EQ(counts_error("09"),
              "--counts: \"09\" has the digit 9 after its leading 0, which makes it octal");
}

}  // namespace
}  // namespace vmtest
