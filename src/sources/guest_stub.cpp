// A running QEMU guest through its gdbstub (see guest_stub.hpp).
#include "sources/guest_stub.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "sources/page_table_target.hpp"

namespace vmatlas::guest {

namespace {

constexpr std::size_t kMaxMonitorBytes = 1 << 20;

std::optional<std::uint64_t> parse_hex(std::string_view text) {
    std::uint64_t v = 0;
    if (text.empty()) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

// Hex byte pairs into bytes; false on anything else.
bool hex_bytes(std::string_view hex, std::string& out) {
    if (hex.size() % 2 != 0) return false;
    out.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const auto b = parse_hex(hex.substr(i, 2));
        if (!b) return false;
        out.push_back(static_cast<char>(*b));
    }
    return true;
}

Error stub_error(const remote::RemoteConnection& stub, std::string what) {
    return make_error(ErrorKind::UnreadableInput, fmt::format("{} {}", stub.name(), what));
}

// The ids of the stub's threads (one per CPU), in its order.
Result<std::vector<std::string>> thread_ids(remote::RemoteConnection& stub) {
    std::vector<std::string> ids;
    for (std::string_view ask = "qfThreadInfo";; ask = "qsThreadInfo") {
        auto reply = stub.request(ask);
        if (!reply) return reply.error();
        if (reply->starts_with('l')) return ids;
        if (!reply->starts_with('m'))
            return stub_error(stub, fmt::format("does not list its CPUs (qfThreadInfo answers "
                                                "'{}')",
                                                reply->substr(0, 40)));
        std::string_view list = std::string_view(*reply).substr(1);
        if (list.empty()) return stub_error(stub, "lists its CPUs with an empty 'm' reply");
        while (!list.empty()) {
            const auto comma = list.find(',');
            ids.emplace_back(list.substr(0, comma));
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        }
        if (ids.size() > 4096) return stub_error(stub, "lists more than 4096 CPUs");
    }
}

// What a monitor command prints, through qRcmd: 'O' packets of hex text, then "OK".
Result<std::string> monitor(remote::RemoteConnection& stub, std::string_view command) {
    auto reply = stub.request("qRcmd," + remote::hex_text(command));
    std::string text, bytes;
    for (;;) {
        if (!reply) return reply.error();
        if (*reply == "OK") return text;
        if (reply->size() < 2 || (*reply)[0] != 'O' || !hex_bytes(reply->substr(1), bytes))
            return stub_error(stub, fmt::format("does not run the monitor's '{}' (it answers "
                                                "'{}')",
                                                command, reply->substr(0, 40)));
        text += bytes;
        if (text.size() > kMaxMonitorBytes)
            return stub_error(
                stub, fmt::format("prints more than {} bytes for '{}'", kMaxMonitorBytes, command));
        reply = stub.next_reply();
    }
}

// The value of KEY=HEX in text, at a word's start.
std::optional<std::uint64_t> keyed_hex(std::string_view text, std::string_view key) {
    for (std::size_t at = text.find(key); at != std::string_view::npos;
         at = text.find(key, at + 1)) {
        if (at > 0 && text[at - 1] != ' ' && text[at - 1] != '\n') continue;
        const std::size_t from = at + key.size();
        if (from >= text.size() || text[from] != '=') continue;
        std::size_t to = from + 1;
        while (to < text.size() && std::isxdigit(static_cast<unsigned char>(text[to]))) ++to;
        if (to - from - 1 > 16) return std::nullopt;
        return parse_hex(text.substr(from + 1, to - from - 1));
    }
    return std::nullopt;
}

// The stub's largest packet (qSupported's PacketSize, hex), or 0 when it does not say.
std::size_t packet_size(std::string_view supported) {
    const auto at = supported.find("PacketSize=");
    if (at == std::string_view::npos) return 0;
    const auto value = supported.substr(at + 11, supported.find(';', at) - at - 11);
    return static_cast<std::size_t>(parse_hex(value).value_or(0));
}

}  // namespace

Result<bool> is_qemu_system_stub(remote::RemoteConnection& stub) {
    auto reply = stub.request("qqemu.PhyMemMode");
    if (!reply) return reply.error();
    return *reply == "0" || *reply == "1";
}

Result<bool> is_qemu_user_stub(remote::RemoteConnection& stub) {
    auto reply = stub.request("qqemu.sstepbits");
    if (!reply) return reply.error();
    return reply->starts_with("ENABLE=");
}

MonitorRegisters parse_info_registers(std::string_view text, std::size_t cpu) {
    MonitorRegisters out;
    std::string_view section;
    // Sections start at lines "CPU#N"; the one of cpu runs to the next.
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t end = std::min(text.find('\n', at), text.size());
        const std::string_view line = text.substr(at, end - at);
        if (line.starts_with("CPU#")) {
            if (!section.empty() && section.data() + section.size() > line.data())
                section = section.substr(0, static_cast<std::size_t>(line.data() - section.data()));
            if (out.cpus++ == cpu) section = text.substr(end);
        }
        at = end + 1;
    }
    if (section.empty()) return out;
    const auto cr0 = keyed_hex(section, "CR0"), cr3 = keyed_hex(section, "CR3"),
               cr4 = keyed_hex(section, "CR4");
    if (cr0 && cr3 && cr4)
        out.registers = paging::CpuRegisters{*cr0, *cr3, *cr4, keyed_hex(section, "EFER")};
    return out;
}

bool StubPhysicalMemory::read(std::uint64_t paddr, void* out, std::size_t n) {
    auto* to = static_cast<std::uint8_t*>(out);
    std::string bytes;
    while (n > 0) {
        if (failure_) return false;
        const std::size_t ask = std::min(n, chunk_);
        auto reply = stub_.request(fmt::format("m{:x},{:x}", paddr, ask));
        if (!reply) {
            failure_ = reply.error();
            return false;
        }
        if (!hex_bytes(*reply, bytes) || bytes.empty() || bytes.size() > ask) return false;
        std::copy(bytes.begin(), bytes.end(), to);
        to += bytes.size(), paddr += bytes.size(), n -= bytes.size();
    }
    return true;
}

namespace {

// Leaves the stub as it was found, on every way out of read_live_guest once connected: the
// physical-memory mode put back when it was changed, then a detach, so that the guest runs on
// (guest_stub.hpp), and the connection closed.
class LeaveAsFound {
  public:
    explicit LeaveAsFound(remote::RemoteConnection& stub) : stub_(stub) {}
    ~LeaveAsFound() {
        if (!stub_.connected()) return;
        bool restored = true;
        if (previous_mode_)
            restored = static_cast<bool>(stub_.request("Qqemu.PhyMemMode:" + *previous_mode_));
        if (restored) (void)stub_.request(detach_);
        stub_.close();
    }
    LeaveAsFound(const LeaveAsFound&) = delete;
    LeaveAsFound& operator=(const LeaveAsFound&) = delete;

    // The physical-memory mode before it was changed: "0" or "1".
    void mode_changed_from(std::string mode) { previous_mode_ = std::move(mode); }
    // With the multiprocess extension, the detach names the process of the stub's threads
    // ("p1.1" is process 1); QEMU refuses a bare 'D' then.
    void detach_process_of(std::string_view thread) {
        if (thread.starts_with('p'))
            detach_ = fmt::format("D;{}", thread.substr(1, thread.find('.') - 1));
    }

  private:
    remote::RemoteConnection& stub_;
    std::optional<std::string> previous_mode_;
    std::string detach_ = "D";
};

}  // namespace

Result<Target> read_live_guest(remote::RemoteConnection& stub, const PageTableOptions& options) {
    LeaveAsFound leave(stub);
    auto threads = thread_ids(stub);
    if (!threads) return threads.error();
    if (!threads->empty()) leave.detach_process_of(threads->front());
    auto printed = monitor(stub, "info registers -a");
    if (!printed) return printed.error();
    const MonitorRegisters seen = parse_info_registers(*printed, options.cpu);
    if (seen.cpus == 0)
        return stub_error(stub, "prints no CPU in its monitor's 'info registers -a'");
    if (options.cpu >= seen.cpus)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("{} has {} CPU{}: there is no CPU {}", stub.name(), seen.cpus,
                                      seen.cpus == 1 ? "" : "s", options.cpu));
    if (!seen.registers)
        return make_error(ErrorKind::Unsupported,
                          fmt::format("{}: CPU {} has no CR0, CR3 and CR4 in the monitor's 'info "
                                      "registers': not an x86-64 guest, whose page tables vmatlas "
                                      "walks",
                                      stub.name(), options.cpu));
    const paging::CpuRegisters cpu = *seen.registers;

    auto mode = stub.request("qqemu.PhyMemMode");
    if (!mode) return mode.error();
    auto physical = stub.request("Qqemu.PhyMemMode:1");
    if (!physical) return physical.error();
    leave.mode_changed_from(*mode == "1" ? "1" : "0");
    if (*physical != "OK")
        return stub_error(stub, fmt::format("does not read physical memory (Qqemu.PhyMemMode:1 "
                                            "answers '{}')",
                                            physical->substr(0, 40)));
    // A reply carries two hex digits a byte, and QEMU reads at most 2 KB a packet; a stub whose
    // packets (qSupported's PacketSize, which QEMU gives for both ways) are smaller is asked for
    // less, but never below 256 bytes a read.
    const std::size_t size = packet_size(stub.supported());
    StubPhysicalMemory memory(stub, std::clamp<std::size_t>(size / 2, 256, 2048));
    auto target = paging::page_table_target(
        memory, cpu, options, SourceInfo{SourceKind::LiveGuest, stub.name()},
        [&] {
            std::vector<std::string> problems;
            if (memory.failure())
                problems.push_back(
                    fmt::format("the walk was cut short: {}", memory.failure()->message));
            return problems;
        },
        fmt::format("{}: CPU {}", stub.name(), options.cpu));
    if (target) target->kind = TargetKind::LiveGuest;
    return target;
}

}  // namespace vmatlas::guest
