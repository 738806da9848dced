// Reading one ELF object's headers with libelf. libelf already refuses much that is broken; every
// offset and size is checked here as well, before libelf is asked to follow it, so that what this
// file relies on does not depend on what one version of libelf happens to check.
#include "model/checked.hpp"
#include "sources/elf_ident.hpp"
#include "vmatlas/elf.hpp"

#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>

#include <fmt/format.h>

namespace vmatlas::elf {

namespace {

struct ElfDeleter {
    void operator()(Elf* e) const { elf_end(e); }
};
using ElfHandle = std::unique_ptr<Elf, ElfDeleter>;

bool libelf_ready() {
    static const bool ready = elf_version(EV_CURRENT) != EV_NONE;
    return ready;
}

Error malformed(std::string what) {
    return make_error(ErrorKind::MalformedInput, std::move(what));
}

std::string libelf_error() {
    const char* msg = elf_errmsg(-1);
    return msg != nullptr ? msg : "unknown libelf error";
}

}  // namespace

// e_ident checks that come before libelf: "not ELF" must be told apart from "broken ELF".
Result<unsigned> check_ident(std::span<const std::uint8_t> ident, std::uint64_t file_size) {
    if (file_size < SELFMAG || std::memcmp(ident.data(), ELFMAG, SELFMAG) != 0)
        return make_error(ErrorKind::Unsupported,
                          "not an ELF object (it does not begin with 0x7f 'E' 'L' 'F')");
    if (file_size < EI_NIDENT)
        return malformed(fmt::format("truncated ELF identification: {} bytes of {}", file_size,
                                     static_cast<int>(EI_NIDENT)));
    const unsigned elf_class = ident[EI_CLASS];
    if (elf_class != ELFCLASS32 && elf_class != ELFCLASS64)
        return malformed(fmt::format("unknown ELF class {} in e_ident[EI_CLASS]", elf_class));
    const unsigned data = ident[EI_DATA];
    if (data != ELFDATA2LSB && data != ELFDATA2MSB)
        return malformed(fmt::format("unknown ELF data encoding {} in e_ident[EI_DATA]", data));
    const std::uint64_t ehdr = elf_class == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (file_size < ehdr)
        return malformed(fmt::format("truncated ELF header: {} bytes, an ELF{} header needs {}",
                                     file_size, elf_class == ELFCLASS64 ? 64 : 32, ehdr));
    return elf_class;
}

namespace {

std::uint32_t load_word(const std::uint8_t* p, bool big_endian) {
    std::uint32_t w;
    std::memcpy(&w, p, sizeof w);
    const bool host_big = std::endian::native == std::endian::big;
    if (big_endian != host_big) w = __builtin_bswap32(w);
    return w;
}

// The NUL-terminated string at offset in a string table, if it is wholly inside.
std::optional<std::string_view> string_at(const Elf_Data* table, std::uint64_t offset) {
    if (table == nullptr || table->d_buf == nullptr || offset >= table->d_size) return std::nullopt;
    const char* base = static_cast<const char*>(table->d_buf);
    const void* nul = std::memchr(base + offset, '\0', table->d_size - offset);
    if (nul == nullptr) return std::nullopt;
    return std::string_view(base + offset, static_cast<const char*>(nul) - (base + offset));
}

// The raw bytes of a section whose file range was checked against the file size.
const Elf_Data* section_bytes(Elf_Scn* scn, const GElf_Shdr& shdr, std::uint64_t file_size) {
    if (shdr.sh_type == SHT_NOBITS || !fits(shdr.sh_offset, shdr.sh_size, file_size))
        return nullptr;
    return elf_rawdata(scn, nullptr);
}

// Looks for NT_GNU_BUILD_ID in one block of notes.
std::optional<std::vector<std::uint8_t>> find_build_id(Elf_Data* notes) {
    if (notes == nullptr) return std::nullopt;
    GElf_Nhdr nhdr;
    std::size_t name_off = 0, desc_off = 0;
    // gelf_getnote checks every note against the block and returns the next offset, 0 at the end.
    for (std::size_t off = 0; off < notes->d_size &&
                              (off = gelf_getnote(notes, off, &nhdr, &name_off, &desc_off)) > 0;) {
        if (nhdr.n_type != NT_GNU_BUILD_ID || nhdr.n_namesz != sizeof ELF_NOTE_GNU) continue;
        if (!fits(name_off, nhdr.n_namesz, notes->d_size) ||
            !fits(desc_off, nhdr.n_descsz, notes->d_size))
            continue;
        const auto* base = static_cast<const std::uint8_t*>(notes->d_buf);
        if (std::memcmp(base + name_off, ELF_NOTE_GNU, sizeof ELF_NOTE_GNU) != 0) continue;
        return std::vector<std::uint8_t>(base + desc_off, base + desc_off + nhdr.n_descsz);
    }
    return std::nullopt;
}

Result<std::vector<ProgramHeader>> read_program_headers(Elf* elf, const GElf_Ehdr& ehdr,
                                                        unsigned elf_class, std::uint64_t file_size,
                                                        ElfObject& obj) {
    // The count the header claims: libelf quietly answers 0 for a table that does not fit.
    std::uint64_t phnum = ehdr.e_phnum;
    if (phnum == PN_XNUM) {
        // Too many for e_phnum: the real count is in section 0's sh_info.
        GElf_Shdr shdr0;
        Elf_Scn* scn0 = elf_getscn(elf, 0);
        if (scn0 == nullptr || gelf_getshdr(scn0, &shdr0) == nullptr)
            return malformed(
                "e_phnum is PN_XNUM but section header 0, which holds the count, "
                "cannot be read");
        phnum = shdr0.sh_info;
    }
    std::vector<ProgramHeader> out;
    if (phnum == 0) return out;
    const std::uint64_t entsize = elf_class == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (ehdr.e_phentsize != entsize)
        return malformed(fmt::format("e_phentsize is {:#x}, ELF{} program headers are {:#x} bytes",
                                     ehdr.e_phentsize, elf_class == ELFCLASS64 ? 64 : 32, entsize));
    // phnum < 2^32 and entsize <= 56: the product cannot wrap.
    const std::uint64_t table = static_cast<std::uint64_t>(phnum) * entsize;
    if (!fits(ehdr.e_phoff, table, file_size))
        return malformed(
            fmt::format("the program header table (e_phoff {:#x}, {} entries of {:#x} "
                        "bytes) runs past the end of the {:#x}-byte file",
                        ehdr.e_phoff, phnum, entsize, file_size));
    std::size_t counted = 0;
    if (elf_getphdrnum(elf, &counted) != 0 || counted != phnum)
        return malformed(fmt::format("libelf counts {} program headers where the header claims {}",
                                     counted, phnum));
    obj.phoff = ehdr.e_phoff;
    obj.phdr_bytes = table;
    out.reserve(phnum);
    for (std::size_t i = 0; i < phnum; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr)
            return malformed(fmt::format("cannot read program header {}: {}", i, libelf_error()));
        ProgramHeader p{ph.p_type,  ph.p_flags, ph.p_offset, ph.p_vaddr, ph.p_filesz,
                        ph.p_memsz, ph.p_align, {},          ph.p_paddr};
        // The segment-name stage does arithmetic on these two kinds: refuse ranges that wrap.
        if (p.type == PT_LOAD || p.type == PT_GNU_RELRO) {
            if (!checked_add(p.offset, p.filesz))
                return malformed(
                    fmt::format("program header {}: p_offset {:#x} + p_filesz {:#x} wraps around",
                                i, p.offset, p.filesz));
            if (!checked_add(p.vaddr, std::max(p.memsz, p.filesz)))
                return malformed(
                    fmt::format("program header {}: p_vaddr {:#x} + p_memsz {:#x} wraps around", i,
                                p.vaddr, std::max(p.memsz, p.filesz)));
        }
        out.push_back(std::move(p));
    }
    return out;
}

// Section headers, .SUNW_phname and (when wanted) the build-id; damage here is a warning, never
// fatal.
void read_sections(Elf* elf, bool big_endian, std::uint64_t file_size, const ReadOptions& options,
                   ElfObject& obj) {
    std::size_t shnum = 0, shstrndx = 0;
    if (elf_getshdrnum(elf, &shnum) != 0) {
        obj.warnings.push_back(fmt::format(
            "cannot count the section headers: {}; sections are not shown", libelf_error()));
        return;
    }
    if (shnum == 0) return;
    const Elf_Data* names = nullptr;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
        obj.warnings.push_back(fmt::format("no section name table: {}", libelf_error()));
    } else {
        Elf_Scn* scn = elf_getscn(elf, shstrndx);
        GElf_Shdr shdr;
        if (scn != nullptr && gelf_getshdr(scn, &shdr) != nullptr && shdr.sh_type == SHT_STRTAB)
            names = section_bytes(scn, shdr, file_size);
        if (names == nullptr)
            obj.warnings.push_back(fmt::format(
                "section {} (the section name table) is not a readable string table", shstrndx));
    }

    Elf_Scn* phname_scn = nullptr;
    GElf_Shdr phname_shdr{};
    Elf_Scn* dynstr_scn = nullptr;
    GElf_Shdr dynstr_shdr{};
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
        const std::size_t index = elf_ndxscn(scn);
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) == nullptr) {
            obj.warnings.push_back(
                fmt::format("cannot read section header {}: {}", index, libelf_error()));
            continue;
        }
        std::string_view name;
        if (names != nullptr) {
            if (auto s = string_at(names, shdr.sh_name))
                name = *s;
            else
                obj.warnings.push_back(fmt::format(
                    "section {}: name offset {:#x} is outside the {:#x}-byte section name table",
                    index, shdr.sh_name, names->d_size));
        }
        if (name == ".SUNW_phname") phname_scn = scn, phname_shdr = shdr;
        if (name == ".dynstr" && shdr.sh_type == SHT_STRTAB) dynstr_scn = scn, dynstr_shdr = shdr;
        if ((shdr.sh_flags & SHF_ALLOC) == 0) continue;
        if (!checked_add(shdr.sh_addr, shdr.sh_size)) {
            obj.warnings.push_back(
                fmt::format("section {}: sh_addr {:#x} + sh_size {:#x} wraps "
                            "around; the section is left out",
                            index, shdr.sh_addr, shdr.sh_size));
            continue;
        }
        if (options.sections)
            obj.sections.push_back({std::string(name), shdr.sh_addr, shdr.sh_size, shdr.sh_flags,
                                    shdr.sh_type, index, shdr.sh_offset});
    }

    if (options.build_id && obj.build_id.empty()) {
        for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr && obj.build_id.empty();
             scn = elf_nextscn(elf, scn)) {
            GElf_Shdr shdr;
            if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_NOTE) continue;
            if (!fits(shdr.sh_offset, shdr.sh_size, file_size)) continue;
            if (auto id = find_build_id(elf_getdata(scn, nullptr))) obj.build_id = std::move(*id);
        }
    }

    if (phname_scn == nullptr) return;
    // Solaris links .SUNW_phname to .dynstr; an added section may not: fall back to the name.
    if (Elf_Scn* linked = elf_getscn(elf, phname_shdr.sh_link); linked != nullptr) {
        GElf_Shdr shdr;
        if (gelf_getshdr(linked, &shdr) != nullptr && shdr.sh_type == SHT_STRTAB)
            dynstr_scn = linked, dynstr_shdr = shdr;
    }
    const Elf_Data* words = section_bytes(phname_scn, phname_shdr, file_size);
    const Elf_Data* strings =
        dynstr_scn != nullptr ? section_bytes(dynstr_scn, dynstr_shdr, file_size) : nullptr;
    if (words == nullptr || words->d_buf == nullptr || strings == nullptr) {
        obj.warnings.push_back(
            "a .SUNW_phname section is present but it or .dynstr cannot be read; program headers "
            "are not named from it");
        return;
    }
    const std::uint64_t count = words->d_size / 4;
    if (count != obj.program_headers.size() || words->d_size % 4 != 0)
        obj.warnings.push_back(fmt::format(
            ".SUNW_phname holds {:#x} bytes for {} program headers (4 bytes each are expected)",
            words->d_size, obj.program_headers.size()));
    const std::uint64_t usable = std::min<std::uint64_t>(count, obj.program_headers.size());
    const auto* base = static_cast<const std::uint8_t*>(words->d_buf);
    for (std::uint64_t i = 0; i < usable; ++i) {
        const std::uint32_t offset = load_word(base + i * 4, big_endian);
        if (offset == 0) continue;
        if (auto s = string_at(strings, offset); s && !s->empty()) {
            obj.program_headers[i].name = std::string(*s);
            obj.has_phnames = true;
        } else {
            obj.warnings.push_back(fmt::format(
                ".SUNW_phname entry {}: offset {:#x} is not a string in the {:#x}-byte .dynstr", i,
                offset, strings->d_size));
        }
    }
}

Result<ElfObject> read_elf(Elf* elf, std::span<const std::uint8_t> ident, std::uint64_t file_size,
                           const ReadOptions& options) {
    auto elf_class = check_ident(ident, file_size);
    if (!elf_class) return elf_class.error();
    if (elf == nullptr || elf_kind(elf) != ELF_K_ELF)
        return malformed(fmt::format("libelf cannot read the ELF header: {}", libelf_error()));
    GElf_Ehdr ehdr;
    if (gelf_getehdr(elf, &ehdr) == nullptr)
        return malformed(fmt::format("cannot read the ELF header: {}", libelf_error()));

    ElfObject obj;
    obj.elf_class = *elf_class;
    obj.type = ehdr.e_type;
    obj.machine = ehdr.e_machine;
    obj.header_bytes = *elf_class == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    auto phdrs = read_program_headers(elf, ehdr, *elf_class, file_size, obj);
    if (!phdrs) return phdrs.error();
    obj.program_headers = std::move(*phdrs);

    for (std::size_t i = 0;
         options.build_id && i < obj.program_headers.size() && obj.build_id.empty(); ++i) {
        const ProgramHeader& p = obj.program_headers[i];
        if (p.type != PT_NOTE || !fits(p.offset, p.filesz, file_size)) continue;
        const Elf_Type type = p.align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR;
        if (auto id = find_build_id(
                elf_getdata_rawchunk(elf, static_cast<std::int64_t>(p.offset), p.filesz, type)))
            obj.build_id = std::move(*id);
    }
    // libelf counts no sections, and says nothing, when their table does not fit in the file.
    const std::uint64_t shentsize =
        *elf_class == ELFCLASS64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    if (ehdr.e_shoff != 0 && !fits(ehdr.e_shoff, ehdr.e_shnum * shentsize, file_size))
        obj.warnings.push_back(
            fmt::format("the section header table (e_shoff {:#x}, {} entries of {:#x} bytes) runs "
                        "past the end of the {:#x}-byte file; no section is read",
                        ehdr.e_shoff, ehdr.e_shnum, shentsize, file_size));
    read_sections(elf, ident[EI_DATA] == ELFDATA2MSB, file_size, options, obj);
    return obj;
}

}  // namespace

Result<ElfObject> read_elf_object(int fd, const ReadOptions& options) {
    if (!libelf_ready()) return make_error(ErrorKind::Unsupported, "libelf cannot be initialised");
    std::uint64_t size = 0;
    if (options.file_size) {
        size = *options.file_size;
    } else {
        struct stat st;
        if (fstat(fd, &st) != 0)
            return make_error(ErrorKind::UnreadableInput,
                              fmt::format("cannot stat the file: {}", std::strerror(errno)));
        size = st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    }
    // ELF_C_READ: libelf reads with pread only what is asked for (headers, a few sections), and a
    // file truncated under us gives a read error instead of SIGBUS.
    ElfHandle elf(elf_begin(fd, ELF_C_READ, nullptr));
    std::array<std::uint8_t, EI_NIDENT> ident{};
    std::size_t known = 0;
    if (elf != nullptr && elf_kind(elf.get()) == ELF_K_ELF) {
        // libelf has read the identification already: check the copy it keeps.
        std::size_t n = 0;
        if (const char* id = elf_getident(elf.get(), &n); id != nullptr) {
            known = std::min(n, ident.size());
            std::memcpy(ident.data(), id, known);
        }
    }
    if (known < ident.size()) {
        // Not ELF to libelf, or too short: read the bytes again to say which, and why.
        const ssize_t got = pread(fd, ident.data(), ident.size(), 0);
        if (got < 0)
            return make_error(ErrorKind::UnreadableInput,
                              fmt::format("cannot read the file: {}", std::strerror(errno)));
        known = std::min<std::uint64_t>(size, static_cast<std::uint64_t>(got));
    }
    auto elf_class = check_ident(std::span(ident).first(known), known < EI_NIDENT ? known : size);
    if (!elf_class) return elf_class.error();
    return read_elf(elf.get(), ident, size, options);
}

Result<ElfObject> read_elf_object(std::span<const std::byte> bytes) {
    if (!libelf_ready()) return make_error(ErrorKind::Unsupported, "libelf cannot be initialised");
    std::array<std::uint8_t, EI_NIDENT> ident{};
    if (!bytes.empty())
        std::memcpy(ident.data(), bytes.data(), std::min(bytes.size(), ident.size()));
    auto elf_class =
        check_ident(std::span(ident).first(std::min(bytes.size(), ident.size())), bytes.size());
    if (!elf_class) return elf_class.error();
    // libelf may convert in place and wants a mutable buffer: give it a copy.
    std::vector<char> copy(reinterpret_cast<const char*>(bytes.data()),
                           reinterpret_cast<const char*>(bytes.data()) + bytes.size());
    ElfHandle elf(elf_memory(copy.data(), copy.size()));
    return read_elf(elf.get(), ident, bytes.size(), ReadOptions{});
}

std::string_view load_segment_name(const ElfObject& obj, const ProgramHeader& load) {
    if (load.flags & PF_W) return "data";
    if (load.flags & PF_X) return "text";
    if (load.offset == 0 && obj.header_bytes <= load.filesz &&
        fits(obj.phoff, obj.phdr_bytes, load.filesz))
        return "headers";
    return "rodata";
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> relro_pages(const ElfObject& obj,
                                                                   std::uint64_t page) {
    for (const ProgramHeader& ph : obj.program_headers) {
        if (ph.type != PT_GNU_RELRO) continue;
        // The reader refused a PT_GNU_RELRO whose p_vaddr + p_memsz wraps.
        const std::uint64_t mask = ~(page - 1);
        return std::pair{ph.vaddr & mask, (ph.vaddr + ph.memsz) & mask};
    }
    return std::nullopt;
}

}  // namespace vmatlas::elf
