// A text table whose columns are as wide as their data (Solaris 11.4 pmap's rule).
//
// Two ways to fill one:
//  - buffered: begin_row/cell/line, then render(): the cells are kept until the widths are known.
//  - streamed: stream(out, reset, emit) calls emit(table) twice, first to measure and then to
//    write straight into out, so a 60,000-row map needs no copy of its cells. emit must produce
//    the same rows both times. stream_measured() is the second pass alone, after widen().
// Either way the text is laid out by one writer: cells padded to their column's width,
// right-aligned or left-aligned, one blank between columns; the blanks that would pad a
// left-aligned cell are left out when nothing follows them on the line.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "render/number_text.hpp"
#include "render/safe_text.hpp"

namespace vmatlas {

enum class Align { Left, Right };

struct Column {
    std::string_view header;
    Align align = Align::Right;
};

// How Table::hex_cell writes a number.
struct HexStyle {
    bool prefix = false;  // "0x1f"
    bool upper = false;   // "1F"
    int min_digits = 1;   // zero-padded to this many digits ("001F"); at most 16
};

class Table {
  public:
    explicit Table(std::vector<Column> columns);

    // Starts a row; the row is coloured with `color` (an escape sequence, or "").
    void begin_row(std::string_view color = {});
    // The next cell of the current row; `text` is shown as is, so escape untrusted text first.
    // `width` is its width on a terminal when that is not its size in bytes. Cells past the last
    // column are notes: written after one space, not aligned.
    void cell(std::string_view text, std::size_t width = std::string_view::npos);
    // Typed cells, the fast way to fill a big streamed table: a number is measured by its digits
    // and written straight into the output; untrusted text is escaped as append_safe() does,
    // and not even measured in the last column, whose width never matters.
    // A suffix ("K", "*"; at most kLongestSuffix bytes) follows the number in its cell.
    // (Inline below: their streamed path is the table's hot path.)
    void hex_cell(std::uint64_t v, HexStyle style = {}, std::string_view suffix = {});
    void decimal_cell(std::uint64_t v, std::string_view suffix = {});
    void text_cell(std::string_view untrusted);
    // Room to format a cell into, then cell(scratch()).
    std::string& scratch() { return scratch_; }
    // No line of column headers (the headers still count in the widths).
    void hide_header() { show_header_ = false; }
    // A line that ignores the columns (a note between rows).
    void line(std::string_view text);

    // Buffered: the header and every row, into out.
    void render(std::string& out, std::string_view reset);

    // How much text a streamed table (and the views' JSON and CSV writers) gather before flush:
    // enough to make each write(2) worth its call, few enough pages to fault in once and reuse.
    static constexpr std::size_t kFlushBytes = 256 * 1024;

    // Streamed: see the file comment.
    // flush, when given, is called with out whenever it holds kFlushBytes, and empties it: the
    // same pages are written again instead of new ones being faulted in.
    template <typename Emit>
    void stream(std::string& out, std::string_view reset, Emit&& emit,
                const std::function<void(std::string&)>& flush = {}) {
        mode_ = Mode::Measure;
        emit(*this);
        stream_measured(out, reset, emit, flush);
    }

    // A row written in place: the fastest way to fill a streamed table whose cells the caller
    // has measured (widen). Right after begin_row(), write_row<n>(place, add) fills a row of the
    // table's n columns. place(C) is called for each column C before the last in turn, C a
    // std::integral_constant so that the caller's code for each column is compiled for it; it
    // puts the cell with put_in_place() and returns its answer. From the first column not
    // placed on, and for the last column, add(c) adds column c's cell the general way (cell(),
    // the typed cells), which lays out anything: every cell, when the table is not being
    // written or n is not its number of columns.
    template <std::size_t kColumns, typename Place, typename Add>
    void write_row(Place&& place, Add&& add) {
        static_assert(kColumns > 0);
        std::size_t c = 0;
        if (in_place_ && column_ == 0 && kColumns == columns_.size()) {
            [&]<std::size_t... C>(std::index_sequence<C...>) {
                ((place(std::integral_constant<std::size_t, C>{}) && (++c, true)) && ...);
            }
            (std::make_index_sequence<kColumns - 1>{});
            column_ = c;
        }
        for (; c < kColumns; ++c) add(c);
    }
    // Within place(c): text goes in place when each of its bytes is one column wide (it
    // is_plain_text()); false, with nothing written, for any other text and as put_in_place().
    bool place_text(std::size_t c, std::string_view s) {
        return is_plain_text(s) && put_in_place(c, s.size(), [&](char* at) {
                   if (!s.empty()) std::memcpy(at, s.data(), s.size());
               });
    }
    // Within place(c): a cell of `width` bytes, each one column wide (plain ASCII), goes where
    // column c's alignment puts it, write(at) writing its bytes at `at`. False, with nothing
    // written, when it is wider than the column (or called out of place: not in a row being
    // written in place, or for the last column).
    template <typename Write>
    [[gnu::always_inline]] bool put_in_place(std::size_t c, std::size_t width, Write&& write) {
        if (!in_place_ || c >= last_) [[unlikely]]
            return false;
        const std::size_t column_width = widths_[c];
        if (width > column_width) return false;
        char* at = row_start_ + starts_[c];
        if (columns_[c].align == Align::Right) {
            cursor_.content_end = at + column_width;
            at += column_width - width;
        } else if (width > 0) {
            cursor_.content_end = at + width;
        }
        write(at);
        return true;
    }

    // Streamed in one pass, for a caller that knows the widths without formatting the cells:
    // it has called widen() for every column whose data may be wider than its header.
    void widen(std::size_t column, std::size_t width) { measure(column, width); }
    template <typename Emit>
    void stream_measured(std::string& out, std::string_view reset, Emit&& emit,
                         const std::function<void(std::string&)>& flush = {}) {
        start_writing(out, reset, flush ? &flush : nullptr);
        emit(*this);
        stop_writing();
    }

  private:
    enum class Mode { Buffer, Measure, Write };
    struct Cell {
        std::uint32_t offset, size, width;
    };
    struct Row {
        std::uint32_t first_cell;
        std::uint32_t color_offset, color_size;
        bool is_line;
    };

    void measure(std::size_t column, std::size_t width);
    // Streamed tables' first pass: a cell that only counts for its width.
    void measure_cell(std::size_t width) { measure(column_++, width); }
    // The next cell is in the last column: its width never matters.
    bool in_last_column() const { return column_ + 1 >= columns_.size(); }

    // Writing (streamed rows, buffered rows replayed, the header) goes through a cursor into
    // spare room at the end of out, not through std::string appends. Each row gets room for
    // all its cells at their columns' widths at once; only a cell wider than its column (the
    // last column's text, a note) asks for more.
    //
    // A row starts "in place": every column before the last is blanked at once, and a cell that
    // fits its column is written where its column puts it, with no blanks of its own. From the
    // first cell that does not fit (wider than its column, or its bytes not its width: escaped
    // or multi-byte text) on, and for the last column and notes, cells are written one after
    // the other from where the row has got to, which gives the same text.
    void start_writing(std::string& out, std::string_view reset,
                       const std::function<void(std::string&)>* flush);
    void stop_writing();
    void write_header();
    void finish_row();  // closes the open row with the colour reset and a newline
    // The start of a cell of `width` columns and `bytes` bytes in the next column, after the
    // separator and, when right-aligned, the blanks before it; end_cell() after its bytes.
    char* begin_cell(std::size_t width, std::size_t bytes);
    // Leaves in-place writing before column c: the cursor goes where writing cell after cell
    // would have got to.
    void leave_in_place(std::size_t c);
    void end_cell(char* end, std::size_t width, bool empty);
    void write_cell(std::string_view text, std::size_t width);
    // A cell of `width` characters that format(p) writes at p.
    template <typename Format>
    void formatted_cell(std::size_t width, Format&& format);
    // A cell while the table is measured, or buffered (kept in arena_ until render()); cell()
    // and formatted_cell() write a cell themselves while the table is being written.
    void measure_or_keep(std::string_view text, std::size_t width);
    // text_cell() in every mode for text that may need escaping (and any text while measuring).
    void text_cell_escaped(std::string_view untrusted);

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

    // A typed cell's suffix is cut to this.
    static constexpr std::size_t kLongestSuffix = 4;
    // The widest typed cell: "0x" and 16 hex digits, or 20 decimal digits; then a suffix.
    static constexpr std::size_t kWidestNumber = std::max(2 + 16, 20) + kLongestSuffix;

    std::vector<Column> columns_;
    std::vector<std::size_t> widths_;
    std::string scratch_;
    bool show_header_ = true;
    std::string escaped_;  // text_cell's escaped text (scratch_ may hold the text it is given)
    Mode mode_ = Mode::Buffer;
    std::size_t column_ = 0;  // the next cell's column in the current row

    // Buffered rows.
    std::string arena_;
    std::vector<Cell> cells_;
    std::vector<Row> rows_;

    // Writing.
    Cursor cursor_;
    std::size_t row_room_ = 0;         // bytes a row of cells no wider than their columns needs
    std::vector<std::size_t> starts_;  // where each column's text starts in a row, in bytes
    std::size_t last_ = 0;             // the last column
    char* row_start_ = nullptr;        // the current row's first cell, while it is in place
    bool in_place_ = false;
    std::string_view reset_;
    bool row_open_ = false, row_colored_ = false;
    const std::function<void(std::string&)>* flush_ = nullptr;
};

// The writer's hot path: a 60,000-row map writes 400,000 cells.
[[gnu::always_inline]] inline char* Table::begin_cell(std::size_t width, std::size_t bytes) {
    if (!row_open_) [[unlikely]]
        begin_row();  // a cell before any row (or after a line()) starts one, with its room
    const std::size_t c = column_++;
    if (in_place_) {
        if (c < last_ && bytes == width && width <= widths_[c]) [[likely]] {
            char* column = row_start_ + starts_[c];
            return columns_[c].align == Align::Right ? column + (widths_[c] - width) : column;
        }
        leave_in_place(c);
    }
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

[[gnu::always_inline]] inline void Table::end_cell(char* end, std::size_t width, bool empty) {
    const std::size_t c = column_ - 1;
    Cursor& k = cursor_;
    if (in_place_) {  // the row's blanks are there already; the cursor stays at the row's start
        if (columns_[c].align == Align::Right)
            k.content_end = row_start_ + starts_[c] + widths_[c];
        else if (!empty)
            k.content_end = end;
        return;
    }
    if (c >= columns_.size() || columns_[c].align == Align::Right) {
        if (!empty || c < columns_.size()) k.at = k.content_end = end;  // an empty note: nothing
        return;
    }
    if (!empty) k.content_end = end;
    const std::size_t fill = widths_[c] > width ? widths_[c] - width : 0;
    blanks(end, fill);
    k.at = end + fill;
}

[[gnu::always_inline]] inline void Table::write_cell(std::string_view text, std::size_t width) {
    char* p = begin_cell(width, text.size());
    if (!text.empty()) std::memcpy(p, text.data(), text.size());
    end_cell(p + text.size(), width, text.empty());
}

inline void Table::cell(std::string_view text, std::size_t width) {
    if (width == std::string_view::npos) width = text.size();
    if (mode_ == Mode::Write) [[likely]]
        return write_cell(text, width);
    measure_or_keep(text, width);
}

template <typename Format>
inline void Table::formatted_cell(std::size_t width, Format&& format) {
    if (mode_ == Mode::Write) [[likely]] {
        char* p = begin_cell(width, width);
        format(p);
        end_cell(p + width, width, false);
        return;
    }
    if (mode_ == Mode::Measure) return measure(column_++, width);
    char text[kWidestNumber];
    format(text);
    measure_or_keep(std::string_view(text, width), width);
}

inline void Table::hex_cell(std::uint64_t v, HexStyle style, std::string_view suffix) {
    if (suffix.size() > kLongestSuffix) suffix = suffix.substr(0, kLongestSuffix);
    const int digits = std::min(std::max(hex_digits(v), style.min_digits), 16);
    const std::size_t lead = style.prefix ? 2 : 0;
    const std::size_t width = lead + static_cast<std::size_t>(digits) + suffix.size();
    formatted_cell(width, [&](char* p) {
        if (style.prefix) p[0] = '0', p[1] = 'x';
        put_hex_before(p + lead + digits, v, digits, style.upper);
        if (!suffix.empty()) std::memcpy(p + lead + digits, suffix.data(), suffix.size());
    });
}

inline void Table::decimal_cell(std::uint64_t v, std::string_view suffix) {
    if (suffix.size() > kLongestSuffix) suffix = suffix.substr(0, kLongestSuffix);
    const int digits = decimal_digits(v);
    formatted_cell(static_cast<std::size_t>(digits) + suffix.size(), [&](char* p) {
        put_decimal_before(p + digits, v, digits);
        if (!suffix.empty()) std::memcpy(p + digits, suffix.data(), suffix.size());
    });
}

inline void Table::text_cell(std::string_view untrusted) {
    if (mode_ == Mode::Write && is_plain_text(untrusted)) [[likely]]
        return write_cell(untrusted, untrusted.size());
    text_cell_escaped(untrusted);
}

}  // namespace vmatlas
