#include "sources/text_input.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "sources/file_error.hpp"

namespace vmatlas {

namespace {

// The blocks the input is read in; the head is read into the first.
constexpr std::size_t kBlockBytes = 256 * 1024;

constexpr std::string_view kByteOrderMark = "\xef\xbb\xbf";

}  // namespace

Result<struct stat> stat_named_file(const std::string& file) {
    struct stat st;
    if (::stat(file.c_str(), &st) == 0) return st;
    const int err = errno;
    if (err == ELOOP)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("{} cannot be opened: its symbolic links loop (too many "
                                      "levels of symbolic links)",
                                      file));
    struct stat lst;
    if ((err == ENOENT || err == ENOTDIR) && ::lstat(file.c_str(), &lst) == 0 &&
        S_ISLNK(lst.st_mode)) {
        char to[PATH_MAX];
        const ssize_t n = ::readlink(file.c_str(), to, sizeof to);
        return make_error(
            ErrorKind::NoSuchProcess,
            n > 0 ? fmt::format("{} is a symbolic link to {}, which does not exist", file,
                                std::string_view(to, static_cast<std::size_t>(n)))
                  : fmt::format("{} is a symbolic link to a file that does not exist", file));
    }
    return file_error(file, err);
}

Result<TextInput> TextInput::open(const std::string& file) {
    TextInput in;
    if (file == "-") {
        in.name_ = "standard input";
        in.fd_.fd = STDIN_FILENO;
    } else {
        auto st = stat_named_file(file);
        if (!st) return st.error();
        if (S_ISDIR(st->st_mode))
            return make_error(ErrorKind::UnreadableInput, fmt::format("{} is a directory", file));
        in.name_ = file;
        // Without blocking: a FIFO with no writer yet is waited for in poll(2), not in open(2).
        in.fd_.fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (in.fd_.fd < 0) return file_error(file, errno);
        in.fd_.own = true;
    }
    struct stat st;
    if (::fstat(in.fd_.fd, &st) == 0) {
        in.regular_ = S_ISREG(st.st_mode);
        in.fifo_ = S_ISFIFO(st.st_mode);
        if (in.regular_) in.size_ = static_cast<std::uint64_t>(st.st_size);
    }
    in.buf_ = std::make_unique_for_overwrite<char[]>(kBlockBytes);
    return in;
}

long TextInput::read_more() {
    if (at_end_) return 0;
    for (;;) {
        if (fifo_) {
            // A FIFO without a writer reads as its end: wait until one writes or goes.
            pollfd p{fd_.fd, POLLIN, 0};
            if (::poll(&p, 1, -1) < 0 && errno != EINTR) {
                err_ = errno;
                return -1;
            }
        }
        const ssize_t n = ::read(fd_.fd, buf_.get() + held_, kBlockBytes - held_);
        if (n > 0) {
            held_ += static_cast<std::size_t>(n);
            return n;
        }
        if (n == 0) {
            at_end_ = true;
            return 0;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {  // a descriptor without O_NONBLOCK's patience: wait for bytes
            pollfd p{fd_.fd, POLLIN, 0};
            if (::poll(&p, 1, -1) < 0 && errno != EINTR) {
                err_ = errno;
                return -1;
            }
            continue;
        }
        err_ = errno;
        return -1;
    }
}

Result<std::string_view> TextInput::head(std::size_t n) {
    n = std::min(n, kBlockBytes - kByteOrderMark.size());
    while (held_ - begin_ < n && !at_end_) {
        if (read_more() < 0) return file_error(name_, err_);
        if (!bom_checked_ && (held_ >= kByteOrderMark.size() || at_end_)) {
            bom_checked_ = true;
            if (std::string_view(buf_.get(), held_).starts_with(kByteOrderMark))
                begin_ = kByteOrderMark.size();
        }
    }
    return std::string_view(buf_.get() + begin_, held_ - begin_);
}

Result<std::string_view> TextInput::next_piece() {
    if (served_) {
        offset_ += held_;
        held_ = begin_ = 0;
        bom_checked_ = true;
    }
    served_ = true;
    while (held_ == begin_ && !at_end_)
        if (read_more() < 0) return file_error(name_, err_);
    return std::string_view(buf_.get() + begin_, held_ - begin_);
}

TextInput::Ended TextInput::pump(const std::function<void(std::string_view)>& feed,
                                 const std::function<std::size_t()>& rows) {
    std::size_t last_rows = rows();
    std::uint64_t row_seen_at = offset_ + begin_;  // where the text was when rows() last grew
    for (;;) {
        const auto next = next_piece();
        if (!next) return {Stop::Failed, offset_ + held_, err_};
        const std::string_view piece = *next;
        const std::uint64_t at = offset_ + begin_;
        if (piece.empty()) return {Stop::End, at, 0};
        if (const void* nul = std::memchr(piece.data(), '\0', piece.size())) {
            const auto before =
                static_cast<std::size_t>(static_cast<const char*>(nul) - piece.data());
            feed(piece.substr(0, before));
            return {Stop::Nul, at + before, 0};
        }
        feed(piece);
        if (const std::size_t now = rows(); now != last_rows) {
            last_rows = now;
            row_seen_at = at + piece.size();
        } else if (at + piece.size() - row_seen_at >= kMaxBytesWithoutRow) {
            return {Stop::NoRow, row_seen_at, 0};
        }
    }
}

std::optional<Error> read_rows(TextInput& in, AddressSpaceBuilder& builder, std::string_view what,
                               const std::function<void(std::string_view)>& feed,
                               const std::function<void()>& finish) {
    const TextInput::Ended end = in.pump(feed, [&] { return builder.added(); });
    finish();
    const bool rows = builder.added() > 0;
    switch (end.stop) {
        case TextInput::Stop::End:
            return std::nullopt;
        case TextInput::Stop::Nul:
            if (!rows)
                return make_error(ErrorKind::UnreadableInput,
                                  fmt::format("{} is not {}: it holds a NUL byte at offset {:#x}",
                                              in.name(), what, end.at));
            builder.lose({0, 0,
                          fmt::format("{} holds a NUL byte at offset {:#x}: the text ends there, "
                                      "and the rest is not read",
                                      in.name(), end.at)});
            return std::nullopt;
        case TextInput::Stop::NoRow:
            if (!rows)
                return make_error(ErrorKind::UnreadableInput,
                                  fmt::format("{} is not {}: its first {} MiB hold no row",
                                              in.name(), what, kMaxBytesWithoutRow >> 20));
            builder.lose({0, 0,
                          fmt::format("{} holds no row in the {} MiB after offset {:#x}: the "
                                      "rest is not read",
                                      in.name(), kMaxBytesWithoutRow >> 20, end.at)});
            return std::nullopt;
        case TextInput::Stop::Failed:
            if (!rows) return file_error(in.name(), end.err);
            builder.lose({0, 0,
                          fmt::format("cannot read {} past offset {:#x}: {}: the rest is not read",
                                      in.name(), end.at, std::strerror(end.err))});
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace vmatlas
