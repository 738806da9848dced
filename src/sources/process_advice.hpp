// Advice given to another process's memory through process_madvise(2): the one place where
// vmatlas changes a process rather than reading it. It sits beside the readers of /proc because
// it is the same kind of thing, a call into the kernel about a process by its PID, and needs
// nothing but the model.
//
// Linux lets a process advise another's memory with four advice values only (process_madvise(2),
// kernel 5.10 on; collapse from 6.1): cold, pageout, willneed and collapse. parse_advice() also
// knows Solaris pmadvise's and madvise(2)'s other names, and refuses them with the reason and
// what Linux offers instead.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "vmatlas/mapping.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas {

enum class Advice : std::uint8_t {
    Cold,      // MADV_COLD: deactivate the pages, reclaimed first under pressure
    Pageout,   // MADV_PAGEOUT: reclaim the pages now (anonymous ones to swap)
    WillNeed,  // MADV_WILLNEED: read the pages in ahead of use
    Collapse,  // MADV_COLLAPSE: make transparent huge pages of the range now (Linux 6.1)
};

std::string_view to_string(Advice a);  // "cold", "pageout", "willneed", "collapse"

// The advice named: one of the four, else a Usage error whose sentence says why the name is
// refused ("'random' sets how the process itself reads ahead ...") or that it is no advice.
Result<Advice> parse_advice(std::string_view name);

// [start, end): one range to advise, page-aligned.
struct AdviceSpan {
    Addr start = 0, end = 0;
};

// What advise_process did: how many bytes it was asked to advise and how many the kernel says it
// advised. error is set when part or all of it was not done: the first refusal, with the range
// it was refused on.
struct AdviceOutcome {
    std::uint64_t requested = 0, advised = 0;
    std::optional<Error> error;
};

// Gives `advice` to the ranges of process pid, in order. A range the kernel refuses is said in
// error (the first one) and the ranges after it are still advised, so that advised counts every
// byte the kernel accepted. Errors: NoSuchProcess (no process has the PID), PermissionDenied
// (EPERM: CAP_SYS_NICE or ptrace read access is missing; nothing is advised), ProcessExited,
// Unsupported (a kernel without process_madvise, or without this advice), and MalformedInput for
// a range the kernel refused (no longer mapped, or not fit for the advice).
AdviceOutcome advise_process(int pid, Advice advice, std::span<const AdviceSpan> ranges);

}  // namespace vmatlas
