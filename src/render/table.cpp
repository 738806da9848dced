#include "render/table.hpp"

#include <algorithm>
#include <cstring>

#include "render/number_text.hpp"
#include "render/safe_text.hpp"

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
            raw_.write(color);
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
            put(raw_, c, text, width, pending_);
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
            raw_.write(text);
            raw_.write("\n");
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
    if (row_colored_) raw_.write(reset_);
    raw_.write("\n");
    row_open_ = false;
    if (flush_ && raw_.length() >= kFlushBytes) {
        raw_.close();
        (*flush_)(*out_);
        raw_.open(*out_);
    }
}

template <typename Format>
void Table::formatted_cell(std::size_t width, Format&& format) {
    switch (mode_) {
        case Mode::Measure:
            measure(column_++, width);
            return;
        case Mode::Write:
            put(raw_, column_++, width, false, pending_,
                [&](RawWriter& w) { format(w.claim(width)); });
            return;
        case Mode::Buffer: {
            char text[kWidestNumber];
            format(text);
            cell(std::string_view(text, width));
            return;
        }
    }
}

void Table::hex_cell(std::uint64_t v, HexStyle style, std::string_view suffix) {
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

void Table::decimal_cell(std::uint64_t v, std::string_view suffix) {
    if (suffix.size() > kLongestSuffix) suffix = suffix.substr(0, kLongestSuffix);
    const int digits = decimal_digits(v);
    formatted_cell(static_cast<std::size_t>(digits) + suffix.size(), [&](char* p) {
        put_decimal_before(p + digits, v, digits);
        if (!suffix.empty()) std::memcpy(p + digits, suffix.data(), suffix.size());
    });
}

void Table::text_cell(std::string_view untrusted) {
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

namespace {

// Appends to a std::string: the buffered tables and the header.
struct StringWriter {
    std::string& out;
    void write(std::string_view s) { out.append(s); }
    void fill(std::size_t n) { out.append(n, ' '); }
};

}  // namespace

// Blanks after a left-aligned cell wait until something follows them: no trailing blanks.
template <typename Writer, typename Body>
void Table::put(Writer& w, std::size_t c, std::size_t width, bool empty, std::size_t& pending,
                Body&& body) const {
    if (c >= columns_.size()) {  // a note after the last column
        if (empty) return;
        w.fill(pending + 1);
        pending = 0;
        body(w);
        return;
    }
    const std::size_t fill = widths_[c] > width ? widths_[c] - width : 0;
    if (columns_[c].align == Align::Left && empty) {
        pending += (c ? 1 : 0) + fill;
        return;
    }
    std::size_t lead = pending + (c ? 1 : 0);
    if (columns_[c].align == Align::Right) lead += fill;
    w.fill(lead);
    pending = 0;
    body(w);
    if (columns_[c].align == Align::Left) pending = fill;
}

void Table::RawWriter::grow(std::size_t n) {
    const std::size_t used = static_cast<std::size_t>(at - out->data());
    if (used + n > out->size()) out->resize(std::max(out->size() * 2, used + n + 65536));
    at = out->data() + used;
    limit = out->data() + out->size();
}

void Table::write_header(std::string& out) const {
    if (!show_header_) return;
    std::size_t pending = 0;
    StringWriter w{out};
    for (std::size_t c = 0; c < columns_.size(); ++c)
        put(w, c, columns_[c].header, columns_[c].header.size(), pending);
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
            StringWriter w{out};
            for (std::size_t k = row.first_cell; k < end; ++k) {
                const Cell& cell = cells_[k];
                put(w, k - row.first_cell, std::string_view(arena_.data() + cell.offset, cell.size),
                    cell.width, pending);
            }
            if (!lead.empty()) out.append(reset);
        }
        out.push_back('\n');
    }
}

}  // namespace vmatlas
