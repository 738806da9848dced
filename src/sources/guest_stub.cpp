// A running QEMU guest through its gdbstub (see guest_stub.hpp).
#include "sources/guest_stub.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "sources/page_table_target.hpp"

namespace vmatlas::guest {

namespace {

constexpr int kMaxIncludeDepth = 8;
constexpr std::size_t kMaxDescriptionBytes = 1 << 20;

std::optional<std::uint64_t> parse_hex(std::string_view text) {
    std::uint64_t v = 0;
    if (text.empty()) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

// Hex byte pairs into bytes; false on anything else (an "xx" of an unavailable register).
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

// The value of attribute `name` in one tag's text, when it has it.
std::optional<std::string_view> attribute(std::string_view tag, std::string_view name) {
    for (std::size_t at = tag.find(name); at != std::string_view::npos;
         at = tag.find(name, at + 1)) {
        // A whole attribute name: after a space, and followed by ="
        if (at == 0 || (tag[at - 1] != ' ' && tag[at - 1] != '\t' && tag[at - 1] != '\n')) continue;
        std::size_t v = at + name.size();
        if (tag.substr(v, 2) != "=\"" && tag.substr(v, 2) != "='") continue;
        const char quote = tag[v + 1];
        const auto close = tag.find(quote, v + 2);
        if (close == std::string_view::npos) return std::nullopt;
        return tag.substr(v + 2, close - v - 2);
    }
    return std::nullopt;
}

Error stub_error(const remote::RemoteConnection& stub, std::string what) {
    return make_error(ErrorKind::UnreadableInput, fmt::format("{} {}", stub.name(), what));
}

// A qXfer:features:read annex, whole: "m" parts until an "l" one.
Result<std::string> read_description(remote::RemoteConnection& stub, std::string_view annex) {
    std::string text;
    for (;;) {
        auto reply = stub.request(
            fmt::format("qXfer:features:read:{}:{:x},{:x}", annex, text.size(), 0xffb));
        if (!reply) return reply.error();
        if (reply->empty() || remote::error_reply(*reply) ||
            ((*reply)[0] != 'm' && (*reply)[0] != 'l'))
            return stub_error(stub, fmt::format("does not give its target description {} (it "
                                                "answers '{}')",
                                                annex, reply->substr(0, 40)));
        auto part = remote::unescape(std::string_view(*reply).substr(1));
        if (!part) return part.error();
        text += *part;
        if (text.size() > kMaxDescriptionBytes)
            return stub_error(stub, fmt::format("sends a target description {} larger than {} "
                                                "bytes",
                                                annex, kMaxDescriptionBytes));
        if ((*reply)[0] == 'l' || part->empty()) return text;
    }
}

// The ids of the stub's threads, one per CPU, in its order.
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
        while (!list.empty()) {
            const auto comma = list.find(',');
            ids.emplace_back(list.substr(0, comma));
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        }
        if (ids.size() > 4096) return stub_error(stub, "lists more than 4096 CPUs");
    }
}

// A register of the selected thread, little-endian as the stub sends it.
Result<std::uint64_t> read_register(remote::RemoteConnection& stub, const StubRegister& reg) {
    auto reply = stub.request(fmt::format("p{:x}", reg.number));
    if (!reply) return reply.error();
    std::string bytes;
    if (!hex_bytes(*reply, bytes) || bytes.empty() || bytes.size() > 8)
        return stub_error(stub, fmt::format("does not give register {} (it answers '{}')", reg.name,
                                            reply->substr(0, 40)));
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        v |= std::uint64_t{static_cast<std::uint8_t>(bytes[i])} << (8 * i);
    return v;
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

Result<std::vector<StubRegister>> parse_target_description(
    std::string_view xml, const std::function<Result<std::string>(std::string_view)>& include) {
    std::vector<StubRegister> regs;
    unsigned next = 0;
    std::function<std::optional<Error>(std::string_view, int)> scan =
        [&](std::string_view text, int depth) -> std::optional<Error> {
        for (std::size_t at = text.find('<'); at != std::string_view::npos;
             at = text.find('<', at + 1)) {
            const auto close = text.find('>', at);
            if (close == std::string_view::npos) break;
            const std::string_view tag = text.substr(at, close - at + 1);
            if (tag.starts_with("<reg ") || tag.starts_with("<reg\t")) {
                const auto name = attribute(tag, "name");
                const auto bits = attribute(tag, "bitsize");
                if (!name || !bits) continue;
                if (const auto number = attribute(tag, "regnum"))
                    next = static_cast<unsigned>(
                        std::strtoul(std::string(*number).c_str(), nullptr, 10));
                regs.push_back(
                    {std::string(*name), next++,
                     static_cast<unsigned>(std::strtoul(std::string(*bits).c_str(), nullptr, 10))});
            } else if (tag.starts_with("<xi:include ")) {
                const auto href = attribute(tag, "href");
                if (!href) continue;
                if (depth >= kMaxIncludeDepth)
                    return make_error(ErrorKind::UnreadableInput,
                                      fmt::format("the target description includes itself more "
                                                  "than {} deep (at {})",
                                                  kMaxIncludeDepth, *href));
                auto included = include(*href);
                if (!included) return included.error();
                if (auto failed = scan(*included, depth + 1)) return failed;
            }
        }
        return std::nullopt;
    };
    if (auto failed = scan(xml, 0)) return *failed;
    return regs;
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

Result<Target> read_live_guest(remote::RemoteConnection& stub, const PageTableOptions& options) {
    auto threads = thread_ids(stub);
    if (!threads) return threads.error();
    if (options.cpu >= threads->size())
        return make_error(
            ErrorKind::UnreadableInput,
            fmt::format("{} has {} CPU{}: there is no CPU {}", stub.name(), threads->size(),
                        threads->size() == 1 ? "" : "s", options.cpu));
    const std::string& thread = (*threads)[options.cpu];
    auto selected = stub.request("Hg" + thread);
    if (!selected) return selected.error();
    if (*selected != "OK")
        return stub_error(stub, fmt::format("does not select CPU {} (thread {}): it answers '{}'",
                                            options.cpu, thread, selected->substr(0, 40)));

    auto description = read_description(stub, "target.xml");
    if (!description) return description.error();
    auto regs = parse_target_description(
        *description, [&](std::string_view annex) { return read_description(stub, annex); });
    if (!regs) return regs.error();
    auto find = [&](std::string_view name) -> const StubRegister* {
        for (const StubRegister& r : *regs)
            if (r.name == name) return &r;
        return nullptr;
    };
    paging::CpuRegisters cpu;
    for (auto [name, value] : {std::pair{"cr0", &cpu.cr0}, {"cr3", &cpu.cr3}, {"cr4", &cpu.cr4}}) {
        const StubRegister* reg = find(name);
        if (!reg)
            return make_error(ErrorKind::Unsupported,
                              fmt::format("{} does not describe register {}: not an x86-64 "
                                          "guest, whose page tables vmatlas walks",
                                          stub.name(), name));
        auto v = read_register(stub, *reg);
        if (!v) return v.error();
        *value = *v;
    }
    if (const StubRegister* efer = find("efer")) {
        auto v = read_register(stub, *efer);
        if (!v) return v.error();
        cpu.efer = *v;
    }

    auto mode = stub.request("qqemu.PhyMemMode");
    if (!mode) return mode.error();
    const std::string previous = *mode == "1" ? "1" : "0";
    auto physical = stub.request("Qqemu.PhyMemMode:1");
    if (!physical) return physical.error();
    if (*physical != "OK")
        return stub_error(stub, fmt::format("does not read physical memory (Qqemu.PhyMemMode:1 "
                                            "answers '{}')",
                                            physical->substr(0, 40)));
    // Each byte is two hex digits of a reply; QEMU reads at most 2 KB at a time.
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
    if (!target) return target;
    target->kind = TargetKind::LiveGuest;
    if (stub.connected()) {
        // The stub as it was, then a detach: the guest runs on (guest_stub.hpp).
        auto restored = stub.request("Qqemu.PhyMemMode:" + previous);
        const auto dot = thread.find('.');
        const std::string detach =
            thread.starts_with('p') ? "D;" + thread.substr(1, dot - 1) : std::string("D");
        if (restored) (void)stub.request(detach);
        stub.close();
    }
    return target;
}

}  // namespace vmatlas::guest
