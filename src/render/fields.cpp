#include "render/fields.hpp"

#include "model/number_text.hpp"
#include "render/safe_text.hpp"

namespace vmatlas {

namespace {

// elfdump's spelling: a number as "0" or 0x-hex, text in brackets, no words as "[ 0 ]".
std::size_t append_elfdump(std::string& out, Type type, const Value& v) {
    if (type == Type::Address || type == Type::Number || type == Type::Bool) {
        const std::size_t before = out.size();
        if (v.n == 0)
            out.push_back('0');
        else
            append_address(out, v.n);
        return out.size() - before;
    }
    out += "[ ";
    std::size_t width = 0;
    if (type == Type::Words && v.s.empty()) {
        out.push_back('0');
        width = 1;
    } else {
        width = append_safe(out, v.s);
    }
    out += " ]";
    return width + 4;
}

}  // namespace

std::size_t append_cell(std::string& out, Type type, Spelling spelling, const Value& v,
                        const TableStyle& style) {
    if (is_ascii_cell(spelling, v)) {
        const std::size_t width = ascii_width(spelling, v, style);
        const std::size_t at = out.size();
        out.resize(at + width);
        put_ascii(out.data() + at, spelling, v, width, style);
        return width;
    }
    if (spelling == Spelling::Text) return append_safe(out, v.s);
    return append_elfdump(out, type, v);
}

void append_pair(std::string& out, std::string_view key, Type type, Spelling spelling,
                 const Value& v, const TableStyle& style) {
    if (!out.empty() && out.back() != '\n') out.push_back(' ');
    out += key;
    out.push_back('=');
    const std::size_t at = out.size();
    append_cell(out, type, spelling, v, style);
    const std::string_view cell(out.data() + at, out.size() - at);
    if (!cell.empty() && cell.find_first_of(" \t\"=") == std::string_view::npos) return;
    std::string quoted = "\"";
    for (const char c : cell) {
        if (c == '"') quoted.push_back('\\');
        quoted.push_back(c);
    }
    quoted.push_back('"');
    out.replace(at, std::string::npos, quoted);
}

void json_value(JsonWriter& w, Type type, const Value& v) {
    if (!v.known) {
        w.null();
        return;
    }
    switch (type) {
        case Type::Address:
            w.hex(v.n);
            return;
        case Type::Number:
            w.number(v.n);
            return;
        case Type::Bool:
            w.boolean(v.n != 0);
            return;
        case Type::Text:
            w.string(v.s);
            return;
        case Type::OptText:
            if (v.s.empty())
                w.null();
            else
                w.string(v.s);
            return;
        case Type::Words: {
            w.begin_array();
            std::string_view rest = v.s;
            while (!rest.empty()) {
                const std::size_t blank = rest.find(' ');
                if (blank != 0) w.string(rest.substr(0, blank));
                rest =
                    blank == std::string_view::npos ? std::string_view{} : rest.substr(blank + 1);
            }
            w.end_array();
            return;
        }
    }
}

void csv_value(std::string& out, Type type, const Value& v) {
    if (!v.known) return;
    switch (type) {
        case Type::Address:
            append_address(out, v.n);
            return;
        case Type::Number:
            append_decimal(out, v.n);
            return;
        case Type::Bool:
            out += v.n ? "true" : "false";
            return;
        case Type::Text:
        case Type::OptText:
        case Type::Words:
            append_csv_field(out, v.s);
            return;
    }
}

}  // namespace vmatlas
