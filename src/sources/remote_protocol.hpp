// A client of the gdb remote serial protocol, as much of it as reading files through a gdbserver
// needs (docs/remote.md): packets framed as "$payload#cs", acknowledged with '+' or '-' until
// both sides agree to stop (QStartNoAckMode), binary data escaped with '}' and run-length encoded
// with '*'.
//
// The encoding and decoding are pure functions over bytes; RemoteConnection sends requests and
// waits for their replies over a socket, each reply within a time limit. A reply's payload is
// handed back run-length decoded but still escaped: only binary replies (vFile:pread) unescape.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vmatlas/result.hpp"

namespace vmatlas::remote {

// The sum of the payload's bytes, modulo 256.
std::uint8_t checksum(std::string_view payload);

// "$" payload "#" two lowercase hex digits of its checksum. The payload is sent as given: escape
// binary data first.
std::string frame(std::string_view payload);

// Bytes as two lowercase hex digits each, as host I/O paths and qRcmd commands are sent.
std::string hex_text(std::string_view bytes);

// Binary data with '#', '$', '}' and '*' written as '}' followed by the byte XOR 0x20.
std::string escape(std::string_view data);

// The bytes escape() wrote; an error when the data ends in a lone '}'.
Result<std::string> unescape(std::string_view escaped);

// A payload with each "X*N" written out as X followed by N - 29 more copies of X ("0* " is
// "0000"); an error for a '*' with no byte before it or no count after it, or a count below 3
// (N < ' ').
Result<std::string> expand_runs(std::string_view payload);

// What the bytes at the front of a receive buffer are.
enum class Frame : std::uint8_t {
    Incomplete,    // not all there yet: read more
    Ack,           // '+'
    Nack,          // '-': the peer asks for the last packet again
    Packet,        // "$...#cs" with the right checksum
    BadChecksum,   // "$...#cs" whose checksum does not add up
    Notification,  // "%...#cs": asynchronous, never a reply
    Junk,          // a byte that starts nothing (line noise, a stray ^C): skipped
};

struct Decoded {
    Frame kind = Frame::Incomplete;
    std::size_t consumed = 0;  // bytes of the buffer this frame took (0 when Incomplete)
    std::string_view payload;  // between '$' and '#', as sent (Packet and BadChecksum)
};

// Reads the first frame of buffer. A packet longer than max_payload bytes is Junk from its '$'
// on, so that a peer that never sends '#' cannot make the buffer grow without end.
Decoded decode_frame(std::string_view buffer, std::size_t max_payload = 1 << 20);

// A stop reply: 'S' or 'T' and the signal's two hex digits ("T02thread:01;"). A stub may send one
// unasked as a client connects (QEMU's system-mode stub does, as it stops the guest); no request
// this client sends is answered with one.
bool is_stop_reply(std::string_view payload);

// "Exx": the reply is an error; its two hex digits when it is.
std::optional<unsigned> error_reply(std::string_view reply);

struct ConnectionOptions {
    std::chrono::milliseconds timeout{10'000};  // for connecting and for each reply
    int resends = 3;                            // times a packet is sent again on '-'
};

// One connection to a stub. Errors are UnreadableInput, and say what the stub (its name, "tcp:
// HOST:PORT") did or did not do; once one is returned the connection is closed.
class RemoteConnection {
  public:
    // Connects to host:port (every address getaddrinfo gives, in turn), then asks what the stub
    // supports (qSupported) and stops acknowledgments when it can.
    static Result<RemoteConnection> connect(const std::string& host, const std::string& port,
                                            const ConnectionOptions& options = {});
    // Over a connected stream socket (takes it); for tests, with no handshake.
    RemoteConnection(int fd, std::string name, const ConnectionOptions& options = {});
    ~RemoteConnection();
    RemoteConnection(RemoteConnection&& other) noexcept;
    RemoteConnection& operator=(RemoteConnection&&) = delete;
    RemoteConnection(const RemoteConnection&) = delete;

    // Sends a packet and returns the payload of its reply, run-length decoded. An empty reply is
    // the stub's "not supported"; an "Exx" reply is returned as it is. A stop reply that comes
    // first is acknowledged and skipped (is_stop_reply: no request of this client is answered
    // with one). The reply must come within the timeout, whatever else the stub sends meanwhile.
    Result<std::string> request(std::string_view payload);
    // The next reply of a request answered with several packets (the 'O' output packets of
    // qRcmd, then its "OK"), as request() reads one.
    Result<std::string> next_reply();

    // qSupported with what this client understands, then QStartNoAckMode when the stub offers it.
    // Returns the stub's qSupported reply.
    Result<std::string> handshake();

    bool acknowledging() const { return acks_; }
    const std::string& supported() const { return supported_; }  // the qSupported reply
    const std::string& name() const { return name_; }
    bool connected() const { return fd_ >= 0; }
    void close();

  private:
    Error fail(std::string message);
    std::optional<Error> send_all(std::string_view bytes);
    // The next frame from the socket, waiting for it until deadline.
    Result<Decoded> next_frame(std::chrono::steady_clock::time_point deadline);
    // The next reply packet; packet, when given, is sent again on a '-' before it is acknowledged.
    Result<std::string> await_reply(std::optional<std::string_view> packet);

    int fd_ = -1;
    std::string name_;
    ConnectionOptions options_;
    bool acks_ = true;
    std::string buffer_;
    std::size_t used_ = 0;  // bytes at the front of buffer_ already decoded
    std::string supported_;
};

}  // namespace vmatlas::remote
