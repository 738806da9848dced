#include "render/write_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace vmatlas {

int write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        const ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? errno : EIO;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

namespace {

Error file_error(const std::string& file, int err) {
    return {
        err == EACCES || err == EPERM ? ErrorKind::PermissionDenied : ErrorKind::UnreadableInput,
        fmt::format("cannot write {}: {}", file, std::strerror(err))};
}

// Closes fd; the errno of the close when it fails and err is 0, else err.
int close_keeping(int fd, int err) {
    if (::close(fd) != 0 && err == 0) return errno;
    return err;
}

// Writes text into what `file` names, opened as it is: a device, a FIFO, a socket, or a regular
// file written in place (truncated first). `create` makes a regular file where there is none.
std::optional<Error> write_in_place(const std::string& file, std::string_view text, bool create) {
    const int fd = ::open(file.c_str(),
                          O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | (create ? O_CREAT : 0), 0666);
    if (fd < 0) return file_error(file, errno);
    const int err = close_keeping(fd, write_all(fd, text));
    if (err != 0) return file_error(file, err);
    return std::nullopt;
}

mode_t current_umask() {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return mask;
}

// A new file in the directory of `file`, written whole and then renamed over it. `old` is what
// stands there now (nullptr: nothing): its permissions and owner are kept. Nothing when done;
// EPERM in `owner_lost` when the owner cannot be kept, so that the caller writes in place.
std::optional<Error> replace_file(const std::string& file, const struct stat* old,
                                  std::string_view text, bool& owner_lost) {
    const std::size_t slash = file.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : file.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? file : file.substr(slash + 1);
    std::string tmp = (slash == std::string::npos ? std::string() : dir) + "." + base + ".XXXXXX";
    const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd < 0) {
        // A directory this user may not add to, holding a file this user may write: in place.
        if ((errno == EACCES || errno == EPERM) && old != nullptr) {
            owner_lost = true;
            return std::nullopt;
        }
        return file_error(file, errno);
    }
    auto fail = [&](int err) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return file_error(file, err);
    };
    const mode_t mode = old ? (old->st_mode & 07777) : (0666 & ~current_umask());
    if (::fchmod(fd, mode) != 0) return fail(errno);
    if (old && (old->st_uid != ::geteuid() || old->st_gid != ::getegid()) &&
        ::fchown(fd, old->st_uid, old->st_gid) != 0) {
        ::close(fd);
        ::unlink(tmp.c_str());
        owner_lost = true;
        return std::nullopt;
    }
    int err = write_all(fd, text);
    if (err == 0 && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err == 0 && ::rename(tmp.c_str(), file.c_str()) != 0) err = errno;
    if (err != 0) {
        ::unlink(tmp.c_str());
        return file_error(file, err);
    }
    return std::nullopt;
}

}  // namespace

std::optional<Error> write_file(const std::string& file, std::string_view text) {
    std::string path = file;
    struct stat st;
    bool exists = ::lstat(path.c_str(), &st) == 0;
    if (exists && S_ISLNK(st.st_mode)) {
        const std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr),
                                                               &std::free);
        // A link to nothing yet: writing through it makes the file it names, as `cp` does.
        if (!real)
            return errno == ENOENT ? write_in_place(path, text, true) : file_error(file, errno);
        path = real.get();
        exists = ::stat(path.c_str(), &st) == 0;
    }
    if (exists && S_ISDIR(st.st_mode))
        return Error{ErrorKind::UnreadableInput,
                     fmt::format("cannot write {}: it is a directory", file)};
    if (exists && !S_ISREG(st.st_mode)) return write_in_place(path, text, false);
    bool owner_lost = false;
    if (auto err = replace_file(path, exists ? &st : nullptr, text, owner_lost)) return err;
    if (owner_lost) return write_in_place(path, text, false);
    return std::nullopt;
}

}  // namespace vmatlas
