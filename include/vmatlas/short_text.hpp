// A short text kept in every row (a label's name, a row's VmFlags): a string that keeps up to 23
// bytes inside itself.
//
// Nearly every name vmatlas makes fits, and so does pwndbg's "[anon_7f35f09a3]", one byte past
// std::string's short-string buffer: with std::string a 60,000-mapping map made 60,000 heap
// strings just to name its anonymous rows, and 60,000 more for smaps' VmFlags ("rd wr mr mw me ac
// sd", 20 bytes). Longer texts (a kernel "[anon:NAME]" of up to 80 bytes, "stack tid=" with
// several tids, a snapshot's) go on the heap. 24 bytes, not 32.
#pragma once

#include <cstdint>
#include <cstring>
#include <iosfwd>
#include <string>
#include <string_view>

namespace vmatlas {

class ShortText {
  public:
    static constexpr std::size_t kInline = 23;

    ShortText() noexcept { raw_[kInline] = 0; }
    ShortText(std::string_view s) { init(s); }  // NOLINT: a text converts from its characters
    ShortText(const char* s) : ShortText(std::string_view(s)) {}
    ShortText(const std::string& s) : ShortText(std::string_view(s)) {}
    ShortText(const ShortText& other) { init(other.view()); }
    ShortText(ShortText&& other) noexcept {
        std::memcpy(raw_, other.raw_, sizeof raw_);
        other.raw_[kInline] = 0;
    }
    ShortText& operator=(const ShortText& other) {
        if (this != &other) *this = ShortText(other);
        return *this;
    }
    ShortText& operator=(ShortText&& other) noexcept {
        if (this != &other) {
            release();
            std::memcpy(raw_, other.raw_, sizeof raw_);
            other.raw_[kInline] = 0;
        }
        return *this;
    }
    ~ShortText() { release(); }

    std::string_view view() const noexcept {
        if (on_heap()) {
            const Heap h = heap();
            return {h.data, h.size};
        }
        return {reinterpret_cast<const char*>(raw_), raw_[kInline]};
    }
    operator std::string_view() const noexcept { return view(); }  // NOLINT
    std::string str() const { return std::string(view()); }
    const char* data() const noexcept { return view().data(); }
    std::size_t size() const noexcept { return view().size(); }
    bool empty() const noexcept { return raw_[kInline] == 0; }

    std::size_t find(std::string_view s, std::size_t from = 0) const noexcept {
        return view().find(s, from);
    }
    bool starts_with(std::string_view s) const noexcept { return view().starts_with(s); }
    bool ends_with(std::string_view s) const noexcept { return view().ends_with(s); }

    friend bool operator==(const ShortText& a, const ShortText& b) noexcept {
        return a.view() == b.view();
    }
    friend bool operator==(const ShortText& a, std::string_view b) noexcept {
        return a.view() == b;
    }
    friend bool operator==(const ShortText& a, const char* b) noexcept {
        return a.view() == std::string_view(b);
    }
    friend bool operator==(const ShortText& a, const std::string& b) noexcept {
        return a.view() == std::string_view(b);
    }
    friend std::string operator+(std::string a, const ShortText& b) { return a.append(b.view()); }
    friend std::ostream& operator<<(std::ostream& os, const ShortText& n);

  private:
    // raw_[kInline] is the inline text's size, or kOnHeap; a heap name keeps its pointer and
    // size at the start of raw_ (copied in and out, so no union member is read out of turn).
    static constexpr std::uint8_t kOnHeap = 0xff;
    struct Heap {
        const char* data;
        std::size_t size;
    };
    bool on_heap() const noexcept { return raw_[kInline] == kOnHeap; }
    Heap heap() const noexcept {
        Heap h;
        std::memcpy(&h, raw_, sizeof h);
        return h;
    }
    void init(std::string_view s);
    void release() noexcept;

    alignas(8) unsigned char raw_[kInline + 1];
};

static_assert(sizeof(ShortText) == 24);

}  // namespace vmatlas
