// Thread stacks: the row holding a thread's stack pointer is that thread's stack, and the
// anonymous ---p row right below it is the guard page pthread_create put there.
#include <fmt/format.h>

#include <map>

#include "annotate/stages.hpp"

namespace vmatlas {

namespace {

// Only rows that nothing else explains: no file, no kernel name (a kernel name such as
// "[anon:stack_and_tls:12]" is the program's own word, and "[stack]" is the main thread's), and
// not already named from an ELF object (a stack in .bss stays "bss").
bool unexplained(const AddressSpace& space, const Mapping& m, const Label& label) {
    return space.path(m).empty() && label.source != NameSource::Elf &&
           label.source != NameSource::Registers;
}

std::string tid_list(const std::vector<pid_t>& tids) {
    std::string s;
    for (const pid_t tid : tids) s += fmt::format("{}{}", s.empty() ? "" : ",", tid);
    return s;
}

}  // namespace

void stages::name_thread_stacks_from(const AddressSpace& space, int pid,
                                     const std::vector<ThreadInfo>& threads, Annotations& notes,
                                     std::string_view advice) {
    // Row index -> the threads whose stack pointer is in it (several when a program gives its
    // threads stacks carved from one mapping: "stack tid=12,13").
    std::map<std::size_t, std::vector<pid_t>> stacks;
    std::size_t others = 0, unknown = 0;
    std::string why;
    for (const ThreadInfo& t : threads) {
        if (t.tid == pid) continue;  // the main thread's row keeps the kernel's "[stack]"
        ++others;
        if (!t.sp) {
            if (unknown++ == 0) why = t.sp_error;
            continue;
        }
        const std::optional<std::size_t> i = space.find(*t.sp);
        // A stack pointer in a ---p row is a thread that overflowed into its guard page.
        if (!i || space[*i].perms.none() || !unexplained(space, space[*i], notes.labels[*i]))
            continue;
        stacks[*i].push_back(t.tid);
    }

    for (const auto& [i, tids] : stacks) {
        const std::string who = tid_list(tids);
        notes.labels[i] = {fmt::format("stack tid={}", who), NameSource::Registers};
        if (i == 0) continue;
        const Mapping& below = space[i - 1];
        if (below.end == space[i].start && below.perms.none() && !below.perms.shared() &&
            unexplained(space, below, notes.labels[i - 1]))
            notes.labels[i - 1] = {fmt::format("guard tid={}", who), NameSource::Registers};
    }

    if (unknown == 0) return;
    const std::string then = advice.empty() ? "" : fmt::format("; {}", advice);
    if (unknown == others)
        notes.warnings.push_back(
            fmt::format("cannot read the registers of process {}'s threads ({}): thread stacks "
                        "are not named{}",
                        pid, why, then));
    else
        notes.warnings.push_back(
            fmt::format("cannot read the registers of {} of process {}'s {} threads ({}): their "
                        "stacks are not named{}",
                        unknown, pid, others, why, then));
}

void stages::name_thread_stacks(const AddressSpace& space, const AnnotateContext& ctx,
                                Annotations& notes) {
    if (ctx.facts != nullptr && ctx.facts->has_threads) {
        // Registers the target recorded (a core's notes, a gdbserver's replies): why they are
        // missing is theirs, and no ptrace permission here would bring them.
        name_thread_stacks_from(space, space.source().pid, ctx.facts->threads, notes, {});
        return;
    }
    if (ctx.pid <= 0) return;
    auto threads = read_threads(ctx.pid, /*with_names=*/false);
    if (!threads) {
        const ErrorKind kind = threads.error().kind;
        if (kind == ErrorKind::NoSuchProcess || kind == ErrorKind::ProcessExited)
            notes.warnings.push_back(fmt::format(
                "process {} exited before its threads could be read: thread stacks are not named",
                ctx.pid));
        else
            notes.warnings.push_back(fmt::format(
                "cannot list the threads of process {} ({}): thread stacks are not named", ctx.pid,
                threads.error().message));
        return;
    }
    name_thread_stacks_from(space, ctx.pid, *threads, notes);
}

}  // namespace vmatlas
