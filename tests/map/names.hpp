// The names of the default view, checked by rule: they come from ELF files and threads'
// registers, which /proc/PID/maps does not show, so a test cannot derive them from /proc alone.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/harness.hpp"
#include "vmatlas/annotations.hpp"

namespace vmtest {

// The names that vmatlas infers for ELF segments.
inline bool elf_segment_name(std::string_view name) {
    for (std::string_view n : {"headers", "text", "rodata", "relro", "data", "bss", "gap"})
        if (name == n) return true;
    return false;
}

// glibc's HEAP_MAX_SIZE on a 64-bit target: where the arenas of other threads start.
constexpr std::uint64_t kHeapMaxSize = 64u << 20;

// Checks mappings[i]'s name by rule (the names come from ELF files and registers, which /proc
// does not show). rows are /proc's rows, parallel to ms. threads: the tids whose stacks may be
// named ("stack tid=N" needs a live process: none for a maps-text target); main: the main thread,
// whose stack keeps the kernel's "[stack]".
inline void expect_name_by_rule(const std::vector<ProcRow>& rows, const nlohmann::json& ms,
                                std::size_t i, const std::vector<pid_t>& threads, pid_t main) {
    const ProcRow& p = rows[i];
    const auto& m = ms[i];
    const std::string name = m["name"];
    const std::string object = m["object"];
    SCOPED_TRACE("named '" + name + "'");
    auto is = [&](std::size_t k, const std::string& perms, const std::string& what) {
        return k < rows.size() && rows[k].anonymous() && rows[k].perms == perms &&
               ms[k]["name"] == what;
    };
    if (p.kernel_name()) {
        EXPECT_EQ(name, p.path);
        EXPECT_EQ(m["name_source"], "kernel");
        EXPECT_EQ(object, "");
    } else if (!p.anonymous()) {
        // A file: no name, or the name of the ELF segment it maps.
        EXPECT_EQ(object, "");
        if (name.empty()) {
            EXPECT_TRUE(m["name_source"].is_null()) << m["name_source"];
        } else {
            EXPECT_TRUE(elf_segment_name(name) && name != "bss");
            // The ELF headers name every segment; the layout alone tells only the gap.
            if (name == "gap" && m["name_source"] == "layout") {
                ASSERT_TRUE(i > 0 && i + 1 < rows.size());
                EXPECT_EQ(rows[i - 1].path, p.path);
                EXPECT_EQ(rows[i + 1].path, p.path);
            } else {
                EXPECT_EQ(m["name_source"], "elf");
            }
            if (name == "text") {
                EXPECT_EQ(p.perms[2], 'x');
            }
            if (name == "data") {
                EXPECT_EQ(p.perms[1], 'w');
            }
            if (name == "headers" || name == "rodata" || name == "relro") {
                EXPECT_EQ(p.perms, "r--p");
            }
            if (name == "headers") {
                EXPECT_EQ(p.offset, 0u);
            }
            if (name == "gap") {
                EXPECT_EQ(p.perms, "---p");
            }
        }
    } else if (name == vmatlas::anon_name(p.start)) {
        EXPECT_EQ(name, pwndbg_anon_name(p.start));
        EXPECT_EQ(m["name_source"], "heuristic");
        EXPECT_EQ(object, "");
    } else if (name == "bss") {
        // The anonymous rest of the writable segment of the object mapped just before it: from
        // its ELF headers (the row before is its data), or from the layout alone when they
        // cannot be read (the row before is the object's last writable row, unnamed).
        ASSERT_GT(i, 0u);
        const ProcRow& data = rows[i - 1];
        EXPECT_EQ(data.end, p.start);
        EXPECT_FALSE(data.anonymous() || data.kernel_name());
        EXPECT_EQ(object, data.path);
        if (m["name_source"] == "layout") {
            EXPECT_EQ(ms[i - 1]["name"], "");
            EXPECT_EQ(data.perms[1], 'w');
        } else {
            EXPECT_EQ(m["name_source"], "elf");
            EXPECT_EQ(ms[i - 1]["name"], "data");
        }
        EXPECT_EQ(p.perms, "rw-p");
    } else if (name.starts_with("stack tid=") || name.starts_with("guard tid=")) {
        // A thread's stack, and the guard page right below it.
        EXPECT_EQ(m["name_source"], "registers");
        EXPECT_EQ(object, "");
        const pid_t tid = std::stoi(name.substr(10));
        EXPECT_EQ(name.substr(10), std::to_string(tid));
        EXPECT_NE(std::find(threads.begin(), threads.end(), tid), threads.end())
            << "not a thread of the process: " << tid;
        EXPECT_NE(tid, main) << "the main thread's stack is [stack]";
        if (name.starts_with("stack")) {
            EXPECT_EQ(p.perms, "rw-p");
        } else {
            EXPECT_EQ(p.perms, "---p");
            EXPECT_TRUE(is(i + 1, "rw-p", "stack tid=" + std::to_string(tid)) &&
                        rows[i + 1].start == p.end)
                << "a guard is right below its stack";
        }
    } else if (name == "heap") {
        // A glibc arena of another thread: rw-p at the start of its aligned reservation.
        EXPECT_EQ(m["name_source"], "heuristic");
        EXPECT_EQ(object, "");
        EXPECT_EQ(p.perms, "rw-p");
        EXPECT_EQ(p.start % kHeapMaxSize, 0u);
        EXPECT_LE(p.size(), kHeapMaxSize);
    } else if (name == "heap (reserved)") {
        EXPECT_EQ(m["name_source"], "heuristic");
        EXPECT_EQ(object, "");
        EXPECT_EQ(p.perms, "---p");
        ASSERT_GT(i, 0u);
        EXPECT_TRUE(is(i - 1, "rw-p", "heap") && rows[i - 1].end == p.start);
        EXPECT_LE(p.end - rows[i - 1].start, kHeapMaxSize);
    } else {
        ADD_FAILURE() << "no rule gives an anonymous row this name";
    }
}

}  // namespace vmtest
