#include "output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "exit_status.hpp"

namespace vmatlas::cli {

namespace {

int g_stdout_error = 0;  // the errno of the first failed write to standard output

}  // namespace

void write_stdout(std::string_view s) {
    if (g_stdout_error != 0) return;
    g_stdout_error = write_all(STDOUT_FILENO, s);
}

bool stdout_failed() {
    return g_stdout_error != 0;
}

int finish_stdout(int status) {
    if (::close(STDOUT_FILENO) != 0 && g_stdout_error == 0 && errno != EBADF)
        g_stdout_error = errno;
    if (g_stdout_error == 0 || g_stdout_error == EPIPE) return status;
    report({ErrorKind::UnreadableInput,
            fmt::format("cannot write to standard output: {}", std::strerror(g_stdout_error))});
    return kWriteFailed;
}

}  // namespace vmatlas::cli
