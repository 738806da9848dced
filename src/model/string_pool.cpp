#include "vmatlas/address_space.hpp"

namespace vmatlas {

StringPool::StringPool() {
    strings_.emplace_back();
}

StringPool::StringPool(const StringPool& other) : strings_(other.strings_), bytes_(other.bytes_) {
    reindex();
}

StringPool& StringPool::operator=(const StringPool& other) {
    if (this != &other) {
        strings_ = other.strings_;
        bytes_ = other.bytes_;
        reindex();
    }
    return *this;
}

// The index holds views into strings_, so a copy must point its views at its own strings.
void StringPool::reindex() {
    index_.clear();
    for (std::size_t i = 1; i < strings_.size(); ++i)
        index_.emplace(strings_[i], static_cast<PathId>(i));
}

PathId StringPool::intern(std::string_view s) {
    if (s.empty()) return kNoPath;
    if (auto it = index_.find(s); it != index_.end()) return it->second;
    const auto id = static_cast<PathId>(strings_.size());
    strings_.emplace_back(s);
    bytes_ += s.size();
    index_.emplace(strings_.back(), id);
    return id;
}

}  // namespace vmatlas
