// vmatlas advise [-o SELECTOR=ADVICE,...] [-v] PID: Solaris pmadvise on Linux, through
// process_madvise(2). Without -o, the advice each row already carries (smaps' VmFlags).
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "load.hpp"
#include "output.hpp"
#include "query/advice_selection.hpp"
#include "render/advice_view.hpp"
#include "sources/process_advice.hpp"

namespace vmatlas::cli {

namespace {

struct Request {
    std::vector<AdviceSelector> selectors;
    std::vector<Advice> advice;  // parallel to selectors
};

// "-o heap=cold,0x7f0000:64K=pageout": split at commas, each at its last '=' (a name such as
// "stack tid=5" holds one).
Result<Request> parse_request(std::string_view list, std::uint64_t page) {
    Request request;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        const auto eq = item.rfind('=');
        if (eq == std::string_view::npos)
            return Error{ErrorKind::Usage, fmt::format("-o takes SELECTOR=ADVICE, not '{}'", item)};
        auto selector = parse_advice_selector(item.substr(0, eq), page);
        if (!selector) return selector.error();
        auto advice = parse_advice(item.substr(eq + 1));
        if (!advice) return advice.error();
        request.selectors.push_back(std::move(*selector));
        request.advice.push_back(*advice);
    }
    if (request.selectors.empty())
        return Error{ErrorKind::Usage, "-o takes SELECTOR=ADVICE, not an empty list"};
    return request;
}

// What -v writes after an advised row: each advice given to it, with the size given when it is
// not the whole row ("pageout (64K)").
std::vector<std::string> advised_marks(const AddressSpace& space, const AdvicePlan& plan,
                                       const Request& request) {
    std::vector<std::string> marks(space.size());
    for (const AdvicePiece& p : plan.pieces) {
        std::string& mark = marks[p.row];
        if (!mark.empty()) mark += ", ";
        mark += to_string(request.advice[p.selector]);
        if (p.end - p.start != space[p.row].size())
            mark += fmt::format(" ({}K)", (p.end - p.start) / 1024);
    }
    return marks;
}

// Gives each advice its pieces, in the order the advice is first named; says on stdout how many
// bytes each advised, and on stderr what the kernel refused. The status of the first refusal.
int give_advice(int pid, const AdvicePlan& plan, const Request& request) {
    std::vector<Advice> order;
    for (Advice a : request.advice)
        if (std::find(order.begin(), order.end(), a) == order.end()) order.push_back(a);
    int status = kOk;
    for (Advice a : order) {
        std::vector<AdviceSpan> spans;
        for (const AdvicePiece& p : plan.pieces)
            if (request.advice[p.selector] == a) spans.push_back({p.start, p.end});
        if (spans.empty()) continue;
        const AdviceOutcome outcome = advise_process(pid, a, spans);
        write_stdout(fmt::format("{}: {} of {} bytes advised ({} ranges)\n", to_string(a),
                                 outcome.advised, outcome.requested, spans.size()));
        if (!outcome.error) continue;
        const int refused = report(*outcome.error);
        // A range the kernel refused (MalformedInput) is part of the advice not given: 9. An
        // advice or a system call the kernel lacks (Unsupported) is 7.
        const bool range_refused = outcome.error->kind == ErrorKind::MalformedInput;
        if (status == kOk) status = range_refused ? kPartial : refused;
        if (refused == kPermission || refused == kExited || refused == kNoSuchTarget) break;
    }
    return status;
}

}  // namespace

int run_advise(int argc, char** argv) {
    ArgParser app{
        "Solaris pmadvise on Linux: gives advice to a process's memory through "
        "process_madvise(2); without -o, shows the advice each row already carries.",
        "vmatlas advise"};
    app.footer(
        "SELECTOR: heap, stack, private, shared, ADDR[:LEN] (ADDR in hex, LEN with K, M or G),\n"
        "or a name as the default view shows it: [anon_7f35f09a3], stack tid=5, text, data, bss,\n"
        "libc.so.6:data (OBJECT:SEGMENT). An address range wins over a name, heap or stack, which\n"
        "win over private and shared; of two of a kind, the later.\n"
        "ADVICE: cold, pageout, willneed or collapse (Linux 6.1), the advice process_madvise(2)\n"
        "gives another process. normal, random, sequential, dontneed, free and Solaris's\n"
        "access_lwp, access_many and access_default are refused, with what Linux offers instead.\n"
        "Advising needs CAP_SYS_NICE and ptrace read access to the process (run as root).\n"
        "Without -o: the rows, each followed by the advice smaps' VmFlags records for it\n"
        "(random, sequential, hugepage, nohugepage, dontdump, mergeable, dontfork, wipeonfork).\n"
        "Exit status: 0 ok, 1 a selector matches no row, 2 usage or refused advice, 3 no such\n"
        "process, 4 permission denied, 5 process exited, 7 advice this kernel lacks,\n"
        "9 the kernel refused part of the advice (the bytes advised are said).");
    std::string target, list;
    bool verbose = false;
    app.add_option("PID", target, "the process to advise: a PID, or a name matching exactly one")
        ->required();
    app.add_option("-o SELECTOR=ADVICE,...", list, "the advice to give and where");
    app.add_flag("-v", verbose, "the pmap rows, each advised one followed by '<= ADVICE'");
    if (const auto status = app.parse(argc, argv)) return *status;

    Request request;
    if (!list.empty()) {
        auto parsed = parse_request(list, static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
        if (!parsed) return usage_error(parsed.error().message);
        request = std::move(*parsed);
    }
    auto loaded = load(target, {.figures = list.empty()});
    if (!loaded) return loaded.error();
    const int pid = loaded->space.source().pid;
    if (loaded->kind != TargetKind::Process || pid <= 0)
        return usage_error(fmt::format("advice is given to a live process, not to {}", target));

    std::string out;
    if (list.empty()) {
        std::vector<std::string> marks(loaded->space.size());
        for (std::size_t i = 0; i < marks.size() && i < loaded->space.figures().size(); ++i)
            marks[i] = advice_in_vm_flags(loaded->space.figures()[i].vm_flags);
        render_advice_rows(loaded->space, loaded->notes, marks, out);
        write_stdout(out);
        return keep_until_exit(loaded);
    }

    const AdvicePlan plan = plan_advice(loaded->space, loaded->notes, request.selectors);
    int status = kOk;
    for (std::size_t k : plan.matched_nothing) {
        usage_error(
            fmt::format("'{}' matches no row of process {}", request.selectors[k].text, pid));
        status = kNoMatch;
    }
    if (verbose) {
        render_advice_rows(loaded->space, loaded->notes,
                           advised_marks(loaded->space, plan, request), out);
        write_stdout(out);
    }
    const int advised = give_advice(pid, plan, request);
    const int map_status = keep_until_exit(loaded);
    if (advised != kOk) return advised;
    return status != kOk ? status : map_status;
}

}  // namespace vmatlas::cli
