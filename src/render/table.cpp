#include "render/table.hpp"

namespace vmatlas {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {
    widths_.resize(columns_.size());
    for (std::size_t c = 0; c < columns_.size(); ++c) widths_[c] = columns_[c].header.size();
}

void Table::reserve(std::size_t rows, std::size_t bytes_per_row) {
    rows_.reserve(rows);
    cells_.reserve(rows * (columns_.size() + 1));
    arena_.reserve(rows * bytes_per_row);
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
            out_->append(color);
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

void Table::cell(std::string_view text, std::size_t width) {
    if (width == std::string_view::npos) width = text.size();
    const std::size_t c = column_++;
    switch (mode_) {
        case Mode::Measure:
            measure(c, width);
            return;
        case Mode::Write:
            put(*out_, c, text, width, pending_);
            return;
        case Mode::Buffer:
            measure(c, width);
            cells_.push_back({static_cast<std::uint32_t>(arena_.size()),
                              static_cast<std::uint32_t>(text.size()),
                              static_cast<std::uint32_t>(width)});
            arena_.append(text);
            return;
    }
}

void Table::line(std::string_view text) {
    switch (mode_) {
        case Mode::Measure:
            return;
        case Mode::Write:
            finish_row();
            out_->append(text);
            out_->push_back('\n');
            return;
        case Mode::Buffer:
            rows_.push_back({static_cast<std::uint32_t>(cells_.size()),
                             static_cast<std::uint32_t>(arena_.size()),
                             static_cast<std::uint32_t>(text.size()), true});
            arena_.append(text);
            return;
    }
}

void Table::finish_row() {
    if (!row_open_) return;
    pending_ = 0;
    if (row_colored_) out_->append(reset_);
    out_->push_back('\n');
    row_open_ = false;
    if (flush_ && out_->size() >= (1u << 20)) (*flush_)(*out_);
}

void Table::put(std::string& out, std::size_t c, std::string_view text, std::size_t width,
                std::size_t& pending) const {
    // Blanks after a left-aligned cell wait until something follows them: no trailing blanks.
    if (c >= columns_.size()) {  // a note after the last column
        if (text.empty()) return;
        out.append(pending + 1, ' ');
        pending = 0;
        out.append(text);
        return;
    }
    const std::size_t fill = widths_[c] > width ? widths_[c] - width : 0;
    if (columns_[c].align == Align::Left && text.empty()) {
        pending += (c ? 1 : 0) + fill;
        return;
    }
    out.append(pending + (c ? 1 : 0), ' ');
    pending = 0;
    if (columns_[c].align == Align::Right) out.append(fill, ' ');
    out.append(text);
    if (columns_[c].align == Align::Left) pending = fill;
}

void Table::write_header(std::string& out) const {
    std::size_t pending = 0;
    for (std::size_t c = 0; c < columns_.size(); ++c)
        put(out, c, columns_[c].header, columns_[c].header.size(), pending);
    out.push_back('\n');
}

void Table::render(std::string& out, std::string_view reset) const {
    std::size_t line = columns_.size() + 1;  // separators and the newline
    for (std::size_t w : widths_) line += w;
    out.reserve(out.size() + rows_.size() * line + arena_.size());
    write_header(out);
    for (std::size_t r = 0; r < rows_.size(); ++r) {
        const Row& row = rows_[r];
        const std::string_view lead(arena_.data() + row.color_offset, row.color_size);
        out.append(lead);
        if (!row.is_line) {
            const std::size_t end = r + 1 < rows_.size() ? rows_[r + 1].first_cell : cells_.size();
            std::size_t pending = 0;
            for (std::size_t k = row.first_cell; k < end; ++k) {
                const Cell& cell = cells_[k];
                put(out, k - row.first_cell,
                    std::string_view(arena_.data() + cell.offset, cell.size), cell.width, pending);
            }
            if (!lead.empty()) out.append(reset);
        }
        out.push_back('\n');
    }
}

}  // namespace vmatlas
