// Fuzz target of the gdb remote protocol decoder (src/sources/remote_protocol.hpp). For any bytes:
// - decode_frame() takes every byte of a buffer in frames of at least one byte, each payload
//   inside its frame, and a Packet's frame is what frame() writes of its payload (checksum digits
//   in either case);
// - expand_runs() and unescape() never crash, and expand_runs() grows a payload by at most 97
//   bytes for each '*';
// - escape() leaves no '#', '$' or '*' and unescape() gives its input back;
// - the bytes, sent by a stub as its reply to a request over a socketpair, give the connection a
//   reply or an error, and never hang it (the stub's end is shut after them).
// Any broken property aborts with a sentence on stderr, which libFuzzer reports as a crash.
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sources/remote_protocol.hpp"

namespace {

namespace remote = vmatlas::remote;

[[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "fuzz_remote_packet: %s\n", why);
    std::abort();
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

void check_frames(std::string_view bytes) {
    std::size_t at = 0;
    while (at < bytes.size()) {
        const std::string_view rest = bytes.substr(at);
        const remote::Decoded d = remote::decode_frame(rest, 4096);
        if (d.kind == remote::Frame::Incomplete) break;
        if (d.consumed == 0 || d.consumed > rest.size()) fail("a frame took no bytes or too many");
        if (!d.payload.empty() && (d.payload.data() < rest.data() ||
                                   d.payload.data() + d.payload.size() > rest.data() + d.consumed))
            fail("a payload outside its frame");
        if (d.kind == remote::Frame::Packet &&
            remote::frame(d.payload) !=
                lower(rest.substr(0, d.consumed)).replace(1, d.payload.size(), d.payload))
            fail("a packet that is not what frame() writes of its payload");
        if (d.kind == remote::Frame::Packet) {
            std::size_t stars = 0;
            for (const char c : d.payload) stars += c == '*';
            if (auto runs = remote::expand_runs(d.payload);
                runs && runs->size() > d.payload.size() + 97 * stars)
                fail("a run longer than a count can say");
            (void)remote::unescape(d.payload);
        }
        at += d.consumed;
    }
}

void check_escape(std::string_view bytes) {
    const std::string escaped = remote::escape(bytes);
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        if (escaped[i] == '#' || escaped[i] == '$' || escaped[i] == '*') fail("an unescaped byte");
        if (escaped[i] == '}') ++i;
    }
    const auto back = remote::unescape(escaped);
    if (!back || *back != bytes) fail("unescape(escape(x)) is not x");
}

void check_connection(std::string_view bytes) {
    if (bytes.size() > 64 * 1024) return;  // what a socket buffer surely holds
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return;
    if (::write(fds[1], bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
        ::close(fds[0]);
        ::close(fds[1]);
        return;
    }
    ::shutdown(fds[1], SHUT_WR);
    {
        remote::RemoteConnection c(fds[0], "fuzz", {.timeout = std::chrono::milliseconds(1000)});
        (void)c.request("qC");
    }
    ::close(fds[1]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    check_frames(bytes);
    check_escape(bytes);
    check_connection(bytes);
    return 0;
}
