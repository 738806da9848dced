#include "render/model_reads.hpp"

namespace vmatlas {

std::string_view source_kind(const AddressSpace& space) {
    return to_string(space.source().kind);
}

bool is_core(const AddressSpace& space) {
    return space.source().kind == SourceKind::Core;
}

const Label& no_label() {
    static const Label kNoLabel{};
    return kNoLabel;
}

}  // namespace vmatlas
