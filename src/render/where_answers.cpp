#include "render/where_answers.hpp"

#include <cstdint>
#include <vector>

#include "render/table.hpp"
#include "sources/text.hpp"

namespace vmatlas {

void answer_inputs(Locator& where, WhereView& view, std::span<const std::string> inputs,
                   bool skip_blank, std::string& out, WhereTally& tally, const Flush& flush) {
    struct Slot {
        const std::string* input;
        std::size_t addr;  // in addrs, SIZE_MAX for an input that is no address
    };
    std::vector<Addr> addrs;
    std::vector<Slot> slots;
    std::vector<std::string> whys;
    for (const std::string& input : inputs) {
        const bool blank = text::trim_blanks(input).empty();
        if (blank && skip_blank) continue;
        auto a = blank ? Result<Addr>(make_error(ErrorKind::Usage, "an empty ADDR is no address"))
                       : where.resolve(input);
        if (a) {
            slots.push_back({&input, addrs.size()});
            addrs.push_back(*a);
        } else {
            slots.push_back({&input, SIZE_MAX});
            whys.push_back(a.error().message);
        }
    }
    std::size_t next = 0, why = 0;
    // Inputs that are no address are written in their place, before the next answer.
    auto failures = [&] {
        for (; next < slots.size() && slots[next].addr == SIZE_MAX; ++next) {
            if (tally.failed++ == 0) tally.first_failed = whys[why];
            view.failed(*slots[next].input, whys[why++], out);
        }
    };
    where.locate_batch(addrs, [&](std::size_t, const WhereAnswer& a) {
        failures();
        view.answer(*slots[next].input, a, out);
        ++next;
        ++tally.answered;
        if (!a.row && tally.missing++ == 0) tally.first_missing = a.address;
        if (flush && out.size() >= Table::kFlushBytes) flush(out);
    });
    failures();
}

}  // namespace vmatlas
