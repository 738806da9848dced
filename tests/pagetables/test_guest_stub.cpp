// A live guest through QEMU's gdbstub (src/sources/guest_stub.hpp), against a scripted stub that
// answers as QEMU's system-mode stub does, over a guest RAM the test builds: the rows equal those
// of a dump of the same RAM, the CPU asked for is the one read, and the stub is left as found.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pagetables/guest_dump_file.hpp"
#include "remote/fake_stub.hpp"
#include "sources/guest_stub.hpp"
#include "sources/remote_protocol.hpp"
#include "support/files.hpp"
#include "support/run.hpp"

namespace {

using vmatlas::remote::escape;
using vmatlas::remote::frame;
using vmtest::FakeStub;
using vmtest::GuestCpu;
using vmtest::GuestRam;
using vmtest::kCr0;
using vmtest::kCr4;

// The registers of QEMU's x86-64 description, in its order; the description's core part is an
// included file, as QEMU serves it.
const std::vector<std::string> kRegisters = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8",  "r9",        "r10",
    "r11", "r12", "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds",       "es",
    "fs",  "gs",  "fs_base", "gs_base", "k_gs_base", "cr0", "cr2", "cr3", "cr4", "cr8", "efer"};

std::string description(const std::string& annex) {
    if (annex == "target.xml")
        return "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\"><target>"
               "<architecture>i386:x86-64</architecture><xi:include href=\"i386-64bit.xml\"/>"
               "</target>";
    std::string xml = "<?xml version=\"1.0\"?><feature name=\"org.gnu.gdb.i386.core\">";
    for (const std::string& r : kRegisters)
        xml += fmt::format("<reg name=\"{}\" bitsize=\"{}\" type=\"int\"/>\n", r,
                           (r == "eflags" || (r.size() == 2 && r[1] == 's')) ? 32 : 64);
    return xml + "</feature>";
}

// QEMU's system-mode gdbstub, as much of it as the live guest source uses.
struct FakeQemu {
    GuestRam ram;
    // Per CPU: cr0, cr3, cr4, efer.
    std::vector<std::array<std::uint64_t, 4>> cpus;
    std::size_t selected = 0;
    bool physical = false;

    std::optional<std::string> answer(const std::string& p) {
        if (p.starts_with("qSupported")) return frame("PacketSize=1000;qXfer:features:read+");
        if (p == "qqemu.PhyMemMode") return frame(physical ? "1" : "0");
        if (p.starts_with("Qqemu.PhyMemMode:")) {
            physical = p.back() == '1';
            return frame("OK");
        }
        if (p == "qfThreadInfo") {
            std::string list = "m";
            for (std::size_t i = 0; i < cpus.size(); ++i)
                list += fmt::format("{}p1.{:x}", i ? "," : "", i + 1);
            return frame(list);
        }
        if (p == "qsThreadInfo") return frame("l");
        if (p.starts_with("Hgp1.")) {
            selected = std::stoul(p.substr(5), nullptr, 16) - 1;
            return frame("OK");
        }
        if (p.starts_with("qXfer:features:read:")) {
            const std::string rest = p.substr(20);
            const std::string annex = rest.substr(0, rest.find(':'));
            const std::size_t offset = std::stoul(rest.substr(annex.size() + 1), nullptr, 16);
            const std::string xml = description(annex);
            // In two parts, as a stub with a small packet sends a longer one.
            const std::size_t half = xml.size() / 2;
            if (offset == 0) return frame("m" + escape(xml.substr(0, half)));
            return frame("l" + escape(xml.substr(offset)));
        }
        if (p.starts_with('p')) return frame(register_text(std::stoul(p.substr(1), nullptr, 16)));
        if (p.starts_with('m')) {
            if (!physical) return frame("E14");
            const auto comma = p.find(',');
            const std::uint64_t at = std::stoull(p.substr(1, comma - 1), nullptr, 16);
            const std::size_t n = std::stoul(p.substr(comma + 1), nullptr, 16);
            if (n > 2048) return frame("E22");
            std::string hex;
            for (std::size_t i = 0; i < n; ++i) {
                const auto page = ram.pages.find((at + i) & ~0xFFFULL);
                // RAM the guest has not got reads as zeros, as QEMU reads it.
                const unsigned byte = page == ram.pages.end() ? 0 : page->second[(at + i) & 0xFFF];
                hex += fmt::format("{:02x}", byte);
            }
            return frame(hex);
        }
        if (p == "D;1") return frame("OK");
        return frame("");
    }

    std::string register_text(std::size_t n) const {
        const auto& cpu = cpus[selected];
        const std::string& name = kRegisters.at(n);
        std::uint64_t v = name == "cr0"   ? cpu[0]
                          : name == "cr3" ? cpu[1]
                          : name == "cr4" ? cpu[2]
                          : name == "efer" ? cpu[3]
                                           : 0;
        std::string hex;
        for (int i = 0; i < 8; ++i) hex += fmt::format("{:02x}", (v >> (8 * i)) & 0xff);
        return hex;
    }
};

constexpr std::uint64_t kEferLongModeNxe = 0xd01;

// The rows of a table, without its header.
std::string body(const std::string& table) {
    return table.substr(table.find('\n') + 1);
}

std::string dump_of(const vmtest::TempDir& dir, const GuestRam& ram, std::uint64_t cr3) {
    vmtest::GuestDumpSpec spec;
    spec.cpus = {GuestCpu{{kCr0, 0, 0, cr3, kCr4}}};
    spec.ram = ram.blocks();
    const auto bytes = make_guest_dump(spec);
    vmtest::write_text(dir / "guest.core", std::string(bytes.begin(), bytes.end()));
    return dir / "guest.core";
}

TEST(LiveGuest, TheRowsOfADumpOfTheSameMemory) {
    vmtest::TempDir dir;
    FakeQemu qemu{vmtest::small_guest(), {{kCr0, 0x1000, kCr4, kEferLongModeNxe}}};
    FakeStub stub(FakeStub::Tcp{}, [&](const std::string& p) { return qemu.answer(p); });
    const auto live = vmtest::vmatlas({"-v", "tcp:127.0.0.1:" + stub.port()});
    EXPECT_EQ(live.status, 0) << live.err;
    EXPECT_EQ(live.err, "");
    const auto dumped = vmtest::vmatlas({"-v", dump_of(dir, qemu.ram, 0x1000)});
    ASSERT_EQ(dumped.status, 0) << dumped.err;
    EXPECT_EQ(body(live.out), body(dumped.out));
    EXPECT_EQ(std::count(live.out.begin(), live.out.end(), '\n'), 7) << live.out;

    // The stub as it was found, then a detach.
    const auto& sent = stub.payloads();
    ASSERT_GE(sent.size(), 3u);
    EXPECT_EQ(sent[sent.size() - 2], "Qqemu.PhyMemMode:0");
    EXPECT_EQ(sent.back(), "D;1");
    for (const std::string& p : sent)
        EXPECT_TRUE(p[0] != 'M' && p[0] != 'X' && p[0] != 'c' && p[0] != 's' && p[0] != 'P' &&
                    p[0] != 'Z' && p[0] != 'G')
            << "a packet that changes the guest: " << p;
}

TEST(LiveGuest, TheCpuAskedFor) {
    FakeQemu qemu{vmtest::small_guest(),
                  {{kCr0, 0x900000, kCr4, kEferLongModeNxe}, {kCr0, 0x1000, kCr4, kEferLongModeNxe}}};
    FakeStub stub(FakeStub::Tcp{}, [&](const std::string& p) { return qemu.answer(p); });
    const auto r = vmtest::vmatlas({"--json", "--cpu", "1", "tcp:127.0.0.1:" + stub.port()});
    EXPECT_EQ(r.status, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["source"]["kind"], "live guest");
    ASSERT_EQ(doc["mappings"].size(), 6u) << r.out;
    EXPECT_EQ(doc["mappings"][3]["start"], "0xffff888000000000");
    const auto& sent = stub.payloads();
    EXPECT_NE(std::find(sent.begin(), sent.end(), "Hgp1.2"), sent.end());
}

TEST(LiveGuest, NoSuchCpu) {
    FakeQemu qemu{vmtest::small_guest(), {{kCr0, 0x1000, kCr4, kEferLongModeNxe}}};
    FakeStub stub(FakeStub::Tcp{}, [&](const std::string& p) { return qemu.answer(p); });
    const auto r = vmtest::vmatlas({"--cpu", "3", "tcp:127.0.0.1:" + stub.port()});
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.err, "vmatlas: tcp:127.0.0.1:" + stub.port() + " has 1 CPU: there is no CPU 3\n");
}

TEST(LiveGuest, EferWithoutNxeMakesBit63Reserved) {
    // small_guest's data, stack and direct map pages are NX: with EFER.NXE clear, bit 63 is a
    // reserved bit, and every access through those entries faults.
    FakeQemu qemu{vmtest::small_guest(), {{kCr0, 0x1000, kCr4, 0x500}}};
    FakeStub stub(FakeStub::Tcp{}, [&](const std::string& p) { return qemu.answer(p); });
    const auto r = vmtest::vmatlas({"tcp:127.0.0.1:" + stub.port()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(body(r.out),
              "          0x400000           0x402000 r-xp     2000      0 [user]\n"
              "0xffffffff81000000 0xffffffff81400000 r-xp   400000      0 [supervisor]\n");
    EXPECT_NE(r.err.find("reserved bits 0x8000000000000000 set"), std::string::npos) << r.err;
}

TEST(TargetDescription, RegistersNumberedInDocumentOrder) {
    auto regs = vmatlas::guest::parse_target_description(
        "<target><reg name=\"a\" bitsize=\"64\"/><xi:include href=\"x.xml\"/>"
        "<reg name=\"d\" bitsize=\"32\" regnum=\"40\"/><reg name=\"e\" bitsize=\"8\"/></target>",
        [](std::string_view annex) -> vmatlas::Result<std::string> {
            EXPECT_EQ(annex, "x.xml");
            return std::string("<feature><reg name='b' bitsize='16'/><reg  name=\"c\" "
                               "bitsize=\"64\"/></feature>");
        });
    ASSERT_TRUE(regs.ok()) << regs.error().message;
    std::vector<std::string> seen;
    for (const auto& r : *regs) seen.push_back(fmt::format("{}:{}:{}", r.name, r.number, r.bits));
    EXPECT_EQ(seen, (std::vector<std::string>{"a:0:64", "b:1:16", "c:2:64", "d:40:32", "e:41:8"}));

    // An include that includes itself ends, with a sentence.
    auto looped = vmatlas::guest::parse_target_description(
        "<xi:include href=\"self.xml\"/>", [](std::string_view) -> vmatlas::Result<std::string> {
            return std::string("<xi:include href=\"self.xml\"/>");
        });
    ASSERT_FALSE(looped.ok());
    EXPECT_EQ(looped.error().message,
              "the target description includes itself more than 8 deep (at self.xml)");
}

}  // namespace
