// The gdb remote serial protocol's framing, and a connection that speaks it (remote_protocol.hpp).
#include "sources/remote_protocol.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace vmatlas::remote {

namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool needs_escape(char c) {
    return c == '#' || c == '$' || c == '}' || c == '*';
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// A socket connected to one address within the deadline; errno set when it is not.
int connect_one(const addrinfo& ai, std::chrono::steady_clock::time_point deadline) {
    const int fd =
        ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai.ai_protocol);
    if (fd < 0) return -1;
    // Each packet goes out as it is written, as gdb sends them: with Nagle's algorithm a packet
    // after an unanswered '+' waits for the peer's delayed ACK (some 40 ms a request).
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            const int e = errno;
            ::close(fd);
            errno = e;
            return -1;
        }
        pollfd p{fd, POLLOUT, 0};
        const int n = ::poll(&p, 1, remaining_ms(deadline));
        int err = 0;
        socklen_t len = sizeof err;
        if (n == 0)
            err = ETIMEDOUT;
        else if (n < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
            err = errno;
        if (err != 0) {
            ::close(fd);
            errno = err;
            return -1;
        }
    }
    return fd;
}

}  // namespace

std::uint8_t checksum(std::string_view payload) {
    unsigned sum = 0;
    for (const char c : payload) sum += static_cast<unsigned char>(c);
    return static_cast<std::uint8_t>(sum & 0xff);
}

std::string frame(std::string_view payload) {
    const std::uint8_t sum = checksum(payload);
    std::string out;
    out.reserve(payload.size() + 4);
    out += '$';
    out += payload;
    out += '#';
    out += kHex[sum >> 4];
    out += kHex[sum & 0xf];
    return out;
}

std::string escape(std::string_view data) {
    std::string out;
    out.reserve(data.size());
    for (const char c : data) {
        if (needs_escape(c)) {
            out += '}';
            out += static_cast<char>(c ^ 0x20);
        } else {
            out += c;
        }
    }
    return out;
}

Result<std::string> unescape(std::string_view escaped) {
    std::string out;
    out.reserve(escaped.size());
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        if (escaped[i] != '}') {
            out += escaped[i];
            continue;
        }
        if (++i == escaped.size())
            return make_error(ErrorKind::MalformedInput,
                              "binary data ends in an escape character '}' with nothing after it");
        out += static_cast<char>(escaped[i] ^ 0x20);
    }
    return out;
}

Result<std::string> expand_runs(std::string_view payload) {
    std::string out;
    out.reserve(payload.size());
    for (std::size_t i = 0; i < payload.size(); ++i) {
        if (payload[i] != '*') {
            out += payload[i];
            continue;
        }
        if (out.empty())
            return make_error(ErrorKind::MalformedInput,
                              fmt::format("a run-length '*' at byte {} repeats nothing", i));
        if (i + 1 == payload.size())
            return make_error(ErrorKind::MalformedInput,
                              fmt::format("a run-length '*' at byte {} has no count after it", i));
        const auto count = static_cast<unsigned char>(payload[++i]);
        if (count < ' ')
            return make_error(ErrorKind::MalformedInput,
                              fmt::format("a run-length count 0x{:02x} at byte {} is below "
                                          "the smallest, 0x20",
                                          count, i));
        out.append(count - 29u, out.back());
    }
    return out;
}

Decoded decode_frame(std::string_view buffer, std::size_t max_payload) {
    if (buffer.empty()) return {};
    const char first = buffer[0];
    if (first == '+') return {Frame::Ack, 1, {}};
    if (first == '-') return {Frame::Nack, 1, {}};
    if (first != '$' && first != '%') return {Frame::Junk, 1, {}};
    const std::size_t limit = std::min(buffer.size(), max_payload + 1);
    const std::size_t hash = buffer.substr(0, limit + 1).find('#', 1);
    if (hash == std::string_view::npos)
        return buffer.size() > max_payload + 1 ? Decoded{Frame::Junk, 1, {}} : Decoded{};
    if (buffer.size() < hash + 3) return {};
    const std::string_view payload = buffer.substr(1, hash - 1);
    const int hi = hex_digit(buffer[hash + 1]), lo = hex_digit(buffer[hash + 2]);
    const bool good = hi >= 0 && lo >= 0 && checksum(payload) == (hi << 4 | lo);
    if (first == '%') return {good ? Frame::Notification : Frame::BadChecksum, hash + 3, payload};
    return {good ? Frame::Packet : Frame::BadChecksum, hash + 3, payload};
}

std::optional<unsigned> error_reply(std::string_view reply) {
    if (reply.size() != 3 || reply[0] != 'E') return std::nullopt;
    const int hi = hex_digit(reply[1]), lo = hex_digit(reply[2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    return static_cast<unsigned>(hi << 4 | lo);
}

RemoteConnection::RemoteConnection(int fd, std::string name, const ConnectionOptions& options)
    : fd_(fd), name_(std::move(name)), options_(options) {}

RemoteConnection::~RemoteConnection() {
    close();
}

RemoteConnection::RemoteConnection(RemoteConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      options_(other.options_),
      acks_(other.acks_),
      buffer_(std::move(other.buffer_)),
      used_(other.used_),
      supported_(std::move(other.supported_)) {}

void RemoteConnection::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

Error RemoteConnection::fail(std::string message) {
    close();
    return make_error(ErrorKind::UnreadableInput, std::move(message));
}

Result<RemoteConnection> RemoteConnection::connect(const std::string& host, const std::string& port,
                                                   const ConnectionOptions& options) {
    const std::string name = fmt::format("tcp:{}:{}", host, port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("cannot find {} port {}: {}", host, port,
                                      rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc)));
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    int fd = -1, err = 0;
    for (const addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next)
        if ((fd = connect_one(*ai, deadline)) < 0) err = errno;
    ::freeaddrinfo(found);
    if (fd < 0)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("cannot connect to a gdbserver at {}: {}", name,
                                      err == ETIMEDOUT ? fmt::format("no answer within {} ms",
                                                                     options.timeout.count())
                                                       : std::string(std::strerror(err))));
    RemoteConnection c(fd, name, options);
    auto supported = c.handshake();
    if (!supported) return supported.error();
    return c;
}

std::optional<Error> RemoteConnection::send_all(std::string_view bytes) {
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    while (!bytes.empty()) {
        if (fd_ < 0) return fail(fmt::format("the connection to {} is closed", name_));
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd_, POLLOUT, 0};
            if (::poll(&p, 1, remaining_ms(deadline)) == 0)
                return fail(
                    fmt::format("{} took no data for {} ms", name_, options_.timeout.count()));
            continue;
        }
        return fail(fmt::format("cannot send to {}: {}", name_, std::strerror(errno)));
    }
    return std::nullopt;
}

Result<Decoded> RemoteConnection::next_frame(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        if (fd_ < 0) return fail(fmt::format("the connection to {} is closed", name_));
        const Decoded d = decode_frame(std::string_view(buffer_).substr(used_));
        if (d.kind != Frame::Incomplete) {
            used_ += d.consumed;
            return d;
        }
        if (used_ > 0) {
            buffer_.erase(0, used_);
            used_ = 0;
        }
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0)
            return fail(
                fmt::format("{} sent no reply within {} ms", name_, options_.timeout.count()));
        char chunk[16384];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n < 0) return fail(fmt::format("cannot read from {}: {}", name_, std::strerror(errno)));
        if (n == 0) return fail(fmt::format("{} closed the connection before it replied", name_));
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

std::string hex_text(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        out += kHex[static_cast<unsigned char>(c) >> 4];
        out += kHex[static_cast<unsigned char>(c) & 0xf];
    }
    return out;
}

bool is_stop_reply(std::string_view payload) {
    return payload.size() >= 3 && (payload[0] == 'S' || payload[0] == 'T') &&
           std::isxdigit(static_cast<unsigned char>(payload[1])) &&
           std::isxdigit(static_cast<unsigned char>(payload[2]));
}

Result<std::string> RemoteConnection::request(std::string_view payload) {
    const std::string packet = frame(payload);
    if (auto e = send_all(packet)) return *e;
    return await_reply(packet);
}

Result<std::string> RemoteConnection::next_reply() {
    return await_reply(std::nullopt);
}

Result<std::string> RemoteConnection::await_reply(std::optional<std::string_view> packet) {
    // One deadline for the whole reply: acknowledgments, junk and skipped stop replies do not
    // extend it.
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    int resends = 0;
    bool acked = !acks_ || !packet;
    for (;;) {
        auto d = next_frame(deadline);
        if (!d) return d.error();
        switch (d->kind) {
            case Frame::Ack:
                acked = true;
                break;
            case Frame::Nack:
                if (acked) break;  // a stray '-' after our packet was taken: ours is not resent
                if (++resends > options_.resends)
                    return fail(
                        fmt::format("{} refused the packet {} times ('-')", name_, resends));
                if (auto e = send_all(*packet)) return *e;
                break;
            case Frame::BadChecksum:
                if (!acks_)
                    return fail(
                        fmt::format("{} sent a reply whose checksum does not add up", name_));
                if (auto e = send_all("-")) return *e;
                break;
            case Frame::Packet: {
                std::string raw(d->payload);
                if (acks_)
                    if (auto e = send_all("+")) return *e;
                if (is_stop_reply(raw)) break;
                auto expanded = expand_runs(raw);
                if (!expanded)
                    return fail(fmt::format("{} sent a malformed reply: {}", name_,
                                            expanded.error().message));
                return std::move(*expanded);
            }
            case Frame::Notification:
            case Frame::Junk:
            case Frame::Incomplete:
                break;
        }
    }
}

Result<std::string> RemoteConnection::handshake() {
    // gdb's first byte is a '+' too: a stub takes it as an acknowledgment of nothing.
    if (auto e = send_all("+")) return *e;
    // xmlRegisters=i386, as gdb says it: gdbserver on x86 then describes its registers in its
    // target description (remote_process.hpp), where without it the description holds none.
    auto supported =
        request("qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+;xmlRegisters=i386");
    if (!supported) return supported.error();
    if (supported->empty())
        return fail(fmt::format("{} answers qSupported with nothing: it is no gdbserver", name_));
    if (supported->find("QStartNoAckMode+") != std::string::npos) {
        auto ok = request("QStartNoAckMode");
        if (!ok) return ok.error();
        if (*ok == "OK") acks_ = false;
    }
    supported_ = *supported;
    return supported;
}

}  // namespace vmatlas::remote
