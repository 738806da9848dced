// A streaming JSON writer. nlohmann::json builds a document tree first; for a 60,000-row map that
// is over a million allocations, so views write JSON in one pass with this instead (and the tests
// read it back with nlohmann::json). Commas are tracked here so callers cannot get them wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/number_text.hpp"
#include "render/safe_text.hpp"

namespace vmatlas {

class JsonWriter {
  public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    JsonWriter& begin_object() { return open('{'); }
    JsonWriter& end_object() { return close('}'); }
    JsonWriter& begin_array() { return open('['); }
    JsonWriter& end_array() { return close(']'); }

    JsonWriter& key(std::string_view k) {
        comma();
        out_.push_back('"');
        append_json_string(out_, k);
        out_ += "\":";
        after_key_ = true;
        return *this;
    }
    JsonWriter& string(std::string_view s) {
        comma();
        out_.push_back('"');
        append_json_string(out_, s);
        out_.push_back('"');
        return *this;
    }
    JsonWriter& hex(std::uint64_t v) {  // addresses: a string, since JSON numbers lose 64 bits
        comma();
        out_.push_back('"');
        append_address(out_, v);
        out_.push_back('"');
        return *this;
    }
    JsonWriter& number(std::uint64_t v) {
        comma();
        append_decimal(out_, v);
        return *this;
    }
    JsonWriter& signed_number(std::int64_t v) {
        comma();
        if (v < 0) out_.push_back('-');
        // The magnitude as unsigned: -INT64_MIN does not fit an int64.
        append_decimal(out_,
                       v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v));
        return *this;
    }
    JsonWriter& boolean(bool b) {
        comma();
        out_ += b ? "true" : "false";
        return *this;
    }
    JsonWriter& null() {
        comma();
        out_ += "null";
        return *this;
    }
    // The end of the document: a newline, as every line of text ends.
    void finish() { out_.push_back('\n'); }

  private:
    JsonWriter& open(char c) {
        comma();
        out_.push_back(c);
        first_.push_back(true);
        return *this;
    }
    JsonWriter& close(char c) {
        out_.push_back(c);
        first_.pop_back();
        return *this;
    }
    void comma() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (first_.empty()) return;
        if (!first_.back()) out_.push_back(',');
        first_.back() = false;
    }

    std::string& out_;
    std::vector<bool> first_;
    bool after_key_ = false;
};

}  // namespace vmatlas
