#include "render/table.hpp"

#include <algorithm>

namespace vmatlas {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {
    widths_.resize(columns_.size());
    for (std::size_t c = 0; c < columns_.size(); ++c) widths_[c] = columns_[c].header.size();
}

void Table::start_writing(std::string& out, std::string_view reset,
                          const std::function<void(std::string&)>* flush) {
    out_ = &out;
    reset_ = reset;
    flush_ = flush;
    row_room_ = reset.size() + 1;
    for (const std::size_t w : widths_) row_room_ += w + 1;
    // Room for all the text that will be gathered before each flush, taken once: growing into
    // it would copy the text each time.
    if (flush) out.reserve(out.size() + kFlushBytes + 4 * row_room_);
    if (show_header_) {
        begin_row();
        for (const Column& c : columns_) cell(c.header);
        finish_row();
    }
}

void Table::stop_writing() {
    finish_row();
    flush_ = nullptr;
    out_ = nullptr;
}

void Table::begin_row(std::string_view color) {
    column_ = 0;
    if (measuring_) return;
    finish_row();
    out_->append(color);
    content_end_ = out_->size();
    row_open_ = true;
    row_colored_ = !color.empty();
}

void Table::finish_row() {
    if (!row_open_) return;
    std::string& out = *out_;
    out.resize(content_end_);  // the blanks owed after a left-aligned cell are dropped
    if (row_colored_) out.append(reset_);
    out.push_back('\n');
    row_open_ = false;
    if (flush_ && out.size() >= kFlushBytes) (*flush_)(out);
}

void Table::line(std::string_view text) {
    column_ = 0;
    if (measuring_) return;
    finish_row();
    out_->append(text);
    out_->push_back('\n');
}

}  // namespace vmatlas
