#include "render/table.hpp"

#include <algorithm>
#include <cstring>

namespace vmatlas {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {
    widths_.resize(columns_.size());
    for (std::size_t c = 0; c < columns_.size(); ++c) widths_[c] = columns_[c].header.size();
}

void Table::measure(std::size_t column, std::size_t width) {
    if (column < widths_.size() && width > widths_[column]) widths_[column] = width;
}

void Table::begin_row(std::string_view color) {
    column_ = 0;
    switch (mode_) {
        case Mode::Measure:
            return;
        case Mode::Write:
            finish_row();
            cursor_.reserve(row_room_ + color.size());
            cursor_.write(color);
            cursor_.content_end = row_start_ = cursor_.at;
            // Every column before the last, and the blank before it, at kShortFill bytes a time
            // (the row's room has that much to spare).
            for (std::size_t n = 0; n < starts_[last_]; n += kShortFill)
                std::memcpy(row_start_ + n, kBlanks, kShortFill);
            in_place_ = true;
            row_open_ = true;
            row_colored_ = !color.empty();
            return;
        case Mode::Buffer:
            rows_.push_back({static_cast<std::uint32_t>(cells_.size()),
                             static_cast<std::uint32_t>(arena_.size()),
                             static_cast<std::uint32_t>(color.size()), false});
            arena_.append(color);
            return;
    }
}

void Table::measure_or_keep(std::string_view text, std::size_t width) {
    measure(column_++, width);
    if (mode_ == Mode::Measure) return;
    cells_.push_back({static_cast<std::uint32_t>(arena_.size()),
                      static_cast<std::uint32_t>(text.size()), static_cast<std::uint32_t>(width)});
    arena_.append(text);
}

void Table::line(std::string_view text) {
    switch (mode_) {
        case Mode::Measure:
            return;
        case Mode::Write:
            finish_row();
            cursor_.write(text);
            cursor_.write("\n");
            return;
        case Mode::Buffer:
            rows_.push_back({static_cast<std::uint32_t>(cells_.size()),
                             static_cast<std::uint32_t>(arena_.size()),
                             static_cast<std::uint32_t>(text.size()), true});
            arena_.append(text);
            return;
    }
}

// ---- Writing --------------------------------------------------------------------------------

void Table::leave_in_place(std::size_t c) {
    in_place_ = false;
    // Cell after cell, the cells before c would have left the cursor at c's separator.
    // c is at most last_: the last column and notes are never written in place.
    cursor_.at = row_start_ + (c == 0 ? 0 : starts_[c] - 1);
}

void Table::finish_row() {
    if (!row_open_) return;
    in_place_ = false;
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

void Table::start_writing(std::string& out, std::string_view reset,
                          const std::function<void(std::string&)>* flush) {
    mode_ = Mode::Write;
    reset_ = reset;
    flush_ = flush;
    row_room_ = kShortFill + reset.size() + 1;
    for (const std::size_t w : widths_) row_room_ += w + 1;
    starts_.assign(std::max<std::size_t>(columns_.size(), 1), 0);
    for (std::size_t c = 1; c < columns_.size(); ++c)
        starts_[c] = starts_[c - 1] + widths_[c - 1] + 1;
    last_ = columns_.empty() ? 0 : columns_.size() - 1;
    // Room for all the text that will be gathered before each flush, taken once: growing into
    // it would copy the text each time and touch new pages each time.
    if (flush) out.reserve(out.size() + kFlushBytes + 4 * row_room_);
    cursor_.open(out);
    write_header();
}

void Table::stop_writing() {
    finish_row();
    cursor_.close();
    flush_ = nullptr;
    mode_ = Mode::Buffer;
}

void Table::write_header() {
    if (!show_header_) return;
    begin_row();
    for (const Column& c : columns_) cell(c.header);
    finish_row();
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
        out->resize(size);
    }
    at = out->data() + used;
    content_end = out->data() + content;
    limit = out->data() + out->size();
}

void Table::render(std::string& out, std::string_view reset) {
    start_writing(out, reset, nullptr);
    for (std::size_t r = 0; r < rows_.size(); ++r) {
        const Row& row = rows_[r];
        const std::string_view lead(arena_.data() + row.color_offset, row.color_size);
        if (row.is_line) {
            line(lead);
            continue;
        }
        begin_row(lead);
        const std::size_t end = r + 1 < rows_.size() ? rows_[r + 1].first_cell : cells_.size();
        for (std::size_t k = row.first_cell; k < end; ++k) {
            const Cell& cell = cells_[k];
            write_cell(std::string_view(arena_.data() + cell.offset, cell.size), cell.width);
        }
    }
    stop_writing();
}

// ---- Typed cells ----------------------------------------------------------------------------

void Table::text_cell_escaped(std::string_view untrusted) {
    if (mode_ == Mode::Measure) {
        measure_cell(in_last_column() ? 0 : safe_width(untrusted));
    } else if (is_plain_text(untrusted)) {
        cell(untrusted);
    } else {
        escaped_.clear();
        const std::size_t width = append_safe(escaped_, untrusted);
        cell(escaped_, width);
    }
}

}  // namespace vmatlas
