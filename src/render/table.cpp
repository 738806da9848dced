#include "render/table.hpp"

namespace vmatlas {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {
    widths_.resize(columns_.size());
    for (std::size_t c = 0; c < columns_.size(); ++c) widths_[c] = columns_[c].header.size();
}

void Table::begin_row(std::string_view color) {
    rows_.push_back({static_cast<std::uint32_t>(cells_.size()),
                     static_cast<std::uint32_t>(arena_.size()),
                     static_cast<std::uint32_t>(color.size()), false});
    arena_.append(color);
}

void Table::cell(std::string_view text, std::size_t width) {
    if (width == std::string_view::npos) width = text.size();
    const std::size_t column = cells_.size() - rows_.back().first_cell;
    if (column < widths_.size() && width > widths_[column]) widths_[column] = width;
    cells_.push_back({static_cast<std::uint32_t>(arena_.size()),
                      static_cast<std::uint32_t>(text.size()), static_cast<std::uint32_t>(width)});
    arena_.append(text);
}

void Table::line(std::string_view text) {
    rows_.push_back({static_cast<std::uint32_t>(cells_.size()),
                     static_cast<std::uint32_t>(arena_.size()),
                     static_cast<std::uint32_t>(text.size()), true});
    arena_.append(text);
}

void Table::render(std::string& out, std::string_view reset) const {
    out.reserve(out.size() + arena_.size() + rows_.size() * (columns_.size() + 8));
    auto pad = [&](std::size_t n) { out.append(n, ' '); };
    auto put = [&](std::string_view text, std::size_t width, std::size_t c, bool last) {
        const std::size_t fill = widths_[c] > width ? widths_[c] - width : 0;
        if (columns_[c].align == Align::Right) pad(fill);
        out.append(text);
        if (columns_[c].align == Align::Left && !last) pad(fill);
    };

    for (std::size_t c = 0; c < columns_.size(); ++c) {
        if (c) out.push_back(' ');
        put(columns_[c].header, columns_[c].header.size(), c, c + 1 == columns_.size());
    }
    out.push_back('\n');

    for (std::size_t r = 0; r < rows_.size(); ++r) {
        const Row& row = rows_[r];
        const std::string_view lead(arena_.data() + row.color_offset, row.color_size);
        if (row.is_line) {
            out.append(lead);
            out.push_back('\n');
            continue;
        }
        out.append(lead);
        const std::size_t end = r + 1 < rows_.size() ? rows_[r + 1].first_cell : cells_.size();
        for (std::size_t k = row.first_cell; k < end; ++k) {
            const std::size_t c = k - row.first_cell;
            const Cell& cell = cells_[k];
            const std::string_view text(arena_.data() + cell.offset, cell.size);
            const bool last = k + 1 == end;
            if (last && text.empty() && c + 1 >= columns_.size()) break;  // no trailing blank
            if (c) out.push_back(' ');
            if (c < columns_.size())
                put(text, cell.width, c, c + 1 == columns_.size() || last);
            else
                out.append(text);  // trailing cells beyond the columns (a note) are not aligned
        }
        if (!lead.empty()) out.append(reset);
        out.push_back('\n');
    }
}

}  // namespace vmatlas
