// A scripted gdb stub on one end of a socketpair, run on a thread of the test: for each packet it
// receives it acknowledges with '+' (until QStartNoAckMode) and sends what the script answers.
// The script sees each payload and returns the reply's raw bytes to send (a whole "$...#cs"
// frame, or anything else); returning std::nullopt closes the stub's end. Or the same stub on a
// loopback TCP port, serving its first client, for what connects by host and port.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sources/remote_protocol.hpp"

namespace vmtest {

class FakeStub {
  public:
    using Script = std::function<std::optional<std::string>(const std::string& payload)>;

    explicit FakeStub(Script script, bool acks = true) {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            throw std::runtime_error("socketpair");
        client_fd_ = fds[0];
        server_fd_ = fds[1];
        thread_ = std::thread([this, script = std::move(script), acks] { serve(script, acks); });
    }
    struct Tcp {};
    // Listening on 127.0.0.1, on a port the kernel picks (port()).
    FakeStub(Tcp, Script script, bool acks = true) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(listener_, 1) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw std::runtime_error("listen");
        port_ = std::to_string(ntohs(a.sin_port));
        thread_ = std::thread([this, script = std::move(script), acks] {
            server_fd_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (server_fd_ >= 0) serve(script, acks);
        });
    }
    ~FakeStub() {
        if (listener_ >= 0) ::shutdown(listener_, SHUT_RDWR);  // ends an accept with no client
        if (thread_.joinable()) thread_.join();
        if (server_fd_ >= 0) ::close(server_fd_);
        if (listener_ >= 0) ::close(listener_);
    }
    const std::string& port() const { return port_; }  // a Tcp stub's
    FakeStub(const FakeStub&) = delete;
    FakeStub& operator=(const FakeStub&) = delete;

    // The client's end, once: the connection takes it.
    int take_client() { return std::exchange(client_fd_, -1); }
    // Every byte the stub received, after the thread has ended (the client closed).
    const std::string& received() {
        if (thread_.joinable()) thread_.join();
        return received_;
    }
    const std::vector<std::string>& payloads() {
        if (thread_.joinable()) thread_.join();
        return payloads_;
    }

  private:
    void serve(const Script& script, bool acks) {
        std::string buffer;
        char chunk[4096];
        for (;;) {
            const auto d = vmatlas::remote::decode_frame(buffer);
            if (d.kind == vmatlas::remote::Frame::Incomplete) {
                const ssize_t n = ::read(server_fd_, chunk, sizeof chunk);
                if (n <= 0) break;
                received_.append(chunk, static_cast<std::size_t>(n));
                buffer.append(chunk, static_cast<std::size_t>(n));
                continue;
            }
            const std::string payload(d.payload);
            const bool packet = d.kind == vmatlas::remote::Frame::Packet;
            buffer.erase(0, d.consumed);
            if (!packet) continue;
            payloads_.push_back(payload);
            const auto reply = script(payload);
            if (!reply) break;
            std::string out = acks ? "+" + *reply : *reply;
            if (payload == "QStartNoAckMode") acks = false;
            if (::send(server_fd_, out.data(), out.size(), MSG_NOSIGNAL) < 0) break;
        }
        ::shutdown(server_fd_, SHUT_RDWR);
    }

    int client_fd_ = -1, server_fd_ = -1, listener_ = -1;
    std::string port_;
    std::string received_;
    std::vector<std::string> payloads_;
    std::thread thread_;
};

}  // namespace vmtest
