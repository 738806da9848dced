#include "trace/breakpoints.hpp"

#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

namespace vmatlas::trace {

namespace {

// The offset of debug register i in struct user, for PTRACE_POKEUSER.
void* debug_register(std::size_t i) {
    return reinterpret_cast<void*>(offsetof(struct user, u_debugreg) + i * sizeof(long));
}

}  // namespace

Breakpoints::~Breakpoints() {
    if (mem_ >= 0) ::close(mem_);
}

Breakpoints::Breakpoints(Breakpoints&& other) noexcept
    : pid_(other.pid_),
      mem_(std::exchange(other.mem_, -1)),
      hardware_(other.hardware_),
      software_(std::move(other.software_)) {}

Breakpoints Breakpoints::copy_for(int pid) const {
    Breakpoints b(pid);
    b.hardware_ = hardware_;
    b.software_ = software_;
    return b;
}

bool Breakpoints::read_byte(Addr a, std::uint8_t& b) {
    if (mem_ < 0)
        mem_ = ::open(("/proc/" + std::to_string(pid_) + "/mem").c_str(), O_RDWR | O_CLOEXEC);
    return mem_ >= 0 && ::pread(mem_, &b, 1, static_cast<off_t>(a)) == 1;
}

bool Breakpoints::write_byte(Addr a, std::uint8_t b) {
    if (mem_ < 0)
        mem_ = ::open(("/proc/" + std::to_string(pid_) + "/mem").c_str(), O_RDWR | O_CLOEXEC);
    return mem_ >= 0 && ::pwrite(mem_, &b, 1, static_cast<off_t>(a)) == 1;
}

void Breakpoints::arm(Addr a) {
    if (armed(a)) return;
    for (auto& slot : hardware_) {
        if (!slot) {
            slot = a;
            return;
        }
    }
    Software& s = software_[a];
    std::uint8_t b = 0;
    if (read_byte(a, b) && write_byte(a, kInt3)) {
        s.original = b;
        s.written = true;
    }
}

void Breakpoints::disarm(Addr a) {
    for (auto& slot : hardware_)
        if (slot == a) slot.reset();
    const auto it = software_.find(a);
    if (it == software_.end()) return;
    if (it->second.written) restore(a, it->second.original);
    software_.erase(it);
}

bool Breakpoints::armed(Addr a) const {
    return software_.contains(a) ||
           std::find(hardware_.begin(), hardware_.end(), a) != hardware_.end();
}

bool Breakpoints::in_memory(Addr a) const {
    const auto it = software_.find(a);
    return it != software_.end() && it->second.written;
}

std::vector<Addr> Breakpoints::addresses() const {
    std::vector<Addr> out;
    for (const auto& slot : hardware_)
        if (slot) out.push_back(*slot);
    for (const auto& [a, s] : software_) out.push_back(a);
    return out;
}

bool Breakpoints::apply(int tid) const {
    // DR7: local enable bit 2i for register i; its type and length bits 0 (an instruction).
    unsigned long dr7 = 0;
    for (std::size_t i = 0; i < kDebugRegisters; ++i) {
        if (!hardware_[i]) continue;
        dr7 |= 1UL << (2 * i);
    }
    // Disabled first, so that no half-changed set is ever live.
    if (::ptrace(PTRACE_POKEUSER, tid, debug_register(7), nullptr) != 0) return false;
    for (std::size_t i = 0; i < kDebugRegisters; ++i) {
        if (!hardware_[i]) continue;
        if (::ptrace(PTRACE_POKEUSER, tid, debug_register(i),
                     reinterpret_cast<void*>(*hardware_[i])) != 0)
            return false;
    }
    return dr7 == 0 ||
           ::ptrace(PTRACE_POKEUSER, tid, debug_register(7), reinterpret_cast<void*>(dr7)) == 0;
}

bool Breakpoints::lift(Addr a) {
    const auto it = software_.find(a);
    if (it == software_.end() || !it->second.written) return false;
    if (!write_byte(a, it->second.original)) return false;
    it->second.written = false;
    return true;
}

bool Breakpoints::lower(Addr a) {
    const auto it = software_.find(a);
    if (it == software_.end() || it->second.written) return false;
    std::uint8_t b = 0;
    if (!read_byte(a, b) || !write_byte(a, kInt3)) return false;
    it->second.original = b;
    it->second.written = true;
    return true;
}

void Breakpoints::rewrite() {
    for (auto& [a, s] : software_) {
        std::uint8_t b = 0;
        if (!read_byte(a, b)) {
            s.written = false;  // no longer mapped
            continue;
        }
        if (s.written && b == kInt3) continue;
        if (write_byte(a, kInt3)) {
            s.original = b;
            s.written = true;
        }
    }
}

void Breakpoints::remove_from_memory() {
    for (auto& [a, s] : software_) {
        if (s.written && restore(a, s.original)) s.written = false;
    }
}

bool Breakpoints::restore(Addr a, std::uint8_t original) {
    // A mapping that replaced ours since holds its own byte there: it is left as it is.
    std::uint8_t b = 0;
    if (!read_byte(a, b)) return true;  // no longer mapped: nothing of ours is left
    return b != kInt3 || write_byte(a, original);
}

}  // namespace vmatlas::trace
