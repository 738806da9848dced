#include "vmatlas/short_text.hpp"

#include <ostream>

namespace vmatlas {

void ShortText::init(std::string_view s) {
    if (s.size() <= kInline) {
        if (!s.empty()) std::memcpy(raw_, s.data(), s.size());
        raw_[kInline] = static_cast<unsigned char>(s.size());
        return;
    }
    char* copy = new char[s.size()];
    std::memcpy(copy, s.data(), s.size());
    const Heap h{copy, s.size()};
    std::memcpy(raw_, &h, sizeof h);
    raw_[kInline] = kOnHeap;
}

void ShortText::release() noexcept {
    if (on_heap()) delete[] heap().data;
    raw_[kInline] = 0;
}

std::ostream& operator<<(std::ostream& os, const ShortText& n) {
    return os << n.view();
}

}  // namespace vmatlas
