// A text table whose columns are as wide as their data (Solaris 11.4 pmap's rule).
//
// The caller widens each column to its cells (widen()), then write() lays the table out into
// out: the header, then the rows emit(table) adds, each as it is added, so that a 60,000-row map
// needs no copy of its cells. Cells are padded to their column's width, right-aligned or
// left-aligned, one blank between columns; the blanks that would pad a left-aligned cell are
// left out when nothing follows them on the line. A cell wider than its column is written
// whole and moves the rest of its row.
#pragma once

#include <cstddef>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "render/safe_text.hpp"

namespace vmatlas {

enum class Align { Left, Right };

struct Column {
    std::string_view header;
    Align align = Align::Right;
};

class Table {
  public:
    explicit Table(std::vector<Column> columns);

    // ---- Before writing

    // Column `column` is at least `width` wide (as wide as its header to begin with).
    void widen(std::size_t column, std::size_t width);
    // Whether widen() counts for a column: not for a left-aligned last column, whose width only
    // the blanks after its text would show, and they are left out (a note after it follows its
    // header's width); not for a note.
    bool measures(std::size_t column) const;
    // No line of column headers (the headers still count in the widths).
    void hide_header() { show_header_ = false; }

    // ---- Writing

    // How much text a table (and the views' JSON and CSV writers) gather before flush: enough
    // to make each write(2) worth its call, few enough pages to fault in once and reuse.
    static constexpr std::size_t kFlushBytes = 256 * 1024;

    // Appends the header and the rows emit(*this) adds to out. flush, when given, is called
    // with out whenever it holds kFlushBytes, and empties it: the same pages are written again
    // instead of new ones being faulted in.
    template <typename Emit>
    void write(std::string& out, std::string_view reset, Emit&& emit,
               const std::function<void(std::string&)>& flush = {}) {
        start_writing(out, reset, flush ? &flush : nullptr);
        emit(*this);
        stop_writing();
    }

    // Within write(): starts a row, coloured with `color` (an escape sequence, or ""); `reset`
    // ends a coloured row.
    void begin_row(std::string_view color = {});
    // The next cell of the current row; `text` is shown as is, so escape untrusted text first.
    // `width` is its width on a terminal when that is not its size in bytes. Cells past the last
    // column are notes: written after one blank, not aligned.
    void cell(std::string_view text, std::size_t width = std::string_view::npos);
    // A cell of `width` bytes of printable ASCII, which write(p) writes at p, where it goes.
    template <typename Write>
    void ascii_cell(std::size_t width, Write&& write);
    // Untrusted text, escaped as append_safe() escapes it.
    void text_cell(std::string_view untrusted);
    // A line that ignores the columns (a note between rows).
    void line(std::string_view text);
    // Room to format a cell into, then cell(scratch()).
    std::string& scratch() { return scratch_; }

  private:
    void start_writing(std::string& out, std::string_view reset,
                       const std::function<void(std::string&)>* flush);
    void stop_writing();
    void finish_row();  // closes the open row with the colour reset and a newline
    // The start of a cell of `width` columns and `bytes` bytes in the next column, after the
    // separator and, when right-aligned, the blanks before it; end_cell() after its bytes.
    char* begin_cell(std::size_t width, std::size_t bytes);
    void end_cell(char* end, std::size_t width, bool empty);

    // The text is written through a cursor into spare room at the end of out, not through
    // std::string appends: each row takes room for all its cells at their columns' widths at
    // once, and only a cell wider than its column (the last column's text, a note) asks for
    // more.
    struct Cursor {
        std::string* out = nullptr;
        char* at = nullptr;     // the end of the text written so far
        char* limit = nullptr;  // the end of the room out has for it
        // The end of the current row's text without the blanks owed after a left-aligned cell,
        // which are dropped when nothing follows them (an empty right-aligned cell's blanks are
        // text: they stay).
        char* content_end = nullptr;
        void open(std::string& o) {
            out = &o;
            at = content_end = limit = o.data() + o.size();
        }
        void close() { out->resize(length()); }  // give out back its exact text
        std::size_t length() const { return static_cast<std::size_t>(at - out->data()); }
        void reserve(std::size_t n) {
            if (static_cast<std::size_t>(limit - at) < n) grow(n);
        }
        void grow(std::size_t n);
        void write(std::string_view s) {
            if (s.empty()) return;  // an empty view may hold no pointer, which memcpy must not get
            reserve(s.size());
            std::memcpy(at, s.data(), s.size());
            at += s.size();
        }
    };
    // Blanks are written kShortFill at a time (a few stores instead of a call to memset), so
    // each row's room has that much to spare.
    static constexpr std::size_t kShortFill = 32;
    static constexpr char kBlanks[kShortFill + 1] = "                                ";
    static void blanks(char* p, std::size_t n) {
        if (n <= kShortFill)
            std::memcpy(p, kBlanks, kShortFill);
        else
            std::memset(p, ' ', n);
    }

    std::vector<Column> columns_;
    std::vector<std::size_t> widths_;
    bool show_header_ = true;
    std::string scratch_;
    std::string escaped_;  // text_cell's escaped text (scratch_ may hold the text it is given)

    Cursor cursor_;
    std::string_view reset_;
    const std::function<void(std::string&)>* flush_ = nullptr;
    std::size_t row_room_ = 0;  // bytes a row of cells no wider than their columns needs
    std::size_t column_ = 0;    // the next cell's column in the current row
    bool row_open_ = false, row_colored_ = false;
};

inline char* Table::begin_cell(std::size_t width, std::size_t bytes) {
    if (!row_open_) [[unlikely]]
        begin_row();  // a cell before any row (or after a line()) starts one, with its room
    const std::size_t c = column_++;
    Cursor& k = cursor_;
    if (c >= columns_.size()) {  // a note: after one blank, unless it is empty
        k.reserve(bytes + 1);
        if (bytes > 0) *k.at++ = ' ';
        return k.at;
    }
    const std::size_t column_width = widths_[c];
    const std::size_t fill = column_width > width ? column_width - width : 0;
    if (fill + bytes > column_width) k.reserve(fill + bytes + row_room_);  // past the row's room
    char* p = k.at;
    if (c > 0) *p++ = ' ';
    if (columns_[c].align == Align::Right) {
        blanks(p, fill);
        p += fill;
    }
    return p;
}

inline void Table::end_cell(char* end, std::size_t width, bool empty) {
    const std::size_t c = column_ - 1;
    Cursor& k = cursor_;
    if (c >= columns_.size() || columns_[c].align == Align::Right) {
        if (!empty || c < columns_.size()) k.at = k.content_end = end;  // an empty note: nothing
        return;
    }
    if (!empty) k.content_end = end;
    const std::size_t fill = widths_[c] > width ? widths_[c] - width : 0;
    blanks(end, fill);
    k.at = end + fill;
}

inline void Table::cell(std::string_view text, std::size_t width) {
    if (width == std::string_view::npos) width = text.size();
    char* p = begin_cell(width, text.size());
    if (!text.empty()) std::memcpy(p, text.data(), text.size());
    end_cell(p + text.size(), width, text.empty());
}

template <typename Write>
inline void Table::ascii_cell(std::size_t width, Write&& write) {
    char* p = begin_cell(width, width);
    write(p);
    end_cell(p + width, width, width == 0);
}

inline void Table::text_cell(std::string_view untrusted) {
    if (is_plain_text(untrusted)) [[likely]]
        return cell(untrusted);
    escaped_.clear();
    const std::size_t width = append_safe(escaped_, untrusted);
    cell(escaped_, width);
}

}  // namespace vmatlas
