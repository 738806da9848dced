// watch_changes (watch_events.hpp).
#include "watch_events.hpp"

namespace vmatlas::cli {

std::string_view to_string(WatchEvent e) {
    switch (e) {
        case WatchEvent::Mapped:
            return "mapped";
        case WatchEvent::Unmapped:
            return "unmapped";
        case WatchEvent::Protected:
            return "perms";
        case WatchEvent::Grew:
            return "grew";
        case WatchEvent::Shrank:
            return "shrank";
        case WatchEvent::Renamed:
            return "renamed";
        case WatchEvent::Changed:
            return "changed";
    }
    return "";
}

std::vector<WatchChange> watch_changes(const NamedMap& before, const NamedMap& after) {
    // Without annotations the comparison holds to the kernel's facts: the names vmatlas infers
    // for a row change with its neighbours, which are events of their own.
    const MapDiff diff = diff_maps(before.space, {}, after.space, {});
    std::vector<WatchChange> out;
    for (const DiffEntry& e : diff.entries) {
        switch (e.change) {
            case Change::Unchanged:
                break;
            case Change::Added:
                out.push_back({WatchEvent::Mapped, true, e.b});
                break;
            case Change::Removed:
                out.push_back({WatchEvent::Unmapped, false, e.a});
                break;
            case Change::Changed: {
                auto add = [&](WatchEvent ev) { out.push_back({ev, true, e.b, e.a}); };
                if (e.fields & kDiffPerms) add(WatchEvent::Protected);
                if (e.fields & kDiffEnd)
                    add(after.space[e.b].end > before.space[e.a].end ? WatchEvent::Grew
                                                                     : WatchEvent::Shrank);
                if (e.fields & (kDiffPath | kDiffName | kDiffDeleted)) add(WatchEvent::Renamed);
                if (e.fields & (kDiffOffset | kDiffDev | kDiffInode)) add(WatchEvent::Changed);
                break;
            }
        }
    }
    return out;
}

}  // namespace vmatlas::cli
