// A live guest through QEMU's gdbstub (src/sources/guest_stub.hpp), against a scripted stub that
// answers as QEMU's system-mode stub does (a stop reply first, the registers in its monitor's
// text), over a guest RAM the test builds: the rows equal those of a dump of the same RAM, the
// CPU asked for is the one read, and the stub is left as found.
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
using vmatlas::remote::hex_text;
using vmtest::FakeStub;
using vmtest::GuestCpu;
using vmtest::GuestRam;
using vmtest::kCr0;
using vmtest::kCr4;

// What QEMU's monitor prints for `info registers -a`, for CPUs of the given CR0, CR3, CR4 and
// EFER (the other lines as QEMU 7.2 writes them).
std::string info_registers(const std::vector<std::array<std::uint64_t, 4>>& cpus) {
    std::string text;
    for (std::size_t i = 0; i < cpus.size(); ++i) {
        const auto& c = cpus[i];
        text += fmt::format(
            "\nCPU#{}\n"
            "RAX=0000000000000000 RBX=0000000000000000 RCX=0000000000000000 "
            "RDX=0000000000000000\n"
            "RIP=0000000000401bad RFL=00000202 [-------] CPL=3 II=0 A20=1 SMM=0 HLT=0\n"
            "ES =0000 0000000000000000 00000000 00000000\n"
            "GDT=     fffffe0000001000 0000007f\n"
            "CR0={:08x} CR2=00007f0e0c1a4000 CR3={:016x} CR4={:08x}\n"
            "DR6=00000000ffff0ff0 DR7=0000000000000400\n"
            "EFER={:016x}\n",
            i, c[0], c[1], c[2], c[3]);
    }
    return text;
}

// QEMU's system-mode gdbstub, as much of it as the live guest source uses.
struct FakeQemu {
    GuestRam ram;
    // Per CPU: cr0, cr3, cr4, efer.
    std::vector<std::array<std::uint64_t, 4>> cpus;
    bool physical = false;

    std::optional<std::string> answer(const std::string& p) {
        // QEMU stops the guest as a client connects, and says so before its first reply.
        if (p.starts_with("qSupported"))
            return frame("T02thread:p01.01;") + frame("PacketSize=1000;qXfer:features:read+");
        if (p == "qqemu.PhyMemMode") return frame(physical ? "1" : "0");
        if (p.starts_with("Qqemu.PhyMemMode:")) {
            physical = p.back() == '1';
            return frame("OK");
        }
        if (p == "qfThreadInfo") return frame("mp1.1");
        if (p == "qsThreadInfo") return frame("l");
        if (p == "qRcmd," + hex_text("info registers -a")) {
            // Sent in pieces of output, as QEMU sends a monitor's text.
            const std::string text = info_registers(cpus);
            std::string out;
            for (std::size_t at = 0; at < text.size(); at += 100)
                out += frame("O" + hex_text(text.substr(at, 100)));
            return out + frame("OK");
        }
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
    FakeQemu qemu{
        vmtest::small_guest(),
        {{kCr0, 0x900000, kCr4, kEferLongModeNxe}, {kCr0, 0x1000, kCr4, kEferLongModeNxe}}};
    FakeStub stub(FakeStub::Tcp{}, [&](const std::string& p) { return qemu.answer(p); });
    const auto r = vmtest::vmatlas({"--json", "--cpu", "1", "tcp:127.0.0.1:" + stub.port()});
    EXPECT_EQ(r.status, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["source"]["kind"], "live guest");
    ASSERT_EQ(doc["mappings"].size(), 6u) << r.out;
    EXPECT_EQ(doc["mappings"][3]["start"], "0xffff888000000000");
}

TEST(LiveGuest, NoSuchCpu) {
    FakeQemu qemu{vmtest::small_guest(), {{kCr0, 0x1000, kCr4, kEferLongModeNxe}}};
    FakeStub stub(FakeStub::Tcp{}, [&](const std::string& p) { return qemu.answer(p); });
    const auto r = vmtest::vmatlas({"--cpu", "3", "tcp:127.0.0.1:" + stub.port()});
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.err, "vmatlas: tcp:127.0.0.1:" + stub.port() + " has 1 CPU: there is no CPU 3\n");
    // Left as found all the same: detached, so that the guest QEMU stopped runs on.
    EXPECT_EQ(stub.payloads().back(), "D;1");
}

TEST(LiveGuest, AnErrorAfterTheModeChangePutsItBack) {
    FakeQemu qemu{vmtest::small_guest(), {{kCr0, 0x1000, kCr4, kEferLongModeNxe}}};
    FakeStub stub(FakeStub::Tcp{}, [&](const std::string& p) { return qemu.answer(p); });
    const auto r =
        vmtest::vmatlas({"--kallsyms", "/nonexistent/kallsyms", "tcp:127.0.0.1:" + stub.port()});
    EXPECT_EQ(r.status, 3) << r.err;
    const auto& sent = stub.payloads();
    ASSERT_GE(sent.size(), 2u);
    EXPECT_EQ(sent[sent.size() - 2], "Qqemu.PhyMemMode:0");
    EXPECT_EQ(sent.back(), "D;1");
    EXPECT_FALSE(qemu.physical);
}

TEST(LiveGuest, EferWithoutNxeMakesBit63Reserved) {
    // small_guest's data, stack and direct map pages are NX: with EFER.NXE clear, bit 63 is a
    // reserved bit, and every access through those entries faults.
    FakeQemu qemu{vmtest::small_guest(), {{kCr0, 0x1000, kCr4, 0x500}}};
    FakeStub stub(FakeStub::Tcp{}, [&](const std::string& p) { return qemu.answer(p); });
    const auto r = vmtest::vmatlas({"tcp:127.0.0.1:" + stub.port()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(body(r.out),
              "          0x400000           0x402000 r-xp   2000      0 [user]\n"
              "0xffffffff81000000 0xffffffff81400000 r-xp 400000      0 [supervisor]\n");
    EXPECT_NE(r.err.find("reserved bits 0x8000000000000000 set"), std::string::npos) << r.err;
}

TEST(InfoRegisters, TheSectionOfTheCpuAskedFor) {
    const std::string text =
        info_registers({{kCr0, 0x1000, kCr4, 0xd01}, {kCr0, 0x2000, kCr4 | 0x1000, 0x501}});
    const auto first = vmatlas::guest::parse_info_registers(text, 0);
    EXPECT_EQ(first.cpus, 2u);
    ASSERT_TRUE(first.registers);
    EXPECT_EQ(first.registers->cr3, 0x1000u);
    EXPECT_EQ(first.registers->efer, 0xd01u);
    const auto second = vmatlas::guest::parse_info_registers(text, 1);
    ASSERT_TRUE(second.registers);
    EXPECT_EQ(second.registers->cr0, kCr0);
    EXPECT_EQ(second.registers->cr3, 0x2000u);
    EXPECT_EQ(second.registers->cr4, kCr4 | 0x1000);
    EXPECT_EQ(second.registers->efer, 0x501u);
    EXPECT_FALSE(vmatlas::guest::parse_info_registers(text, 2).registers);
    // A CPU without its control registers (another architecture's monitor).
    const auto arm = vmatlas::guest::parse_info_registers("CPU#0\n PC=ffff0000 X00=0\n", 0);
    EXPECT_EQ(arm.cpus, 1u);
    EXPECT_FALSE(arm.registers);
}

}  // namespace
