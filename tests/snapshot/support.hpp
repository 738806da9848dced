// What the snapshot tests share: a target opened and annotated as the command line does it, a
// fixed stamp, and a field-by-field comparison of two annotated maps (every field a snapshot
// must keep, written out here rather than through the snapshot code under test).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vmatlas/annotate.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/named_map.hpp"
#include "vmatlas/snapshot.hpp"
#include "vmatlas/target.hpp"

namespace vmtest {

// Fixed, so that a snapshot written by a test is the same on every run.
inline const vmatlas::SnapshotStamp kStamp{"2025-06-01T12:34:56Z", "Linux 6.18.44-test"};

struct Annotated {
    vmatlas::AddressSpace space;
    vmatlas::Annotations notes;
    vmatlas::ProcessFacts facts;
};

// The target's map with its names, as `vmatlas save` asks for them: with sections.
inline Annotated open_annotated(const std::string& spec) {
    auto t = vmatlas::open_target(spec);
    if (!t) throw std::runtime_error(spec + ": " + t.error().message);
    vmatlas::NamedMap named = vmatlas::name_target(std::move(*t), /*sections=*/true);
    return {std::move(named.space), std::move(named.notes), std::move(named.facts)};
}

inline Annotated from_target(vmatlas::Target t) {
    Annotated a;
    a.space = std::move(t.space);
    if (t.names) a.notes = std::move(*t.names);
    a.facts = std::move(t.facts);
    return a;
}

inline std::vector<std::uint64_t> figure_values(const vmatlas::Figures& f) {
    return {f.rss,          f.pss,           f.pss_dirty,      f.shared_clean,
            f.shared_dirty, f.private_clean, f.private_dirty,  f.referenced,
            f.anonymous,    f.ksm,           f.lazy_free,      f.anon_huge,
            f.shmem_pmd,    f.file_pmd,      f.shared_hugetlb, f.private_hugetlb,
            f.swap,         f.swap_pss,      f.locked,         f.kernel_page_size,
            f.mmu_page_size};
}

// got holds everything want holds. time and kernel: want's, or the stamp when want had none.
inline void expect_same(const Annotated& want, const Annotated& got,
                        const vmatlas::SnapshotStamp& stamp = kStamp) {
    const auto& ws = want.space.source();
    const auto& gs = got.space.source();
    EXPECT_EQ(gs.kind, ws.kind);
    EXPECT_EQ(gs.origin, ws.origin);
    EXPECT_EQ(gs.pid, ws.pid > 0 ? ws.pid : 0);
    EXPECT_EQ(gs.process_name, ws.process_name);
    EXPECT_EQ(gs.time, ws.time.empty() ? stamp.time : ws.time);
    EXPECT_EQ(gs.kernel, ws.kernel.empty() ? stamp.kernel : ws.kernel);

    const auto& wr = want.space.rows();
    const auto& gr = got.space.rows();
    EXPECT_EQ(gr.read, wr.read);
    EXPECT_EQ(gr.kept, wr.kept);
    EXPECT_EQ(gr.superseded, wr.superseded);
    EXPECT_EQ(gr.rejected, wr.rejected);
    EXPECT_EQ(got.space.incomplete(), want.space.incomplete());
    ASSERT_EQ(got.space.diagnostics().size(), want.space.diagnostics().size());
    for (std::size_t k = 0; k < want.space.diagnostics().size(); ++k) {
        const auto& w = want.space.diagnostics()[k];
        const auto& g = got.space.diagnostics()[k];
        EXPECT_EQ(g.line, w.line) << "diagnostic " << k;
        EXPECT_EQ(g.column, w.column) << "diagnostic " << k;
        EXPECT_EQ(g.message, w.message) << "diagnostic " << k;
    }

    ASSERT_EQ(got.space.size(), want.space.size());
    EXPECT_EQ(got.space.generation(), want.space.generation());
    ASSERT_EQ(got.space.figures().size(), want.space.figures().size());
    const bool sections = want.notes.sections.size() == want.space.size();
    ASSERT_EQ(got.notes.labels.size(), want.space.size());
    ASSERT_EQ(got.notes.roles.size(), want.space.size());
    ASSERT_EQ(got.notes.sections.size(), sections ? want.space.size() : 0);
    for (std::size_t i = 0; i < want.space.size(); ++i) {
        SCOPED_TRACE("row " + std::to_string(i));
        const vmatlas::Mapping& w = want.space[i];
        const vmatlas::Mapping& g = got.space[i];
        EXPECT_EQ(g.start, w.start);
        EXPECT_EQ(g.end, w.end);
        EXPECT_EQ(g.perms.bits(), w.perms.bits());
        EXPECT_EQ(raw(g.offset), raw(w.offset));
        EXPECT_EQ(g.dev_major, w.dev_major);
        EXPECT_EQ(g.dev_minor, w.dev_minor);
        EXPECT_EQ(g.inode, w.inode);
        EXPECT_EQ(g.flags, w.flags);
        EXPECT_EQ(got.space.path(g), want.space.path(w));
        if (!want.space.figures().empty()) {
            const auto& wf = want.space.figures()[i];
            const auto& gf = got.space.figures()[i];
            EXPECT_EQ(figure_values(gf), figure_values(wf));
            EXPECT_EQ(gf.thp_eligible, wf.thp_eligible);
            EXPECT_EQ(gf.vm_flags, wf.vm_flags);
        }
        const vmatlas::Label& wl = want.notes.labels[i];
        const vmatlas::Label& gl = got.notes.labels[i];
        EXPECT_EQ(gl.name, wl.name);
        EXPECT_EQ(gl.source, wl.source);
        EXPECT_EQ(got.space.paths().get(gl.object), want.space.paths().get(wl.object));
        EXPECT_EQ(got.notes.roles[i], want.notes.roles[i]);
        if (sections) {
            EXPECT_EQ(got.notes.sections[i], want.notes.sections[i]);
        }
    }
    EXPECT_EQ(got.notes.warnings, want.notes.warnings);

    EXPECT_EQ(got.facts.has_threads, want.facts.has_threads);
    EXPECT_EQ(got.facts.vdso, want.facts.vdso);
    EXPECT_EQ(got.facts.entry, want.facts.entry);
    EXPECT_EQ(got.facts.phdr, want.facts.phdr);
    ASSERT_EQ(got.facts.threads.size(), want.facts.threads.size());
    for (std::size_t k = 0; k < want.facts.threads.size(); ++k) {
        const auto& w = want.facts.threads[k];
        const auto& g = got.facts.threads[k];
        EXPECT_EQ(g.tid, w.tid);
        EXPECT_EQ(g.name, w.name);
        EXPECT_EQ(g.sp, w.sp);
        EXPECT_EQ(g.sp_source, w.sp_source);
        EXPECT_EQ(g.sp_error, w.sp_error);
    }
}

}  // namespace vmtest
