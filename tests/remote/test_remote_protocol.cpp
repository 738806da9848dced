// The gdb remote protocol client on exact bytes: framing, checksums, escaping, run-length
// decoding, acknowledgments, time limits, error replies; then host I/O against a scripted stub
// on a socketpair (tests/remote/fake_stub.hpp).
#include <sys/socket.h>

#include <chrono>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "remote/fake_stub.hpp"
#include "sources/remote_files.hpp"
#include "sources/remote_protocol.hpp"

namespace vmatlas::remote {
namespace {

using namespace std::string_literals;

TEST(RemotePacket, ChecksumIsTheByteSumModulo256) {
    EXPECT_EQ(checksum(""), 0);
    EXPECT_EQ(checksum("OK"), 0x9a);
    EXPECT_EQ(checksum("\xff\x02"s), 0x01);
    EXPECT_EQ(frame("qC"), "$qC#b4");
    EXPECT_EQ(frame(""), "$#00");
    EXPECT_EQ(frame("OK"), "$OK#9a");
}

TEST(RemotePacket, EscapesTheFourSpecialBytes) {
    EXPECT_EQ(escape("a#b$c}d*e"),
              "a}\x03"
              "b}\x04"
              "c}]d}\x0a"
              "e");
    EXPECT_EQ(escape("plain"), "plain");
    const std::string all = [] {
        std::string s;
        for (int c = 0; c < 256; ++c) s += static_cast<char>(c);
        return s;
    }();
    auto back = unescape(escape(all));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, all);
    EXPECT_EQ(escape(all).size(), 256u + 4u);
}

TEST(RemotePacket, UnescapeRefusesATrailingEscape) {
    EXPECT_EQ(*unescape("}]"), "}");
    auto bad = unescape("ab}");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, ErrorKind::MalformedInput);
}

TEST(RemotePacket, RunLengthDecoding) {
    EXPECT_EQ(*expand_runs("0* "), "0000");                // ' ' is 32: 3 more
    EXPECT_EQ(*expand_runs("a*!b"), "aaaaab");             // '!' is 33: 4 more
    EXPECT_EQ(*expand_runs("x*~"), std::string(98, 'x'));  // '~' is 126: 97 more
    EXPECT_EQ(*expand_runs("no runs"), "no runs");
    EXPECT_FALSE(expand_runs("*a"));      // nothing to repeat
    EXPECT_FALSE(expand_runs("a*"));      // no count
    EXPECT_FALSE(expand_runs("a*\x1f"));  // a count below 3
    // An escaped byte repeated: the run is of the escaped text, unescaped after.
    EXPECT_EQ(*unescape(*expand_runs("}]*\"")), "}]]]]]");
}

TEST(RemotePacket, DecodesFramesAtTheFrontOfABuffer) {
    auto d = decode_frame("+$OK#9a");
    EXPECT_EQ(d.kind, Frame::Ack);
    EXPECT_EQ(d.consumed, 1u);
    EXPECT_EQ(decode_frame("-").kind, Frame::Nack);
    d = decode_frame("$OK#9a+");
    EXPECT_EQ(d.kind, Frame::Packet);
    EXPECT_EQ(d.consumed, 6u);
    EXPECT_EQ(d.payload, "OK");
    d = decode_frame("$OK#9A");  // upper-case hex is taken too
    EXPECT_EQ(d.kind, Frame::Packet);
    EXPECT_EQ(decode_frame("$OK#9b").kind, Frame::BadChecksum);
    EXPECT_EQ(decode_frame("$OK#zz").kind, Frame::BadChecksum);
    EXPECT_EQ(decode_frame("$OK#9").kind, Frame::Incomplete);
    EXPECT_EQ(decode_frame("$OK").kind, Frame::Incomplete);
    EXPECT_EQ(decode_frame("").kind, Frame::Incomplete);
    EXPECT_EQ(decode_frame("\x03").kind, Frame::Junk);
    d = decode_frame("%Stop:T05#" + fmt::format("{:02x}", checksum("Stop:T05")));
    EXPECT_EQ(d.kind, Frame::Notification);
    EXPECT_EQ(d.payload, "Stop:T05");
    // A packet longer than the limit is junk from its '$' on, even before its end arrives.
    EXPECT_EQ(decode_frame("$0123456789", 4).kind, Frame::Junk);
    EXPECT_EQ(decode_frame("$01234#", 4).kind, Frame::Junk);
    EXPECT_EQ(decode_frame("$0123#", 4).kind, Frame::Incomplete);
    EXPECT_EQ(decode_frame("$0123#c6", 4).kind, Frame::Packet);
}

TEST(RemotePacket, ErrorReplies) {
    EXPECT_EQ(error_reply("E01"), 1u);
    EXPECT_EQ(error_reply("Eff"), 0xffu);
    EXPECT_FALSE(error_reply("E0"));
    EXPECT_FALSE(error_reply("E0g"));
    EXPECT_FALSE(error_reply("OK"));
    EXPECT_FALSE(error_reply("E011"));
}

TEST(RemoteConnection, ResendsOnANackAndAcksTheReply) {
    int sent = 0;
    vmtest::FakeStub stub(
        [&](const std::string& p) -> std::optional<std::string> {
            EXPECT_EQ(p, "qC");
            return ++sent == 1 ? "-"s : frame("QCp2a.2a");
        },
        false);
    {
        RemoteConnection c(stub.take_client(), "fake");
        auto reply = c.request("qC");
        ASSERT_TRUE(reply) << reply.error().message;
        EXPECT_EQ(*reply, "QCp2a.2a");
    }
    EXPECT_EQ(stub.received(), "$qC#b4$qC#b4+");
}

TEST(RemoteConnection, AStopReplyBeforeTheReplyIsPassedOver) {
    // QEMU's system-mode stub sends "T02thread:01;" unasked as a client connects.
    vmtest::FakeStub stub(
        [&](const std::string&) -> std::optional<std::string> {
            return "+" + frame("T02thread:01;") + frame("1");
        },
        false);
    {
        RemoteConnection c(stub.take_client(), "fake");
        auto reply = c.request("qqemu.PhyMemMode");
        ASSERT_TRUE(reply) << reply.error().message;
        EXPECT_EQ(*reply, "1");
    }
    EXPECT_EQ(stub.received(), "$qqemu.PhyMemMode#2c++");
    EXPECT_TRUE(vmatlas::remote::is_stop_reply("S05"));
    EXPECT_FALSE(vmatlas::remote::is_stop_reply("Sx5"));
    EXPECT_FALSE(vmatlas::remote::is_stop_reply("T0"));
}

TEST(RemoteConnection, BadChecksumIsAnsweredWithANack) {
    vmtest::FakeStub stub(
        [&](const std::string&) -> std::optional<std::string> { return "+$OK#00" + frame("OK"); },
        false);
    {
        RemoteConnection c(stub.take_client(), "fake");
        auto reply = c.request("g");
        ASSERT_TRUE(reply) << reply.error().message;
        EXPECT_EQ(*reply, "OK");
    }
    EXPECT_EQ(stub.received(), "$g#67-+");
}

TEST(RemoteConnection, ARunLengthReplyIsExpanded) {
    vmtest::FakeStub stub([](const std::string&) { return std::optional(frame("0* 1")); });
    RemoteConnection c(stub.take_client(), "fake");
    EXPECT_EQ(*c.request("m0,3"), "00001");
}

TEST(RemoteConnection, AnErrorReplyIsReturnedAsItIs) {
    vmtest::FakeStub stub([](const std::string&) { return std::optional(frame("E16")); });
    RemoteConnection c(stub.take_client(), "fake");
    auto reply = c.request("m0,3");
    ASSERT_TRUE(reply);
    EXPECT_EQ(error_reply(*reply), 0x16u);
}

TEST(RemoteConnection, NoReplyWithinTheTimeout) {
    vmtest::FakeStub stub([](const std::string&) { return std::optional("+"s); }, false);
    RemoteConnection c(stub.take_client(), "tcp:fake:1",
                       {.timeout = std::chrono::milliseconds(100)});
    const auto before = std::chrono::steady_clock::now();
    auto reply = c.request("qC");
    ASSERT_FALSE(reply);
    EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
    EXPECT_EQ(reply.error().kind, ErrorKind::UnreadableInput);
    EXPECT_EQ(reply.error().message, "tcp:fake:1 sent no reply within 100 ms");
    EXPECT_FALSE(c.request("qC"));  // closed
}

TEST(RemoteConnection, AStubThatClosesGivesASentence) {
    vmtest::FakeStub stub([](const std::string&) { return std::optional<std::string>(); });
    RemoteConnection c(stub.take_client(), "tcp:fake:1");
    auto reply = c.request("qC");
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().message, "tcp:fake:1 closed the connection before it replied");
}

TEST(RemoteConnection, GivesUpAfterRepeatedNacks) {
    vmtest::FakeStub stub([](const std::string&) { return std::optional("-"s); }, false);
    RemoteConnection c(stub.take_client(), "fake", {.resends = 2});
    auto reply = c.request("qC");
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().message, "fake refused the packet 3 times ('-')");
}

TEST(RemoteConnection, HandshakeStopsAcknowledgments) {
    vmtest::FakeStub stub([](const std::string& p) -> std::optional<std::string> {
        if (p.starts_with("qSupported:")) return frame("PacketSize=4000;QStartNoAckMode+");
        if (p == "QStartNoAckMode") return frame("OK");
        return frame("QC2a");
    });
    {
        RemoteConnection c(stub.take_client(), "fake");
        auto supported = c.handshake();
        ASSERT_TRUE(supported) << supported.error().message;
        EXPECT_FALSE(c.acknowledging());
        EXPECT_EQ(*c.request("qC"), "QC2a");
    }
    const std::string got = stub.received();
    // '+' first, each reply acknowledged up to and with QStartNoAckMode's, none after.
    EXPECT_TRUE(got.starts_with("+$qSupported:multiprocess+")) << got;
    EXPECT_TRUE(got.ends_with("+$QStartNoAckMode#b0+$qC#b4")) << got;
}

// A stub that reads files from a table of path -> contents, in no-ack mode.
vmtest::FakeStub::Script file_stub(std::string path, std::string contents, int max_read = 1000) {
    return [=](const std::string& p) -> std::optional<std::string> {
        if (p.starts_with("vFile:open:")) {
            std::string hex;
            for (unsigned char c : path) hex += fmt::format("{:02x}", c);
            return frame(p == "vFile:open:" + hex + ",0,0" ? "F7" : "F-1,2");
        }
        unsigned fd = 0, count = 0, offset = 0;
        if (std::sscanf(p.c_str(), "vFile:pread:%x,%x,%x", &fd, &count, &offset) == 3) {
            if (fd != 7) return frame("F-1,9");
            const std::string part =
                offset >= contents.size()
                    ? ""
                    : contents.substr(offset, std::min<unsigned>(count, max_read));
            return frame(fmt::format("F{:x};", part.size()) + escape(part));
        }
        if (p == "vFile:close:7") return frame("F0");
        return frame("");
    };
}

TEST(RemoteFiles, ReadsAWholeFileInPieces) {
    std::string contents;
    for (int i = 0; i < 300; ++i) contents += fmt::format("row {} #$}}* \n", i);
    vmtest::FakeStub stub(file_stub("/proc/42/maps", contents, 777));
    {
        RemoteConnection c(stub.take_client(), "fake");
        auto text = read_remote_file(c, "/proc/42/maps");
        ASSERT_TRUE(text) << text.error().message;
        EXPECT_EQ(text->bytes, contents);
        EXPECT_FALSE(text->cut);
    }
    EXPECT_EQ(stub.payloads().front(), "vFile:open:2f70726f632f34322f6d617073,0,0");
    EXPECT_EQ(stub.payloads().back(), "vFile:close:7");
}

TEST(RemoteFiles, ARefusalNamesThePathAndErrno) {
    vmtest::FakeStub stub(file_stub("/proc/42/maps", "x"));
    RemoteConnection c(stub.take_client(), "tcp:fake:1");
    auto text = read_remote_file(c, "/proc/43/maps");
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().kind, ErrorKind::NoSuchProcess);
    EXPECT_EQ(text.error().message,
              "tcp:fake:1 cannot open /proc/43/maps: No such file or directory (errno 2)");
}

TEST(RemoteFiles, AStubWithoutHostIo) {
    vmtest::FakeStub stub([](const std::string&) { return std::optional(frame("")); });
    RemoteConnection c(stub.take_client(), "tcp:fake:1");
    auto text = read_remote_file(c, "/proc/1/maps");
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().kind, ErrorKind::Unsupported);
}

TEST(RemoteFiles, AStubThatGoesAwayMidReadLeavesWhatCame) {
    int preads = 0;
    auto files = file_stub("/proc/42/maps", std::string(5000, 'a'), 1000);
    vmtest::FakeStub stub([&](const std::string& p) -> std::optional<std::string> {
        if (p.starts_with("vFile:pread") && ++preads == 3) return std::nullopt;
        return files(p);
    });
    RemoteConnection c(stub.take_client(), "tcp:fake:1");
    auto text = read_remote_file(c, "/proc/42/maps");
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(text->bytes, std::string(2000, 'a'));
    ASSERT_TRUE(text->cut);
    EXPECT_EQ(text->cut->kind, ErrorKind::UnreadableInput);
    EXPECT_EQ(text->cut->message, "tcp:fake:1 closed the connection before it replied");
}

TEST(RemoteFiles, AStubThatGoesAwayBeforeAnyByte) {
    auto files = file_stub("/proc/42/maps", "x");
    vmtest::FakeStub stub([&](const std::string& p) -> std::optional<std::string> {
        if (p.starts_with("vFile:pread")) return std::nullopt;
        return files(p);
    });
    RemoteConnection c(stub.take_client(), "tcp:fake:1");
    auto text = read_remote_file(c, "/proc/42/maps");
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().message, "tcp:fake:1 closed the connection before it replied");
}

TEST(RemoteFiles, ALengthThatDisagreesWithTheData) {
    vmtest::FakeStub stub([](const std::string& p) -> std::optional<std::string> {
        if (p.starts_with("vFile:open")) return frame("F3");
        return frame("F5;abc");
    });
    RemoteConnection c(stub.take_client(), "fake");
    auto text = read_remote_file(c, "/x");
    ASSERT_FALSE(text);  // nothing came before the bad read
    EXPECT_EQ(text.error().message, "fake said it read 5 bytes of /x at offset 0 but sent 3");
}

TEST(RemoteFiles, ThePidOfTheStoppedInferior) {
    for (const auto& [reply, want] :
         std::vector<std::pair<std::string, int>>{{"QCp2a.2b", 42}, {"QC2b", 43}}) {
        vmtest::FakeStub stub([r = reply](const std::string&) { return std::optional(frame(r)); });
        RemoteConnection c(stub.take_client(), "fake");
        auto pid = remote_pid(c);
        ASSERT_TRUE(pid) << pid.error().message;
        EXPECT_EQ(*pid, want);
    }
    vmtest::FakeStub none(
        [](const std::string& p) { return std::optional(frame(p == "qC" ? "E01" : "l")); });
    RemoteConnection c(none.take_client(), "tcp:fake:1");
    auto pid = remote_pid(c);
    ASSERT_FALSE(pid);
    EXPECT_EQ(pid.error().kind, ErrorKind::NoSuchProcess);
}

// A gdbserver on TCP that debugs process 42 and serves `path` from `contents`, each read at most
// max_read bytes, and closes the connection when asked for the read numbered close_at.
vmtest::FakeStub::Script target_stub(std::string path, std::string contents, int max_read,
                                     int close_at) {
    return [files = file_stub(path, contents, max_read), close_at,
            preads = 0](const std::string& p) mutable -> std::optional<std::string> {
        if (p.starts_with("qSupported")) return frame("PacketSize=1000");
        if (p == "qC") return frame("QCp2a.2a");
        if (p.starts_with("vFile:pread") && ++preads == close_at) return std::nullopt;
        return files(p);
    };
}

std::string maps_rows(int n) {
    std::string text;  // 34 bytes a row
    for (int i = 0; i < n; ++i)
        text += fmt::format("{:x}-{:x} rw-p 00000000 00:00 0\n", 0x10000 + i * 0x2000,
                            0x11000 + i * 0x2000);
    return text;
}

TEST(RemoteTarget, AReadCutShortKeepsTheWholeRowsBeforeIt) {
    // 100 bytes come, the third row cut inside; then the stub goes away.
    vmtest::FakeStub stub(vmtest::FakeStub::Tcp{},
                          target_stub("/proc/42/maps", maps_rows(10), 100, 2));
    const std::string spec = "tcp:127.0.0.1:" + stub.port();
    auto t = open_remote_target(spec);
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_EQ(t->space.size(), 2u);
    EXPECT_EQ(t->space[1].start, 0x12000u);
    EXPECT_EQ(t->space.rows().rejected, 0u);
    EXPECT_EQ(t->space.loss(), Loss::Input);
    ASSERT_EQ(t->space.diagnostics().size(), 1u);
    EXPECT_EQ(t->space.diagnostics()[0].message,
              spec +
                  " closed the connection before it replied: /proc/42/maps was read to offset "
                  "0x44, and the rows after it are missing");
}

TEST(RemoteTarget, AReadCutShortBeforeAWholeRowIsAnError) {
    vmtest::FakeStub stub(vmtest::FakeStub::Tcp{},
                          target_stub("/proc/42/maps", maps_rows(10), 20, 2));
    auto t = open_remote_target("tcp:127.0.0.1:" + stub.port());
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().kind, ErrorKind::UnreadableInput);
}

TEST(RemoteTarget, ASmapsReadCutShortKeepsTheRowsWhoseFiguresAllCame) {
    std::string smaps;
    for (int i = 0; i < 3; ++i)
        smaps += fmt::format(
            "{:x}-{:x} rw-p 00000000 00:00 0\nSize: 4 kB\nRss: {} kB\n"
            "VmFlags: rd wr\n",
            0x10000 + i * 0x2000, 0x11000 + i * 0x2000, 4 * (i % 2));
    const std::size_t row = smaps.size() / 3;
    // Cut inside the second row's figures, then just after its VmFlags line.
    for (const auto& [at, rows] :
         std::vector<std::pair<std::size_t, std::size_t>>{{row + row / 2, 1}, {2 * row, 2}}) {
        SCOPED_TRACE("cut at " + std::to_string(at));
        vmtest::FakeStub stub(vmtest::FakeStub::Tcp{},
                              target_stub("/proc/42/smaps", smaps, static_cast<int>(at), 2));
        auto t = open_remote_target("tcp:127.0.0.1:" + stub.port(), {.live_figures = true});
        ASSERT_TRUE(t) << t.error().message;
        EXPECT_EQ(t->space.size(), rows);
        EXPECT_EQ(t->space.figures().size(), rows);
        EXPECT_EQ(t->space.rows().rejected, 0u);
        EXPECT_EQ(t->space.loss(), Loss::Input);
        EXPECT_EQ(t->space.source().kind, SourceKind::SmapsText);
    }
}

TEST(RemoteTarget, SplitsTcpHostPort) {
    std::string host, port;
    ASSERT_TRUE(split_remote_spec("tcp:localhost:1234", host, port));
    EXPECT_EQ(host, "localhost");
    EXPECT_EQ(port, "1234");
    ASSERT_TRUE(split_remote_spec("tcp::99", host, port));
    EXPECT_EQ(host, "localhost");
    ASSERT_TRUE(split_remote_spec("tcp:[::1]:2000", host, port));
    EXPECT_EQ(host, "::1");
    EXPECT_EQ(port, "2000");
    EXPECT_FALSE(split_remote_spec("localhost:1234", host, port));
    EXPECT_FALSE(split_remote_spec("tcp:localhost", host, port));
    EXPECT_FALSE(split_remote_spec("tcp:localhost:", host, port));
    EXPECT_FALSE(split_remote_spec("tcp:localhost:12a", host, port));
    EXPECT_FALSE(split_remote_spec("tcp:::1:2000", host, port));
    EXPECT_FALSE(split_remote_spec("tcp:[::1]2000", host, port));
}

}  // namespace
}  // namespace vmatlas::remote
