// The fields of a mapping, as every view that lists mappings shows them: the File column of the
// default view and of diff is one field, and marks a file deleted only when it is the row's own.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "render/diff_view.hpp"
#include "render/map_view.hpp"
#include "render/mapping_fields.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/diff.hpp"
#include "vmatlas/query.hpp"

namespace vmatlas {
namespace {

Mapping row(Addr start, Addr end) {
    Mapping m;
    m.start = start;
    m.end = end;
    m.perms = Perms(Perms::kRead | Perms::kWrite);
    return m;
}

struct Map {
    AddressSpace space;
    Annotations notes;
};

// Row 0: its own file, deleted. Rows 1 and 2: no file of their own, named bss of a library's;
// row 1 carries the deleted flag (a snapshot may say so of any row).
Map deleted_files() {
    AddressSpaceBuilder b({SourceKind::MapsText, "test", 0, ""});
    Mapping own = row(0x1000, 0x2000);
    own.path = b.intern("/lib/a.so");
    own.flags = kDeleted;
    b.add(own);
    Mapping flagged = row(0x2000, 0x3000);
    flagged.flags = kDeleted;
    b.add(flagged);
    b.add(row(0x3000, 0x4000));
    const PathId libc = b.intern("/lib/libc.so.6");
    Map m{std::move(b).build(), {}};
    m.notes = annotate_kernel_names(m.space);
    for (std::size_t i = 1; i < 3; ++i) m.notes.labels[i] = {"bss", NameSource::Elf, libc};
    return m;
}

std::string file_of(const Map& m, std::size_t i, RowOptions options = {}) {
    std::string scratch;
    return std::string(kFile.get(mapping_row(m.space, m.notes, i, scratch, options)).s);
}

TEST(MappingFields, FileMarksOnlyTheRowsOwnFileDeleted) {
    const Map m = deleted_files();
    EXPECT_EQ(file_of(m, 0), "/lib/a.so (deleted)");
    EXPECT_EQ(file_of(m, 1), "/lib/libc.so.6");
    EXPECT_EQ(file_of(m, 2), "/lib/libc.so.6");
    EXPECT_EQ(file_of(m, 0, {.basenames = true}), "a.so (deleted)");
    EXPECT_EQ(file_of(m, 1, {.basenames = true}), "libc.so.6");
    // Without the names from ELF headers, a bss row is no one's.
    EXPECT_EQ(file_of(m, 1, {.elf_labels = false}), "");
}

// The default view and diff --all of the map against itself show the same File column.
TEST(MappingFields, DefaultViewAndDiffShowOneFileColumn) {
    const Map m = deleted_files();
    std::string map_out, diff_out;
    render_map(m.space, m.notes, select_rows(m.space, m.notes, {}), {}, Format::Table, Palette{},
               map_out);
    const MapDiff d = diff_maps(m.space, m.notes, m.space, m.notes);
    render_diff(m.space, m.notes, m.space, m.notes, d, {.all = true}, Format::Table, Palette{},
                diff_out);
    EXPECT_EQ(map_out,
              " Start    End Perm Size Offset Name File\n"
              "0x1000 0x2000 rw-p 1000      0      /lib/a.so (deleted)\n"
              "0x2000 0x3000 rw-p 1000      0 bss  /lib/libc.so.6\n"
              "0x3000 0x4000 rw-p 1000      0 bss  /lib/libc.so.6\n");
    EXPECT_NE(diff_out.find("  0x2000 0x3000 rw-p 1000      0 bss  /lib/libc.so.6\n"),
              std::string::npos)
        << diff_out;
    EXPECT_EQ(diff_out.find("libc.so.6 (deleted)"), std::string::npos) << diff_out;
}

}  // namespace
}  // namespace vmatlas
