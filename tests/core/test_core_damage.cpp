// Damaged cores: a real kernel core cut at every note boundary and inside every note header, and
// with bytes flipped all over its headers and notes. The reader must say where the file ends or
// what is wrong, keep what it could read, and never crash (this suite also runs under ASan).
#include <gtest/gtest.h>

#include <elf.h>

#include <fmt/format.h>

#include "core/core_support.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/core.hpp"

namespace vmtest {
namespace {

// A kernel core of `sleep`, and where its notes are, read here without the library.
struct Sample {
    std::unique_ptr<TempDir> dir;
    std::string bytes;
    std::vector<std::size_t> note_starts;  // file offset of each note
    std::size_t notes_end = 0;
    std::size_t loads = 0;
    std::string why_not;
};

const Sample& sample() {
    static Sample s = [] {
        Sample s;
        s.dir = std::make_unique<TempDir>("vmatlas damage");
        const auto pattern = relative_core_pattern();
        if (!pattern) {
            s.why_not = "core_pattern is not a relative path";
            return s;
        }
        // A shell that says ready, then becomes sleep: the map is sleep's once it has loaded.
        Child child({"/bin/sh", "-c", "echo ready $$; exec sleep 100"},
                    dumpable_in(s.dir->path(), /*exits_at_eof=*/false));
        for (int i = 0; i < 200; ++i) {  // until sleep's map is in place
            if (slurp("/proc/" + child.pid_text() + "/maps").find("/sleep") != std::string::npos &&
                slurp("/proc/" + child.pid_text() + "/wchan") != "0")
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        child.pause();
        if (!child.dump_by_signal()) {
            s.why_not = "sleep did not dump core";
            return s;
        }
        const auto core = find_core(s.dir->path(), *pattern);
        if (!core) {
            s.why_not = "no core file appeared";
            return s;
        }
        s.bytes = slurp(*core);
        Elf64_Ehdr eh;
        std::memcpy(&eh, s.bytes.data(), sizeof eh);
        for (int i = 0; i < eh.e_phnum; ++i) {
            Elf64_Phdr ph;
            std::memcpy(&ph, s.bytes.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
            if (ph.p_type == PT_LOAD) ++s.loads;
            if (ph.p_type != PT_NOTE) continue;
            std::size_t at = ph.p_offset;
            s.notes_end = ph.p_offset + ph.p_filesz;
            while (at + 12 <= s.notes_end) {
                s.note_starts.push_back(at);
                std::uint32_t namesz, descsz;
                std::memcpy(&namesz, s.bytes.data() + at, 4);
                std::memcpy(&descsz, s.bytes.data() + at + 4, 4);
                at += 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
            }
        }
        return s;
    }();
    return s;
}

std::string write_file(const TempDir& dir, const std::string& name, std::string_view bytes) {
    const std::string path = dir / name;
    std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
    return path;
}

bool mentions(const vmatlas::AddressSpace& space, const std::string& text) {
    for (const auto& d : space.diagnostics())
        if (d.message.find(text) != std::string::npos) return true;
    return false;
}

TEST(DamagedCore, CutAtEveryNoteSaysWhereItEndsAndKeepsTheRegions) {
    const Sample& s = sample();
    if (s.bytes.empty()) GTEST_SKIP() << s.why_not;
    ASSERT_GE(s.note_starts.size(), 5u);  // PRSTATUS, PRPSINFO, SIGINFO, AUXV, FILE, ...
    TempDir dir("vmatlas cut");
    std::vector<std::size_t> cuts;
    for (std::size_t at : s.note_starts)
        for (std::size_t extra : {0, 1, 6, 12, 20}) cuts.push_back(at + extra);
    for (std::size_t cut : cuts) {
        SCOPED_TRACE(fmt::format("cut at {:#x}", cut));
        const std::string path = write_file(dir, "cut", std::string_view(s.bytes).substr(0, cut));
        auto core = vmatlas::read_core(path);
        ASSERT_TRUE(core.ok()) << core.error().message;
        const vmatlas::AddressSpace& space = core->space;
        EXPECT_TRUE(vmatlas::check_invariants(space).empty());
        EXPECT_TRUE(space.incomplete());
        EXPECT_TRUE(mentions(space, fmt::format("ends at offset {:#x}", cut)) ||
                    mentions(space, "is cut short"))
            << (space.diagnostics().empty() ? "" : space.diagnostics()[0].message);
        // Every region is listed from the program headers, whatever the notes lost.
        EXPECT_EQ(space.size(), s.loads);
        auto notes =
            vmatlas::annotate(space, {.facts = &core->facts, .objects = core->objects.get()});
        EXPECT_EQ(notes.labels.size(), space.size());
    }
}

TEST(DamagedCore, CutInTheProgramHeadersIsAnErrorThatSaysWhere) {
    const Sample& s = sample();
    if (s.bytes.empty()) GTEST_SKIP() << s.why_not;
    TempDir dir("vmatlas cut");
    for (std::size_t cut : {std::size_t{64}, std::size_t{64 + 56 * 3 + 5}}) {
        const std::string path = write_file(dir, "cut", std::string_view(s.bytes).substr(0, cut));
        auto core = vmatlas::read_core(path);
        ASSERT_FALSE(core.ok());
        EXPECT_EQ(core.error().kind, vmatlas::ErrorKind::MalformedInput);
        EXPECT_NE(core.error().message.find(fmt::format("ends at offset {:#x}", cut)),
                  std::string::npos)
            << core.error().message;
    }
    // The command line: exit status 7 and one sentence.
    const std::string path = write_file(dir, "cut", std::string_view(s.bytes).substr(0, 100));
    RunResult r = vmatlas({path});
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "vmatlas: " + path + ": the core file ends at offset 0x64, but its " +
                         std::to_string(s.loads + 1) + " program headers run from 0x40 to " +
                         fmt::format("{:#x}", 64 + 56 * (s.loads + 1)) + "\n");
}

TEST(DamagedCore, CutAfterTheNotesShowsTheRowsAsPartial) {
    const Sample& s = sample();
    if (s.bytes.empty()) GTEST_SKIP() << s.why_not;
    TempDir dir("vmatlas cut");
    const std::string path =
        write_file(dir, "cut", std::string_view(s.bytes).substr(0, s.notes_end + 4096 + 100));
    RunResult r = vmatlas({path});
    EXPECT_EQ(r.status, 9) << r.err;
    EXPECT_EQ(lines(r.out).size(), s.loads + 1);
    EXPECT_NE(
        r.err.find(fmt::format("the core file ends at offset {:#x}", s.notes_end + 4096 + 100)),
        std::string::npos)
        << r.err;
    EXPECT_NE(r.out.find("[vdso]"), std::string::npos);
    EXPECT_NE(r.out.find("/sleep"), std::string::npos);
}

// A core with more than 65534 mappings keeps its program header count in section 0's sh_info
// (PN_XNUM). The same core rewritten that way lists the same rows.
TEST(CoreFile, ProgramHeaderCountInSectionZero) {
    const Sample& s = sample();
    if (s.bytes.empty()) GTEST_SKIP() << s.why_not;
    std::string bytes = s.bytes;
    Elf64_Ehdr eh;
    std::memcpy(&eh, bytes.data(), sizeof eh);
    Elf64_Shdr sh0{};
    sh0.sh_info = eh.e_phnum;
    eh.e_phnum = PN_XNUM;
    eh.e_shoff = bytes.size();
    eh.e_shnum = 1;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    std::memcpy(bytes.data(), &eh, sizeof eh);
    bytes.append(reinterpret_cast<const char*>(&sh0), sizeof sh0);
    TempDir dir("vmatlas xnum");
    auto plain = vmatlas::read_core(write_file(dir, "plain", s.bytes));
    auto xnum = vmatlas::read_core(write_file(dir, "xnum", bytes));
    ASSERT_TRUE(plain.ok());
    ASSERT_TRUE(xnum.ok()) << xnum.error().message;
    EXPECT_EQ(xnum->space.mappings(), plain->space.mappings());
    EXPECT_EQ(xnum->space.size(), s.loads);
}

TEST(DamagedCore, FlippedBytesInHeadersAndNotesNeverCrash) {
    const Sample& s = sample();
    if (s.bytes.empty()) GTEST_SKIP() << s.why_not;
    TempDir dir("vmatlas flip");
    // The headers and notes only: the memory after them is never read when listing.
    const std::string head = s.bytes.substr(0, s.notes_end);
    std::size_t readable = 0, refused = 0;
    for (std::size_t at = 0; at < head.size(); at += at < 64 + 56 * 4 ? 1 : 3) {
        for (unsigned char mask : {0xffu, 0x80u}) {
            std::string bytes = head;
            bytes[at] = static_cast<char>(bytes[at] ^ mask);
            const std::string path = write_file(dir, "flip", bytes);
            auto core = vmatlas::read_core(path);
            if (!core.ok()) {
                ++refused;
                EXPECT_FALSE(core.error().message.empty());
                continue;
            }
            ++readable;
            EXPECT_TRUE(vmatlas::check_invariants(core->space).empty()) << at;
            auto notes = vmatlas::annotate(core->space,
                                           {.facts = &core->facts, .objects = core->objects.get()});
            EXPECT_EQ(notes.labels.size(), core->space.size());
        }
    }
    EXPECT_GT(readable, refused);  // most damage is to a note, which costs only that note
}

}  // namespace
}  // namespace vmtest
