// Hostile snapshots: each case edits one value of a good snapshot (or gives bytes that are not
// one) and expects the reader's error, with its kind and the place it names. None may crash
// (the whole suite also runs under ASan and UBSan), and none may be taken for a map.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "snapshot/support.hpp"
#include "vmatlas/snapshot.hpp"

namespace vmtest {
namespace {

using namespace vmatlas;
using Json = nlohmann::ordered_json;

// A good snapshot with figures, sections, threads and a rejected row: every key is there to
// break.
Json good() {
    AddressSpaceBuilder b(SourceInfo{vmatlas::SourceKind::SmapsText, "good.smaps", 77, "good"});
    Annotated a;
    for (Addr start : {0x1000, 0x3000, 0x5000}) {
        Mapping m;
        m.start = start;
        m.end = start + 0x1000;
        m.perms = Perms(Perms::kRead | Perms::kWrite);
        Figures f;
        f.rss = 4096;
        b.add(m, f);
        a.notes.labels.push_back({"name", NameSource::Heuristic});
        a.notes.roles.push_back(Role::Data);
        a.notes.sections.push_back(".data");
    }
    b.reject({2, 1, "bad row"});
    a.space = std::move(b).build();
    a.facts.has_threads = true;
    a.facts.threads = {{77, "good", 0x1800, StackPointerSource::Syscall, ""}};
    return Json::parse(write_snapshot(a.space, a.notes, a.facts, kStamp));
}

struct Case {
    std::string name;
    std::function<std::string()> text;
    std::string message;  // what the error says, after "hostile.json: "
    ErrorKind kind = ErrorKind::MalformedInput;
};

std::string edit(const std::function<void(Json&)>& change) {
    Json doc = good();
    change(doc);
    return doc.dump();
}

std::vector<Case> cases() {
    const auto big = Json::parse("18446744073709551616");  // 2^64: not a uint64
    std::vector<Case> c = {
        {"NotJson", [] { return std::string("{\"format\": vmatlas}"); },
         "not a snapshot: not valid JSON: parse error at line 1, column 12"},
        {"TrailingBytes", [] { return good().dump() + " x"; }, "not valid JSON"},
        {"Truncated", [] { return good().dump().substr(0, 300); }, "not valid JSON"},
        {"NotAnObject", [] { return std::string("[1, 2]"); },
         "the document: not a JSON object (found an array)"},
        {"OtherFormat", [] { return edit([](Json& d) { d["format"] = "other"; }); },
         "format: not \"vmatlas-snapshot\": this is not a vmatlas snapshot (found \"other\")"},
        {"NoFormat", [] { return std::string("{\"version\": 1}"); }, "format: missing"},
        {"ViewJson",
         [] { return std::string("{\"schema\":\"vmatlas.map/1\",\"source\":{},\"mappings\":[]}"); },
         "the document: not a snapshot: its schema is \"vmatlas.map/1\", the JSON of a view; "
         "'vmatlas save' writes a snapshot"},
        {"Version2", [] { return edit([](Json& d) { d["version"] = 2; }); },
         "version: version 2 is not supported: this vmatlas reads version 1",
         ErrorKind::Unsupported},
        {"VersionString", [] { return edit([](Json& d) { d["version"] = "1"; }); },
         "version: not an unsigned integer (found \"1\")"},
        {"NoRows", [] { return edit([](Json& d) { d.erase("rows"); }); }, "rows: missing"},
        {"RowsObject", [] { return edit([](Json& d) { d["rows"] = Json::object(); }); },
         "rows: not an array (found an object)"},
        {"RowsEmpty",
         [] {
             return edit([](Json& d) {
                 d["rows"] = Json::array();
                 d["account"] = {{"read", 1},
                                 {"kept", 0},
                                 {"superseded", 0},
                                 {"rejected", 1},
                                 {"incomplete", true}};
             });
         },
         "rows: empty: a snapshot holds at least one row"},
        {"RowNotObject", [] { return edit([](Json& d) { d["rows"][1] = 7; }); },
         "rows[1]: not an object (found 7)"},
        {"StartNotHex", [] { return edit([](Json& d) { d["rows"][2]["start"] = "0xzz"; }); },
         "rows[2].start: not a hex address (found \"0xzz\")"},
        {"StartNumber", [] { return edit([](Json& d) { d["rows"][0]["start"] = 4096; }); },
         "rows[0].start: not a hex address (a string \"0x...\") (found 4096)"},
        {"StartNoPrefix", [] { return edit([](Json& d) { d["rows"][0]["start"] = "1000"; }); },
         "rows[0].start: not a hex address (a string \"0x...\")"},
        {"StartAbove64Bits",
         [] { return edit([](Json& d) { d["rows"][0]["end"] = "0x10000000000000000"; }); },
         "rows[0].end: a hex number above 64 bits"},
        {"EndNotAboveStart", [] { return edit([](Json& d) { d["rows"][1]["end"] = "0x3000"; }); },
         "rows[1].end: 0x3000 is not above start 0x3000"},
        {"NoEnd", [] { return edit([](Json& d) { d["rows"][1].erase("end"); }); },
         "rows[1].end: missing"},
        {"PermsBadLetter", [] { return edit([](Json& d) { d["rows"][0]["perms"] = "rwzp"; }); },
         "rows[0].perms: not four permission characters like \"r-xp\" or \"r-x?\""},
        {"PermsPartlyUnknown", [] { return edit([](Json& d) { d["rows"][0]["perms"] = "r??p"; }); },
         "rows[0].perms: not four permission characters"},
        {"PermsShort", [] { return edit([](Json& d) { d["rows"][0]["perms"] = "rw-"; }); },
         "rows[0].perms: not four permission characters"},
        {"OffsetNegative", [] { return edit([](Json& d) { d["rows"][0]["offset"] = -1; }); },
         "rows[0].offset: not a hex address"},
        {"InodeHuge", [=] { return edit([&](Json& d) { d["rows"][0]["inode"] = big; }); },
         "rows[0].inode: not an unsigned integer (found 1.8446744073709552e+19)"},
        {"InodeNegative", [] { return edit([](Json& d) { d["rows"][0]["inode"] = -1; }); },
         "rows[0].inode: not an unsigned integer (found -1)"},
        {"InodeFraction", [] { return edit([](Json& d) { d["rows"][0]["inode"] = 1.5; }); },
         "rows[0].inode: not an unsigned integer (found 1.5)"},
        {"DevNoColon", [] { return edit([](Json& d) { d["rows"][0]["dev"] = "fe01"; }); },
         "rows[0].dev: not a device \"major:minor\" in hex (found \"fe01\")"},
        {"DevTooBig", [] { return edit([](Json& d) { d["rows"][0]["dev"] = "100000000:0"; }); },
         "rows[0].dev: not a device"},
        {"PathNumber", [] { return edit([](Json& d) { d["rows"][0]["path"] = 5; }); },
         "rows[0].path: not text (a string, or {\"hex\": \"...\"}) (found 5)"},
        {"PathBadHex",
         [] { return edit([](Json& d) {
                  d["rows"][0]["path"] = {{"hex", "2fz"}};
              }); },
         "rows[0].path.hex: not pairs of hex digits (found \"2fz\")"},
        {"PathHexAndMore",
         [] { return edit([](Json& d) {
                  d["rows"][0]["path"] = {{"hex", "2f"}, {"x", 1}};
              }); },
         "rows[0].path: not text"},
        {"UnknownFlag",
         [] { return edit([](Json& d) { d["rows"][0]["flags"] = Json::array({"gone"}); }); },
         "rows[0].flags[0]: not \"deleted\", \"not_dumped\" or \"partly_dumped\" (found \"gone\")"},
        {"FlagsString", [] { return edit([](Json& d) { d["rows"][0]["flags"] = "deleted"; }); },
         "rows[0].flags: not an array"},
        {"UnknownNameSource",
         [] { return edit([](Json& d) { d["rows"][2]["name_source"] = "guess"; }); },
         "rows[2].name_source: not one of \"\", \"kernel\", \"elf\", \"registers\", "
         "\"heuristic\", \"layout\" (found \"guess\")"},
        {"UnknownRole", [] { return edit([](Json& d) { d["rows"][2]["role"] = "x"; }); },
         "rows[2].role: not one of \"other\", \"stack\", \"heap\", \"code\", \"data\", \"rwx\", "
         "\"rodata\", \"guard\" (found \"x\")"},
        {"NoName", [] { return edit([](Json& d) { d["rows"][0].erase("name"); }); },
         "rows[0].name: missing"},
        {"NoFigures", [] { return edit([](Json& d) { d["rows"][1].erase("figures"); }); },
         "rows[1].figures: missing"},
        {"FiguresNotAnnounced", [] { return edit([](Json& d) { d["figures"] = false; }); },
         "rows[0].figures: present, but the snapshot's \"figures\" is false"},
        {"FigureNegative",
         [] { return edit([](Json& d) { d["rows"][0]["figures"]["rss"] = -4096; }); },
         "rows[0].figures.rss: not an unsigned integer (found -4096)"},
        {"FigureMissing",
         [] { return edit([](Json& d) { d["rows"][0]["figures"].erase("mmu_page_size"); }); },
         "rows[0].figures.mmu_page_size: missing"},
        {"ThpNotBool",
         [] { return edit([](Json& d) { d["rows"][0]["figures"]["thp_eligible"] = 1; }); },
         "rows[0].figures.thp_eligible: not true or false (found 1)"},
        {"NoSections", [] { return edit([](Json& d) { d["rows"][2].erase("sections"); }); },
         "rows[2].sections: missing"},
        {"SectionsNotAnnounced", [] { return edit([](Json& d) { d["sections"] = false; }); },
         "rows[0].sections: present, but the snapshot's \"sections\" is false"},
        {"KeptIsNotRows", [] { return edit([](Json& d) { d["account"]["kept"] = 5; }); },
         "account.read: 4 rows read, but 5 kept + 0 superseded + 1 rejected"},
        {"KeptIsNotRowsButAddsUp",
         [] {
             return edit([](Json& d) {
                 d["account"]["kept"] = 5;
                 d["account"]["read"] = 6;
             });
         },
         "account.kept: 5, but rows holds 3"},
        {"AccountWraps",
         [] {
             return edit([](Json& d) {
                 // 3 + 0 + (2^64 - 1) wraps around to 2: a sum would take it.
                 d["account"]["read"] = 2;
                 d["account"]["kept"] = 3;
                 d["account"]["rejected"] = 18446744073709551615ull;
             });
         },
         "account.read: 2 rows read, but 3 kept + 0 superseded + 18446744073709551615 rejected"},
        {"AccountMissing", [] { return edit([](Json& d) { d.erase("account"); }); },
         "account: missing"},
        {"IncompleteNotBool",
         [] { return edit([](Json& d) { d["account"]["incomplete"] = "yes"; }); },
         "account.incomplete: not true or false (found \"yes\")"},
        {"PidHuge", [] { return edit([](Json& d) { d["source"]["pid"] = 1ull << 40; }); },
         "source.pid: not a process id (above 2^31-1) (found 1099511627776)"},
        {"SourceMissing", [] { return edit([](Json& d) { d.erase("source"); }); },
         "source: missing"},
        {"KindNull", [] { return edit([](Json& d) { d["source"]["kind"] = nullptr; }); },
         "source.kind: not text"},
        {"ThreadsNumber", [] { return edit([](Json& d) { d["facts"]["threads"] = 5; }); },
         "facts.threads: not an array or null (found 5)"},
        {"TidHuge",
         [] { return edit([](Json& d) { d["facts"]["threads"][0]["tid"] = 1ull << 40; }); },
         "facts.threads[0].tid: not a thread id (an integer of 32 bits)"},
        {"SpSource",
         [] { return edit([](Json& d) { d["facts"]["threads"][0]["sp_source"] = "guess"; }); },
         "facts.threads[0].sp_source: not one of \"\", \"syscall\", \"registers\""},
        {"VdsoNotHex", [] { return edit([](Json& d) { d["facts"]["vdso"] = "x"; }); },
         "facts.vdso: not a hex address"},
        {"WarningNumber", [] { return edit([](Json& d) { d["warnings"] = Json::array({1}); }); },
         "warnings[0]: not text"},
        {"DiagnosticLine", [] { return edit([](Json& d) { d["diagnostics"][0]["line"] = "2"; }); },
         "diagnostics[0].line: not an unsigned integer (found \"2\")"},
        {"DeepNesting",
         [] { return "{\"format\":" + std::string(100000, '[') + std::string(100000, ']') + "}"; },
         "format: not text"},
    };
    return c;
}

class Hostile : public ::testing::TestWithParam<Case> {};

TEST_P(Hostile, IsAnErrorThatSaysWhere) {
    const Case& c = GetParam();
    const auto t = read_snapshot(c.text(), "hostile.json");
    ASSERT_FALSE(t.ok()) << "taken for a map: " << c.text().substr(0, 200);
    EXPECT_EQ(static_cast<int>(t.error().kind), static_cast<int>(c.kind));
    const std::string& m = t.error().message;
    EXPECT_TRUE(m.starts_with("hostile.json: ")) << m;
    EXPECT_NE(m.find(c.message), std::string::npos) << m;
}

INSTANTIATE_TEST_SUITE_P(Snapshots, Hostile, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                             return info.param.name;
                         });

TEST(HostileBase, TheGoodSnapshotIsGood) {
    const auto t = read_snapshot(good().dump(), "good.json");
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->space.size(), 3u);
    EXPECT_EQ(t->space.rows().rejected, 1u);
}

TEST(HostileBase, StandardInputIsNamedSo) {
    const auto t = read_snapshot("{", "-");
    ASSERT_FALSE(t.ok());
    EXPECT_TRUE(t.error().message.starts_with("standard input: not a snapshot"))
        << t.error().message;
}

}  // namespace
}  // namespace vmtest
