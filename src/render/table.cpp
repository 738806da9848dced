#include "render/table.hpp"

#include <algorithm>

#include "vmatlas/populate.hpp"

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
    populated_ = out.size();
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

void Table::grow(std::size_t n) {
    // The room is made present by doubling from 16 KB (a small process's whole table), not at
    // once to the capacity reserved for a flush's worth, which a small table never fills; and
    // never past that capacity while it is enough, which would copy the text.
    std::string& out = *out_;
    const std::size_t needed = out.size() + n;
    std::size_t end = std::max(populated_ * 2, needed + 16384);
    if (needed <= out.capacity()) end = std::min(end, out.capacity());
    if (end > out.capacity()) {
        out.reserve(end);
        populated_ = out.size();  // a new buffer: only the text copied into it is present
    }
    populate_pages(out.data() + populated_, out.data() + end);
    populated_ = end;
}

void Table::begin_row(std::string_view color) {
    column_ = 0;
    if (measuring_) return;
    finish_row();
    reserve(row_room_ + color.size());
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
    reserve(text.size() + 1);
    out_->append(text);
    out_->push_back('\n');
}

}  // namespace vmatlas
