// Errors are values. Every fallible library call returns Result<T>: either the value or an Error
// whose kind the command line maps to an exit status (see docs/exit-status.md) and whose message
// is one sentence for a person. The library never prints.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace vmatlas {

enum class ErrorKind {
    NoSuchProcess,     // no process with that PID or name
    AmbiguousTarget,   // a process name that matches several processes
    PermissionDenied,  // the kernel refused to show us the map
    ProcessExited,     // it existed when we started and was gone before we finished
    KernelThread,      // a kernel thread has no user memory map
    UnreadableInput,   // a file that cannot be opened or read, or holds nothing we can use
    MalformedInput,    // bytes that are not what they claim to be
    Unsupported,       // a kernel or file feature we do not handle
    Usage,             // the request itself is wrong (an empty target)
};

struct Error {
    ErrorKind kind;
    std::string message;
};

template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

inline Error make_error(ErrorKind kind, std::string message) {
    return Error{kind, std::move(message)};
}

}  // namespace vmatlas
