// The objects of an address space: which rows map which file, the ELF headers of each as the
// loader uses them, the load bias its rows agree on, and a name by which this machine can open the
// very file the process mapped. The ELF segment-name stage names rows from this table; the
// symbolize stage resolves addresses through the same table, so that a row's name and an
// address's segment always come from one bias. Internal to the library.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vmatlas/address_space.hpp"
#include "vmatlas/annotate.hpp"
#include "vmatlas/annotations.hpp"
#include "vmatlas/elf.hpp"

namespace vmatlas {

// The identity of a mapped object: the path the map names it by, its device and inode.
struct ObjectKey {
    PathId path = kNoPath;
    std::uint32_t dev_major = 0, dev_minor = 0;
    std::uint64_t inode = 0;
    friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
};

constexpr ObjectKey object_key(const Mapping& m) {
    return {m.path, m.dev_major, m.dev_minor, m.inode};
}

struct ObjectKeyHash {
    std::size_t operator()(const ObjectKey& k) const {
        return std::hash<std::uint64_t>()(k.inode * 0x9e3779b97f4a7c15ull ^ k.path ^
                                          (std::uint64_t{k.dev_major} << 40) ^
                                          (std::uint64_t{k.dev_minor} << 20));
    }
};

// A row of a file: not anonymous, not a kernel name, and with an inode unless the target records
// none (a core: inode_known false).
bool file_backed(const AddressSpace& space, const Mapping& m, bool inode_known);

// The system's page size.
std::uint64_t page_size();

// A PT_LOAD with its page-rounded ranges, as the loader maps it.
struct Load {
    std::size_t index;  // in program_headers
    const elf::ProgramHeader* ph;
    std::uint64_t file_lo, file_hi;  // [page_down(p_offset), p_offset + p_filesz)
    std::uint64_t mem_lo;            // page_down(p_vaddr)
    std::uint64_t file_mem_hi;       // page_up(p_vaddr + p_filesz): the file-backed part ends
    std::uint64_t mem_hi;            // page_up(p_vaddr + p_memsz): the bss ends
};

// What naming and resolving need of one object, computed once per file.
struct ObjectLayout {
    elf::ElfObject object;
    std::vector<Load> loads;                                       // in program header order
    std::optional<std::pair<std::uint64_t, std::uint64_t>> relro;  // page-rounded, as mprotected
    std::vector<const elf::Section*> sections;                     // occupying memory, by address
    std::vector<std::uint64_t> max_end;  // max_end[i]: the largest end of sections[0..i]

    // The PT_LOAD that maps [o, o + size) of the file, whole, at some address: the segment of a
    // row mapped away from where the loader put it. Null when none does.
    const Load* load_of_file_range(std::uint64_t o, std::uint64_t size) const;
    // The PT_LOAD whose memory image holds the vaddr (its bss included); null when none.
    const Load* load_of_vaddr(std::uint64_t vaddr) const;
    // The vaddr of a file offset inside a PT_LOAD's file part.
    static std::uint64_t vaddr_of(const Load& l, std::uint64_t o) {
        return l.mem_lo + (o - l.file_lo);
    }
};

// Null when the object has no PT_LOAD, or too many to be a real object. Loads and sections point
// into the object; the sections are kept when want_sections.
std::shared_ptr<const ObjectLayout> make_layout(elf::ElfObject obj, std::uint64_t page,
                                                bool want_sections);

struct MappedObject {
    ObjectKey key;
    std::vector<std::size_t> rows;               // its file rows, in address order
    std::shared_ptr<const ObjectLayout> layout;  // null: not read, not ELF
    bool not_elf = false;                        // read, and not an ELF object
    std::optional<std::uint64_t> bias;           // where vaddr 0 sits, when the rows tell
    // A name this machine opens the file the process mapped by (checked against the rows'
    // device and inode, or a core's build-id); empty when there is none.
    std::string file;

    // The PT_LOAD that row m (one of the object's file rows) maps where the loader put it,
    // under the bias; null when there is none.
    const Load* load_at_bias(const Mapping& m) const;
    // The PT_LOAD that row m maps away from where the loader put it: a copy of part of the file
    // mapped again elsewhere (a program that moves its own text onto huge pages), whose file
    // offset and address agree with no PT_LOAD under the bias. Null for any other row.
    const Load* moved_load(const Mapping& m) const;
    // The object's vaddr of the first byte of row m (a file row, or a bss row of the object):
    // through the bias, or through the file offset for a moved row. Nothing when neither tells.
    std::optional<std::uint64_t> row_vaddr(const Mapping& m, bool file_row) const;
};

struct ObjectTable {
    std::vector<MappedObject> objects;  // in the order of their first row
    // Parallel to the mappings: 1 + the index of the row's object, 0 for none. A bss row and an
    // anonymous gap belong to the object they continue.
    std::vector<std::uint32_t> of_row;

    const MappedObject* object_of(std::size_t row) const {
        return row < of_row.size() && of_row[row] ? &objects[of_row[row] - 1] : nullptr;
    }
    void attach(std::size_t row, const MappedObject& obj) {
        of_row[row] = static_cast<std::uint32_t>(&obj - objects.data()) + 1;
    }
};

// Groups the file rows into objects and reads each object's headers once (ctx.objects when the
// target reads them, else the file on this machine, checked); what could not be done is said in
// warnings, once. want_sections keeps each object's allocated sections.
ObjectTable collect_objects(const AddressSpace& space, const AnnotateContext& ctx,
                            bool want_sections, std::vector<std::string>& warnings);

// annotate() that also gives the table its stages named the rows from.
Annotations annotate(const AddressSpace& space, const AnnotateContext& ctx, ObjectTable& objects);

}  // namespace vmatlas
