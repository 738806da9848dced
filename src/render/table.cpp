#include "render/table.hpp"

#include <algorithm>
#include <cstring>

#include "vmatlas/populate.hpp"

namespace vmatlas {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {
    widths_.resize(columns_.size());
    for (std::size_t c = 0; c < columns_.size(); ++c) widths_[c] = columns_[c].header.size();
}

bool Table::measures(std::size_t column) const {
    if (column >= columns_.size()) return false;  // a note
    return column + 1 < columns_.size() || columns_[column].align == Align::Right;
}

void Table::widen(std::size_t column, std::size_t width) {
    if (measures(column) && width > widths_[column]) widths_[column] = width;
}

void Table::start_writing(std::string& out, std::string_view reset,
                          const std::function<void(std::string&)>* flush) {
    reset_ = reset;
    flush_ = flush;
    row_room_ = kShortFill + reset.size() + 1;
    for (const std::size_t w : widths_) row_room_ += w + 1;
    // Room for all the text that will be gathered before each flush, taken once: growing into
    // it would copy the text each time and touch new pages each time.
    if (flush) out.reserve(out.size() + kFlushBytes + 4 * row_room_);
    cursor_.open(out);
    if (show_header_) {
        begin_row();
        for (const Column& c : columns_) cell(c.header);
        finish_row();
    }
}

void Table::stop_writing() {
    finish_row();
    cursor_.close();
    flush_ = nullptr;
}

void Table::begin_row(std::string_view color) {
    finish_row();
    column_ = 0;
    cursor_.reserve(row_room_ + color.size());
    cursor_.write(color);
    cursor_.content_end = cursor_.at;
    row_open_ = true;
    row_colored_ = !color.empty();
}

void Table::finish_row() {
    if (!row_open_) return;
    cursor_.at = cursor_.content_end;  // the blanks owed after a left-aligned cell are dropped
    if (row_colored_) cursor_.write(reset_);
    cursor_.write("\n");
    row_open_ = false;
    if (flush_ && cursor_.length() >= kFlushBytes) {
        cursor_.close();
        (*flush_)(*cursor_.out);
        cursor_.open(*cursor_.out);
    }
}

void Table::line(std::string_view text) {
    finish_row();
    cursor_.write(text);
    cursor_.write("\n");
}

void Table::Cursor::grow(std::size_t n) {
    const std::size_t used = length();
    const std::size_t content = static_cast<std::size_t>(content_end - out->data());
    if (used + n > out->size()) {
        // resize() writes zeros over all it adds, and touches each page: grow by doubling from
        // 16 KB (a small process's whole table), not at once to the capacity a caller reserved
        // (start_writing() reserves a flush's worth, 256 KB and more, which a small table never
        // fills), but never past that capacity while it is enough, which would copy the text.
        std::size_t size = std::max(out->size() * 2, used + n + 16384);
        if (used + n <= out->capacity()) size = std::min(size, out->capacity());
        out->reserve(size);
        populate_pages(out->data() + out->size(), out->data() + size);
        out->resize(size);
    }
    at = out->data() + used;
    content_end = out->data() + content;
    limit = out->data() + out->size();
}

}  // namespace vmatlas
