#include "render/model_reads.hpp"

namespace vmatlas {

std::string_view source_kind(const AddressSpace& space) {
    return space.source().kind;
}

bool is_core(const AddressSpace& space) {
    return source_kind(space) == "core";
}

const Label& no_label() {
    static const Label kNoLabel{};
    return kNoLabel;
}

}  // namespace vmatlas
