#include <algorithm>
#include <cstring>
#include <numeric>

#include <fmt/format.h>

#include "model/lookup_index.hpp"
#include "model/row_digest.hpp"
#include "vmatlas/address_space.hpp"

namespace vmatlas {

namespace {

std::uint64_t digest_rows(const std::vector<Mapping>& rows, const StringPool& paths) {
    detail::RowDigest d;
    for (const Mapping& m : rows) d.add_row(m, paths.get(m.path));
    return d.value();
}

}  // namespace

std::string_view to_string(SourceKind kind) {
    switch (kind) {
        case SourceKind::Procfs:
            return "procfs";
        case SourceKind::MapsText:
            return "maps text";
        case SourceKind::SmapsText:
            return "smaps text";
        case SourceKind::Core:
            return "core";
        case SourceKind::ElfImage:
            return "elf image";
        case SourceKind::Regions:
            return "regions";
        case SourceKind::GuestDump:
            return "guest dump";
        case SourceKind::LiveGuest:
            return "live guest";
        case SourceKind::QemuUser:
            return "qemu user";
    }
    return "";
}

std::uint64_t AddressSpace::generation() const {
    if (!generation_) generation_ = digest_rows(mappings_, paths_);
    return *generation_;
}

const detail::LookupIndex& AddressSpace::index() const {
    // Built whole before it is stored: an allocation that fails half-way leaves no index (it is
    // built again on the next look-up), never half of one.
    if (!index_)
        index_ = std::make_shared<const detail::LookupIndex>(detail::LookupIndex::build(mappings_));
    return *index_;
}

std::size_t AddressSpace::lower_bound(Addr a) const {
    if (mappings_.empty() || a >= mappings_.back().end) return mappings_.size();
    return index().search(mappings_, a).at;
}

std::optional<std::size_t> AddressSpace::find(Addr a) const {
    if (mappings_.empty() || a >= mappings_.back().end) return std::nullopt;
    const detail::LookupIndex::Found found = index().search(mappings_, a);
    if (found.hit) return found.at;
    return std::nullopt;
}

std::size_t AddressSpace::memory_bytes() const {
    std::size_t n = sizeof(*this) + mappings_.capacity() * sizeof(Mapping) +
                    (index_ ? sizeof(detail::LookupIndex) + index_->memory_bytes() : 0) +
                    figures_.capacity() * sizeof(Figures);
    // Each interned string: its bytes, its deque slot, and an index node (key view, id, hash).
    n += paths_.bytes() + paths_.size() * (sizeof(std::string) + sizeof(std::string_view) + 32);
    return n;
}

AddressSpaceBuilder::AddressSpaceBuilder(SourceInfo source) {
    space_.source_ = std::move(source);
}

void AddressSpaceBuilder::add(const Mapping& m, Figures f) {
    if (row_figures_.capacity() < rows_.capacity()) row_figures_.reserve(rows_.capacity());
    row_figures_.resize(rows_.size());
    rows_.push_back(m);
    row_figures_.push_back(std::move(f));
}

void AddressSpaceBuilder::reject(Diagnostic d) {
    ++rejected_;
    warn(std::move(d));
}

void AddressSpaceBuilder::warn(Diagnostic d) {
    if (space_.diagnostics_.size() < kMaxDiagnostics)
        space_.diagnostics_.push_back(std::move(d));
    else
        ++unkept_diagnostics_;
}

void AddressSpaceBuilder::mark(Loss cause) {
    space_.loss_ = std::max(space_.loss_, cause);
}

void AddressSpaceBuilder::lose(Diagnostic d, Loss cause) {
    mark(cause);
    warn(std::move(d));
}

void AddressSpaceBuilder::note_unkept_diagnostics() {
    if (unkept_diagnostics_ == 0) return;
    space_.diagnostics_.push_back(
        {0, 0, fmt::format("{} more warnings are not kept", unkept_diagnostics_)});
    unkept_diagnostics_ = 0;
}

bool AddressSpaceBuilder::overlaps_lose_rows() const {
    return space_.source_.kind != SourceKind::Procfs;
}

void AddressSpaceBuilder::carry(const RowAccount& account, std::vector<Diagnostic> diagnostics,
                                Loss loss) {
    rejected_ += account.rejected;
    carried_superseded_ += account.superseded;
    for (Diagnostic& d : diagnostics) warn(std::move(d));
    mark(loss);
    if (account.superseded > 0 && overlaps_lose_rows()) mark(Loss::Input);
}

AddressSpace AddressSpaceBuilder::build() && {
    RowAccount& acc = space_.rows_;
    acc.read = rows_.size() + rejected_ + carried_superseded_;
    acc.rejected = rejected_;
    acc.superseded = carried_superseded_;

    // Sort by start; among equal starts the row read later comes later. Then sweep: a row that
    // overlaps the one before it replaces it when it was read later, else it is the one dropped.
    // The common case, the kernel's own output: sorted and without overlaps. Keep it as it is.
    bool clean = true;
    for (std::size_t i = 1; i < rows_.size() && clean; ++i)
        clean = rows_[i - 1].end <= rows_[i].start;
    if (clean) {
        note_unkept_diagnostics();
        space_.mappings_ = std::move(rows_);
        rows_ = {};
        if (!row_figures_.empty()) {
            row_figures_.resize(space_.mappings_.size());
            space_.figures_ = std::move(row_figures_);
            row_figures_ = {};
        }
        acc.kept = space_.mappings_.size();
        return std::move(space_);
    }

    std::vector<std::uint32_t> order(rows_.size());
    std::iota(order.begin(), order.end(), 0u);
    const bool already_sorted =
        std::is_sorted(rows_.begin(), rows_.end(),
                       [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
    if (!already_sorted)
        std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            return rows_[a].start < rows_[b].start;
        });

    std::vector<std::uint32_t> kept;
    kept.reserve(order.size());
    for (std::uint32_t i : order) {
        const Mapping& row = rows_[i];
        bool keep = true;
        while (!kept.empty() && rows_[kept.back()].end > row.start) {
            if (kept.back() < i) {
                kept.pop_back();
            } else {
                keep = false;
                break;
            }
            ++acc.superseded;
        }
        if (keep) {
            kept.push_back(i);
        } else {
            ++acc.superseded;
        }
    }

    space_.mappings_.reserve(kept.size());
    for (std::uint32_t i : kept) space_.mappings_.push_back(rows_[i]);
    if (!row_figures_.empty()) {
        row_figures_.resize(rows_.size());
        space_.figures_.reserve(kept.size());
        for (std::uint32_t i : kept) space_.figures_.push_back(std::move(row_figures_[i]));
        row_figures_ = {};
    }
    acc.kept = space_.mappings_.size();
    if (const std::size_t dropped = acc.superseded - carried_superseded_; dropped > 0) {
        Diagnostic d{0, 0,
                     overlaps_lose_rows()
                         ? fmt::format("{} row(s) overlapped a later row and were dropped", dropped)
                         : fmt::format("{} row(s) overlapped a row read after them and were "
                                       "replaced by it (the map changed while it was read)",
                                       dropped)};
        if (overlaps_lose_rows())
            lose(std::move(d));
        else
            warn(std::move(d));
    }
    note_unkept_diagnostics();
    rows_.clear();
    rows_.shrink_to_fit();
    return std::move(space_);
}

std::vector<std::string> check_invariants(const AddressSpace& space) {
    std::vector<std::string> broken;
    const auto& ms = space.mappings();
    for (std::size_t i = 0; i < ms.size(); ++i) {
        const Mapping& m = ms[i];
        if (m.start >= m.end)
            broken.push_back(
                fmt::format("row {} is empty or inverted: {:#x}-{:#x}", i, m.start, m.end));
        if (i > 0 && ms[i - 1].end > m.start)
            broken.push_back(
                fmt::format("rows {} and {} overlap or are out of order: {:#x}-{:#x} "
                            "then {:#x}-{:#x}",
                            i - 1, i, ms[i - 1].start, ms[i - 1].end, m.start, m.end));
        if (m.path >= space.paths().size())
            broken.push_back(
                fmt::format("row {} names path id {} of {}", i, m.path, space.paths().size()));
    }
    const RowAccount& r = space.rows();
    if (r.kept != ms.size())
        broken.push_back(fmt::format("{} rows kept but {} mappings held", r.kept, ms.size()));
    if (r.read != r.kept + r.superseded + r.rejected)
        broken.push_back(fmt::format("{} rows read but {} kept + {} superseded + {} rejected",
                                     r.read, r.kept, r.superseded, r.rejected));
    if (!space.figures().empty() && space.figures().size() != ms.size())
        broken.push_back(
            fmt::format("{} figure rows for {} mappings", space.figures().size(), ms.size()));
    return broken;
}

}  // namespace vmatlas
