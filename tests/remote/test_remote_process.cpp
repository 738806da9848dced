// What a gdbserver says of its process (src/sources/remote_process.hpp): the threads document,
// target descriptions with includes and regnum attributes, register and auxv bytes; then the
// facts of a map read through a scripted stub (tests/remote/fake_stub.hpp), packet by packet.
#include <cstdint>
#include <map>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "remote/fake_stub.hpp"
#include "sources/remote_files.hpp"
#include "sources/remote_process.hpp"
#include "sources/remote_protocol.hpp"
#include "vmatlas/named_map.hpp"

namespace vmatlas::remote {
namespace {

using namespace std::string_literals;

TEST(RemoteThreadsXml, MultiprocessIdsNamesAndEntities) {
    auto threads = parse_threads_xml(
        "<?xml version=\"1.0\"?>\n<threads>\n"
        "<!-- a comment <thread id=\"p1.1\"/> -->\n"
        "<thread id=\"p1f.1f\" core=\"0\" name=\"demo\"/>\n"
        "<thread id='p1f.2a' core='1' name='a &amp; b &lt;&#x41;&#66;&gt;'>extra text</thread>\n"
        "<thread id=\"p20.21\"/>\n"
        "</threads>\n");
    ASSERT_TRUE(threads) << threads.error().message;
    ASSERT_EQ(threads->size(), 3u);
    EXPECT_EQ((*threads)[0].id, "p1f.1f");
    EXPECT_EQ((*threads)[0].pid, 0x1f);
    EXPECT_EQ((*threads)[0].tid, 0x1f);
    EXPECT_EQ((*threads)[0].name, "demo");
    EXPECT_EQ((*threads)[1].tid, 0x2a);
    EXPECT_EQ((*threads)[1].name, "a & b <AB>");
    EXPECT_EQ((*threads)[2].pid, 0x20);
    EXPECT_EQ((*threads)[2].name, "");

    auto plain = parse_threads_xml("<threads><thread id=\"2b\"></thread></threads>");
    ASSERT_TRUE(plain) << plain.error().message;
    ASSERT_EQ(plain->size(), 1u);
    EXPECT_FALSE((*plain)[0].pid);
    EXPECT_EQ((*plain)[0].tid, 0x2b);

    auto none = parse_threads_xml("<threads>\n</threads>\n");
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

TEST(RemoteThreadsXml, RefusesWhatItCannotRead) {
    auto bad_id = parse_threads_xml("<threads><thread id=\"p1f.zz\"/></threads>");
    ASSERT_FALSE(bad_id);
    EXPECT_EQ(bad_id.error().kind, ErrorKind::MalformedInput);
    EXPECT_EQ(bad_id.error().message, "thread 1's id 'p1f.zz' is no thread id");
    EXPECT_FALSE(parse_threads_xml("<threads><thread id=\"0\"/></threads>"));
    EXPECT_FALSE(parse_threads_xml("<threads><thread id=\"p1.-1\"/></threads>"));
    EXPECT_FALSE(parse_threads_xml("<threads><thread/></threads>"));
    auto cut = parse_threads_xml("<threads><thread id=\"p1.1");
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error().message, "the tag at offset 9 has a value of id that does not end");
    EXPECT_FALSE(parse_threads_xml("<threads><thread id=\"1\" name=\"&bogus;\"/></threads>"));
    // A surrogate is no character: its UTF-8 would be no UTF-8.
    EXPECT_FALSE(parse_threads_xml("<threads><thread id=\"1\" name=\"&#xd800;\"/></threads>"));
    EXPECT_FALSE(parse_threads_xml("<!-- never ends"));
}

// A description read from a table of documents by href.
Result<TargetDescription> describe(const std::map<std::string, std::string>& documents) {
    return parse_target_description(
        documents.at("target.xml"), [&](const std::string& href) -> Result<std::string> {
            const auto it = documents.find(href);
            if (it == documents.end())
                return make_error(ErrorKind::UnreadableInput, "no document " + href);
            return it->second;
        });
}

std::string x86_64_core() {
    std::string core =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
        "<feature name=\"org.gnu.gdb.i386.core\">\n"
        "  <flags id=\"i386_eflags\" size=\"4\"><field name=\"CF\" start=\"0\" "
        "end=\"0\"/></flags>\n";
    for (const char* r : {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp"})
        core += fmt::format("  <reg name=\"{}\" bitsize=\"64\" type=\"int64\"/>\n", r);
    return core + "</feature>\n";
}

TEST(RemoteTargetDescription, RegistersNumberedAcrossAnInclude) {
    auto d =
        describe({{"target.xml",
                   "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                   "<target>\n  <architecture>i386:x86-64</architecture>\n"
                   "  <osabi>GNU/Linux</osabi>\n"
                   "  <xi:include href=\"64bit-core.xml\"/>\n"
                   "  <feature name=\"extra\"><reg name=\"orig_rax\" bitsize=\"64\"/></feature>\n"
                   "</target>\n"},
                  {"64bit-core.xml", x86_64_core()}});
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->architecture, "i386:x86-64");
    ASSERT_EQ(d->registers.size(), 9u);
    EXPECT_EQ(d->registers[7].name, "rsp");
    EXPECT_EQ(d->registers[7].regnum, 7u);
    EXPECT_EQ(d->registers[8].name, "orig_rax");
    EXPECT_EQ(d->registers[8].regnum, 8u);
    const auto sp = find_stack_pointer(*d);
    ASSERT_TRUE(sp);
    EXPECT_EQ(sp->name, "rsp");
    EXPECT_EQ(sp->regnum, 7u);
    EXPECT_EQ(sp->bytes, 8u);
    EXPECT_EQ(sp->g_offset, 56u);
    EXPECT_EQ(sp->word, 8u);
}

TEST(RemoteTargetDescription, ARegnumAttributeNumbersTheRegistersAfterIt) {
    // aarch64: x0..x29 then a gap the description makes with regnum (no g offset then) and sp.
    std::string regs;
    for (int i = 0; i < 30; ++i) regs += fmt::format("<reg name=\"x{}\" bitsize=\"64\"/>", i);
    auto d = describe({{"target.xml",
                        "<target><architecture>aarch64</architecture>"
                        "<feature name=\"org.gnu.gdb.aarch64.core\">" +
                            regs +
                            "<reg name=\"lr\" bitsize=\"64\" regnum=\"40\"/>"
                            "<reg name=\"sp\" bitsize=\"64\"/>"
                            "</feature></target>"}});
    ASSERT_TRUE(d) << d.error().message;
    const auto sp = find_stack_pointer(*d);
    ASSERT_TRUE(sp);
    EXPECT_EQ(sp->name, "sp");
    EXPECT_EQ(sp->regnum, 41u);
    EXPECT_FALSE(sp->g_offset);  // numbers 30 to 39 are no register of the description

    // Numbered in order, with a regnum that says what the order would: g's offset is known.
    auto i386 = describe({{"target.xml",
                           "<target><architecture>i386</architecture><feature name=\"c\">"
                           "<reg name=\"eax\" bitsize=\"32\" regnum=\"0\"/>"
                           "<reg name=\"ecx\" bitsize=\"32\"/><reg name=\"edx\" bitsize=\"32\"/>"
                           "<reg name=\"ebx\" bitsize=\"32\"/><reg name=\"esp\" bitsize=\"32\" "
                           "regnum=\"4\"/></feature></target>"}});
    ASSERT_TRUE(i386) << i386.error().message;
    const auto esp = find_stack_pointer(*i386);
    ASSERT_TRUE(esp);
    EXPECT_EQ(esp->regnum, 4u);
    EXPECT_EQ(esp->bytes, 4u);
    EXPECT_EQ(esp->g_offset, 16u);
    EXPECT_EQ(esp->word, 4u);
}

TEST(RemoteTargetDescription, WithoutRegistersGdbsFixedNumbering) {
    // What gdbserver sends a client that does not say xmlRegisters=i386.
    auto d = describe({{"target.xml",
                        "<target><architecture>i386:x86-64</architecture><osabi>GNU/Linux</osabi>"
                        "</target>"}});
    ASSERT_TRUE(d) << d.error().message;
    auto sp = find_stack_pointer(*d);
    ASSERT_TRUE(sp);
    EXPECT_EQ(sp->regnum, 7u);
    EXPECT_EQ(sp->g_offset, 56u);
    d = describe({{"target.xml", "<target><architecture>aarch64</architecture></target>"}});
    ASSERT_TRUE(d);
    sp = find_stack_pointer(*d);
    ASSERT_TRUE(sp);
    EXPECT_EQ(sp->regnum, 31u);
    EXPECT_EQ(sp->g_offset, 248u);
    // No architecture and no registers: nothing to go on.
    d = describe({{"target.xml", "<target></target>"}});
    ASSERT_TRUE(d);
    EXPECT_FALSE(find_stack_pointer(*d));
    // An architecture this does not know, whose registers hold none of the names.
    d = describe({{"target.xml",
                   "<target><architecture>riscv:rv64</architecture><feature "
                   "name=\"c\"><reg name=\"x2\" bitsize=\"64\"/></feature></target>"}});
    ASSERT_TRUE(d);
    EXPECT_FALSE(find_stack_pointer(*d));
}

TEST(RemoteTargetDescription, IncludesThatCannotBeRead) {
    auto missing = describe({{"target.xml", "<target><xi:include href=\"gone.xml\"/></target>"}});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "no document gone.xml");
    // A document that includes itself ends at the depth limit.
    auto loop = describe({{"target.xml", "<target><xi:include href=\"target.xml\"/></target>"}});
    ASSERT_FALSE(loop);
    EXPECT_EQ(loop.error().message, "target.xml: includes nested more than 8 deep (at target.xml)");
    auto bad = describe({{"target.xml",
                          "<target><feature><reg name=\"rsp\" bitsize=\"0\"/>"
                          "</feature></target>"}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "target.xml: register rsp has bitsize '0'");
    // An href is sent in a packet: one that could end it and start another is refused.
    auto framed = describe({{"target.xml", "<target><xi:include href=\"a#00$M0,1\"/></target>"}});
    ASSERT_FALSE(framed);
    EXPECT_EQ(framed.error().message, "target.xml: an xi:include whose href is no plain file name");
}

TEST(RemoteRegisters, LittleEndianHex) {
    EXPECT_EQ(decode_register("68de1720fc7f0000", 8), 0x7ffc2017de68u);
    EXPECT_EQ(decode_register("10325476", 4), 0x76543210u);
    EXPECT_EQ(decode_register("FFFFFFFF", 4), 0xffffffffu);
    EXPECT_FALSE(decode_register("xxxxxxxxxxxxxxxx", 8));  // the stub does not have it
    EXPECT_FALSE(decode_register("68de1720fc7f00", 8));    // too short
    EXPECT_FALSE(decode_register("68de1720fc7f000000", 8));
    EXPECT_FALSE(decode_register("+1000000", 4));
    EXPECT_FALSE(decode_register("", 0));
}

// An auxiliary vector of (type, value) words, ended with AT_NULL.
std::string auxv_bytes(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& entries,
                       unsigned word) {
    std::string out;
    auto put = [&](std::uint64_t v) {
        for (unsigned i = 0; i < word; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
    };
    for (const auto& [type, value] : entries) put(type), put(value);
    put(0), put(0);
    return out;
}

TEST(RemoteAuxv, DecodesTheThreeAddresses) {
    const std::string bytes64 = auxv_bytes(
        {{33, 0x7fff12345000}, {6, 0x1000}, {3, 0x555555554040}, {9, 0x555555555060}}, 8);
    auto facts = decode_auxv_facts(bytes64, 8);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(facts->vdso, 0x7fff12345000u);
    EXPECT_EQ(facts->phdr, 0x555555554040u);
    EXPECT_EQ(facts->entry, 0x555555555060u);
    EXPECT_FALSE(facts->has_threads);

    auto facts32 = decode_auxv_facts(auxv_bytes({{33, 0xf7fc1000}, {9, 0x8049000}}, 4), 4);
    ASSERT_TRUE(facts32) << facts32.error().message;
    EXPECT_EQ(facts32->vdso, 0xf7fc1000u);
    EXPECT_EQ(facts32->entry, 0x8049000u);
    EXPECT_FALSE(facts32->phdr);

    EXPECT_FALSE(decode_auxv_facts(bytes64.substr(0, 20), 8));
}

// A gdbserver on TCP that debugs process 0x2a (threads 0x2a and 0x2b) with a one-row map, as
// its qSupported reply offers; `registers` answers p and g for the selected thread.
struct ScriptedProcess {
    std::string supported =
        "PacketSize=1000;qXfer:threads:read+;qXfer:auxv:read+;qXfer:features:read+";
    bool p_supported = true;
    std::string refused_thread;  // whose Hg is answered E01
    std::string maps =
        "10000-11000 rw-p 00000000 00:00 0\n"
        "7fff0000-7fff2000 rw-p 00000000 00:00 0\n"
        "7fff8000-7fffa000 r-xp 00000000 00:00 0 [vdso]\n";
    std::string auxv = auxv_bytes({{33, 0x7fff8000}, {9, 0x10400}, {3, 0x10040}}, 8);

    vmtest::FakeStub::Script script() const {
        return [*this, selected = std::string(),
                served = 0u](const std::string& p) mutable -> std::optional<std::string> {
            if (p.starts_with("qSupported")) return frame(supported);
            if (p == "qC") return frame("QCp2a.2a");
            if (p == "vFile:open:" + hex_text("/proc/42/maps") + ",0,0") {
                served = 0;
                return frame("F7");
            }
            if (p.starts_with("vFile:open:")) return frame("F-1,2");
            if (p.starts_with("vFile:pread:7,")) {
                const std::string part = served == 0 ? maps : "";
                served += static_cast<unsigned>(part.size());
                return frame(fmt::format("F{:x};", part.size()) + escape(part));
            }
            if (p == "vFile:close:7") return frame("F0");
            if (p == "qXfer:threads:read::0,7f0")
                return frame("l" + escape("<threads>\n<thread id=\"p2a.2a\" core=\"0\" "
                                          "name=\"demo\"/>\n<thread id=\"p2a.2b\" core=\"1\" "
                                          "name=\"work}er\"/>\n</threads>\n"));
            if (p == "qXfer:features:read:target.xml:0,7f0")
                return frame(
                    "l<target><architecture>i386:x86-64</architecture>"
                    "<xi:include href=\"64bit-core.xml\"/></target>");
            if (p == "qXfer:features:read:64bit-core.xml:0,7f0") {
                // In two pieces, the second asked for at the offset the first ended.
                return frame("m" + escape(x86_64_core().substr(0, 100)));
            }
            if (p == fmt::format("qXfer:features:read:64bit-core.xml:64,7f0"))
                return frame("l" + escape(x86_64_core().substr(100)));
            if (p == "qXfer:auxv:read::0,7f0") return frame("l" + escape(auxv));
            if (p == "Hg" + refused_thread) return frame("E01");
            if (p.starts_with("Hg")) {
                selected = p.substr(2);
                return frame("OK");
            }
            const std::string sp = selected == "p2a.2a" ? "f8ff007fff000000" : "e8ff017fff000000";
            if (p == "p7") return frame(p_supported ? sp : "");
            if (p == "g") return frame(std::string(7 * 16, '0') + sp + std::string(32, '1'));
            return frame("");
        };
    }
};

TEST(RemoteProcessFacts, ThreadsStackPointersAndAuxvPacketByPacket) {
    vmtest::FakeStub stub(vmtest::FakeStub::Tcp{}, ScriptedProcess{}.script());
    auto t = open_remote_target("tcp:127.0.0.1:" + stub.port());
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_TRUE(t->space.diagnostics().empty());
    const ProcessFacts& f = t->facts;
    ASSERT_TRUE(f.has_threads);
    ASSERT_EQ(f.threads.size(), 2u);
    EXPECT_EQ(f.threads[0].tid, 42);
    EXPECT_EQ(f.threads[0].name, "demo");
    EXPECT_EQ(f.threads[0].sp, 0x7f00fff8u + (Addr{0xff} << 32));
    EXPECT_EQ(f.threads[0].sp_source, StackPointerSource::Registers);
    EXPECT_EQ(f.threads[1].tid, 43);
    EXPECT_EQ(f.threads[1].name, "work}er");
    EXPECT_EQ(f.threads[1].sp, 0xff7f01ffe8u);
    EXPECT_EQ(f.threads[1].sp_error, "");
    EXPECT_EQ(f.vdso, 0x7fff8000u);
    EXPECT_EQ(f.entry, 0x10400u);
    EXPECT_EQ(f.phdr, 0x10040u);

    const std::vector<std::string> want = {
        "qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+;xmlRegisters=i386",
        "qqemu.PhyMemMode",  // no QEMU: an empty reply
        "qqemu.sstepbits",   // nor its user mode
        "qC",
        "vFile:open:" + hex_text("/proc/42/maps") + ",0,0",
        "vFile:pread:7,7f0,0",
        fmt::format("vFile:pread:7,7f0,{:x}", ScriptedProcess{}.maps.size()),
        "vFile:close:7",
        "vFile:open:" + hex_text("/proc/42/comm") + ",0,0",
        "qXfer:threads:read::0,7f0",
        "Hgp2a.2a",  // a thread selected before the description is asked for
        "qXfer:features:read:target.xml:0,7f0",
        "qXfer:features:read:64bit-core.xml:0,7f0",
        "qXfer:features:read:64bit-core.xml:64,7f0",
        "Hgp2a.2a",
        "p7",
        "Hgp2a.2b",
        "p7",
        "qXfer:auxv:read::0,7f0",
        "Hgp2a.2a",  // qC's thread, selected again
    };
    EXPECT_EQ(stub.payloads(), want);
}

TEST(RemoteProcessFacts, WithoutPTheStackPointerComesOutOfG) {
    ScriptedProcess process;
    process.p_supported = false;
    vmtest::FakeStub stub(vmtest::FakeStub::Tcp{}, process.script());
    auto t = open_remote_target("tcp:127.0.0.1:" + stub.port());
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_EQ(t->facts.threads.size(), 2u);
    EXPECT_EQ(t->facts.threads[0].sp, 0xff7f00fff8u);
    EXPECT_EQ(t->facts.threads[1].sp, 0xff7f01ffe8u);
    const auto& p = stub.payloads();
    // p once, then g for every thread.
    const std::vector<std::string> tail(p.end() - 7, p.end());
    EXPECT_EQ(tail, (std::vector<std::string>{"Hgp2a.2a", "p7", "g", "Hgp2a.2b", "g",
                                              "qXfer:auxv:read::0,7f0", "Hgp2a.2a"}));
}

TEST(RemoteProcessFacts, AThreadThatCannotBeSelectedHasNoStackPointer) {
    ScriptedProcess process;
    process.refused_thread = "p2a.2b";
    vmtest::FakeStub stub(vmtest::FakeStub::Tcp{}, process.script());
    const std::string spec = "tcp:127.0.0.1:" + stub.port();
    auto t = open_remote_target(spec);
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_EQ(t->facts.threads.size(), 2u);
    EXPECT_EQ(t->facts.threads[0].sp, 0xff7f00fff8u);
    EXPECT_FALSE(t->facts.threads[1].sp);
    EXPECT_EQ(t->facts.threads[1].sp_source, StackPointerSource::None);
    EXPECT_EQ(t->facts.threads[1].sp_error, spec + " answered Hgp2a.2b with 'E01'");
    EXPECT_EQ(t->facts.vdso, 0x7fff8000u);  // the rest is read all the same
}

TEST(RemoteProcessFacts, AStubWithoutQXferGivesTheMapWithoutFacts) {
    ScriptedProcess process;
    process.supported = "PacketSize=1000;QStartNoAckMode-";
    vmtest::FakeStub stub(vmtest::FakeStub::Tcp{}, process.script());
    const std::string spec = "tcp:127.0.0.1:" + stub.port();
    auto t = open_remote_target(spec);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->space.size(), 3u);
    EXPECT_FALSE(t->space.partial());
    EXPECT_FALSE(t->facts.has_threads);
    EXPECT_TRUE(t->facts.threads.empty());
    EXPECT_FALSE(t->facts.vdso);
    EXPECT_FALSE(t->facts.entry);
    EXPECT_FALSE(t->facts.phdr);
    ASSERT_EQ(t->space.diagnostics().size(), 1u);
    EXPECT_EQ(t->space.diagnostics()[0].message,
              spec +
                  " does not offer qXfer:threads:read: the threads of process 42 are not "
                  "read, and their stacks are not named");
    for (const std::string& p : stub.payloads()) {
        EXPECT_FALSE(p.starts_with("qXfer")) << p;
        EXPECT_FALSE(p.starts_with("Hg")) << p;
    }
}

TEST(RemoteProcessFacts, ADescriptionThatCannotBeReadLeavesTheThreadsWithoutStackPointers) {
    ScriptedProcess process;
    process.supported = "PacketSize=1000;qXfer:threads:read+";  // no features, no auxv
    vmtest::FakeStub stub(vmtest::FakeStub::Tcp{}, process.script());
    const std::string spec = "tcp:127.0.0.1:" + stub.port();
    auto t = open_remote_target(spec);
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_TRUE(t->facts.has_threads);
    ASSERT_EQ(t->facts.threads.size(), 2u);
    for (const ThreadInfo& thread : t->facts.threads) {
        EXPECT_FALSE(thread.sp);
        EXPECT_EQ(thread.sp_error, spec +
                                       " does not offer qXfer:features:read, which says "
                                       "which register is the stack pointer");
    }
    EXPECT_TRUE(t->space.diagnostics().empty());  // the annotator warns of the threads
    EXPECT_FALSE(t->facts.vdso);
    // Once, with the reason, and no advice about ptrace here: the registers are the stub's.
    const NamedMap named = name_target(std::move(*t), false);
    ASSERT_EQ(named.notes.warnings.size(), 1u);
    EXPECT_EQ(named.notes.warnings[0],
              "cannot read the registers of process 42's threads (" + spec +
                  " does not offer qXfer:features:read, which says which register is the stack "
                  "pointer): thread stacks are not named");
}

TEST(RemoteProcessFacts, NoneForRemotePid) {
    vmtest::FakeStub stub(vmtest::FakeStub::Tcp{}, ScriptedProcess{}.script());
    auto t = open_remote_target("tcp:127.0.0.1:" + stub.port(), {.remote_pid = 42});
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_FALSE(t->facts.has_threads);
    EXPECT_FALSE(t->facts.vdso);
    EXPECT_TRUE(t->space.diagnostics().empty());
    for (const std::string& p : stub.payloads()) EXPECT_FALSE(p.starts_with("qXfer")) << p;
}

}  // namespace
}  // namespace vmatlas::remote
