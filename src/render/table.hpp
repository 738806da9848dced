// A text table whose columns are as wide as their data (Solaris 11.4 pmap's rule). Cells live in
// one arena so that a 60,000-row table costs a few allocations, not a few hundred thousand.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vmatlas {

enum class Align { Left, Right };

struct Column {
    std::string_view header;
    Align align = Align::Right;
};

class Table {
  public:
    explicit Table(std::vector<Column> columns);

    // Starts a row; the row is coloured with `color` (an escape sequence, or "").
    void begin_row(std::string_view color = {});
    // The next cell of the current row; `text` is shown as is, so escape untrusted text first.
    // `width` is its width on a terminal when that is not its size in bytes.
    void cell(std::string_view text, std::size_t width = std::string_view::npos);
    std::string& scratch() { return scratch_; }  // to format a cell into, then cell(scratch())
    // A line that ignores the columns (a note between rows).
    void line(std::string_view text);

    void render(std::string& out, std::string_view reset) const;

  private:
    struct Cell {
        std::uint32_t offset, size, width;
    };
    struct Row {
        std::uint32_t first_cell;
        std::uint32_t color_offset, color_size;
        bool is_line;
    };

    std::vector<Column> columns_;
    std::vector<std::size_t> widths_;
    std::string arena_;
    std::vector<Cell> cells_;
    std::vector<Row> rows_;
    std::string scratch_;
};

}  // namespace vmatlas
