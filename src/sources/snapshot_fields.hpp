// The field lists a snapshot's writer (src/render/snapshot_writer.cpp) and reader
// (src/sources/snapshot.cpp) share, so that the two cannot drift apart: the smaps figures and the
// mapping flags, each with its key, in the order they are written.
#pragma once

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "vmatlas/address_space.hpp"
#include "vmatlas/mapping.hpp"

namespace vmatlas::snapshot {

// A field added to Figures or SourceInfo, or a MappingFlag, must be added to the snapshot too
// (here, the writer, the reader and docs/snapshot.md), or snapshots would silently lose it.
static_assert(sizeof(Figures) == 21 * sizeof(std::uint64_t) + 8 + sizeof(ShortText),
              "Figures changed: add the new field to the snapshot format");
static_assert(sizeof(SourceInfo) == 6 * sizeof(std::string) + 16,
              "SourceInfo changed: add the new field to the snapshot format");

struct FigureKey {
    std::string_view key;
    std::uint64_t Figures::*field;
};

// Every number of Figures, in the struct's order; then "thp_eligible" and "vm_flags".
inline constexpr FigureKey kFigureKeys[] = {
    {"rss", &Figures::rss},
    {"pss", &Figures::pss},
    {"pss_dirty", &Figures::pss_dirty},
    {"shared_clean", &Figures::shared_clean},
    {"shared_dirty", &Figures::shared_dirty},
    {"private_clean", &Figures::private_clean},
    {"private_dirty", &Figures::private_dirty},
    {"referenced", &Figures::referenced},
    {"anonymous", &Figures::anonymous},
    {"ksm", &Figures::ksm},
    {"lazy_free", &Figures::lazy_free},
    {"anon_huge", &Figures::anon_huge},
    {"shmem_pmd", &Figures::shmem_pmd},
    {"file_pmd", &Figures::file_pmd},
    {"shared_hugetlb", &Figures::shared_hugetlb},
    {"private_hugetlb", &Figures::private_hugetlb},
    {"swap", &Figures::swap},
    {"swap_pss", &Figures::swap_pss},
    {"locked", &Figures::locked},
    {"kernel_page_size", &Figures::kernel_page_size},
    {"mmu_page_size", &Figures::mmu_page_size},
};
static_assert(std::size(kFigureKeys) == 21);

struct FlagKey {
    std::string_view key;
    std::uint8_t bit;
};

inline constexpr FlagKey kFlagKeys[] = {
    {"deleted", kDeleted},
    {"not_dumped", kNotDumped},
    {"partly_dumped", kPartlyDumped},
};

}  // namespace vmatlas::snapshot
