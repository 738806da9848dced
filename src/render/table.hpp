// A text table whose columns are as wide as their data (Solaris 11.4 pmap's rule).
//
// write() lays the table out into out: it calls emit(table) twice, first to measure the cells,
// then to write the header and the rows, each row as it is added, so that a 60,000-row map needs
// no copy of its cells; emit must add the same rows both times. Cells are padded to their
// column's width, right-aligned or left-aligned, one blank between columns; the blanks that
// would pad a left-aligned cell are left out when nothing follows them on the line.
#pragma once

#include <cstddef>
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

    // No line of column headers (the headers still count in the widths).
    void hide_header() { show_header_ = false; }

    // How much text a table (and the views' JSON and CSV writers) gather before flush: enough
    // to make each write(2) worth its call, few enough pages to fault in once and reuse.
    static constexpr std::size_t kFlushBytes = 256 * 1024;

    // Appends the header and the rows emit(*this) adds to out (see the file comment). flush,
    // when given, is called with out whenever it holds kFlushBytes, and empties it: the same
    // pages are written again instead of new ones being faulted in.
    template <typename Emit>
    void write(std::string& out, std::string_view reset, Emit&& emit,
               const std::function<void(std::string&)>& flush = {}) {
        measuring_ = true;
        column_ = 0;
        emit(*this);
        measuring_ = false;
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
    // A cell of `width` bytes of printable ASCII, which write(p) writes at p.
    template <typename Write>
    void ascii_cell(std::size_t width, Write&& write);
    // Untrusted text, escaped as append_safe() escapes it.
    void text_cell(std::string_view untrusted);
    // A line that ignores the columns (a note between rows).
    void line(std::string_view text);
    // Room to format a cell into, then cell(scratch()).
    std::string& scratch() { return scratch_; }

  private:
    // A column is as wide as its header and its widest cell, but a left-aligned last column,
    // whose width only the blanks after its text would show (they are left out): as wide as its
    // header, so that a note after it follows the header.
    bool measures(std::size_t column) const {
        return column + 1 < columns_.size() ||
               (column + 1 == columns_.size() && columns_[column].align == Align::Right);
    }
    void measure(std::size_t width) {
        const std::size_t c = column_++;
        if (measures(c) && width > widths_[c]) widths_[c] = width;
    }
    void start_writing(std::string& out, std::string_view reset,
                       const std::function<void(std::string&)>* flush);
    void stop_writing();
    void finish_row();  // closes the open row with the colour reset and a newline
    void blanks(std::size_t n) {
        if (n <= kBlanks.size())
            out_->append(kBlanks.data(), n);
        else
            out_->append(n, ' ');
    }
    static constexpr std::string_view kBlanks = "                                ";
    // An ASCII cell up to this long (a number) is written on the stack, a longer one in
    // long_ascii_.
    static constexpr std::size_t kShortAscii = 32;

    std::vector<Column> columns_;
    std::vector<std::size_t> widths_;
    bool show_header_ = true;
    bool measuring_ = false;  // the first of write()'s passes
    std::string scratch_;
    std::string escaped_;  // text_cell's escaped text (scratch_ may hold the text it is given)
    std::string long_ascii_;

    std::string* out_ = nullptr;
    std::string_view reset_;
    const std::function<void(std::string&)>* flush_ = nullptr;
    std::size_t row_room_ = 0;   // bytes a row of cells no wider than their columns needs
    std::size_t column_ = 0;     // the next cell's column in the current row
    // The end of the current row's text without the blanks owed after a left-aligned cell,
    // which are dropped when nothing follows them.
    std::size_t content_end_ = 0;
    bool row_open_ = false, row_colored_ = false;
};

inline void Table::cell(std::string_view text, std::size_t width) {
    if (width == std::string_view::npos) width = text.size();
    if (measuring_) return measure(width);
    if (!row_open_) [[unlikely]]
        begin_row();  // a cell before any row (or after a line()) starts one
    const std::size_t c = column_++;
    std::string& out = *out_;
    if (c >= columns_.size()) {  // a note: after one blank, unless it is empty
        if (text.empty()) return;
        out.push_back(' ');
        out.append(text);
        content_end_ = out.size();
        return;
    }
    const std::size_t fill = widths_[c] > width ? widths_[c] - width : 0;
    if (c > 0) out.push_back(' ');
    if (columns_[c].align == Align::Right) {
        blanks(fill);
        out.append(text);
        content_end_ = out.size();  // an empty right-aligned cell's blanks are text: they stay
    } else {
        out.append(text);
        if (!text.empty()) content_end_ = out.size();
        blanks(fill);
    }
}

template <typename Write>
inline void Table::ascii_cell(std::size_t width, Write&& write) {
    if (measuring_) return measure(width);
    char text[kShortAscii];
    if (width <= kShortAscii) [[likely]] {
        write(text);
        return cell(std::string_view(text, width));
    }
    long_ascii_.resize(width);
    write(long_ascii_.data());
    cell(long_ascii_);
}

inline void Table::text_cell(std::string_view untrusted) {
    if (measuring_) return measure(measures(column_) ? safe_width(untrusted) : 0);
    if (is_plain_text(untrusted)) [[likely]]
        return cell(untrusted);
    escaped_.clear();
    const std::size_t width = append_safe(escaped_, untrusted);
    cell(escaped_, width);
}

}  // namespace vmatlas
