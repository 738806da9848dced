// Text targets and --add files, read as a stream: a regular file, a FIFO or a pipe (`<(...)`), a
// character device, or standard input. Internal to the sources (target.cpp, regions.cpp).
//
// The input is read in blocks from its start and never sought: what it is is recognized from its
// first bytes as they arrive (head()), and its parser is fed the blocks as they come (read_rows),
// so that memory follows the rows kept, not the bytes offered. The bounds (docs/reliability.md):
//  - a NUL byte ends the text: no text vmatlas reads holds one. Before any row, the input is not
//    a memory map (an error); after rows, the rest is not read and the map is partial;
//  - kMaxBytesWithoutRow without a new row ends it the same way;
//  - a line longer than text::kMaxLineBytes is rejected as a row without being kept (text.hpp);
//  - a snapshot (read_snapshot_input) is at most kMaxSnapshotBytes, and its lines (the writer
//    writes one row a line) at most kMaxSnapshotLineBytes.
// A UTF-8 byte order mark at the start is skipped. A FIFO is opened without blocking, and its
// bytes are waited for in poll(2), as `cat` waits for a writer, without spinning: a FIFO nobody
// writes to is waited on until the command is interrupted.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "vmatlas/address_space.hpp"
#include "vmatlas/result.hpp"
#include "vmatlas/target.hpp"

namespace vmatlas {

inline constexpr std::size_t kMaxBytesWithoutRow = 4 << 20;
inline constexpr std::size_t kMaxSnapshotBytes = std::size_t{1} << 30;
inline constexpr std::size_t kMaxSnapshotLineBytes = 16 << 20;

// What a file a target or --add names is, following symbolic links. A link to nothing and a
// loop of links are said as such (NoSuchProcess and UnreadableInput), not as "no such file".
Result<struct stat> stat_named_file(const std::string& file);

class TextInput {
  public:
    // Opens file ("-": standard input, whose descriptor and flags are left as they are). A
    // directory is refused (UnreadableInput).
    static Result<TextInput> open(const std::string& file);

    TextInput(TextInput&&) noexcept = default;
    TextInput& operator=(TextInput&&) noexcept = default;

    // The input in sentences: the file's name, or "standard input".
    const std::string& name() const { return name_; }
    // A regular file (an ELF file is then read again by its name).
    bool regular_file() const { return regular_; }
    // A regular file's size in bytes; 0 for any other input.
    std::uint64_t size() const { return size_; }

    // The first bytes, past a UTF-8 byte order mark: reads until n of them are held or the input
    // ends. An error only when the input cannot be read at all.
    Result<std::string_view> head(std::size_t n);

    // How pump() ended.
    enum class Stop : std::uint8_t {
        End,     // the end of the input
        Nul,     // a NUL byte at `at`
        NoRow,   // kMaxBytesWithoutRow bytes from `at` on without a new row
        Failed,  // a read(2) failed at `at`, with errno `err`
    };
    struct Ended {
        Stop stop = Stop::End;
        std::uint64_t at = 0;  // an offset in the input (a byte order mark counts)
        int err = 0;
    };

    // Hands the input from its start (past the byte order mark; the head first) to feed, in
    // pieces, until it ends, holds a NUL byte (the bytes before it are fed), or rows() stays the
    // same for kMaxBytesWithoutRow bytes.
    Ended pump(const std::function<void(std::string_view)>& feed,
               const std::function<std::size_t()>& rows);

    // The input from its start (past the byte order mark), a piece a call: the head first, then
    // a block at a time, as it arrives; empty at its end. An error when a read(2) fails.
    Result<std::string_view> next_piece();

  private:
    TextInput() = default;
    // Reads more into the buffer after `held_`; the bytes read, 0 at the end, -1 on an error
    // (err_ says which).
    long read_more();

    // A descriptor, closed with its owner when it was opened here (not standard input's); a
    // moved-from one owns nothing, so that every other member moves by default.
    struct Fd {
        int fd = -1;
        bool own = false;
        Fd() = default;
        Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)), own(std::exchange(o.own, false)) {}
        Fd& operator=(Fd&& o) noexcept {
            if (this != &o) {
                if (own) ::close(fd);
                fd = std::exchange(o.fd, -1);
                own = std::exchange(o.own, false);
            }
            return *this;
        }
        ~Fd() {
            if (own) ::close(fd);
        }
    };

    std::string name_;
    Fd fd_;
    bool regular_ = false, fifo_ = false;
    std::uint64_t size_ = 0;
    std::unique_ptr<char[]> buf_;
    std::size_t begin_ = 0;     // where the text starts in the buffer (past a byte order mark)
    std::size_t held_ = 0;      // bytes in the buffer
    std::uint64_t offset_ = 0;  // offset in the input of the buffer's first byte
    bool bom_checked_ = false, at_end_ = false;
    bool served_ = false;  // the buffer's bytes have been handed out by next_piece()
    int err_ = 0;
};

// A snapshot read from in as it arrives (defined in snapshot.cpp, as read_snapshot): its rows are
// read one by one as they are parsed, so that neither the text nor its rows as JSON are held.
Result<Target> read_snapshot_input(TextInput& in, std::string origin);

// Reads in into a parser (feed each piece, then finish) whose rows go to builder, within the
// bounds above; `what` names what the input should be in sentences ("a memory map", "a regions
// file"). An error when the input cannot be read, or ends (a NUL byte, no row) before any row
// was read; a bound met after rows is a loss recorded in builder, with a sentence.
std::optional<Error> read_rows(TextInput& in, AddressSpaceBuilder& builder, std::string_view what,
                               const std::function<void(std::string_view)>& feed,
                               const std::function<void()>& finish);

}  // namespace vmatlas
